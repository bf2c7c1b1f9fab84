"""services/zones.py: the one rule for wall times the clocks skip or repeat, local days
and months as UTC, and the teacher's zone. The same rule run through single lessons,
series, slots, reports and digests is tests/services/test_zones_matrix.py."""
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from tutor.models import User
from tutor.services import schedule, zones


@pytest.mark.parametrize("zone, day, wall, utc, change", [
    # Berlin, 29 March 2026: 02:00 becomes 03:00. 02:30 is the instant the clock shows
    # 03:30 (00:30 UTC + the hour skipped), not None and not 03:00.
    ("Europe/Berlin", date(2026, 3, 29), time(2, 30), datetime(2026, 3, 29, 1, 30),
     zones.SKIPPED),
    ("Europe/Berlin", date(2026, 3, 29), time(3, 0), datetime(2026, 3, 29, 1, 0), None),
    # 25 October: 03:00 becomes 02:00; 02:30 is the first one, still summer time.
    ("Europe/Berlin", date(2026, 10, 25), time(2, 30), datetime(2026, 10, 25, 0, 30),
     zones.REPEATED),
    ("America/New_York", date(2026, 3, 8), time(2, 30), datetime(2026, 3, 8, 7, 30),
     zones.SKIPPED),
    ("America/New_York", date(2026, 11, 1), time(1, 30), datetime(2026, 11, 1, 5, 30),
     zones.REPEATED),
    # Santiago skips its midnight on 6 September and repeats 23:00-24:00 on 4 April.
    ("America/Santiago", date(2026, 9, 6), time(0, 30), datetime(2026, 9, 6, 4, 30),
     zones.SKIPPED),
    ("America/Santiago", date(2026, 4, 4), time(23, 30), datetime(2026, 4, 5, 2, 30),
     zones.REPEATED),
    # Moscow has kept one offset since 2014: the same nights change nothing.
    ("Europe/Moscow", date(2026, 3, 29), time(2, 30), datetime(2026, 3, 28, 23, 30), None),
    ("Europe/Moscow", date(2026, 10, 25), time(2, 30), datetime(2026, 10, 24, 23, 30), None),
])
def test_one_rule_for_skipped_and_repeated_wall_times(zone, day, wall, utc, change):
    assert zones.to_utc(day, wall, zone) == utc
    assert zones.to_utc(day, wall, ZoneInfo(zone)) == utc
    assert zones.wall_to_utc(datetime.combine(day, wall), zone) == utc
    assert zones.clock_change_at(day, wall, zone) == change
    assert zones.is_skipped(datetime.combine(day, wall), zone) == (change == zones.SKIPPED)
    back = zones.local(utc, zone)
    if change is None or change == zones.REPEATED:
        assert (back.date(), back.time()) == (day, wall)  # the clock shows what was typed
    else:  # as far after the one-hour gap as it was typed into it
        assert back.replace(tzinfo=None) == datetime.combine(day, wall) + timedelta(hours=1)


@pytest.mark.parametrize("zone, day, start, end, hours", [
    ("Europe/Berlin", date(2026, 3, 29), datetime(2026, 3, 28, 23), datetime(2026, 3, 29, 22),
     23),
    ("Europe/Berlin", date(2026, 10, 25), datetime(2026, 10, 24, 22),
     datetime(2026, 10, 25, 23), 25),
    # The day Santiago skips its midnight begins at 01:00 local (04:00 UTC).
    ("America/Santiago", date(2026, 9, 6), datetime(2026, 9, 6, 4), datetime(2026, 9, 7, 3),
     23),
    ("America/Santiago", date(2026, 4, 4), datetime(2026, 4, 4, 3), datetime(2026, 4, 5, 4),
     25),
    ("America/New_York", date(2026, 11, 1), datetime(2026, 11, 1, 4),
     datetime(2026, 11, 2, 5), 25),
    ("Europe/Moscow", date(2026, 3, 29), datetime(2026, 3, 28, 21), datetime(2026, 3, 29, 21),
     24),
])
def test_a_local_day_in_utc(zone, day, start, end, hours):
    assert zones.day_start(day, zone) == start
    assert zones.day_bounds(day, zone) == (start, end)
    assert (end - start).total_seconds() == hours * 3600


def test_a_local_month_in_utc():
    assert zones.month_start(date(2026, 11, 14), "Europe/Berlin") == datetime(2026, 10, 31, 23)
    assert zones.month_start(date(2026, 4, 30), "Europe/Berlin") == datetime(2026, 3, 31, 22)
    assert zones.month_start(date(2026, 9, 1), "America/Santiago") == datetime(2026, 9, 1, 4)
    assert zones.month_bounds(date(2026, 10, 25), "Europe/Berlin") == (
        datetime(2026, 9, 30, 22), datetime(2026, 10, 31, 23))
    assert zones.month_bounds(date(2026, 12, 31), "America/New_York") == (
        datetime(2026, 12, 1, 5), datetime(2027, 1, 1, 5))


def test_local_reads_naive_utc_and_aware_moments_alike():
    naive = datetime(2026, 10, 25, 0, 30)
    aware = naive.replace(tzinfo=timezone.utc)
    assert zones.local(naive, "Europe/Berlin") == zones.local(aware, "Europe/Berlin")
    assert zones.local(naive, "Europe/Berlin").utcoffset().total_seconds() == 7200
    assert zones.local_date(datetime(2026, 10, 24, 22, 30), "Europe/Berlin") == \
        date(2026, 10, 25)


def test_the_teachers_zone_and_today(app_ctx, teacher):
    assert zones.teacher_zone() == zones.teacher_zone(teacher) == ZoneInfo("Europe/Moscow")
    schedule.update_settings(teacher, timezone="America/Santiago")
    assert zones.teacher_zone() == ZoneInfo("America/Santiago")
    assert zones.teacher_today(now=datetime(2026, 9, 6, 3, 59)) == date(2026, 9, 5)
    assert zones.teacher_today(teacher, datetime(2026, 9, 6, 4, 0)) == date(2026, 9, 6)


def test_before_there_is_a_teacher_the_configured_zone(app_ctx):
    assert User.first_teacher() is None
    assert zones.teacher_zone().key == app_ctx.config["TEACHER_TIMEZONE"]


@pytest.mark.parametrize("zone, day, offset", [
    ("Europe/Berlin", date(2026, 3, 28), timedelta(hours=1)),
    ("Europe/Berlin", date(2026, 3, 29), None),  # 02:00 becomes 03:00
    ("Europe/Berlin", date(2026, 3, 30), timedelta(hours=2)),
    ("Europe/Berlin", date(2026, 10, 25), None),  # 03:00 becomes 02:00
    ("America/Santiago", date(2026, 9, 6), None),  # at midnight
    ("America/Santiago", date(2026, 9, 7), timedelta(hours=-3)),
    ("Asia/Kolkata", date(2026, 6, 1), timedelta(hours=5, minutes=30)),
    ("Europe/Moscow", date(2026, 3, 29), timedelta(hours=3)),
])
def test_a_days_steady_offset_is_none_when_the_clocks_change(zone, day, offset):
    assert zones.steady_offset(day, zone) == offset
    if offset is not None:  # then it converts every wall time of the day as the rule does
        for minutes in range(0, 24 * 60, 30):
            wall = datetime.combine(day, time()) + timedelta(minutes=minutes)
            assert wall - offset == zones.wall_to_utc(wall, zone)
