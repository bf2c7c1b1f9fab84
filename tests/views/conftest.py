"""Fixtures the view tests share: the weeks built (builds); a teacher whose calendar
is ready on a Monday morning (calendar_ready), a browser of its own for each visitor
(person) and the teacher's (teacher_browser); two students, Alisa and Boris; the
teacher's settings saved before the first week is built (settings_saved). A module
that needs one of them otherwise defines its own, which overrides these."""
import pytest

from tests import factories
from tests.conftest import TEACHER_PASSWORD
from tutor.services import calendar, schedule


@pytest.fixture
def builds(monkeypatch):
    """The weeks built while a test runs: one entry (the arguments) per build."""
    built = []
    build = calendar.build_week

    def counting(*args):
        built.append(args)
        return build(*args)
    monkeypatch.setattr(calendar, "build_week", counting)
    return built


@pytest.fixture
def calendar_ready(app, teacher, time_machine):
    """The teacher takes lessons Tuesday to Thursday, 10:00-14:00 Moscow time; it is
    Monday morning, so this week has 12 free one-hour slots."""
    return factories.ready_calendar(app, teacher, time_machine)


@pytest.fixture
def person(app, client, calendar_ready):
    """A browser of its own for each visitor, in English; no login for anonymous."""
    return factories.browsers(app)


@pytest.fixture
def teacher_browser(person):
    return person("teacher", TEACHER_PASSWORD)


@pytest.fixture
def alisa(create_student):
    return create_student(login="alisa", first_name="Алиса", last_name="Кузнецова")


@pytest.fixture
def boris(create_student):
    return create_student(login="boris", first_name="Борис", last_name="Орлов")


@pytest.fixture
def settings_saved(app, calendar_ready):
    """The teacher's settings exist (the first week built would create them: a write
    that moves the calendar's version once). For the modules that count those writes:
    pytestmark = pytest.mark.usefixtures("settings_saved")."""
    with app.app_context():
        schedule.settings_for(calendar_ready)
