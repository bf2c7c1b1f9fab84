"""Lessons the teacher places by hand: one ahead (create_lesson_for: confirmed and
announced, for a student or a new person), and one that already took place, entered
afterwards so that the month's report and the student's balance hold it. Both follow
check_placement's rules.

Decided rules for a lesson entered afterwards (tests/services/test_backfill.py pins
each one):
- The lesson has started by now (one still ahead is created with create_lesson_for).
  It is saved confirmed, with its price, number of people and the teacher's
  attendance mark, and `entered_afterwards` set, which every list and report shows.
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
from dataclasses import dataclass

from tutor.models import Lesson, User, utcnow
from tutor.services import audit, booking, logins, schedule
from tutor.services.availability import Interval, InvalidInterval


@dataclass(frozen=True)
class Placement:
    """A lesson the teacher places by hand, its details checked (check_placement)."""

    interval: Interval
    student: object  # a User, or None for a new person named below
    first_name: str
    last_name: str
    price: object
    people: int
    comment: str

    def student_or_new(self):
        """(the student, NewCredentials to show once or None), making the new person's
        account when there is no student; inside the caller's transaction."""
        if self.student is not None:
            return self.student, None
        return logins.new_student(self.first_name, self.last_name)


def check_placement(teacher, start, end, *, student=None, first_name=None, last_name=None,
                    price, people, comment=""):
    """The rules every lesson the teacher places by hand follows, ahead or past: the
    teacher places it, for a student or a new person with a first name, with a price,
    people and comment within their limits, and a length up to booking.MAX_LESSON.
    Raises booking.NotAllowed or booking.InvalidDetails."""
    if not teacher.is_teacher:
        raise booking.NotAllowed("only the teacher places lessons")
    if student is not None and student.role != User.STUDENT:
        raise booking.NotAllowed("lessons are for students")
    if student is None:
        first_name = booking.checked_text(first_name, "first_name", booking.MAX_NAME)
        last_name = booking.checked_text(last_name, "last_name", booking.MAX_NAME)
        if not first_name:
            raise booking.InvalidDetails("first_name", "a new student needs a first name")
    try:
        interval = Interval(start, end)
    except InvalidInterval:
        raise booking.InvalidDetails("end", "the lesson must end after it starts") from None
    if interval.end - interval.start > booking.MAX_LESSON:
        raise booking.InvalidDetails("end", f"a lesson lasts at most {booking.MAX_LESSON}")
    return Placement(interval, student, first_name, last_name, booking.checked_price(price),
                     booking.checked_people(people),
                     booking.checked_text(comment, "comment", booking.MAX_COMMENT))


def create_lesson_for(teacher, start, end, *, student=None, first_name=None, last_name=None,
                      price, people, comment="", now=None):
    """A confirmed lesson [start, end) (naive UTC) that the teacher places by hand, for
    a registered `student` or, when `student` is None, for a new person: a student
    account named first_name/last_name with a login made from the names and a random
    password. Returns (lesson, NewCredentials to show once, or None). Raises booking.NotAllowed,
    InThePast, SlotTaken, OutsideAvailability or booking.InvalidDetails; nothing is written
    then."""
    now = now or utcnow()
    placed = check_placement(teacher, start, end, student=student, first_name=first_name,
                             last_name=last_name, price=price, people=people, comment=comment)
    with schedule.lock(teacher):
        booking.check_free(teacher, placed.interval, now)
        student, credentials = placed.student_or_new()
        lesson = Lesson.create(teacher=teacher, student=student, start=placed.interval.start,
                               end=placed.interval.end, status=Lesson.CONFIRMED,
                               comment=placed.comment, price=placed.price,
                               people=placed.people, confirmed_at=now, sequence=1)
        audit.record(teacher, "lesson.create", lesson, after=audit.snapshot(lesson))
        booking.tell(student, "lesson_confirmed", lesson, schedule.settings_for(teacher))
    return lesson, credentials


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
    placed = check_placement(
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
