"""The assumption the kept weeks rest on (views/calendar.py _kept_week): a week
fragment depends on nothing but its key (the calendar's version, the viewer, their
zone, the language, the week) and the tables whose every write raises the version
(the change counters' triggers, migrations 0013 and 0026). These tests fail as soon
as the week shows anything else: a token of the session, a name from a user's row, a
table without the triggers."""
import sqlite3
from datetime import datetime, time, timedelta

import pytest
from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, TextField, TimeField

from tests import factories
from tests.conftest import STUDENT_PASSWORD, TEACHER_PASSWORD, browser_for
from tutor import rendered
from tutor.database import backend
from tutor.extensions import db
from tutor.models import Goal, User
from tutor.services import booking, schedule
from tutor.views import calendar as calendar_view

THIS_WEEK = "/?week=2026-11-23"
TUESDAY_10 = datetime(2026, 11, 24, 7, 0)  # naive UTC: Tuesday 10:00 in Moscow
# The user's columns in the key (the viewer's id and zone, and the locale, which makes
# the request's language) and the role (which decides whose week it is): not varied.
KEY_OR_SESSION = {"id", "role", "timezone", "locale"}


@pytest.fixture
def week_of_every_kind(app, teacher, create_student, time_machine):
    """A week with free time, a pending and a confirmed lesson (with a price and a
    comment its student sees) and time blocked: every kind of cell a viewer sees."""
    teacher = factories.ready_calendar(app, teacher, time_machine)
    alisa = create_student(login="alisa", first_name="Алиса", last_name="Кузнецова")
    boris = create_student(login="boris", first_name="Борис", last_name="Орлов")
    with app.app_context():
        schedule.settings_for(teacher)
        own = booking.book_lesson(alisa, teacher, TUESDAY_10, "Подготовка к ЕГЭ")
        booking.confirm_lesson(teacher, own, 1500, 1)
        booking.book_lesson(boris, teacher, TUESDAY_10 + timedelta(days=1), "вопрос")
        schedule.add_unavailable(teacher, TUESDAY_10 + timedelta(days=2),
                                 TUESDAY_10 + timedelta(days=2, hours=1))
    return teacher, alisa


def week_section(response):
    """The week itself, without a toast riding along (a message shown once)."""
    assert response.status_code == 200
    html = response.text
    return html[html.index('<section id="week"'):html.rindex("</section>") + len("</section>")]


def changed(field, value, goal, mark):
    """Another value for a user's `field`, of its kind (`mark` keeps unique texts
    apart)."""
    if isinstance(field, ForeignKeyField):
        return goal.id
    if isinstance(field, (CharField, TextField)):
        return ((value or "") + mark)[-(getattr(field, "max_length", None) or 1000):]
    if isinstance(field, IntegerField):
        return (value or 0) + 1
    if isinstance(field, DateTimeField):
        return (value or datetime(2026, 11, 1)) - timedelta(days=1)
    if isinstance(field, TimeField):
        return time(7, 30) if value != time(7, 30) else time(8, 15)
    raise AssertionError(f"users.{field.name}: say how to change a {type(field).__name__}")


def change_everything_outside_the_key(app, *users):
    """Every column of these users' rows but the key's and the session's: a write the
    calendar's version does not count."""
    with app.app_context():
        goal = Goal.create(name="Другая цель")
        for user in users:
            row = User.get_by_id(user.id)
            values = {field: changed(field, getattr(row, field.name), goal, f"~{user.id}")
                      for field in User._meta.sorted_fields if field.name not in KEY_OR_SESSION}
            User.update(values).where(User.id == user.id).execute()


@pytest.mark.parametrize("viewer", ["visitor", "student", "teacher"])
def test_a_kept_week_is_the_week_of_whoever_shares_its_key(
        app, client, week_of_every_kind, builds, viewer):
    """One viewer's week kept, then asked for by another sharing the key (another
    session of the same student, or another visitor: another CSRF token, another page
    around it; the teacher's is kept for one session, asked again from another page)
    after everything outside the key changed (the student's and the teacher's names,
    logins, addresses...): the kept answer is what that second viewer gets from a week
    built and rendered for them alone."""
    teacher, alisa = week_of_every_kind
    if viewer == "teacher":
        first = second = browser_for(app, "teacher", TEACHER_PASSWORD)
    else:
        login = "alisa" if viewer == "student" else None
        first, second = browser_for(app, login), browser_for(app, login)
    week_section(first.get(THIS_WEEK, headers={"HX-Request": "true"}))
    week_section(second.get("/"))  # the welcome after logging in, shown once
    kept = len(builds)
    change_everything_outside_the_key(app, teacher, alisa)
    asking = {"HX-Request": "true", "HX-Current-URL": "http://localhost/month",
              "User-Agent": "another browser"}
    from_the_cache = week_section(second.get(THIS_WEEK, headers=asking))
    assert len(builds) == kept, "the second viewer shares the key: the week is kept"
    with app.app_context():
        rendered.weeks().clear()
    built_for_them = week_section(second.get(THIS_WEEK, headers=asking))
    assert len(builds) == kept + 1
    assert from_the_cache == built_for_them


def test_every_column_of_a_user_is_either_varied_or_the_keys(app):
    """A new column of users is varied by the test above (or, if the key covers it,
    named in KEY_OR_SESSION): `changed` knows every kind."""
    with app.app_context():
        goal = Goal(id=1)
        for field in User._meta.sorted_fields:
            if field.name not in KEY_OR_SESSION:
                changed(field, None, goal, "~")


def counted_tables(database):
    """The tables with a trigger raising the calendar's change counter on insert,
    update and delete alike (SQLite)."""
    operations = {}
    for table, sql in database.execute_sql(
            "SELECT tbl_name, sql FROM sqlite_master WHERE type = 'trigger'"):
        if "change_counters" in sql and "name = 'calendar'" in sql:
            for operation in ("INSERT", "UPDATE", "DELETE"):
                if f"AFTER {operation} ON" in sql.upper():
                    operations.setdefault(table, set()).add(operation)
    return {table for table, found in operations.items() if len(found) == 3}


@pytest.mark.parametrize("login", [None, "alisa", "teacher"])
def test_a_kept_week_reads_only_tables_whose_writes_are_counted(
        app, client, week_of_every_kind, monkeypatch, login):
    """What building and rendering a kept week reads from the database (SQLite's
    authorizer sees every column a statement reads): only tables whose every write
    raises the calendar's version. A week that read another table (a user's name
    joined in, a new table without the triggers) would be kept across a write to it."""
    if backend(db.database) != "sqlite":
        pytest.skip("SQLite's authorizer tells what a statement reads")
    browser = browser_for(app, login, TEACHER_PASSWORD if login == "teacher" else STUDENT_PASSWORD)
    browser.get("/")  # the welcome after logging in, shown once
    tables, recording = set(), []

    def authorizer(action, table, column, database, trigger):
        if recording and action == sqlite3.SQLITE_READ and trigger is None:
            tables.add(table)
        return sqlite3.SQLITE_OK

    build, render = calendar_view.calendar.build_week, calendar_view.render_template

    def watched_build(*args):
        recording.append(True)
        return build(*args)

    def watched_render(*args, **kwargs):
        try:
            return render(*args, **kwargs)
        finally:
            recording.clear()
    monkeypatch.setattr(calendar_view.calendar, "build_week", watched_build)
    monkeypatch.setattr(calendar_view, "render_template", watched_render)
    with app.app_context():  # the connection the requests of this thread use
        connection = db.database.connection()
    connection.set_authorizer(authorizer)
    try:
        week_section(browser.get(THIS_WEEK, headers={"HX-Request": "true"}))
    finally:
        connection.set_authorizer(None)
    assert "lessons" in tables, "the authorizer saw the week's queries"
    with app.app_context():
        counted = counted_tables(db.database)
    assert tables <= counted, f"read, but their writes are not counted: {tables - counted}"
