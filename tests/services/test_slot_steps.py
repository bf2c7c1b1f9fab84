"""Where slots start: on a step of the clock the teacher picks (60, 30, 15 minutes) or
right after the previous lesson and the break. Moscow is UTC+3 all year; the DST
cases are the matrix's (tests/services/test_zones_matrix.py) and Berlin's nights
worked out by hand: 2026-03-29 02:00 -> 03:00 CEST, 2026-10-25 03:00 -> 02:00 CET."""
from datetime import date, datetime, time, timedelta

import pytest

from tests.dst_cases import CASES
from tutor.models import Lesson, TeacherSettings
from tutor.services import schedule, zones
from tutor.services.availability import (
    Interval,
    InvalidRules,
    Rules,
    Window,
    candidate_slots,
    free_slots,
    local_day_bounds,
    step_of,
)

MONDAY = date(2026, 6, 1)
MINUTES = timedelta(minutes=1)


def walls(slots, zone="Europe/Moscow"):
    """The slots' starts as the zone's clock shows them, with the offset."""
    return [zones.local(s.start, zone).strftime("%H:%M %z")[:-2] for s in slots]


def day_slots(rules, day):
    bounds = local_day_bounds(day, rules.timezone)
    return candidate_slots(rules, bounds.start, bounds.end)


def rules(*windows, step=60, length=60, buffer=0, zone="Europe/Moscow"):
    return Rules(windows=windows, lesson_length=length * MINUTES, buffer=buffer * MINUTES,
                 timezone=zone, step=step_of(step))


def mon(start, end):
    return Window(0, time.fromisoformat(start), time.fromisoformat(end))


@pytest.mark.parametrize(
    "step, length, buffer, window, expected",
    [
        # The case: a 10-minute break after 60-minute lessons from 15:00.
        (0, 60, 10, ("15:00", "19:00"), ["15:00", "16:10", "17:20"]),
        (60, 60, 10, ("15:00", "19:00"), ["15:00", "16:00", "17:00", "18:00"]),
        (30, 60, 10, ("15:00", "17:00"), ["15:00", "15:30", "16:00"]),
        (15, 60, 0, ("15:00", "16:30"), ["15:00", "15:15", "15:30"]),
        # A window starting off the step starts at the next step of the clock.
        (60, 60, 0, ("09:30", "12:00"), ["10:00", "11:00"]),
        (30, 45, 0, ("09:10", "11:00"), ["09:30", "10:00"]),
        # 90-minute lessons on the hour: 10:00 and 11:00 fit 10:00-13:00, 12:00 not.
        (60, 90, 0, ("10:00", "13:00"), ["10:00", "11:00"]),
        # A window shorter than a lesson has none on any step.
        (15, 120, 0, ("10:00", "11:30"), []),
    ],
)
def test_slot_starts_on_each_step(step, length, buffer, window, expected):
    slots = day_slots(rules(mon(*window), step=step, length=length, buffer=buffer), MONDAY)
    assert [w[:5] for w in walls(slots)] == expected
    assert all(s.end - s.start == length * MINUTES for s in slots)


def test_booking_a_stepped_slot_takes_those_it_overlaps_and_the_break():
    # Every 30 minutes, 60-minute lessons, 10-minute break, 15:00-19:00 Moscow
    # (12:00-16:00 UTC). A lesson at 16:00-17:00 takes 15:30 (ends 16:30), 16:30
    # (overlaps) and 17:00 (inside the break); 15:00 ends at 16:00, 10 minutes short
    # of the break too.
    found = free_slots(rules(mon("15:00", "19:00"), step=30, buffer=10),
                       datetime(2026, 6, 1), datetime(2026, 6, 2), now=datetime(2026, 5, 1),
                       busy=[Interval(datetime(2026, 6, 1, 13), datetime(2026, 6, 1, 14))])
    assert [w[:5] for w in walls(found)] == ["17:30", "18:00"]


@pytest.mark.parametrize("minutes", [5, 45, 90, -30])
def test_other_steps_are_refused(minutes):
    with pytest.raises(InvalidRules):
        Rules(windows=(), step=timedelta(minutes=minutes))


def test_touching_windows_on_a_step_make_one_run_of_starts():
    slots = day_slots(rules(mon("10:00", "11:00"), mon("11:00", "12:30"), step=30), MONDAY)
    assert [w[:5] for w in walls(slots)] == ["10:00", "10:30", "11:00", "11:30"]


# --- clock changes -------------------------------------------------------------------

@pytest.mark.parametrize("name", list(CASES))
def test_the_matrix_change_days_on_the_hour_are_what_they_were(name):
    # Hour-long lessons in windows starting on the hour: the step of the clock and
    # "right after the previous lesson" agree, on the change days too.
    case = CASES[name]
    window = Window(case.day.weekday(), *case.window)
    hourly = day_slots(rules(window, step=60, zone=case.zone), case.day)
    assert walls(hourly, case.zone) == [slot[:-2] for slot in case.slots]
    assert hourly == day_slots(rules(window, step=0, zone=case.zone), case.day)


@pytest.mark.parametrize("name", list(CASES))
def test_the_matrix_change_days_every_30_minutes(name):
    # Every half hour of the window's wall clock that the clock shows, the repeated
    # hour only once (its first occurrence); each slot a real hour long, within the
    # window, in order.
    case = CASES[name]
    window = Window(case.day.weekday(), *case.window)
    slots = day_slots(rules(window, step=30, zone=case.zone), case.day)
    window_end = zones.to_utc(case.day, case.window[1], case.zone)
    assert all(s.end - s.start == timedelta(hours=1) and s.end <= window_end for s in slots)
    assert [s.start for s in slots] == sorted({s.start for s in slots})
    hourly = day_slots(rules(window, step=60, zone=case.zone), case.day)
    assert set(hourly) <= set(slots)
    assert all(zones.local(s.start, case.zone).minute in (0, 30) for s in slots)


def test_berlin_spring_forward_every_30_minutes():
    # Sun 2026-03-29, 01:00-04:00: 02:00 and 02:30 do not exist; 03:00 CEST is an hour
    # after 01:00 CET (00:00 UTC -> 01:00 UTC); the window ends 04:00 CEST = 02:00 UTC.
    slots = day_slots(rules(Window(6, time(1), time(4)), step=30, zone="Europe/Berlin"),
                      date(2026, 3, 29))
    assert walls(slots, "Europe/Berlin") == ["01:00 +01", "01:30 +01", "03:00 +02"]
    assert [s.start for s in slots] == [datetime(2026, 3, 29, 0), datetime(2026, 3, 29, 0, 30),
                                        datetime(2026, 3, 29, 1)]


def test_berlin_fall_back_every_30_minutes():
    # Sun 2026-10-25, 01:00-04:00: 02:00 and 02:30 are their first occurrence (CEST);
    # the repeated 02:00-03:00 CET has no starts of its own; 03:00 CET = 02:00 UTC is
    # the last start with an hour before the window's end (04:00 CET = 03:00 UTC).
    slots = day_slots(rules(Window(6, time(1), time(4)), step=30, zone="Europe/Berlin"),
                      date(2026, 10, 25))
    assert walls(slots, "Europe/Berlin") == [
        "01:00 +02", "01:30 +02", "02:00 +02", "02:30 +02", "03:00 +01"]


# --- the setting -----------------------------------------------------------------------

def test_a_new_teacher_starts_on_the_hour(app_ctx, teacher):
    assert schedule.settings_for(teacher).slot_step_minutes == 60
    assert schedule.rules_for(teacher).step == timedelta(hours=1)


@pytest.mark.parametrize("minutes, step", [(60, 60), (30, 30), (15, 15), (0, None)])
def test_the_teacher_picks_the_step(app_ctx, teacher, minutes, step):
    schedule.update_settings(teacher, slot_step_minutes=minutes)
    assert TeacherSettings.for_teacher(teacher).slot_step_minutes == minutes
    assert schedule.rules_for(teacher).step == (step and step * MINUTES)


@pytest.mark.parametrize("value", [45, 5, -1, "30", None, True])
def test_a_step_not_offered_is_refused_and_nothing_changes(app_ctx, teacher, value):
    with pytest.raises(schedule.InvalidSetting) as error:
        schedule.update_settings(teacher, buffer_minutes=10, slot_step_minutes=value)
    assert error.value.field == "slot_step_minutes"
    settings = TeacherSettings.for_teacher(teacher)
    assert (settings.buffer_minutes, settings.slot_step_minutes) == (0, 60)


def test_the_students_slots_follow_the_step(app_ctx, teacher, create_student):
    # Moscow Mon 15:00-19:00 with a 10-minute break; a lesson booked 16:00-17:00.
    schedule.set_windows(teacher, [Window(0, time(15), time(19))])
    schedule.update_settings(teacher, buffer_minutes=10)
    Lesson.create(teacher=teacher, student=create_student(), start=datetime(2026, 6, 1, 13),
                  end=datetime(2026, 6, 1, 14), status=Lesson.CONFIRMED)
    day = (datetime(2026, 6, 1), datetime(2026, 6, 2))
    now = datetime(2026, 5, 25)
    # On the hour: 15:00 ends inside the break before the lesson, 17:00 starts inside
    # the one after it.
    assert walls(schedule.free_slots_for(teacher, *day, now=now)) == ["18:00 +03"]
    schedule.update_settings(teacher, slot_step_minutes=0)
    # Right after each other from 15:00: 15:00, 16:10, 17:20; the first two meet the
    # lesson or its break (15:50-17:10).
    assert walls(schedule.free_slots_for(teacher, *day, now=now)) == ["17:20 +03"]
