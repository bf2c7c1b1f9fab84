"""The assumption every database.Prepared of the app rests on: its SQL does not depend
on the values it runs with (it is built once, from the first values, and run with any
others), and the rows it makes itself, through peewee's internals, are the rows
peewee's own query gives. These fail when a prepared query starts building another
statement for some values (a None becoming IS NULL, a branch on a value), or when a
peewee upgrade changes how a model instance is made; and a new prepared query fails
until it is given a case here."""
import importlib
import pkgutil
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest

import tutor
from tutor.database import Prepared
from tutor.extensions import db
from tutor.models import (
    AvailabilityWindow,
    CalendarSubscription,
    Goal,
    ImportedBusy,
    InboxItem,
    Lesson,
    LoginSession,
    ProviderFault,
    TeacherSettings,
    TrialRequest,
    UnavailableInterval,
    User,
)
from tutor.services import accounts, schedule
from tutor.services.pages import PER_PAGE

MONDAY = datetime(2026, 12, 7, 6, 0)  # naive UTC


def prepared_queries():
    """Every Prepared a module of the app holds: 'module.NAME' -> the Prepared."""
    found = {}
    for info in pkgutil.walk_packages(tutor.__path__, "tutor."):
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if isinstance(value, Prepared) and value.__class__ is Prepared:
                found.setdefault(f"{info.name}.{name}", value)
    return found


@pytest.fixture
def data(app_ctx, teacher, create_student, create_user):
    """Two of everything a prepared query reads, different in every kind of column
    (dates with microseconds, times, decimals, foreign keys, NULLs)."""
    other = create_user("teacher2", "x", role=User.TEACHER)
    goal = Goal.create(name="ЕГЭ", position=1)
    students = [create_student(goal=goal, digest_time=time(8, 30), timezone="Asia/Tokyo",
                               last_login_at=datetime(2026, 11, 30, 12, 0, 0, 123456)),
                create_student()]
    sessions = [LoginSession.hash_key(accounts.start_session(s).session_key)
                for s in students]
    TeacherSettings.create(teacher=teacher, default_price=Decimal("1500.50"))
    TeacherSettings.create(teacher=other, min_notice_hours=0)
    schedule.set_windows(teacher, [(0, time(9), time(12)), (1, time(10), time(14, 30))])
    schedule.set_windows(other, [(2, time(8), time(9))])
    lessons = []
    for n, student in enumerate(students):
        lessons.append(Lesson.create(
            teacher=teacher, student=student, start=MONDAY + timedelta(hours=n),
            end=MONDAY + timedelta(hours=n, minutes=50), comment=f"{n}",
            price=Decimal("1000.00") if n else None, status=Lesson.CONFIRMED).id)
        UnavailableInterval.create(teacher=teacher, start=MONDAY + timedelta(days=n + 1),
                                   end=MONDAY + timedelta(days=n + 2), reason=f"{n}")
        subscription = CalendarSubscription.create(
            teacher=teacher, url=f"https://calendar.example.org/{n}.ics")
        ImportedBusy.create(subscription=subscription, teacher=teacher,
                            start=MONDAY + timedelta(days=n, hours=3),
                            end=MONDAY + timedelta(days=n, hours=4, microseconds=n))
        for k in range(n + 1):
            InboxItem.create(user=student, kind="test", subject="s", body_text="b",
                             key=f"test:{n}:{k}")
    # A request to the other teacher; a trial lesson request to this one; a fault.
    Lesson.create(teacher=other, student=students[0], start=MONDAY + timedelta(days=2),
                  end=MONDAY + timedelta(days=2, minutes=50), status=Lesson.PENDING)
    TrialRequest.create(teacher=teacher, name="Гость", contact="guest@example.org",
                        contact_key="guest@example.org")
    ProviderFault.create(channel="email", code="auth", since=MONDAY)
    week = (MONDAY + timedelta(days=6), MONDAY - timedelta(days=1))  # (end, start)
    return {"teachers": [teacher.id, other.id], "students": [s.id for s in students],
            "sessions": sessions, "week": week, "lessons": lessons}


# How each prepared query is run (the method the app calls, the model it makes) and
# with which values, first and second, from the data above.
CASES = {
    "tutor.models.accounts._USER_OF_SESSION": (
        "first", User, lambda d: [d["sessions"][0]], lambda d: [d["sessions"][1]]),
    "tutor.models.accounts._FIRST_TEACHER": ("first", User, lambda d: [], lambda d: []),
    "tutor.models.calendar._SETTINGS_OF": (
        "first", TeacherSettings, lambda d: [d["teachers"][0]], lambda d: [d["teachers"][1]]),
    "tutor.models.messages._UNREAD_OF": (
        "scalar", None, lambda d: [d["students"][0]], lambda d: [d["students"][1]]),
    "tutor.services.schedule._WINDOWS_OF": (
        "all", AvailabilityWindow, lambda d: [d["teachers"][0]], lambda d: [d["teachers"][1]]),
    # The second values leave out the first lesson, and the second interval.
    "tutor.services.calendar._LESSONS": (
        "all", Lesson, lambda d: [d["teachers"][0], *d["week"]],
        lambda d: [d["teachers"][0], d["week"][0], MONDAY + timedelta(minutes=55)]),
    "tutor.services.calendar._BLOCKS": (
        "all", UnavailableInterval, lambda d: [d["teachers"][0], *d["week"]],
        lambda d: [d["teachers"][0], MONDAY + timedelta(days=2), d["week"][1]]),
    # The second values leave out the first imported hour.
    "tutor.services.schedule._IMPORTED": (
        "all", ImportedBusy, lambda d: [d["teachers"][0], *d["week"]],
        lambda d: [d["teachers"][0], d["week"][0], MONDAY + timedelta(hours=5)]),
    "tutor.services.changes._VERSION": ("sql", None, lambda d: [], lambda d: []),
    # The second values leave out the first interval and the first imported hour.
    "tutor.services.schedule._CLOSED": (
        "sql", None, lambda d: [d["teachers"][0], *d["week"]] * 2,
        lambda d: [d["teachers"][0], d["week"][0], MONDAY + timedelta(days=2, hours=5)] * 2),
    # The second values leave out the first lesson by its id.
    "tutor.services.schedule._BUSY": (
        "sql", None, lambda d: [d["teachers"][0], *d["week"], schedule.NO_LESSON],
        lambda d: [d["teachers"][0], *d["week"], d["lessons"][0]]),
    "tutor.services.changes._DEBTS": ("scalar", None, lambda d: [], lambda d: []),
    # The teacher's home (services/agenda.py and what it asks of other services).
    "tutor.services.agenda._REQUESTS": (
        "sql", None, lambda d: [MONDAY, d["teachers"][1], 10],
        lambda d: [MONDAY, d["teachers"][0], 10]),
    "tutor.services.agenda._AWAITING": (
        "scalar", None, lambda d: [MONDAY, d["teachers"][1]],
        lambda d: [MONDAY, d["teachers"][0]]),
    # The second values leave out the first lesson.
    "tutor.services.agenda._SOON": (
        "sql", None, lambda d: [d["teachers"][0], d["week"][1], d["week"][0]],
        lambda d: [d["teachers"][0], MONDAY + timedelta(minutes=30), d["week"][0]]),
    "tutor.services.balances._UNMARKED_COUNT": (
        "sql", None, lambda d: [d["teachers"][0], MONDAY + timedelta(days=1), 100],
        lambda d: [d["teachers"][0], MONDAY + timedelta(minutes=30), 100]),
    "tutor.services.trials._WAITING": (
        "scalar", None, lambda d: [d["teachers"][0]], lambda d: [d["teachers"][1]]),
    "tutor.services.outbox._FAULTS": ("all", ProviderFault, lambda d: [], lambda d: []),
    "tutor.services.onboarding._ANY_WINDOW": (
        "sql", None, lambda d: [d["teachers"][0], 1], lambda d: [-1, 1]),
    "tutor.services.onboarding._ANY_GOAL": ("sql", None, lambda d: [1], lambda d: [1]),
    # A page of students: always PER_PAGE ids, padded with NULL (students._listed).
    "tutor.services.students._LISTED": (
        "sql", None, lambda d: [*d["students"]] + [None] * (PER_PAGE - 2),
        lambda d: [d["students"][1]] + [None] * (PER_PAGE - 1)),
}


def test_every_prepared_query_has_a_case():
    assert set(prepared_queries()) == set(CASES)


def rows(how, prepared, model, values):
    """What the app gets from `prepared`, and what peewee's own query gives."""
    database = db.database
    if how == "first":
        return [prepared.first(model, *values)], [prepared.build(*values).objects().first()]
    if how == "all":
        return prepared.all(model, *values), list(prepared.build(*values).objects())
    if how == "scalar":
        return [prepared.scalar(database, *values)], [prepared.build(*values).scalar()]
    own = database.execute_sql(*prepared.sql(database, *values)).fetchall()
    sql, params = database.get_sql_context().sql(prepared.build(*values)).query()
    return own, database.execute_sql(sql, params).fetchall()


def described(row):
    """A row as compared: a model's values, their types, its extra attributes and its
    changed fields; anything else as it is."""
    if not hasattr(row, "__data__"):
        return row
    extra = {k: v for k, v in vars(row).items() if k not in ("__data__", "_dirty", "__rel__")}
    return (type(row), row.__data__, {k: type(v) for k, v in row.__data__.items()}, extra,
            set(row._dirty))


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_prepared_query_runs_as_peewee_runs_it(data, name):
    how, model, first, second = CASES[name]
    first_values, second_values = first(data), second(data)
    prepared = prepared_queries()[name]
    prepared._sql.clear()  # built from the first values in this test
    results = []
    for values in (first_values, second_values):
        own, peewees = rows(how, prepared, model, values)
        assert [described(row) for row in own] == [described(row) for row in peewees]
        assert own != [None], "the data gives each query a row to compare"
        results.append(own)
    if first_values != second_values:
        assert [described(row) for row in results[0]] != [
            described(row) for row in results[1]], "the second values give other rows"
        # The SQL built once is the SQL peewee builds for the other values.
        built_for_second = db.database.get_sql_context().sql(
            prepared.build(*second_values)).query()[0]
        assert prepared.sql(db.database, *second_values)[0] == built_for_second
