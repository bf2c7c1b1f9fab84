"""Setups that several test modules share, so that each is written once. Fixtures
stay in their modules (a one-line call of these), where each says what it needs."""
from datetime import datetime, time, timezone

from tests.conftest import STUDENT_PASSWORD, browser_for
from tutor.models import User
from tutor.services import schedule

MONDAY_MORNING = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)  # Monday, 11:00 in Moscow
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
