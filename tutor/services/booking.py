"""The lesson lifecycle: a student books a free slot (pending), the teacher confirms
(maybe moving it) or rejects it, either side cancels, a pending lesson nobody confirmed
before it starts expires; the teacher also creates confirmed lessons directly, for a
new person too. Rejected, cancelled and expired lessons are deleted, and an
EndedLesson keeps for their student what happened and why (record_ended).

Plain functions raising the named errors below. Every check-then-write runs inside
schedule.lock(teacher), so two lessons never overlap whichever process writes them,
and every notification is written to the outbox in the same transaction.

Decided rules (the tests pin each one):
- A student books exactly one free slot of the calendar (availability.is_bookable):
  on the grid, inside the notice and horizon, clear of unavailable time and of the busy
  time imported from the teacher's other calendars, and clear of other lessons by the
  teacher's buffer. A slot blocked only by another lesson is
  SlotTaken; any other reason is OutsideAvailability.
- The teacher (creating or moving a lesson) may use any time in the future that
  overlaps no other lesson (SlotTaken) and no unavailable interval
  (OutsideAvailability); the grid, notice, horizon and buffer do not apply, nor does
  imported busy time (the teacher knows their other calendars).
- Only a pending lesson is confirmed or rejected (NotPending); a pending lesson that has
  started can no longer be confirmed (InThePast): it is about to expire.
- A student may have at most the teacher's max_pending_lessons single requests and
  max_pending_series series awaiting an answer (TooManyPending), counted under the
  booking lock; what the teacher creates is never capped.
- A lesson that has started cannot be cancelled (InThePast). The teacher must give a
  reason; a student cancels a pending lesson any time before it starts, a confirmed one
  until cancellation_notice_hours before its start (exactly then still counts):
  student_may_cancel.
"""
from datetime import timedelta

from tutor.models import EndedLesson, Lesson, LessonSeries, User, utcnow
from tutor.services import audit, availability, errors, notify, recipients, schedule
from tutor.services.availability import Interval

MAX_COMMENT = 2000
MAX_REASON = 500
MAX_NAME = 100
MAX_PEOPLE = 50
MAX_LESSON = timedelta(hours=12)  # for lessons the teacher places by hand


class BookingError(Exception):
    """Base of the lesson errors; `field` names the form field to show it at."""

    field = None


class NotAllowed(BookingError, errors.NotAllowed):
    """Not this user's lesson, or not something their role may do."""


class LessonNotFound(BookingError):
    """The lesson is gone: rejected, cancelled or expired meanwhile."""


class SlotTaken(BookingError):
    """Another lesson takes (part of) this time: someone was quicker."""

    field = "start"


class OutsideAvailability(BookingError):
    """Not a free slot of the calendar (off the grid, unavailable, too soon or too far
    ahead), or for the teacher: inside an unavailable interval."""

    field = "start"


class InThePast(BookingError):
    """The lesson, or the time it would move to, has already started."""

    field = "start"


class NotPending(BookingError):
    """Only a lesson awaiting confirmation can be confirmed or rejected."""


class TooLateToCancel(BookingError):
    """A student cancels a confirmed lesson only up to the teacher's notice."""

    def __init__(self, deadline):
        super().__init__(f"could be cancelled until {deadline:%Y-%m-%d %H:%M} UTC")
        self.deadline = deadline


class TooManyPending(BookingError):
    """The student already has as many requests awaiting the teacher's answer as the
    teacher allows (TeacherSettings.max_pending_lessons, or max_pending_series for a
    series)."""

    def __init__(self, limit, series=False):
        kind = "series" if series else "lessons"
        super().__init__(f"at most {limit} pending {kind} per student")
        self.limit = limit
        self.series = series


def check_pending_cap(student, teacher, settings, series=False):
    """Raise TooManyPending when one more request of `student` would pass the
    teacher's cap. Called inside schedule.lock(teacher), which every booking with the
    teacher takes, so simultaneous requests cannot together pass it."""
    model, limit = ((LessonSeries, settings.max_pending_series) if series
                    else (Lesson, settings.max_pending_lessons))
    if model.pending_requests(student, teacher).count() >= limit:
        raise TooManyPending(limit, series=series)


class InvalidDetails(BookingError):
    """A bad price, number of people, name, comment, reason or end time."""

    def __init__(self, field, message):
        super().__init__(f"{field}: {message}")
        self.field = field


# --- the student's side -------------------------------------------------------------

def book_lesson(student, teacher, start, comment="", now=None):
    """Book the free slot starting at `start` (naive UTC) for `student`: a pending
    lesson, and a message to the teacher. Raises NotAllowed, TooManyPending,
    OutsideAvailability, SlotTaken or InvalidDetails."""
    now = now or utcnow()
    if student.role != User.STUDENT or not teacher.is_teacher:
        raise NotAllowed("only a student books, and only with the teacher")
    comment = checked_text(comment, "comment", MAX_COMMENT)
    with schedule.lock(teacher):
        settings = schedule.settings_for(teacher)
        check_pending_cap(student, teacher, settings)
        rules = schedule.rules_for(teacher, settings)
        slot = Interval(start, start + rules.lesson_length)
        unavailable = schedule.closed_between(teacher, slot.start, slot.end)
        if not availability.is_bookable(rules, slot, now=now, unavailable=unavailable):
            raise OutsideAvailability(f"{start} is not a free slot")
        busy = schedule.busy_between(teacher, slot.start - rules.buffer, slot.end + rules.buffer)
        if not availability.is_bookable(rules, slot, now=now, unavailable=unavailable,
                                        busy=busy):
            raise SlotTaken(f"{start} has just been taken")
        lesson = Lesson.create(teacher=teacher, student=student, start=slot.start,
                               end=slot.end, status=Lesson.PENDING, comment=comment)
        tell(teacher, "lesson_booked", lesson, settings, student_name=person_name(student))
        tell(student, "lesson_requested", lesson, settings)
    return lesson


def student_cancel_deadline(lesson, settings):
    """The last moment (naive UTC, inclusive) the lesson's student may still cancel
    it: a confirmed lesson's teacher asks for cancellation_notice_hours of notice; a
    request can be withdrawn until just before it starts."""
    if lesson.is_confirmed:
        return lesson.start - timedelta(hours=settings.cancellation_notice_hours)
    return lesson.start


def student_may_cancel(lesson, settings, now=None):
    """Whether the lesson's student may cancel it now."""
    now = now or utcnow()
    return now < lesson.start and now <= student_cancel_deadline(lesson, settings)


def told_of_cancelling(user, record, reason, what):
    """Who hears of it when `user` cancels `record` (a lesson or a series): the other
    side. The teacher must give the student a reason. Raises NotAllowed for anyone else."""
    if user.id == record.teacher_id:
        if not reason:
            raise InvalidDetails("reason", "the teacher gives the student a reason")
        return record.student
    if user.id == record.student_id:
        return record.teacher
    raise NotAllowed(f"not your {what}")


def cancel_lesson(user, lesson, reason="", now=None):
    """Cancel (delete) a lesson that has not started, by its student or the teacher,
    and tell the other side. Raises LessonNotFound, NotAllowed, InThePast,
    TooLateToCancel or InvalidDetails (the teacher gave no reason). Returns the
    deleted lesson."""
    now = now or utcnow()
    reason = checked_text(reason, "reason", MAX_REASON)
    with schedule.lock(lesson.teacher_id):
        lesson = _reload(lesson)
        settings = schedule.settings_for(lesson.teacher_id)
        recipient = told_of_cancelling(user, lesson, reason, "lesson")
        if lesson.start <= now:
            raise InThePast("the lesson has already started")
        if user.id == lesson.student_id and not student_may_cancel(lesson, settings, now):
            raise TooLateToCancel(student_cancel_deadline(lesson, settings))
        audit.record(user, "lesson.cancel", lesson, before=audit.snapshot(lesson),
                     after={"reason": reason})
        lesson.delete_instance()
        record_ended([lesson], EndedLesson.CANCELLED, reason, by=user, now=now)
        tell(recipient, "lesson_cancelled", lesson, settings,
                cancelled_by=person_name(user), reason=reason)
    return lesson


# --- the teacher's side -------------------------------------------------------------

def confirm_lesson(teacher, lesson, price, people, comment=None, start=None, now=None):
    """Confirm a pending lesson with its price and number of people; `comment` (when
    given) replaces the student's, `start` (when given) moves the lesson, keeping its
    length. The student gets "lesson_confirmed", or "lesson_moved" when the time
    changed. Raises LessonNotFound, NotAllowed, NotPending, InThePast, SlotTaken,
    OutsideAvailability or InvalidDetails."""
    now = now or utcnow()
    price, people, comment = _details(price, people, comment)
    with schedule.lock(teacher):
        lesson = _teachers_lesson(teacher, lesson)
        if not lesson.is_pending:
            raise NotPending("the lesson is already confirmed")
        if lesson.start <= now:
            raise InThePast("the lesson has started unconfirmed and is about to expire")
        previous = lesson.start
        if start is not None and start != lesson.start:
            _move(teacher, lesson, start, now)
        lesson.status = Lesson.CONFIRMED
        lesson.sequence += 1  # the event calendars hold changes (services/lesson_mail.py)
        lesson.price = price
        lesson.people = people
        lesson.confirmed_at = now
        if comment is not None:
            lesson.comment = comment
        lesson.save()
        audit.record(teacher, "lesson.confirm", lesson, after=audit.snapshot(lesson))
        settings = schedule.settings_for(teacher)
        if lesson.start != previous:
            tell(lesson.student, "lesson_moved", lesson, settings,
                    previous=recipients.local_time(lesson.student, previous, settings.timezone))
        else:
            tell(lesson.student, "lesson_confirmed", lesson, settings)
    return lesson


def _details(price, people, comment):
    """The teacher's price, number of people and comment (None: keep it), checked."""
    comment = None if comment is None else checked_text(comment, "comment", MAX_COMMENT)
    return checked_price(price), checked_people(people), comment


def _teachers_lesson(teacher, lesson):
    """The lesson as it is now, refused unless it is `teacher`'s."""
    lesson = _reload(lesson)
    if lesson.teacher_id != teacher.id:
        raise NotAllowed("not your lesson")
    return lesson


def _move(teacher, lesson, start, now):
    """Move the lesson to `start`, keeping its length, if that time is free."""
    moved = Interval(start, start + (lesson.end - lesson.start))
    check_free(teacher, moved, now, exclude=lesson)
    lesson.start, lesson.end = moved.start, moved.end


def change_lesson(teacher, lesson, price, people, comment=None, start=None, now=None):
    """Change a confirmed lesson: its price and number of people, the comment (when
    given), and its time (when `start` differs; the length stays). Only this lesson
    changes, whether or not it belongs to a series (it stays in it). The student gets
    "lesson_rescheduled" when the time changed. Raises LessonNotFound, NotAllowed,
    NotPending (a pending lesson is confirmed instead), InThePast (moving a lesson that
    has started, or to a time that has), SlotTaken, OutsideAvailability or
    InvalidDetails."""
    now = now or utcnow()
    price, people, comment = _details(price, people, comment)
    with schedule.lock(teacher):
        lesson = _teachers_lesson(teacher, lesson)
        if not lesson.is_confirmed:
            raise NotPending("a pending lesson is confirmed, not changed")
        before = audit.snapshot(lesson)
        previous = lesson.start
        if start is not None and start != lesson.start:
            if lesson.start <= now:
                raise InThePast("the lesson has already started")
            _move(teacher, lesson, start, now)
            lesson.sequence += 1
        lesson.price = price
        lesson.people = people
        if comment is not None:
            lesson.comment = comment
        lesson.save()
        audit.record(teacher, "lesson.change", lesson, before, audit.snapshot(lesson))
        if lesson.start != previous:
            settings = schedule.settings_for(teacher)
            tell(lesson.student, "lesson_rescheduled", lesson, settings,
                    # Each move is news, even back to an earlier time.
                    key=f"lesson_rescheduled:{lesson.ref}:{utcnow():%Y%m%d%H%M%S%f}",
                    previous=recipients.local_time(lesson.student, previous, settings.timezone))
    return lesson


def reject_lesson(teacher, lesson, reason=""):
    """Reject (delete) a pending lesson and tell the student. Raises LessonNotFound,
    NotAllowed, NotPending (a confirmed lesson is cancelled instead) or
    InvalidDetails. Returns the deleted lesson."""
    reason = checked_text(reason, "reason", MAX_REASON)
    with schedule.lock(teacher):
        lesson = _teachers_lesson(teacher, lesson)
        if not lesson.is_pending:
            raise NotPending("a confirmed lesson is cancelled, not rejected")
        audit.record(teacher, "lesson.reject", lesson, before=audit.snapshot(lesson),
                     after={"reason": reason})
        lesson.delete_instance()
        record_ended([lesson], EndedLesson.REJECTED, reason, by=teacher)
        tell(lesson.student, "lesson_rejected", lesson, schedule.settings_for(teacher),
                reason=reason)
    return lesson


# --- lessons that ended without taking place ------------------------------------

def record_ended(lessons, state, reason="", by=None, now=None):
    """Keep for each deleted lesson's student that it was rejected, expired or
    cancelled (one of EndedLesson.STATES), by whom and why. Called in the transaction
    that deletes them."""
    now = now or utcnow()
    rows = [{"lesson_id": lesson.id, "teacher": lesson.teacher_id,
             "student": lesson.student_id, "start": lesson.start, "end": lesson.end,
             "state": state, "was_confirmed": lesson.is_confirmed, "reason": reason,
             "ended_by": getattr(by, "id", None), "ended_at": now}
            for lesson in lessons]
    if rows:
        EndedLesson.insert_many(rows).execute()


# --- helpers ------------------------------------------------------------------------

def _reload(lesson):
    """The lesson as it is now, inside the lock."""
    current = Lesson.get_or_none(Lesson.id == lesson.id)
    if current is None:
        raise LessonNotFound(lesson.id)
    return current


def check_free(teacher, interval, now, exclude=None):
    if interval.start <= now:
        raise InThePast(f"{interval.start} has already come")
    if schedule.busy_between(teacher, interval.start, interval.end, exclude=exclude):
        raise SlotTaken(f"another lesson overlaps {interval.start}–{interval.end}")
    if schedule.unavailable_between(teacher, interval.start, interval.end):
        raise OutsideAvailability(f"{interval.start}–{interval.end} is marked unavailable")


def tell(recipient, kind, lesson, settings, key=None, **context):
    """One outbox message about `lesson`; its key makes a repeat write nothing."""
    zone = settings.timezone
    notify.enqueue(recipient, kind, {
        "lesson": lesson,
        "when": recipients.local_time(recipient, lesson.start, zone),
        "price": (recipients.local_amount(recipient, lesson.price)
                  if lesson.price is not None else None),
        **context,
    }, key=key or f"{kind}:{lesson.ref}")


def person_name(user):
    return user.full_name or user.login


def checked_text(value, field, limit):
    value = (value or "").strip()
    if len(value) > limit:
        raise InvalidDetails(field, f"at most {limit} characters")
    return value


def checked_price(value):
    try:
        return schedule.clean_price(value)
    except schedule.InvalidSetting as error:
        raise InvalidDetails("price", str(error)) from None


def checked_people(value):
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_PEOPLE:
        raise InvalidDetails("people", f"a whole number from 1 to {MAX_PEOPLE}")
    return value

