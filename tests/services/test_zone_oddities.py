"""Three time-zone readings seen once (issues 18/19), each pinned: a whole-day block
read in another zone ended "00:00" (it ends at the next midnight: "24:00"); whole
days in Santiago, whose September day starts at 01:00, read as hours; a lesson that
ends in the repeated hour of a fall-back read "01:30–01:30". The wording is
formatting.clock_span / time_span, used by the week, the lists and the digest."""
from datetime import date, datetime, time, timedelta

import pytest
from flask_babel import force_locale

from tutor.formatting import clock_span, time_span
from tutor.models import Lesson, Message, UnavailableInterval, User
from tutor.services import calendar, digest, schedule, zones
from tutor.services.availability import Window

SANTIAGO, NEW_YORK = "America/Santiago", "America/New_York"


@pytest.fixture(autouse=True)
def in_2026(time_machine):
    time_machine.move_to(datetime(2026, 8, 1), tick=False)


def whole_day_block(teacher, first, last, zone):
    return UnavailableInterval.create(teacher=teacher, start=zones.day_start(first, zone),
                                      end=zones.day_start(last + timedelta(days=1), zone))


def cells_of(week, day, kind=calendar.UNAVAILABLE):
    [found] = [d for d in week.days if d.date == day]
    return [cell for cell in found.cells if cell.kind == kind]


def test_a_whole_day_read_in_another_zone_ends_at_24(app_ctx, teacher):
    # The teacher's settings keep UTC, the teacher's own account reads Moscow.
    schedule.update_settings(teacher, timezone="UTC")
    User.update(timezone="Europe/Moscow").where(User.id == teacher.id).execute()
    me = User.get_by_id(teacher.id)
    whole_day_block(teacher, date(2026, 12, 9), date(2026, 12, 9), "UTC")
    week = calendar.build_week(me, me, date(2026, 12, 9), datetime(2026, 8, 1))
    [ninth] = cells_of(week, date(2026, 12, 9))
    [tenth] = cells_of(week, date(2026, 12, 10))
    assert (ninth.span, ninth.whole_day) == ("03:00–24:00", False)
    assert (tenth.span, tenth.whole_day) == ("00:00–03:00", False)
    with app_ctx.test_request_context(), force_locale("en"):
        assert time_span(ninth.start, ninth.end) == "9 December, 03:00–24:00"


@pytest.mark.parametrize("day", [date(2026, 9, 5), date(2026, 9, 6), date(2026, 4, 4),
                                 date(2026, 4, 5)])
def test_santiago_whole_days_on_its_change_days_read_all_day(app_ctx, teacher, day):
    schedule.update_settings(teacher, timezone=SANTIAGO)
    me = User.get_by_id(teacher.id)
    block = whole_day_block(teacher, day, day, SANTIAGO)
    week = calendar.build_week(me, me, day, datetime(2026, 3, 1))
    [cell] = cells_of(week, day)
    assert cell.whole_day, cell.span
    listed = calendar.LocalBlock.of(block, SANTIAGO)
    with app_ctx.test_request_context(), force_locale("en"):
        assert time_span(listed.local_start, listed.local_end) == \
            f"{day.day} {day.strftime('%B')}, all day"


def test_santiago_two_whole_days_over_the_skipped_midnight(app_ctx, teacher):
    block = whole_day_block(teacher, date(2026, 9, 5), date(2026, 9, 6), SANTIAGO)
    listed = calendar.LocalBlock.of(block, SANTIAGO)
    with app_ctx.test_request_context(), force_locale("ru"):
        assert time_span(listed.local_start, listed.local_end) == "5–6 сентября"


def test_santiago_a_lesson_in_the_repeated_hour_shows_both_offsets():
    start = zones.to_utc(date(2026, 4, 4), time(23, 30), SANTIAGO)  # first 23:30
    assert clock_span(zones.local(start, SANTIAGO),
                      zones.local(start + timedelta(hours=1), SANTIAGO)) == \
        "23:30 (UTC\u22123) – 23:30 (UTC\u22124)"


def test_a_steady_span_keeps_its_plain_wording():
    start = zones.to_utc(date(2026, 11, 2), time(1, 30), NEW_YORK)
    assert clock_span(zones.local(start, NEW_YORK),
                      zones.local(start + timedelta(hours=1), NEW_YORK)) == "01:30–02:30"


def test_the_digest_across_the_fall_back_shows_the_real_length(app_ctx, teacher,
                                                                create_student):
    schedule.update_settings(teacher, timezone=NEW_YORK)
    student = create_student(login="ivan", channel=User.EMAIL, email="ivan@example.org",
                             locale="en", timezone=NEW_YORK, digest_time=time(0, 0))
    start = zones.to_utc(date(2026, 11, 1), time(1, 30), NEW_YORK)  # 01:30 EDT
    Lesson.create(teacher=teacher, student=student, start=start,
                  end=start + timedelta(hours=1), status=Lesson.CONFIRMED, price=1000)
    assert digest.send_due_digests(start + timedelta(hours=3)) == 1
    [message] = Message.select().where(Message.user == student)
    assert "01:30 (UTC\u22124) – 01:30 (UTC\u22125)" in message.body_text
    assert "01:30–01:30" not in message.body_text
    assert "01:30 (UTC\u22124) – 01:30 (UTC\u22125)" in message.body_html


@pytest.mark.parametrize("step, expected", [
    (0, {
        date(2026, 4, 4): ["21:00–22:00", "22:00–23:00"],
        # The Sunday after 23:00 came twice starts as any other.
        date(2026, 4, 5): ["00:00–01:00", "01:00–02:00", "22:00–23:00"],
        date(2026, 9, 5): ["21:00–22:00", "22:00–23:00"],
        # 00:00 is skipped: the night window keeps its one real hour.
        date(2026, 9, 6): ["01:00–02:00", "22:00–23:00"]}),
    (30, {
        # From 22:30 an hour ends at 23:30 the first time round, before 23:59; from
        # 23:00 it would end at the second 23:00, after the window's (first) 23:59.
        date(2026, 4, 4): ["21:00–22:00", "21:30–22:30", "22:00–23:00", "22:30–23:30"],
        date(2026, 4, 5): ["00:00–01:00", "00:30–01:30", "01:00–02:00", "22:00–23:00",
                           "22:30–23:30"],
        date(2026, 9, 5): ["21:00–22:00", "21:30–22:30", "22:00–23:00", "22:30–23:30"],
        date(2026, 9, 6): ["01:00–02:00", "22:00–23:00", "22:30–23:30"]}),
])
def test_santiago_windows_to_23_59_and_from_midnight_on_its_change_days(
        app_ctx, teacher, step, expected):
    """Windows that end at 23:59 or start at midnight around Santiago's changes give
    the hours the clock really shows, on the right days (this behaved already)."""
    schedule.update_settings(teacher, timezone=SANTIAGO, horizon_days=200,
                             lesson_length_minutes=60, buffer_minutes=0, min_notice_hours=0,
                             slot_step_minutes=step)
    schedule.set_windows(teacher, [Window(5, time(21), time(23, 59)),
                                   Window(6, time(0), time(2)),
                                   Window(6, time(22), time(23, 59))])
    me = User.get_by_id(teacher.id)
    for day, spans in expected.items():
        week = calendar.build_week(me, me, day, datetime(2026, 3, 20))
        assert [cell.span for cell in cells_of(week, day, calendar.FREE)] == spans, day
