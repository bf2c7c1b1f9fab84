"""The next free slot a viewer could book: where the calendar opens for visitors and
students. It is Monday 23 November 2026, 11:00 in Moscow; the teacher takes lessons
Tuesday to Thursday, 10:00-14:00, with the default 12 hours' notice and 56 days'
horizon."""
from datetime import date, datetime, time

import pytest

from tests.queries import add_lessons, counting_queries
from tutor.services import booking, calendar, schedule

NOW = datetime(2026, 11, 23, 8, 0)  # naive UTC


@pytest.fixture
def hours(app_ctx, teacher):
    schedule.set_windows(teacher, [(day, time(10), time(14)) for day in (1, 2, 3)])
    schedule.settings_for(teacher)
    return teacher


def moscow(cell):
    return cell.start.strftime("%Y-%m-%d %H:%M %Z"), cell.end.strftime("%H:%M")


def test_it_is_the_first_slot_past_the_notice(hours):
    slot = calendar.next_free_slot(hours, None, NOW)
    assert moscow(slot) == ("2026-11-24 10:00 MSK", "11:00")
    assert slot.kind == calendar.FREE
    assert slot.start_utc == datetime(2026, 11, 24, 7, 0)


def test_it_is_in_the_viewers_zone(hours, create_student):
    student = create_student(timezone="Asia/Tokyo")
    slot = calendar.next_free_slot(hours, student, NOW)
    assert slot.start.strftime("%d %H:%M") == "24 16:00"
    assert slot.start_utc == datetime(2026, 11, 24, 7, 0)


def test_a_request_takes_its_slot(hours, create_student):
    booking.book_lesson(create_student(), hours, datetime(2026, 11, 24, 7, 0), "", now=NOW)
    assert moscow(calendar.next_free_slot(hours, None, NOW))[0] == "2026-11-24 11:00 MSK"


def test_a_full_week_sends_it_to_the_next_one(hours):
    schedule.add_unavailable_days(hours, date(2026, 11, 23), date(2026, 11, 29))
    assert moscow(calendar.next_free_slot(hours, None, NOW))[0] == "2026-12-01 10:00 MSK"


def test_it_looks_no_further_than_the_horizon(hours):
    schedule.update_settings(hours, horizon_days=14)
    schedule.add_unavailable_days(hours, date(2026, 11, 23), date(2026, 12, 6))
    assert calendar.next_free_slot(hours, None, NOW) is None
    schedule.update_settings(hours, horizon_days=15)  # reaches Tuesday 8 December
    assert moscow(calendar.next_free_slot(hours, None, NOW))[0] == "2026-12-08 10:00 MSK"


def test_without_weekly_hours_there_is_none(app_ctx, teacher):
    assert calendar.next_free_slot(teacher, None, NOW) is None


def test_it_costs_four_queries_or_six_whatever_the_lessons(hours, create_student):
    students = [create_student() for _ in range(3)]
    add_lessons(hours, students, 300, datetime(2026, 11, 24))  # every day from Tuesday
    with counting_queries() as this_week:
        assert calendar.next_free_slot(hours, None, NOW) is not None
    schedule.add_unavailable_days(hours, date(2026, 11, 23), date(2026, 11, 29))
    with counting_queries() as later:
        assert calendar.next_free_slot(hours, None, NOW) is not None
    assert (len(this_week), len(later)) == (4, 6)

