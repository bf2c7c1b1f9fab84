"""A student's own lessons, as their "My lessons" page lists them: upcoming ones (each
with what the student may still do), requests and lessons that ended without taking
place (rejected, expired, cancelled, with the reason), and past ones.

Decided rules:
- Upcoming: the student's pending and confirmed lessons that have not started. A
  request that started unanswered is no longer upcoming: the expiry job deletes it.
- A pending request lapses when its time comes unconfirmed (expiry.expire_unconfirmed),
  so it "expires at" its start.
- Cancelling follows booking.student_may_cancel; when it is no longer allowed the
  student is told the teacher's cancellation notice.
- Ended requests and lessons are listed for ENDED_SHOWN after they ended.
- Past: confirmed lessons that have started, newest first, at most PAST_SHOWN.
Each list costs a fixed number of queries (plus one settings lookup per teacher).
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from tutor.models import EndedLesson, Lesson, utcnow
from tutor.services import booking, schedule

PAST_SHOWN = 20
ENDED_SHOWN = timedelta(days=14)


@dataclass(frozen=True)
class Upcoming:
    """An upcoming lesson and what its student may do with it."""

    lesson: Lesson
    can_cancel: bool
    cancel_until: datetime  # naive UTC, the last moment a cancel is accepted
    notice_hours: int  # the teacher's cancellation notice

    @property
    def is_pending(self):
        return self.lesson.is_pending

    @property
    def expires_at(self):
        """When an unanswered request lapses (naive UTC); None once confirmed."""
        return self.lesson.start if self.lesson.is_pending else None


class _Settings(dict):
    """Each teacher's settings, looked up once."""

    def __missing__(self, teacher_id):
        self[teacher_id] = schedule.settings_for(teacher_id)
        return self[teacher_id]


def upcoming(student, now=None):
    """The student's lessons that have not started, soonest first (list of Upcoming)."""
    now = now or utcnow()
    settings = _Settings()
    lessons = (Lesson
               .select()
               .where((Lesson.student == student)
                      & (Lesson.status.in_(Lesson.STATUSES))
                      & (Lesson.start > now))
               .order_by(Lesson.start))
    return [as_upcoming(lesson, settings[lesson.teacher_id], now) for lesson in lessons]


def as_upcoming(lesson, settings=None, now=None):
    """`lesson` with what its student may do with it now."""
    now = now or utcnow()
    settings = settings or schedule.settings_for(lesson.teacher_id)
    return Upcoming(lesson,
                    can_cancel=booking.student_may_cancel(lesson, settings, now),
                    cancel_until=booking.student_cancel_deadline(lesson, settings),
                    notice_hours=settings.cancellation_notice_hours)


def recently_ended(student, now=None):
    """The student's requests and lessons that ended without taking place within
    ENDED_SHOWN, most recent first."""
    now = now or utcnow()
    return list(EndedLesson
                .select()
                .where((EndedLesson.student == student)
                       & (EndedLesson.ended_at > now - ENDED_SHOWN))
                .order_by(EndedLesson.ended_at.desc(), EndedLesson.id.desc()))


def past(student, now=None, limit=PAST_SHOWN):
    """The student's confirmed lessons that have started, newest first."""
    now = now or utcnow()
    return list(Lesson
                .select()
                .where((Lesson.student == student)
                       & (Lesson.status == Lesson.CONFIRMED)
                       & (Lesson.start <= now))
                .order_by(Lesson.start.desc())
                .limit(limit))


def ended(student, lesson_id):
    """What became of the student's lesson `lesson_id` that no longer exists: its
    latest EndedLesson, or None (not theirs, or never ended)."""
    return (EndedLesson
            .select()
            .where((EndedLesson.lesson_id == lesson_id)
                   & (EndedLesson.student == student))
            .order_by(EndedLesson.ended_at.desc(), EndedLesson.id.desc())
            .first())
