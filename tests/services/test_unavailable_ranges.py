"""Unavailable time as any from–to range: entered as wall-clock dates and times in the
teacher's zone (whole days, a few hours, from a time on one day to a time on
another), winning over the weekly windows in the free slots, the week and the month,
and never keeping a lesson inside without the teacher having seen it.

Moscow is UTC+3 all year. Berlin goes to summer time on 2026-03-29 (02:00 -> 03:00,
a 23-hour day) and back on 2026-10-25 (03:00 -> 02:00, a 25-hour day)."""
from datetime import date, datetime, time, timedelta

import pytest
from flask_babel import force_locale

from tutor.models import Lesson, UnavailableInterval
from tutor.services import calendar, schedule, zones
from tutor.services.availability import InvalidInterval, Window

NOW = datetime(2026, 12, 1, 6, 0)  # Tuesday 1 December, 09:00 in Moscow
EVERY_DAY = [Window(day, time(10), time(18)) for day in range(7)]


def at(text):
    return datetime.fromisoformat(text)


@pytest.fixture
def moscow(app_ctx, teacher):
    """Every day 10:00-18:00 Moscow, hour-long lessons, bookable 60 days ahead."""
    schedule.set_windows(teacher, EVERY_DAY)
    schedule.update_settings(teacher, horizon_days=60)
    return teacher


@pytest.fixture
def student(create_student):
    return create_student()


def local_starts(slots, zone="Europe/Moscow"):
    return [zones.local(slot.start, zone).strftime("%d %H:%M") for slot in slots]


def free_between(teacher, first, last):
    return schedule.free_slots_for(teacher, at(first), at(last), now=NOW)


# --- wall clock to UTC ---------------------------------------------------------------

@pytest.mark.parametrize("first,start,last,end,expected", [
    # Whole days: midnight of the first day to midnight after the last.
    (date(2026, 12, 9), None, date(2026, 12, 9), None,
     ("2026-12-08T21:00", "2026-12-09T21:00")),
    (date(2026, 12, 9), None, date(2026, 12, 11), None,
     ("2026-12-08T21:00", "2026-12-11T21:00")),
    # From a time on one day to a time on another.
    (date(2026, 12, 9), time(14), date(2026, 12, 11), time(10),
     ("2026-12-09T11:00", "2026-12-11T07:00")),
    # A start time alone runs to the end of the last day; an end time alone from the
    # first day's midnight.
    (date(2026, 12, 9), time(14), date(2026, 12, 9), None,
     ("2026-12-09T11:00", "2026-12-09T21:00")),
    (date(2026, 12, 9), None, date(2026, 12, 10), time(12),
     ("2026-12-08T21:00", "2026-12-10T09:00")),
])
def test_a_range_in_moscow(first, start, last, end, expected):
    assert calendar.range_to_utc(first, start, last, end, "Europe/Moscow") == \
        tuple(map(at, expected))


@pytest.mark.parametrize("first,start,last,end,expected,hours", [
    # The spring-forward day is 23 hours long, the fall-back day 25.
    (date(2026, 3, 29), None, date(2026, 3, 29), None,
     ("2026-03-28T23:00", "2026-03-29T22:00"), 23),
    (date(2026, 10, 25), None, date(2026, 10, 25), None,
     ("2026-10-24T22:00", "2026-10-25T23:00"), 25),
    # Across the night the clocks go forward: 22:00 to 04:00 is five real hours.
    (date(2026, 3, 28), time(22), date(2026, 3, 29), time(4),
     ("2026-03-28T21:00", "2026-03-29T02:00"), 5),
    # Across the night they go back: 22:00 to 04:00 is seven.
    (date(2026, 10, 24), time(22), date(2026, 10, 25), time(4),
     ("2026-10-24T20:00", "2026-10-25T03:00"), 7),
    # A skipped time lands as far after the gap as it was into it (02:30 -> 03:30
    # summer time); a repeated one is its first occurrence (02:30 summer time).
    (date(2026, 3, 29), time(2, 30), date(2026, 3, 29), time(5),
     ("2026-03-29T01:30", "2026-03-29T03:00"), 1.5),
    (date(2026, 10, 25), time(2, 30), date(2026, 10, 25), time(5),
     ("2026-10-25T00:30", "2026-10-25T04:00"), 3.5),
])
def test_a_range_in_berlin_across_the_clock_changes(first, start, last, end, expected, hours):
    got = calendar.range_to_utc(first, start, last, end, "Europe/Berlin")
    assert got == tuple(map(at, expected))
    assert got[1] - got[0] == timedelta(hours=hours)


def test_a_range_inside_the_skipped_hour_is_empty_and_refused(app_ctx, teacher):
    schedule.update_settings(teacher, timezone="Europe/Berlin")
    start, end = calendar.range_to_utc(date(2026, 3, 29), time(2), date(2026, 3, 29),
                                       time(3), "Europe/Berlin")
    assert start == end
    with pytest.raises(InvalidInterval):
        schedule.add_unavailable(teacher, start, end, seen_lessons=())
    assert UnavailableInterval.select().count() == 0


@pytest.mark.parametrize("start,end", [
    ("1800-01-01T00:00", "1800-01-02T00:00"),
    ("2026-12-01T00:00", "2300-01-01T00:00"),
])
def test_a_range_beyond_the_calendar_is_refused(app_ctx, teacher, start, end):
    with pytest.raises(InvalidInterval):
        schedule.add_unavailable(teacher, at(start), at(end))
    assert UnavailableInterval.select().count() == 0


# --- it wins over the weekly windows --------------------------------------------------

def test_a_range_across_days_takes_every_slot_inside_it(moscow, time_machine):
    time_machine.move_to(NOW, tick=False)
    before = free_between(moscow, "2026-12-08T21:00", "2026-12-11T21:00")
    assert len(before) == 24

    start, end = calendar.range_to_utc(date(2026, 12, 9), time(14), date(2026, 12, 11),
                                       time(10), "Europe/Moscow")
    schedule.add_unavailable(moscow, start, end, "Конференция", seen_lessons=())

    after = free_between(moscow, "2026-12-08T21:00", "2026-12-11T21:00")
    assert local_starts(after) == (
        ["09 10:00", "09 11:00", "09 12:00", "09 13:00"]
        + [f"11 {hour}:00" for hour in range(10, 18)])
    # Outside the range nothing changed.
    assert len(free_between(moscow, "2026-12-11T21:00", "2026-12-12T21:00")) == 8


def test_the_week_shows_the_teacher_the_range_day_by_day_and_students_no_slots(
        moscow, student, time_machine):
    time_machine.move_to(NOW, tick=False)
    start, end = calendar.range_to_utc(date(2026, 12, 9), time(14), date(2026, 12, 11),
                                       time(10), "Europe/Moscow")
    schedule.add_unavailable(moscow, start, end, seen_lessons=())

    teachers = calendar.build_week(moscow, moscow, date(2026, 12, 9), NOW)
    blocked = [(cell.start.strftime("%d %H:%M"), cell.end.strftime("%d %H:%M"), cell.whole_day)
               for day in teachers.days for cell in day.cells
               if cell.kind == calendar.UNAVAILABLE]
    assert blocked == [("09 14:00", "10 00:00", False), ("10 00:00", "11 00:00", True),
                       ("11 00:00", "11 10:00", False)]

    students = calendar.build_week(moscow, student, date(2026, 12, 9), NOW)
    by_day = {day.date.day: [cell.kind for cell in day.cells] for day in students.days}
    assert by_day[9] == [calendar.FREE] * 4
    assert by_day[10] == []
    assert by_day[11] == [calendar.FREE] * 8
    assert not any(cell.kind == calendar.UNAVAILABLE
                   for day in students.days for cell in day.cells)


@pytest.mark.parametrize("locale, own_zone, note", [
    ("ru", "Europe/London", "9–10 декабря (Москва, UTC+3)"),
    ("en", "Asia/Tokyo", "9–10 December (Moscow, UTC+3)"),
])
def test_days_off_seen_from_another_zone_say_they_are_the_teachers_whole_days(
        app, moscow, time_machine, locale, own_zone, note):
    """The teacher reading in another zone (travelling) sees their days off cut at
    their own midnights; each piece says which whole days it is in the teacher's zone.
    In the teacher's zone the pieces are whole days and need no note."""
    time_machine.move_to(NOW, tick=False)
    schedule.add_unavailable_days(moscow, date(2026, 12, 9), date(2026, 12, 10),
                                  seen_lessons=())
    schedule.add_unavailable(moscow, *calendar.range_to_utc(
        date(2026, 12, 12), time(14), date(2026, 12, 12), time(16), "Europe/Moscow"),
        seen_lessons=())
    moscow.timezone, moscow.locale = own_zone, locale
    with app.test_request_context(), force_locale(locale):
        week = calendar.build_week(moscow, moscow, date(2026, 12, 9), NOW)
        notes = [(cell.whole_day, cell.note) for day in week.days for cell in day.cells
                 if cell.kind == calendar.UNAVAILABLE]
    assert [whole for whole, _note in notes[:-1]] == [False, True, False]
    assert {text for _whole, text in notes[:-1]} == {note}
    assert notes[-1] == (False, "")  # hours, not days: its local span says it all

    moscow.timezone = None
    with app.test_request_context(), force_locale(locale):
        week = calendar.build_week(moscow, moscow, date(2026, 12, 9), NOW)
    assert {cell.note for day in week.days for cell in day.cells} == {""}


def test_the_month_marks_the_teachers_unavailable_days(moscow, student, time_machine):
    time_machine.move_to(NOW, tick=False)
    start, end = calendar.range_to_utc(date(2026, 12, 9), time(14), date(2026, 12, 11),
                                       time(10), "Europe/Moscow")
    schedule.add_unavailable(moscow, start, end, seen_lessons=())
    schedule.add_unavailable_days(moscow, date(2026, 12, 20), date(2026, 12, 21),
                                  seen_lessons=())

    def marks(viewer):
        month = calendar.build_month(moscow, viewer, date(2026, 12, 1), NOW)
        return {day.date.day: (day.unavailable, day.free)
                for week in month.weeks for day in week
                if day.in_month and day.date.day in (8, 9, 10, 11, 20, 21, 22)}

    assert marks(moscow) == {8: ("", 8), 9: ("part", 4), 10: ("all", 0), 11: ("part", 8),
                             20: ("all", 0), 21: ("all", 0), 22: ("", 8)}
    assert {day: mark for day, (mark, _free) in marks(student).items()} == dict.fromkeys(
        (8, 9, 10, 11, 20, 21, 22), "")


def test_whole_days_in_berlin_cover_the_short_and_the_long_day(app_ctx, teacher, time_machine):
    schedule.update_settings(teacher, timezone="Europe/Berlin", horizon_days=366)
    schedule.set_windows(teacher, [Window(day, time(0), time(23)) for day in range(7)])
    time_machine.move_to(at("2026-03-01T00:00"), tick=False)
    for day in (date(2026, 3, 29), date(2026, 10, 25)):
        interval = schedule.add_unavailable_days(teacher, day, day, seen_lessons=())
        assert calendar.LocalBlock.of(interval, "Europe/Berlin").local_start.time() == time()
        assert calendar.LocalBlock.of(interval, "Europe/Berlin").local_end.time() == time()
        bounds = (datetime.combine(day, time()) - timedelta(hours=2),
                  datetime.combine(day, time()) + timedelta(days=1, hours=2))
        slots = schedule.free_slots_for(teacher, *bounds, now=at("2026-03-01T00:00"))
        assert [s for s in slots if interval.start <= s.start < interval.end] == []
        month = calendar.build_month(teacher, teacher, day, at("2026-03-01T00:00"))
        marks = {d.date: d.unavailable for week in month.weeks for d in week}
        assert marks[day] == "all"
        assert marks[day - timedelta(days=1)] == marks[day + timedelta(days=1)] == ""


# --- lessons inside ------------------------------------------------------------------

def test_lessons_inside_are_listed_before_anything_is_saved(moscow, student, time_machine):
    time_machine.move_to(NOW, tick=False)
    inside = Lesson.create(teacher=moscow, student=student, start=at("2026-12-10T08:00"),
                           end=at("2026-12-10T09:00"), status=Lesson.CONFIRMED)
    pending = Lesson.create(teacher=moscow, student=student, start=at("2026-12-09T12:00"),
                            end=at("2026-12-09T13:00"))
    Lesson.create(teacher=moscow, student=student, start=at("2026-12-11T08:00"),
                  end=at("2026-12-11T09:00"))  # after the range ends at 07:00 UTC
    start, end = calendar.range_to_utc(date(2026, 12, 9), time(14), date(2026, 12, 11),
                                       time(10), "Europe/Moscow")

    with pytest.raises(schedule.LessonsInside) as raised:
        schedule.add_unavailable(moscow, start, end, seen_lessons=())
    assert [lesson.id for lesson in raised.value.lessons] == [pending.id, inside.id]
    assert UnavailableInterval.select().count() == 0

    # Seeing one of them is not enough.
    with pytest.raises(schedule.LessonsInside):
        schedule.add_unavailable(moscow, start, end, seen_lessons={inside.id})
    assert UnavailableInterval.select().count() == 0

    interval = schedule.add_unavailable(moscow, start, end, seen_lessons={inside.id, pending.id})
    assert (interval.start, interval.end) == (start, end)
    # The lessons stay: the teacher cancels them on their pages.
    assert Lesson.select().count() == 3


def test_a_lesson_booked_after_the_list_was_shown_is_listed_again(moscow, student,
                                                                  time_machine):
    time_machine.move_to(NOW, tick=False)
    first = Lesson.create(teacher=moscow, student=student, start=at("2026-12-10T08:00"),
                          end=at("2026-12-10T09:00"))
    seen = {lesson.id for lesson in schedule.lessons_inside(
        moscow, at("2026-12-09T21:00"), at("2026-12-10T21:00"))}
    assert seen == {first.id}
    late = Lesson.create(teacher=moscow, student=student, start=at("2026-12-10T10:00"),
                         end=at("2026-12-10T11:00"))
    with pytest.raises(schedule.LessonsInside) as raised:
        schedule.add_unavailable_days(moscow, date(2026, 12, 10), date(2026, 12, 10),
                                      seen_lessons=seen)
    assert [lesson.id for lesson in raised.value.lessons] == [first.id, late.id]


@pytest.mark.parametrize("day,wall,zone,expected", [
    (date(2026, 3, 29), time(2, 30), "Europe/Berlin", zones.SKIPPED),
    (date(2026, 10, 25), time(2, 30), "Europe/Berlin", zones.REPEATED),
    (date(2026, 3, 29), time(3, 0), "Europe/Berlin", None),
    (date(2026, 10, 25), time(3, 0), "Europe/Berlin", None),
    (date(2026, 3, 29), time(2, 30), "Europe/Moscow", None),
    (date(2026, 10, 25), time(2, 30), "Europe/Moscow", None),
])
def test_which_typed_times_the_clocks_skip_or_repeat(day, wall, zone, expected):
    assert zones.clock_change_at(day, wall, zone) == expected
