"""Setups that several test modules share, so that each is written once. Fixtures
stay in their modules, or their folder's conftest.py when several share one (a
one-line call of these), where each says what it needs."""
from datetime import datetime, time, timezone

from tests.conftest import STUDENT_PASSWORD, browser_for
from tutor.models import User
from tutor.services import booking, schedule
from tutor.services.availability import Window

MONDAY_MORNING = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)  # Monday, 11:00 in Moscow
TUESDAY_10 = datetime(2026, 11, 24, 7, 0)  # naive UTC: Tuesday 10:00 in Moscow
TUESDAY_TO_THURSDAY = [(day, time(10), time(14)) for day in (1, 2, 3)]  # Moscow time


def ready_calendar(app, teacher, time_machine, *, email=False):
    """The teacher takes lessons Tuesday to Thursday, 10:00-14:00 Moscow time, and it
    is Monday morning (MONDAY_MORNING, the clock stopped), so this week has 12 free
    one-hour slots. With `email` the teacher gets messages by e-mail; otherwise they
    have no channel, as on a new install. Returns the teacher as saved."""
    time_machine.move_to(MONDAY_MORNING, tick=False)
    with app.app_context():
        schedule.set_windows(teacher, TUESDAY_TO_THURSDAY)
        if email:
            User.update(channel=User.EMAIL, email="teacher@example.org").where(
                User.id == teacher.id).execute()
        return User.get_by_id(teacher.id)


def browsers(app):
    """open_as(login=None, password=...): a browser of its own for each visitor, in
    English, signed in as `login` (none: anonymous)."""
    def open_as(login=None, password=STUDENT_PASSWORD):
        return browser_for(app, login, password)
    return open_as


def lesson_for(app, student, teacher, start=TUESDAY_10, comment="", price=None, people=1):
    """A lesson booked by `student`, confirmed when a price is given."""
    with app.app_context():
        lesson = booking.book_lesson(student, teacher, start, comment)
        if price is not None:
            lesson = booking.confirm_lesson(teacher, lesson, price, people)
        return lesson


def teacher_and_ivan(teacher, create_student):
    """The teacher and Ivan, both on e-mail in English; she works 10:00-14:00 Moscow
    every day at 1500. Called in an app context (tests/views/test_actions.py and
    tests/browser/test_one_tap_journey.py)."""
    User.update(channel=User.EMAIL, email="anna@example.com", locale="en").where(
        User.id == teacher.id).execute()
    schedule.set_windows(teacher, [Window(day, time(10), time(14)) for day in range(7)])
    schedule.update_settings(teacher, default_price="1500")
    ivan = create_student(login="ivan", first_name="Ivan", last_name="Petrov",
                          channel=User.EMAIL, email="ivan@example.com", locale="en")
    return User.get_by_id(teacher.id), ivan
