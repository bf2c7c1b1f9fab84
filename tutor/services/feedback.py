"""Feedback: after a lesson its student may rate it from 1 to 5 and leave a comment,
which only the teacher reads.

Decided rules (the tests pin each one):
- Only the lesson's own student, only on a confirmed lesson, only once it has ended,
  and not on a lesson the teacher marked missed or cancelled late (it did not take
  place). An unmarked or attended lesson can be rated.
- One feedback per lesson. The student may leave it, and change it, until
  FEEDBACK_DAYS after the lesson ended; then it stays as it is.
- The rating is a whole number from 1 to 5; the comment is up to MAX_COMMENT
  characters (optional).
"""
from datetime import timedelta

from peewee import IntegrityError

from tutor.extensions import db
from tutor.models import Feedback, Lesson, utcnow
from tutor.services import errors

FEEDBACK_DAYS = 14
MAX_COMMENT = 2000
RATINGS = (1, 2, 3, 4, 5)


class FeedbackError(Exception):
    """Base of the errors below; `field` names the form field to show it at."""

    field = None


class NotAllowed(FeedbackError, errors.NotAllowed):
    """Not this student's lesson (or not a student)."""


class NotConfirmed(FeedbackError):
    """The lesson was never confirmed."""


class NotEnded(FeedbackError):
    """The lesson has not ended yet."""


class DidNotTakePlace(FeedbackError):
    """The teacher marked the lesson missed or cancelled late."""


class TooLate(FeedbackError):
    """More than FEEDBACK_DAYS have passed since the lesson ended."""

    def __init__(self, deadline):
        super().__init__(f"feedback closed at {deadline:%Y-%m-%d %H:%M} UTC")
        self.deadline = deadline


class InvalidRating(FeedbackError):
    field = "rating"


class CommentTooLong(FeedbackError):
    field = "comment"


def deadline(lesson):
    """Until when the lesson's feedback can be left or changed (naive UTC)."""
    return lesson.end + timedelta(days=FEEDBACK_DAYS)


def check_open(student, lesson, now=None):
    """Raise the reason `student` cannot give feedback on `lesson` now, if any."""
    now = now or utcnow()
    if student is None or student.id != lesson.student_id or student.is_teacher:
        raise NotAllowed("only the lesson's student gives feedback")
    if not lesson.is_confirmed:
        raise NotConfirmed(lesson.id)
    if lesson.end > now:
        raise NotEnded(lesson.end)
    if lesson.attendance in (Lesson.MISSED, Lesson.LATE_CANCEL):
        raise DidNotTakePlace(lesson.attendance)
    if now > deadline(lesson):
        raise TooLate(deadline(lesson))


def is_open(student, lesson, now=None):
    try:
        check_open(student, lesson, now)
    except FeedbackError:
        return False
    return True


def _rating(value):
    if isinstance(value, bool) or not isinstance(value, int) or value not in RATINGS:
        raise InvalidRating(value)
    return value


def leave_feedback(student, lesson, rating, comment="", now=None):
    """Leave or change `student`'s feedback on `lesson`. Raises NotAllowed,
    NotConfirmed, NotEnded, DidNotTakePlace, TooLate, InvalidRating or CommentTooLong;
    nothing changes then. Returns the Feedback."""
    now = now or utcnow()
    rating = _rating(rating)
    comment = (comment or "").strip().replace("\r\n", "\n")
    if len(comment) > MAX_COMMENT:
        raise CommentTooLong(len(comment))
    current = Lesson.get_or_none(Lesson.id == lesson.id)
    if current is None:
        raise NotAllowed("the lesson is gone")
    check_open(student, current, now)
    with db.database.atomic():
        changed = (Feedback
                   .update(rating=rating, comment=comment, updated_at=now)
                   .where(Feedback.lesson == current.id)
                   .execute())
        if not changed:
            try:
                with db.database.atomic():
                    Feedback.create(lesson=current.id, student=student.id, rating=rating,
                                    comment=comment, created_at=now)
            except IntegrityError:  # left in another tab a moment ago: this one wins
                (Feedback
                 .update(rating=rating, comment=comment, updated_at=now)
                 .where(Feedback.lesson == current.id)
                 .execute())
    return Feedback.get(Feedback.lesson == current.id)


def for_lesson(lesson):
    return Feedback.get_or_none(Feedback.lesson == lesson.id)


def of_student(student, limit=None):
    """The student's feedback with its lessons, newest lesson first."""
    query = (Feedback
             .select(Feedback, Lesson)
             .join(Lesson, on=(Feedback.lesson == Lesson.id))
             .where(Feedback.student == student.id)
             .order_by(Lesson.start.desc()))
    return list(query.limit(limit) if limit else query)
