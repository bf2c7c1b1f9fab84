"""The teacher's caps on requests awaiting an answer: a student has at most
max_pending_lessons single requests and max_pending_series weekly bookings pending
(defaults 10 and 2), counted under the booking lock so that simultaneous requests from
several processes cannot together pass the cap; what the teacher creates is not capped.

The teacher works every day 10:00-14:00 Moscow = 07:00-11:00 UTC, 60-minute lessons:
four slots a day. NOW is Monday 2026-06-01 00:00 UTC."""
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest

from tests import racers
from tutor.models import Lesson, LessonSeries, TeacherSettings, User
from tutor.services import booking, placing, schedule, series
from tutor.services.availability import Window

NOW = datetime(2026, 6, 1, 0, 0)


def slot(n):
    """The n-th bookable slot from Tuesday 2 June 07:00 UTC on (four a day)."""
    day, hour = divmod(n, 4)
    return datetime(2026, 6, 2, 7 + hour) + timedelta(days=day)


@pytest.fixture
def teacher(app_ctx, teacher):
    schedule.set_windows(teacher, [Window(day, time(10), time(14)) for day in range(7)])
    return User.get_by_id(teacher.id)


@pytest.fixture
def student(create_student):
    return create_student(first_name="Ivan", last_name="Petrov")


def book(student, teacher, n):
    return booking.book_lesson(student, teacher, slot(n), now=NOW)


def book_series(student, teacher, n, weeks=4):
    return series.book_series(student, teacher, slot(n), count=weeks, now=NOW)


def pending(student):
    return Lesson.select().where(Lesson.student == student,
                                 Lesson.status == Lesson.PENDING).count()


def test_the_defaults_are_ten_lessons_and_two_series(teacher, student):
    settings = TeacherSettings.for_teacher(teacher)
    assert (settings.max_pending_lessons, settings.max_pending_series) == (10, 2)
    for n in range(10):
        book(student, teacher, n)
    with pytest.raises(booking.TooManyPending) as error:
        book(student, teacher, 10)
    assert (error.value.limit, error.value.series) == (10, False)
    assert pending(student) == 10


def test_a_student_past_the_cap_is_refused_and_nothing_is_written(teacher, student,
                                                                  create_student):
    schedule.update_settings(teacher, max_pending_lessons=3)
    lessons = [book(student, teacher, n) for n in range(3)]
    with pytest.raises(booking.TooManyPending):
        book(student, teacher, 3)
    assert pending(student) == 3
    # Another student has a cap of their own.
    other = create_student()
    book(other, teacher, 3)
    # An answered request leaves room: confirmed, rejected or cancelled.
    booking.confirm_lesson(teacher, lessons[0], Decimal("1000"), 1, now=NOW)
    book(student, teacher, 4)
    booking.reject_lesson(teacher, lessons[1])
    booking.cancel_lesson(student, lessons[2], now=NOW)
    book(student, teacher, 5)
    book(student, teacher, 6)
    with pytest.raises(booking.TooManyPending):
        book(student, teacher, 7)


def test_a_series_counts_once_against_its_own_cap(teacher, student):
    schedule.update_settings(teacher, max_pending_lessons=2, max_pending_series=1)
    _, lessons, _ = book_series(student, teacher, 0, weeks=8)
    assert len(lessons) == 8  # eight pending occurrences, one pending series
    book(student, teacher, 1)
    book(student, teacher, 2)
    with pytest.raises(booking.TooManyPending) as error:
        book_series(student, teacher, 3)
    assert (error.value.limit, error.value.series) == (1, True)
    assert LessonSeries.select().count() == 1
    with pytest.raises(booking.TooManyPending):
        book(student, teacher, 3)


def test_a_confirmed_series_leaves_room_for_another(teacher, student):
    schedule.update_settings(teacher, max_pending_series=1)
    first, _, _ = book_series(student, teacher, 0)
    series.confirm_series(teacher, first, Decimal("1000"), 1, now=NOW)
    book_series(student, teacher, 1)
    assert LessonSeries.select().count() == 2


def test_a_cap_of_no_series_refuses_every_weekly_request(teacher, student):
    schedule.update_settings(teacher, max_pending_series=0)
    with pytest.raises(booking.TooManyPending) as error:
        book_series(student, teacher, 0)
    assert error.value.limit == 0
    assert Lesson.select().count() == 0


def test_the_teachers_own_lessons_and_series_are_not_capped(teacher, student):
    schedule.update_settings(teacher, max_pending_lessons=1, max_pending_series=0)
    for n in range(3):
        placing.create_lesson_for(teacher, slot(n), slot(n) + timedelta(hours=1),
                                  student=student, price=Decimal("1000"), people=1, now=NOW)
    for n in (3, 4):
        series.book_series(teacher, teacher, slot(n), student=student, count=3,
                           price=Decimal("1000"), people=1, now=NOW)
    book(student, teacher, 5)  # the student's one request still fits
    with pytest.raises(booking.TooManyPending):
        book(student, teacher, 6)


@pytest.mark.parametrize("name, value", [
    ("max_pending_lessons", 0), ("max_pending_lessons", 101),
    ("max_pending_series", -1), ("max_pending_series", 21), ("max_pending_series", "x"),
])
def test_the_caps_have_bounds(teacher, name, value):
    with pytest.raises(schedule.InvalidSetting) as error:
        schedule.update_settings(teacher, **{name: value})
    assert error.value.field == name
    settings = TeacherSettings.for_teacher(teacher)
    assert (settings.max_pending_lessons, settings.max_pending_series) == (10, 2)


def test_the_bounds_are_the_services(teacher):
    schedule.update_settings(teacher, max_pending_lessons=100, max_pending_series=20)
    settings = TeacherSettings.for_teacher(teacher)
    assert (settings.max_pending_lessons, settings.max_pending_series) == (100, 20)
    assert schedule.SETTING_LIMITS["max_pending_lessons"] == (1, 100)
    assert schedule.SETTING_LIMITS["max_pending_series"] == (0, 20)


# --- simultaneous requests, each from a process of its own --------------------------

RACER = """
import sys
from datetime import datetime
from tutor import create_app
from tutor.models import User
from tutor.services import booking, series

url, teacher_id, student_id, kind, start, now = sys.argv[1:]
app = create_app({"DATABASE_URL": url, "REDIS_URL": "", "TESTING": True,
                  "RATELIMIT_STORAGE_URI": "memory://"})
start, now = datetime.fromisoformat(start), datetime.fromisoformat(now)
with app.app_context():
    teacher, student = User.get_by_id(int(teacher_id)), User.get_by_id(int(student_id))
    print("ready", flush=True)
    sys.stdin.readline()  # everyone starts together
    try:
        if kind == "lesson":
            booking.book_lesson(student, teacher, start, now=now)
        else:
            series.book_series(student, teacher, start, count=2, now=now)
        print("booked", flush=True)
    except booking.TooManyPending:
        print("too-many", flush=True)
"""


def race(database_url, teacher, student, requests):
    """Each (kind, start) of `requests` from its own process, all at once."""
    return sorted(racers.race(RACER, [(database_url, teacher.id, student.id, kind,
                                       start.isoformat(), NOW.isoformat())
                                      for kind, start in requests]))


@pytest.mark.slow
def test_simultaneous_requests_cannot_pass_the_cap_together(database_url, teacher, student):
    schedule.update_settings(teacher, max_pending_lessons=3, max_pending_series=1)
    # Twelve single requests for twelve different free slots, and four weekly bookings
    # on days of their own, all at the same instant.
    requests = [("lesson", slot(n)) for n in range(12)]
    requests += [("series", slot(n)) for n in (12 * 4, 13 * 4, 14 * 4, 15 * 4)]
    assert race(database_url, teacher, student, requests) == \
        ["booked"] * 4 + ["too-many"] * 12
    assert Lesson.pending_requests(student, teacher).count() == 3
    assert LessonSeries.pending_requests(student, teacher).count() == 1
