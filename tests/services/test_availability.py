"""Slot computation. Every expected value is worked out by hand in the comments:
local wall time -> UTC with the zone's offset on that date. Moscow is UTC+3 all year;
Berlin is UTC+1 (CET) / UTC+2 (CEST, 2026-03-29 02:00 -> 03:00, back on 2026-10-25
03:00 -> 02:00); New York is UTC-5 / UTC-4 (2026-03-08, 2026-11-01); Kamchatka UTC+12."""
import random
from datetime import date, datetime, time, timedelta, timezone

import pytest

from tutor.services.availability import (
    Interval,
    InvalidInterval,
    InvalidRules,
    InvalidWindow,
    Rules,
    Window,
    bookable,
    candidate_slots,
    free_slots,
    is_bookable,
    local_day_bounds,
    next_change,
    validate_windows,
    week_start,
)

MONDAY = date(2026, 6, 1)  # a plain Monday, far from any DST change
TUESDAY = date(2026, 6, 2)


def at(text):
    """A naive UTC datetime from 'YYYY-MM-DD HH:MM'."""
    return datetime.fromisoformat(text)


def span(start, end):
    return Interval(at(start), at(end))


def slot(start, minutes=60):
    return Interval(at(start), at(start) + timedelta(minutes=minutes))


def window(weekday, start, end):
    return Window(weekday, time.fromisoformat(start), time.fromisoformat(end))


def starts(slots):
    return [s.start.strftime("%Y-%m-%d %H:%M") for s in slots]


def monday_10_to_14(**settings):
    return Rules(windows=(window(0, "10:00", "14:00"),), **settings)


def free_on(rules, *days, now=None, **blockers):
    """Free slots over whole local days; by default `now` is a day before, so neither
    the notice nor the horizon gets in the way."""
    bounds = [local_day_bounds(day, rules.timezone) for day in days]
    start, end = bounds[0].start, bounds[-1].end
    return free_slots(rules, start, end, now=now or start - timedelta(days=1), **blockers)


# --- defaults and the slot grid --------------------------------------------------------

def test_rules_defaults():
    rules = Rules(windows=[window(0, "10:00", "14:00")])
    assert rules.windows == (window(0, "10:00", "14:00"),)
    assert rules.lesson_length == timedelta(minutes=60)
    assert rules.buffer == timedelta(0)
    assert rules.min_notice == timedelta(hours=12)
    assert rules.horizon == timedelta(days=56)
    assert rules.timezone == "Europe/Moscow"


def test_defaults_split_a_window_into_hour_slots():
    # Moscow Mon 10:00-14:00 = 07:00-11:00 UTC: four hours, four slots.
    slots = free_on(monday_10_to_14(), MONDAY, TUESDAY)
    assert starts(slots) == [
        "2026-06-01 07:00", "2026-06-01 08:00", "2026-06-01 09:00", "2026-06-01 10:00",
    ]
    assert all(s.end - s.start == timedelta(minutes=60) for s in slots)


def test_several_windows_per_day_come_out_sorted():
    # Given out of order. 15:00-16:30 fits one hour (12:00 UTC); 16:00 would end 17:00.
    rules = Rules(windows=(window(0, "15:00", "16:30"), window(0, "09:00", "11:00")))
    assert starts(free_on(rules, MONDAY)) == [
        "2026-06-01 06:00", "2026-06-01 07:00", "2026-06-01 12:00",
    ]


@pytest.mark.parametrize(
    "length, buffer, start, end, expected",
    [
        # 10:00, 11:00, 12:00, 13:00 local.
        (60, 0, "10:00", "14:00", ["07:00", "08:00", "09:00", "10:00"]),
        # 10:00-11:00, 11:15-12:15, 12:30-13:30; 13:45 would end 14:45.
        (60, 15, "10:00", "14:00", ["07:00", "08:15", "09:30"]),
        # 45 does not divide 120: 10:00, 10:45; 11:30 would end 12:15.
        (45, 0, "10:00", "12:00", ["07:00", "07:45"]),
        # 10:00-11:30, 11:30-13:00; 13:00 would end 14:30.
        (90, 0, "10:00", "14:00", ["07:00", "08:30"]),
        # 10:00-10:50, 11:00-11:50: the buffer after the last slot may stick out.
        (50, 10, "10:00", "12:00", ["07:00", "08:00"]),
        # A window shorter than a lesson has no slots.
        (120, 0, "10:00", "11:30", []),
    ],
)
def test_slot_grid(length, buffer, start, end, expected):
    rules = Rules(
        windows=(window(0, start, end),),
        lesson_length=timedelta(minutes=length),
        buffer=timedelta(minutes=buffer),
    )
    slots = candidate_slots(rules, at("2026-06-01 00:00"), at("2026-06-02 00:00"))
    assert starts(slots) == [f"2026-06-01 {hhmm}" for hhmm in expected]
    assert all(s.end - s.start == timedelta(minutes=length) for s in slots)


def test_candidate_slots_repeat_every_week_and_ignore_everything_else():
    rules = Rules(windows=(window(2, "10:00", "12:00"), window(0, "10:00", "11:00")))
    # Two weeks from Monday 2026-06-01: Mon 07:00, Wed 07:00 + 08:00 UTC, twice.
    assert starts(candidate_slots(rules, at("2026-06-01 00:00"), at("2026-06-15 00:00"))) == [
        "2026-06-01 07:00", "2026-06-03 07:00", "2026-06-03 08:00",
        "2026-06-08 07:00", "2026-06-10 07:00", "2026-06-10 08:00",
    ]


# --- ranges ----------------------------------------------------------------------------

@pytest.mark.parametrize(
    "range_start, range_end, expected",
    [
        # Starts mid-slot: the 08:00 slot started before the range, so it is not in it.
        ("2026-06-01 08:30", "2026-06-02 00:00", ["09:00", "10:00"]),
        ("2026-06-01 08:00", "2026-06-02 00:00", ["08:00", "09:00", "10:00"]),
        # The end is exclusive: the slot starting at 09:00 belongs to the next range.
        ("2026-06-01 00:00", "2026-06-01 09:00", ["07:00", "08:00"]),
        # ...even though the 08:00 slot ends exactly at the range end.
        ("2026-06-01 08:00", "2026-06-01 09:00", ["08:00"]),
        ("2026-06-01 09:00", "2026-06-01 09:00", []),
        ("2026-06-02 00:00", "2026-06-01 00:00", []),
    ],
)
def test_a_slot_belongs_to_the_range_its_start_is_in(range_start, range_end, expected):
    rules = monday_10_to_14()
    now = at("2026-05-30 00:00")
    slots = free_slots(rules, at(range_start), at(range_end), now=now)
    assert starts(slots) == [f"2026-06-01 {hhmm}" for hhmm in expected]
    assert starts(candidate_slots(rules, at(range_start), at(range_end))) == starts(slots)


def test_aware_datetimes_are_refused():
    aware = datetime(2026, 6, 1, tzinfo=timezone.utc)
    with pytest.raises(ValueError):
        free_slots(monday_10_to_14(), aware, aware + timedelta(days=1), now=at("2026-05-30 00:00"))
    with pytest.raises(ValueError):
        free_slots(monday_10_to_14(), at("2026-06-01 00:00"), at("2026-06-02 00:00"), now=aware)


# --- unavailable intervals and lessons -------------------------------------------------

MON_TUE = Rules(windows=(window(0, "10:00", "14:00"), window(1, "10:00", "14:00")))
TUESDAY_ALL = ["2026-06-02 07:00", "2026-06-02 08:00", "2026-06-02 09:00", "2026-06-02 10:00"]


@pytest.mark.parametrize(
    "unavailable, expected",
    [
        # 10:30-10:45 local eats the 10:00 slot only.
        ([span("2026-06-01 07:30", "2026-06-01 07:45")],
         ["2026-06-01 08:00", "2026-06-01 09:00", "2026-06-01 10:00"] + TUESDAY_ALL),
        # Touching the window from either side takes nothing.
        ([span("2026-06-01 06:00", "2026-06-01 07:00"),
          span("2026-06-01 11:00", "2026-06-01 12:00")],
         ["2026-06-01 07:00", "2026-06-01 08:00", "2026-06-01 09:00", "2026-06-01 10:00"]
         + TUESDAY_ALL),
        # The whole local Monday (2026-05-31 21:00 - 2026-06-01 21:00 UTC).
        ([local_day_bounds(MONDAY, "Europe/Moscow")], TUESDAY_ALL),
        # Sunday evening to Tuesday 11:30 local: all of Monday, Tuesday 10:00 and 11:00.
        ([span("2026-05-31 18:00", "2026-06-02 08:30")], ["2026-06-02 09:00", "2026-06-02 10:00"]),
        # Overlapping and unsorted unavailable intervals.
        ([span("2026-06-02 09:30", "2026-06-02 12:00"),
          span("2026-06-01 07:00", "2026-06-02 07:30"),
          span("2026-06-01 08:00", "2026-06-01 09:00")],
         ["2026-06-02 08:00"]),
    ],
)
def test_unavailable_intervals_win_over_windows(unavailable, expected):
    assert starts(free_on(MON_TUE, MONDAY, TUESDAY, unavailable=unavailable)) == expected


@pytest.mark.parametrize(
    "busy, expected",
    [
        ([span("2026-06-01 08:00", "2026-06-01 09:00")], ["07:00", "09:00", "10:00"]),
        # A lesson moved off the grid by the teacher blocks both slots it touches.
        ([span("2026-06-01 08:30", "2026-06-01 09:30")], ["07:00", "10:00"]),
        ([span("2026-06-01 07:10", "2026-06-01 07:20")], ["08:00", "09:00", "10:00"]),
        # Ending when the first slot starts, starting when the last one ends: no clash.
        ([span("2026-06-01 06:00", "2026-06-01 07:00"),
          span("2026-06-01 11:00", "2026-06-01 12:00")],
         ["07:00", "08:00", "09:00", "10:00"]),
    ],
)
def test_lessons_take_their_slots(busy, expected):
    slots = free_on(monday_10_to_14(), MONDAY, busy=busy)
    assert starts(slots) == [f"2026-06-01 {hhmm}" for hhmm in expected]


@pytest.mark.parametrize(
    "busy, expected",
    [
        # Slots with a 15 min buffer: 07:00-08:00, 08:15-09:15, 09:30-10:30 UTC.
        ([], ["07:00", "08:15", "09:30"]),
        # Ends exactly 15 min before 07:00: allowed.
        ([span("2026-06-01 06:30", "2026-06-01 06:45")], ["07:00", "08:15", "09:30"]),
        # Ends 10 min before 07:00: too close.
        ([span("2026-06-01 06:40", "2026-06-01 06:50")], ["08:15", "09:30"]),
        # Starts exactly 15 min after 10:30: allowed.
        ([span("2026-06-01 10:45", "2026-06-01 11:00")], ["07:00", "08:15", "09:30"]),
        # Starts 10 min after 10:30: too close.
        ([span("2026-06-01 10:40", "2026-06-01 11:00")], ["07:00", "08:15"]),
        # Squeezed into the 08:00-08:15 gap: no buffer on either side of it.
        ([span("2026-06-01 08:00", "2026-06-01 08:15")], ["09:30"]),
    ],
)
def test_the_buffer_is_kept_around_lessons(busy, expected):
    rules = monday_10_to_14(buffer=timedelta(minutes=15))
    slots = free_on(rules, MONDAY, busy=busy)
    assert starts(slots) == [f"2026-06-01 {hhmm}" for hhmm in expected]


def test_the_buffer_is_not_kept_around_unavailable_intervals():
    rules = monday_10_to_14(buffer=timedelta(minutes=15))
    unavailable = [span("2026-06-01 06:50", "2026-06-01 07:00")]
    assert starts(free_on(rules, MONDAY, unavailable=unavailable))[0] == "2026-06-01 07:00"


# --- notice and horizon ----------------------------------------------------------------

@pytest.mark.parametrize(
    "now, settings, expected",
    [
        # now + 12 h = 07:00, exactly the first start: bookable.
        ("2026-05-31 19:00", {}, ["07:00", "08:00", "09:00", "10:00"]),
        # One minute later the 07:00 slot is inside the notice.
        ("2026-05-31 19:01", {}, ["08:00", "09:00", "10:00"]),
        ("2026-05-31 21:30", {}, ["10:00"]),
        # No notice: a slot starting right now is still bookable.
        ("2026-06-01 08:00", {"min_notice": timedelta(0)}, ["08:00", "09:00", "10:00"]),
        # now + 56 days = 2026-06-01 09:00, the third start: not bookable.
        ("2026-04-06 09:00", {}, ["07:00", "08:00"]),
        ("2026-04-06 09:01", {}, ["07:00", "08:00", "09:00"]),
        # now + 7 days = 2026-06-01 08:30.
        ("2026-05-25 08:30", {"horizon": timedelta(days=7)}, ["07:00", "08:00"]),
        # Both at once: 07:30 <= start < 09:30.
        ("2026-05-31 19:30", {"horizon": timedelta(hours=14)}, ["08:00", "09:00"]),
    ],
)
def test_min_notice_and_horizon(now, settings, expected):
    slots = free_on(monday_10_to_14(**settings), MONDAY, now=at(now))
    assert starts(slots) == [f"2026-06-01 {hhmm}" for hhmm in expected]


# --- when time alone changes the free slots ---------------------------------------------

@pytest.mark.parametrize(
    "now, settings, expected",
    [
        # The 07:00 slot leaves the notice window after 19:00 the evening before.
        ("2026-05-31 12:00", {}, "2026-05-31 19:00"),
        # At 19:00 itself the slot is still bookable; a moment later it is not.
        ("2026-05-31 19:00", {}, "2026-05-31 19:00"),
        ("2026-05-31 19:01", {}, "2026-05-31 20:00"),
        # The 08:00 slot comes within the 56-day horizon right after 08:00, 56 days
        # before.
        ("2026-04-06 07:30", {}, "2026-04-06 08:00"),
        # Nothing left to change: every slot is past its notice.
        ("2026-06-01 09:00", {}, None),
    ],
)
def test_next_change_is_when_a_slot_passes_the_notice_or_the_horizon(now, settings, expected):
    rules = monday_10_to_14(**settings)
    day = local_day_bounds(MONDAY, rules.timezone)
    candidates = candidate_slots(rules, day.start, day.end)
    assert next_change(rules, candidates, now=at(now)) == (
        at(expected) if expected else None)


@pytest.mark.parametrize("seed", range(6))
def test_free_slots_stay_the_same_until_the_next_change(seed):
    """Checked minute by minute over random rules and moments: the slots at `now` are
    the slots at every moment up to the change, and differ a minute after it."""
    chance = random.Random(seed)
    rules = Rules(windows=(window(chance.randrange(7), "09:00", "15:00"),
                           window(chance.randrange(7), "16:00", "19:30")),
                  timezone=chance.choice(["Europe/Moscow", "Europe/Berlin", "America/New_York"]),
                  lesson_length=timedelta(minutes=chance.choice([45, 60, 90])),
                  min_notice=timedelta(hours=chance.randrange(0, 30)),
                  horizon=timedelta(days=chance.randrange(1, 10)))
    first, last = date(2026, 10, 19), date(2026, 10, 25)  # Berlin falls back on the 25th
    start = local_day_bounds(first, rules.timezone).start
    end = local_day_bounds(last, rules.timezone).end
    now = start - timedelta(days=chance.randrange(0, 12), minutes=chance.randrange(1440))
    for _ in range(5):
        candidates = candidate_slots(rules, start, end)
        change = next_change(rules, candidates, now=now)
        before = free_slots(rules, start, end, now=now)
        assert bookable(rules, candidates, now=now) == before
        if change is None:
            assert free_slots(rules, start, end, now=end) == before
            break
        moment = now
        while moment <= change:
            assert free_slots(rules, start, end, now=moment) == before, moment
            moment += timedelta(minutes=1)
        now = change + timedelta(minutes=1)
        assert free_slots(rules, start, end, now=now) != before


# --- time zones ------------------------------------------------------------------------

def berlin(*windows, **settings):
    return Rules(windows=windows, timezone="Europe/Berlin", **settings)


def test_berlin_window_on_the_spring_forward_night():
    # Sun 2026-03-29, 01:00-04:00 local. 01:00 CET = 00:00 UTC; 02:00 does not exist
    # and is skipped; 03:00 CEST = 01:00 UTC; the window ends 04:00 CEST = 02:00 UTC.
    rules = berlin(window(6, "01:00", "04:00"))
    slots = free_on(rules, date(2026, 3, 29))
    assert slots == [slot("2026-03-29 00:00"), slot("2026-03-29 01:00")]


def test_berlin_window_on_the_fall_back_night():
    # Sun 2026-10-25, 01:00-04:00 local. 01:00 CEST = 2026-10-24 23:00 UTC; 02:00 is
    # ambiguous, first occurrence (CEST) = 00:00 UTC; 03:00 CET = 02:00 UTC; the
    # window ends 04:00 CET = 03:00 UTC. The repeated hour (01:00-02:00 UTC) has no
    # wall time of its own, so no slot. Every slot lasts 60 real minutes.
    rules = berlin(window(6, "01:00", "04:00"))
    slots = free_on(rules, date(2026, 10, 25))
    assert slots == [slot("2026-10-24 23:00"), slot("2026-10-25 00:00"), slot("2026-10-25 02:00")]


@pytest.mark.parametrize(
    "start, end, length, expected",
    [
        # 00:00 CET = 23:00 UTC (to 00:30), 01:30 CET = 00:30 UTC (to 02:00). 03:00 CEST =
        # 01:00 UTC would start inside the previous slot: dropped. 04:30 CEST = 02:30 UTC
        # ends 04:00 UTC = 06:00 CEST, the window end.
        ("00:00", "06:00", 90, ["2026-03-28 23:00", "2026-03-29 00:30", "2026-03-29 02:30"]),
        # The end 02:30 does not exist; read with the offset before the change (CET) it
        # is 01:30 UTC, so the window keeps its two hours: 23:30 and 00:30 UTC.
        ("00:30", "02:30", 60, ["2026-03-28 23:30", "2026-03-29 00:30"]),
        # The start 02:30 does not exist: skipped. 03:30 CEST = 01:30 UTC ends 02:30;
        # 04:30 CEST would end 03:30 UTC, after 05:00 CEST = 03:00 UTC.
        ("02:30", "05:00", 60, ["2026-03-29 01:30"]),
    ],
)
def test_berlin_spring_forward_edges(start, end, length, expected):
    rules = berlin(window(6, start, end), lesson_length=timedelta(minutes=length))
    slots = free_on(rules, date(2026, 3, 29))
    assert starts(slots) == expected
    assert all(s.end - s.start == timedelta(minutes=length) for s in slots)


@pytest.mark.parametrize(
    "monday, utc_start",
    [
        ("2026-03-23", "2026-03-23 09:00"),  # 10:00 CET
        ("2026-03-30", "2026-03-30 08:00"),  # 10:00 CEST, a week later
        ("2026-10-19", "2026-10-19 08:00"),  # 10:00 CEST
        ("2026-10-26", "2026-10-26 09:00"),  # 10:00 CET, a week later
    ],
)
def test_berlin_10_oclock_follows_the_wall_clock(monday, utc_start):
    rules = berlin(window(0, "10:00", "11:00"))
    assert free_on(rules, date.fromisoformat(monday)) == [slot(utc_start)]


@pytest.mark.parametrize(
    "day, windows, expected",
    [
        # Mon 09:00 EST = 14:00 UTC; a week later 09:00 EDT = 13:00 UTC.
        ("2026-03-02", [window(0, "09:00", "10:00")], ["2026-03-02 14:00"]),
        ("2026-03-09", [window(0, "09:00", "10:00")], ["2026-03-09 13:00"]),
        # Mon 19:00-21:00 EST is Tuesday 00:00-02:00 UTC.
        ("2026-03-02", [window(0, "19:00", "21:00")], ["2026-03-03 00:00", "2026-03-03 01:00"]),
        # Sun 2026-03-08 01:00-04:00: 01:00 EST = 06:00 UTC, 02:00 skipped,
        # 03:00 EDT = 07:00 UTC, end 04:00 EDT = 08:00 UTC.
        ("2026-03-08", [window(6, "01:00", "04:00")], ["2026-03-08 06:00", "2026-03-08 07:00"]),
        # Sun 2026-11-01 01:00-03:00: 01:00 is ambiguous, first (EDT) = 05:00 UTC;
        # 02:00 EST = 07:00 UTC ends exactly at the window end 03:00 EST = 08:00 UTC.
        # The repeated 01:00 EST hour (06:00 UTC) gets no slot.
        ("2026-11-01", [window(6, "01:00", "03:00")], ["2026-11-01 05:00", "2026-11-01 07:00"]),
    ],
)
def test_new_york(day, windows, expected):
    rules = Rules(windows=tuple(windows), timezone="America/New_York")
    slots = free_on(rules, date.fromisoformat(day))
    assert starts(slots) == expected
    assert all(s.end - s.start == timedelta(minutes=60) for s in slots)


def test_kamchatka_monday_starts_on_sunday_utc():
    # UTC+12: Mon 2026-03-02 09:00-11:00 local = Sun 2026-03-01 21:00-23:00 UTC.
    rules = Rules(windows=(window(0, "09:00", "11:00"),), timezone="Asia/Kamchatka")
    assert local_day_bounds(date(2026, 3, 2), "Asia/Kamchatka") == span(
        "2026-03-01 12:00", "2026-03-02 12:00"
    )
    sunday_utc = (at("2026-03-01 00:00"), at("2026-03-02 00:00"))
    assert candidate_slots(rules, *sunday_utc) == [
        slot("2026-03-01 21:00"), slot("2026-03-01 22:00"),
    ]
    # The UTC Monday holds no slot of this teacher's Monday.
    assert candidate_slots(rules, at("2026-03-02 00:00"), at("2026-03-03 00:00")) == []
    # now + 12 h = 21:30 UTC: only the 22:00 slot is far enough ahead.
    assert free_slots(rules, *sunday_utc, now=at("2026-03-01 09:30")) == [slot("2026-03-01 22:00")]


def test_moscow_has_no_dst():
    # 10:00 Moscow is 07:00 UTC in winter and in summer.
    rules = monday_10_to_14()
    assert free_on(rules, date(2026, 1, 12))[0] == slot("2026-01-12 07:00")
    assert free_on(rules, date(2026, 7, 13))[0] == slot("2026-07-13 07:00")


# --- days and weeks --------------------------------------------------------------------

@pytest.mark.parametrize(
    "day, zone, start, end, hours",
    [
        ("2026-06-01", "Europe/Moscow", "2026-05-31 21:00", "2026-06-01 21:00", 24),
        ("2026-03-29", "Europe/Berlin", "2026-03-28 23:00", "2026-03-29 22:00", 23),
        ("2026-10-25", "Europe/Berlin", "2026-10-24 22:00", "2026-10-25 23:00", 25),
        ("2026-03-08", "America/New_York", "2026-03-08 05:00", "2026-03-09 04:00", 23),
        ("2026-11-01", "America/New_York", "2026-11-01 04:00", "2026-11-02 05:00", 25),
        ("2026-03-02", "Asia/Kamchatka", "2026-03-01 12:00", "2026-03-02 12:00", 24),
    ],
)
def test_local_day_bounds(day, zone, start, end, hours):
    bounds = local_day_bounds(date.fromisoformat(day), zone)
    assert bounds == span(start, end)
    assert bounds.start.tzinfo is None
    assert bounds.end - bounds.start == timedelta(hours=hours)


@pytest.mark.parametrize(
    "day, monday",
    [
        ("2026-06-01", "2026-06-01"),  # a Monday is its own week start
        ("2026-06-03", "2026-06-01"),
        ("2026-06-07", "2026-06-01"),  # Sunday ends the week
        ("2026-01-01", "2025-12-29"),  # Thursday, across the new year
    ],
)
def test_week_start(day, monday):
    assert week_start(date.fromisoformat(day)) == date.fromisoformat(monday)


# --- is_bookable -----------------------------------------------------------------------

@pytest.mark.parametrize(
    "candidate, now, blockers, expected",
    [
        (slot("2026-06-01 08:00"), "2026-05-31 12:00", {}, True),
        (slot("2026-06-01 08:30"), "2026-05-31 12:00", {}, False),  # shifted start
        (slot("2026-06-01 08:00", 90), "2026-05-31 12:00", {}, False),  # too long
        (slot("2026-06-01 08:00", 30), "2026-05-31 12:00", {}, False),  # too short
        (slot("2026-06-01 12:00"), "2026-05-31 12:00", {}, False),  # outside any window
        (slot("2026-06-02 08:00"), "2026-05-31 12:00", {}, False),  # Tuesday: no window
        (slot("2026-06-01 08:00"), "2026-05-31 12:00",
         {"busy": [span("2026-06-01 08:00", "2026-06-01 09:00")]}, False),
        (slot("2026-06-01 08:00"), "2026-05-31 12:00",
         {"busy": [span("2026-06-01 07:00", "2026-06-01 08:00")]}, True),
        (slot("2026-06-01 08:00"), "2026-05-31 12:00",
         {"unavailable": [span("2026-06-01 08:59", "2026-06-01 10:00")]}, False),
        # now + 12 h = 08:30: inside the notice; the 09:00 slot is still fine.
        (slot("2026-06-01 08:00"), "2026-05-31 20:30", {}, False),
        (slot("2026-06-01 09:00"), "2026-05-31 20:30", {}, True),
        # now + 56 days = 2026-06-01 08:00: the horizon is exclusive.
        (slot("2026-06-01 08:00"), "2026-04-06 08:00", {}, False),
        (slot("2026-06-01 07:00"), "2026-04-06 08:00", {}, True),
    ],
)
def test_is_bookable(candidate, now, blockers, expected):
    assert is_bookable(monday_10_to_14(), candidate, now=at(now), **blockers) is expected


def test_is_bookable_on_a_dst_night():
    # The 02:00 CEST slot of the fall-back night (00:00-01:00 UTC) is bookable; the
    # repeated 02:00 CET hour (01:00-02:00 UTC) is not a slot.
    rules = berlin(window(6, "01:00", "04:00"))
    now = at("2026-10-20 00:00")
    assert is_bookable(rules, slot("2026-10-25 00:00"), now=now)
    assert not is_bookable(rules, slot("2026-10-25 01:00"), now=now)


# --- validation ------------------------------------------------------------------------

@pytest.mark.parametrize(
    "windows, message",
    [
        ([window(0, "10:00", "10:00")], "end after it starts"),
        ([window(0, "14:00", "10:00")], "end after it starts"),
        ([window(0, "10:00", "12:00"), window(0, "11:00", "13:00")], "overlap"),
        ([window(2, "12:00", "13:00"), window(2, "09:00", "18:00")], "overlap"),
        ([window(7, "10:00", "12:00")], "weekday"),
        ([window(-1, "10:00", "12:00")], "weekday"),
    ],
)
def test_validate_windows_refuses(windows, message):
    with pytest.raises(InvalidWindow, match=message):
        validate_windows(windows)
    with pytest.raises(InvalidWindow, match=message):
        Rules(windows=tuple(windows))


def test_validate_windows_accepts_touching_windows_and_the_same_hours_on_other_days():
    validate_windows([window(0, "10:00", "12:00"), window(0, "12:00", "14:00"),
                      window(1, "10:00", "12:00")])
    validate_windows([])
    assert issubclass(InvalidWindow, ValueError)


def test_touching_windows_keep_no_buffer_between_them():
    # The buffer separates slots of one window: 10:00-11:00 fills the first window, the
    # second starts its own grid at 11:00 (12:30 would end 13:30). Once either is
    # booked, the buffer around that lesson takes the other one.
    rules = Rules(
        windows=(window(0, "10:00", "11:00"), window(0, "11:00", "13:00")),
        buffer=timedelta(minutes=30),
    )
    assert starts(free_on(rules, MONDAY)) == ["2026-06-01 07:00", "2026-06-01 08:00"]
    booked = [slot("2026-06-01 07:00")]
    assert starts(free_on(rules, MONDAY, busy=booked)) == []


@pytest.mark.parametrize(
    "settings",
    [
        {"lesson_length": timedelta(0)},
        {"buffer": timedelta(minutes=-5)},
        {"min_notice": timedelta(hours=-1)},
        {"horizon": timedelta(0)},
        {"timezone": "Mars/Olympus_Mons"},
    ],
)
def test_rules_refuse_nonsense(settings):
    with pytest.raises(InvalidRules):
        monday_10_to_14(**settings)


@pytest.mark.parametrize(
    "start, end",
    [
        (at("2026-06-01 10:00"), at("2026-06-01 10:00")),
        (at("2026-06-01 10:00"), at("2026-06-01 09:00")),
        (datetime(2026, 6, 1, 10, tzinfo=timezone.utc),
         datetime(2026, 6, 1, 11, tzinfo=timezone.utc)),
    ],
)
def test_interval_refuses_empty_reversed_and_aware(start, end):
    with pytest.raises(InvalidInterval):
        Interval(start, end)


@pytest.mark.parametrize(
    "other, expected",
    [
        (span("2026-06-01 09:00", "2026-06-01 10:00"), False),  # touches the start
        (span("2026-06-01 11:00", "2026-06-01 12:00"), False),  # touches the end
        (span("2026-06-01 09:30", "2026-06-01 10:01"), True),
        (span("2026-06-01 10:15", "2026-06-01 10:45"), True),  # inside
        (span("2026-06-01 09:00", "2026-06-01 12:00"), True),  # around
    ],
)
def test_interval_overlaps_is_half_open(other, expected):
    lesson = span("2026-06-01 10:00", "2026-06-01 11:00")
    assert lesson.overlaps(other) is expected
    assert other.overlaps(lesson) is expected


# --- large input -----------------------------------------------------------------------

def test_a_week_among_thousands_of_lessons():
    # Mon-Fri 10:00-14:00 Moscow = 07:00-11:00 UTC, four slots a day.
    rules = Rules(windows=tuple(window(weekday, "10:00", "14:00") for weekday in range(5)))
    # Five lessons a day for 1000 days from 2025-01-01 (to 2027-09-27): 5,000 in all.
    # Only 08:00-09:00 UTC (11:00 local) falls in a window; the others are outside.
    busy = [
        Interval(datetime(2025, 1, 1, hour) + timedelta(days=day),
                 datetime(2025, 1, 1, hour, 50) + timedelta(days=day))
        for day in range(1000)
        for hour in (1, 5, 8, 13, 18)
    ]
    # One long lesson-like block from 2024 up to Tuesday 10:30 local: it starts long
    # before the week but still covers Monday and Tuesday 10:00.
    busy.append(span("2024-01-01 00:00", "2026-06-02 07:30"))
    random.Random(7).shuffle(busy)
    unavailable = [local_day_bounds(date(2026, 6, 4), "Europe/Moscow")]  # Thursday off
    week = (local_day_bounds(MONDAY, "Europe/Moscow").start,
            local_day_bounds(date(2026, 6, 7), "Europe/Moscow").end)

    now = at("2026-05-01 00:00")
    slots = free_slots(rules, *week, now=now, unavailable=unavailable, busy=busy)

    # Mon: nothing. Tue: 07:00 blocked by the long block, 08:00 by the daily lesson.
    # Wed and Fri: all but 08:00. Thu: unavailable.
    assert starts(slots) == [
        "2026-06-02 09:00", "2026-06-02 10:00",
        "2026-06-03 07:00", "2026-06-03 09:00", "2026-06-03 10:00",
        "2026-06-05 07:00", "2026-06-05 09:00", "2026-06-05 10:00",
    ]
    assert all(is_bookable(rules, s, now=now, unavailable=unavailable, busy=busy)
               for s in slots)
