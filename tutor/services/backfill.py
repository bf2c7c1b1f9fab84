"""Lessons entered afterwards: the teacher records a lesson that already took place
(before the app was used, or one that was never booked in it) so that the month's
report and the student's balance hold it.

Decided rules (tests/services/test_backfill.py pins each one):
- The lesson has started by now (one still ahead is created with booking.
  create_lesson_for, confirmed and announced). It is saved confirmed, with its price,
  number of people and the teacher's attendance mark, and `entered_afterwards` set,
  which every list and report shows.
- It overlaps no other lesson of the teacher (SlotTaken), checked under the same
  schedule.lock as every booking, so no two lessons ever share the teacher's time.
  Unavailable intervals do not refuse it: they said when students could not book,
  and the teacher is recording what did happen.
- Nobody is told, on any channel or in the app's inbox. The student was at the
  lesson; a "your lesson is confirmed" for a past date reads as a mistake, and a
  teacher entering a month of lessons would send a message for each. The student
  sees it in their lessons and their balance.
- It may be for a new person (a student account, as create_lesson_for makes one).
"""
from tutor.models import Lesson, utcnow
from tutor.services import audit, booking, schedule


class NotYetStarted(booking.BookingError):
    """The lesson is still ahead: it is created as a lesson, not entered afterwards."""

    field = "start"


def enter_past_lesson(teacher, start, end, *, attendance, student=None, first_name=None,
                      last_name=None, price, people, comment="", now=None):
    """Record the lesson [start, end) (naive UTC) that took place, confirmed and marked
    `attendance` (one of Lesson.ATTENDANCE). For a registered `student` or, when it is
    None, a new person named first_name/last_name. Returns (lesson, NewCredentials of
    a new person to show once, or None). Raises NotAllowed, NotYetStarted, SlotTaken
    or InvalidDetails; nothing is written then."""
    now = now or utcnow()
    if attendance not in Lesson.ATTENDANCE:
        raise booking.InvalidDetails("attendance", "one of " + ", ".join(Lesson.ATTENDANCE))
    placed = booking.check_placement(
        teacher, start, end, student=student, first_name=first_name, last_name=last_name,
        price=price, people=people, comment=comment)
    interval = placed.interval
    if interval.start > now:
        raise NotYetStarted(f"{interval.start} is still ahead")
    with schedule.lock(teacher):
        if schedule.busy_between(teacher, interval.start, interval.end):
            raise booking.SlotTaken(
                f"another lesson overlaps {interval.start}–{interval.end}")
        student, credentials = placed.student_or_new()
        lesson = Lesson.create(teacher=teacher, student=student, start=interval.start,
                               end=interval.end, status=Lesson.CONFIRMED,
                               comment=placed.comment, price=placed.price,
                               people=placed.people, confirmed_at=now, attendance=attendance,
                               entered_afterwards=True, sequence=1)
        audit.record(teacher, "lesson.enter_afterwards", lesson, after=audit.snapshot(lesson))
    return lesson, credentials
