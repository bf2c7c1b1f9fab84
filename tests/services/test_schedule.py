"""The teacher's stored availability: settings, weekly windows, unavailable time and
the free slots computed from them. Moscow is UTC+3 all year; Berlin changes to
summer time on 2026-03-29 (a 23-hour day)."""
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest

from tutor.extensions import db
from tutor.models import (
    AvailabilityWindow,
    Lesson,
    TeacherSettings,
    UnavailableInterval,
    User,
)
from tutor.services import schedule
from tutor.services.availability import Interval, InvalidInterval, InvalidWindow, Window

MONDAY = date(2026, 6, 1)
NOW = datetime(2026, 5, 25, 0, 0)  # a week before: every slot on MONDAY is bookable


def at(text):
    return datetime.fromisoformat(text)


@pytest.fixture
def other_teacher(create_user):
    return create_user("teacher2", "Teacher-two-password-1", role=User.TEACHER)


@pytest.fixture
def student(create_student):
    return create_student()


def monday_windows(teacher, start=time(10), end=time(14)):
    """Mondays 10:00-14:00 Moscow = 07:00-11:00 UTC."""
    schedule.set_windows(teacher, [Window(0, start, end)])


def lesson(teacher, student, start, end, status=Lesson.CONFIRMED):
    return Lesson.create(teacher=teacher, student=student, start=at(start), end=at(end),
                         status=status)


def starts(slots):
    return [slot.start.strftime("%H:%M") for slot in slots]


# --- settings -----------------------------------------------------------------------

def test_settings_are_created_once_with_the_defaults(app_ctx, teacher):
    settings = schedule.settings_for(teacher)
    assert (settings.lesson_length_minutes, settings.buffer_minutes, settings.horizon_days,
            settings.min_notice_hours, settings.cancellation_notice_hours) == (60, 0, 56, 12, 24)
    assert settings.default_price == 0
    assert settings.timezone == "Europe/Moscow"
    assert TeacherSettings.for_teacher(teacher).id == settings.id
    assert TeacherSettings.select().count() == 1


@pytest.mark.config(TEACHER_TIMEZONE="Europe/Berlin")
def test_a_new_teacher_gets_the_configured_zone(app_ctx, teacher):
    assert schedule.settings_for(teacher).timezone == "Europe/Berlin"
    assert schedule.rules_for(teacher).timezone == "Europe/Berlin"


def test_rules_follow_the_settings_and_windows(app_ctx, teacher):
    schedule.update_settings(teacher, lesson_length_minutes=45, buffer_minutes=15,
                             horizon_days=14, min_notice_hours=2, timezone="Asia/Tokyo")
    schedule.set_windows(teacher, [(2, time(9), time(12)), Window(0, time(18), time(20))])
    rules = schedule.rules_for(teacher)
    assert rules.windows == (Window(0, time(18), time(20)), Window(2, time(9), time(12)))
    assert rules.lesson_length == timedelta(minutes=45)
    assert rules.buffer == timedelta(minutes=15)
    assert rules.horizon == timedelta(days=14)
    assert rules.min_notice == timedelta(hours=2)
    assert rules.timezone == "Asia/Tokyo"


def test_update_settings_saves_and_normalizes(app_ctx, teacher):
    settings = schedule.update_settings(teacher, default_price="1500,5",
                                        cancellation_notice_hours=48)
    assert settings.default_price == Decimal("1500.50")
    stored = TeacherSettings.get(TeacherSettings.teacher == teacher)
    assert stored.default_price == Decimal("1500.50")
    assert stored.cancellation_notice_hours == 48
    assert stored.lesson_length_minutes == 60  # untouched


@pytest.mark.parametrize("field,value", [
    ("lesson_length_minutes", 0),
    ("lesson_length_minutes", 5),
    ("lesson_length_minutes", 481),
    ("lesson_length_minutes", "60"),
    ("lesson_length_minutes", True),
    ("lesson_length_minutes", 60.0),
    ("buffer_minutes", -1),
    ("horizon_days", 0),
    ("min_notice_hours", -1),
    ("cancellation_notice_hours", 721),
    ("default_price", "-1"),
    ("default_price", "abc"),
    ("default_price", "1.234"),
    ("default_price", "100000000"),
    ("default_price", "NaN"),
    ("default_price", 1.5),
    ("default_price", None),
    ("timezone", "Mars/Olympus_Mons"),
    ("timezone", ""),
    ("timezone", None),
])
def test_update_settings_refuses_bad_values_and_changes_nothing(app_ctx, teacher, field, value):
    with pytest.raises(schedule.InvalidSetting) as error:
        schedule.update_settings(teacher, **{"horizon_days": 7, field: value})
    assert error.value.field == field
    assert schedule.settings_for(teacher).horizon_days == 56


def test_update_settings_refuses_unknown_names(app_ctx, teacher):
    with pytest.raises(TypeError, match="colour"):
        schedule.update_settings(teacher, colour="red")


# --- weekly windows -----------------------------------------------------------------

def test_set_windows_replaces_the_old_ones(app_ctx, teacher, other_teacher):
    schedule.set_windows(other_teacher, [Window(4, time(8), time(9))])
    schedule.set_windows(teacher, [Window(0, time(10), time(14)), Window(0, time(16), time(18))])
    saved = schedule.set_windows(teacher, [Window(1, time(9), time(11))])
    assert saved == (Window(1, time(9), time(11)),)
    assert schedule.windows_for(teacher) == saved
    assert schedule.windows_for(other_teacher) == (Window(4, time(8), time(9)),)
    assert schedule.set_windows(teacher, []) == ()
    assert schedule.windows_for(teacher) == ()


@pytest.mark.parametrize("windows", [
    [Window(0, time(10), time(12)), Window(0, time(11), time(13))],  # overlap
    [Window(0, time(12), time(10))],  # reversed
    [Window(7, time(10), time(12))],  # no such weekday
])
def test_set_windows_refuses_bad_windows_and_keeps_the_old(app_ctx, teacher, windows):
    monday_windows(teacher)
    with pytest.raises(InvalidWindow):
        schedule.set_windows(teacher, windows)
    assert schedule.windows_for(teacher) == (Window(0, time(10), time(14)),)


# --- unavailable time ---------------------------------------------------------------

def test_add_and_remove_an_unavailable_interval(app_ctx, teacher):
    interval = schedule.add_unavailable(teacher, at("2026-06-01 08:00"), at("2026-06-01 09:00"),
                                        "  dentist ")
    assert (interval.start, interval.end, interval.reason) == (
        at("2026-06-01 08:00"), at("2026-06-01 09:00"), "dentist")
    assert schedule.unavailable_between(teacher, at("2026-06-01 00:00"), at("2026-06-02 00:00")) \
        == [Interval(at("2026-06-01 08:00"), at("2026-06-01 09:00"))]
    schedule.remove_unavailable(teacher, interval.id)
    assert UnavailableInterval.select().count() == 0


def test_unavailable_intervals_must_be_forward_and_naive(app_ctx, teacher):
    from datetime import timezone

    with pytest.raises(InvalidInterval):
        schedule.add_unavailable(teacher, at("2026-06-01 09:00"), at("2026-06-01 09:00"))
    with pytest.raises(InvalidInterval):
        schedule.add_unavailable(teacher, at("2026-06-01 09:00"), at("2026-06-01 08:00"))
    with pytest.raises(InvalidInterval):
        schedule.add_unavailable(teacher, at("2026-06-01 08:00").replace(tzinfo=timezone.utc),
                                 at("2026-06-01 09:00").replace(tzinfo=timezone.utc))
    with pytest.raises(schedule.InvalidSetting) as error:
        schedule.add_unavailable(teacher, at("2026-06-01 08:00"), at("2026-06-01 09:00"),
                                 "x" * 201)
    assert error.value.field == "reason"
    assert UnavailableInterval.select().count() == 0


def test_whole_days_are_the_utc_bounds_of_local_days(app_ctx, teacher):
    interval = schedule.add_unavailable_days(teacher, date(2026, 6, 1), date(2026, 6, 2),
                                             "holiday")
    # Moscow midnight is 21:00 UTC the day before.
    assert (interval.start, interval.end) == (at("2026-05-31 21:00"), at("2026-06-02 21:00"))
    assert interval.reason == "holiday"


def test_a_whole_day_on_a_dst_change_is_23_hours(app_ctx, teacher):
    schedule.update_settings(teacher, timezone="Europe/Berlin")
    interval = schedule.add_unavailable_days(teacher, date(2026, 3, 29), date(2026, 3, 29))
    assert (interval.start, interval.end) == (at("2026-03-28 23:00"), at("2026-03-29 22:00"))


def test_days_must_be_in_order(app_ctx, teacher):
    with pytest.raises(InvalidInterval):
        schedule.add_unavailable_days(teacher, date(2026, 6, 2), date(2026, 6, 1))
    assert UnavailableInterval.select().count() == 0


def test_only_the_teachers_own_interval_can_be_removed(app_ctx, teacher, other_teacher):
    theirs = schedule.add_unavailable(other_teacher, at("2026-06-01 08:00"),
                                      at("2026-06-01 09:00"))
    with pytest.raises(schedule.IntervalNotFound):
        schedule.remove_unavailable(teacher, theirs.id)
    with pytest.raises(schedule.IntervalNotFound):
        schedule.remove_unavailable(teacher, theirs.id + 100)
    assert UnavailableInterval.get_by_id(theirs.id)


# --- free slots ---------------------------------------------------------------------

def test_free_slots_are_windows_minus_lessons_and_unavailable_time(app_ctx, teacher, student):
    monday_windows(teacher)
    day = (at("2026-06-01 00:00"), at("2026-06-02 00:00"))
    assert starts(schedule.free_slots_for(teacher, *day, now=NOW)) == [
        "07:00", "08:00", "09:00", "10:00"]
    lesson(teacher, student, "2026-06-01 08:00", "2026-06-01 09:00", Lesson.PENDING)
    schedule.add_unavailable(teacher, at("2026-06-01 10:30"), at("2026-06-01 12:00"))
    assert starts(schedule.free_slots_for(teacher, *day, now=NOW)) == ["07:00", "09:00"]
    lesson(teacher, student, "2026-06-01 07:00", "2026-06-01 08:00", Lesson.CONFIRMED)
    assert starts(schedule.free_slots_for(teacher, *day, now=NOW)) == ["09:00"]


def test_free_slots_respect_now_and_the_notice(app_ctx, teacher):
    monday_windows(teacher)
    day = (at("2026-06-01 00:00"), at("2026-06-02 00:00"))
    # 12 hours' notice from 20:00 UTC the day before: 08:00 is the first bookable start.
    assert starts(schedule.free_slots_for(teacher, *day, now=at("2026-05-31 20:00"))) == [
        "08:00", "09:00", "10:00"]


def test_a_whole_unavailable_day_removes_every_slot(app_ctx, teacher):
    monday_windows(teacher)
    schedule.add_unavailable_days(teacher, MONDAY, MONDAY)
    assert schedule.free_slots_for(teacher, at("2026-05-31 00:00"), at("2026-06-03 00:00"),
                                   now=NOW) == []


def test_lessons_just_outside_the_range_still_keep_their_buffer(app_ctx, teacher, student):
    monday_windows(teacher, time(10), time(15))  # 07:00-12:00 UTC
    schedule.update_settings(teacher, buffer_minutes=30, slot_step_minutes=0)
    # Grid: 07:00, 08:30, 10:00 (each 60 min, 30 min apart).
    lesson(teacher, student, "2026-06-01 09:20", "2026-06-01 09:45")
    # The range starts at 10:00: the lesson lies before it but within the buffer.
    assert starts(schedule.free_slots_for(teacher, at("2026-06-01 10:00"),
                                          at("2026-06-01 12:00"), now=NOW)) == []
    assert starts(schedule.free_slots_for(teacher, at("2026-06-01 00:00"),
                                          at("2026-06-01 09:00"), now=NOW)) == ["07:00"]


def test_lessons_just_after_the_range_still_block_a_slot_reaching_them(
        app_ctx, teacher, student):
    monday_windows(teacher)
    lesson(teacher, student, "2026-06-01 10:30", "2026-06-01 10:45")
    # The 10:00 slot starts inside the range and ends after the lesson begins.
    assert starts(schedule.free_slots_for(teacher, at("2026-06-01 09:00"),
                                          at("2026-06-01 10:01"), now=NOW)) == ["09:00"]


def test_another_teachers_lessons_and_days_do_not_count(app_ctx, teacher, other_teacher,
                                                        student):
    monday_windows(teacher)
    lesson(other_teacher, student, "2026-06-01 07:00", "2026-06-01 11:00")
    schedule.add_unavailable_days(other_teacher, MONDAY, MONDAY)
    assert len(schedule.free_slots_for(teacher, at("2026-06-01 00:00"), at("2026-06-02 00:00"),
                                       now=NOW)) == 4


def count_queries(monkeypatch, call):
    """How many SQL statements `call()` sends."""
    database = db.database.obj
    sent = []
    real = database.execute_sql
    with monkeypatch.context() as patch:
        patch.setattr(database, "execute_sql",
                      lambda sql, *args, **kwargs: sent.append(sql) or real(sql, *args, **kwargs))
        call()
    return len(sent)


def test_free_slots_take_the_same_queries_however_many_lessons(
        app_ctx, teacher, student, monkeypatch):
    schedule.set_windows(teacher, [Window(d, time(8), time(20)) for d in range(7)])
    schedule.settings_for(teacher)
    week = (at("2026-06-01 00:00"), at("2026-06-08 00:00"))

    def queries():
        return count_queries(monkeypatch,
                             lambda: schedule.free_slots_for(teacher, *week, now=NOW))

    few = queries()
    for day in range(7):
        for hour in (6, 8, 10, 12):
            start = at("2026-06-01 00:00") + timedelta(days=day, hours=hour)
            Lesson.create(teacher=teacher, student=student, start=start,
                          end=start + timedelta(hours=1))
        schedule.add_unavailable(teacher, at("2026-06-01 15:00") + timedelta(days=day),
                                 at("2026-06-01 16:00") + timedelta(days=day))
    assert queries() == few == 4
    assert AvailabilityWindow.select().count() == 7
