"""The DST matrix: one wall time the clocks skip or repeat, per zone, run through every
place that turns wall clocks into moments or local days into UTC — a single lesson the
teacher places, a weekly series across the change, the free slots of the change day
(the week page included), the monthly report's month and the daily digest's day. They
all follow services/zones.py: a skipped time is the instant the clock shows it plus
the gap (02:30 -> 03:30), a repeated one its first occurrence.

Moscow keeps one offset all year: its cases are the control (nothing moves). Time is
frozen with time-machine a few weeks before each change."""
import re
from datetime import datetime, time, timedelta

import pytest

from tests.conftest import TEACHER_PASSWORD, browser_for
from tests.dst_cases import CASES
from tutor.models import Lesson, Message, User
from tutor.services import calendar, digest, schedule, zones
from tutor.services.reports import figures
from tutor.services.availability import Window, free_slots

HOUR = timedelta(hours=1)


def shown(moment, zone):
    return zones.local(moment, zone).strftime("%Y-%m-%d %H:%M %z")


@pytest.fixture(params=list(CASES))
def case(request):
    return CASES[request.param]


@pytest.fixture
def now(case, time_machine):
    """Three weeks before the change, midnight UTC."""
    moment = datetime.combine(case.day - timedelta(days=21), time())
    time_machine.move_to(moment, tick=False)
    return moment


@pytest.fixture
def people(app, client, teacher, create_student, case, now):
    """The teacher and a student told by e-mail, both in the case's zone; the change
    day's weekday open for the case's window. (`client` gives browser_for its class.)"""
    with app.app_context():
        schedule.update_settings(teacher, timezone=case.zone, horizon_days=120,
                                 lesson_length_minutes=60, buffer_minutes=0,
                                 min_notice_hours=0)
        schedule.set_windows(teacher, [Window(case.day.weekday(), *case.window)])
        student = create_student(login="ivan", channel=User.EMAIL, email="ivan@example.org",
                                 locale="en", timezone=case.zone, digest_time=time(0, 0))
        return User.get_by_id(teacher.id), student


def place(app, student, day, wall, **weekly):
    """The teacher's new-lesson form, as typed; `weekly`: times=N (previewed first)."""
    browser = browser_for(app, "teacher", TEACHER_PASSWORD)
    data = {"student": str(student.id), "day": day.isoformat(), "time": wall.strftime("%H:%M"),
            "minutes": "60", "price": "1000", "people": "1", **weekly}
    if weekly:
        preview = browser.submit("/teacher/lessons/new", data)
        assert preview.status_code == 200
        data["previewed"] = re.search(r'name="previewed" value="([^"]*)"',
                                      preview.text).group(1)
    response = browser.submit("/teacher/lessons/new", data)
    assert response.status_code == 302, response.text
    with app.app_context():
        return list(Lesson.select().order_by(Lesson.start))


def test_a_single_lesson_typed_for_that_time(app, case, people):
    teacher, student = people
    [lesson] = place(app, student, case.day, case.wall)
    assert (lesson.start, lesson.end) == (case.utc, case.utc + HOUR)
    assert shown(lesson.start, case.zone) == case.shown


def test_a_weekly_series_across_the_change_agrees_with_the_single_lesson(app, case, people):
    teacher, student = people
    lessons = place(app, student, case.day - timedelta(weeks=1), case.wall, times="3")
    assert [lesson.start for lesson in lessons][1] == case.utc
    assert len(lessons) == 3 and all(lesson.series_id for lesson in lessons)
    # The weeks either side keep the typed wall time.
    for lesson, day in ((lessons[0], case.day - timedelta(weeks=1)),
                        (lessons[2], case.day + timedelta(weeks=1))):
        local = zones.local(lesson.start, case.zone)
        assert (local.date(), local.time()) == (day, case.wall)


def test_the_free_slots_of_the_change_day(app, case, people, now):
    teacher, student = people
    with app.app_context():
        start, end = zones.day_bounds(case.day, case.zone)
        assert end - start == case.hours * HOUR
        slots = free_slots(schedule.rules_for(teacher), start, end, now=now)
        assert tuple(shown(slot.start, case.zone)[11:] for slot in slots) == case.slots
        assert all(slot.end - slot.start == HOUR for slot in slots)
        # The week page shows the same slots, on that day.
        week = calendar.build_week(teacher, student, case.day, now)
        [day] = [day for day in week.days if day.date == case.day]
        assert [(cell.start_utc, cell.end_utc) for cell in day.cells
                if cell.kind == calendar.FREE] == [(s.start, s.end) for s in slots]


def month_of(day):
    return day.replace(day=1)


def test_the_monthly_report_counts_the_lesson_in_its_month(app, case, people, time_machine):
    teacher, student = people
    first = month_of(case.day)
    after = figures.next_month(first)
    with app.app_context():
        def lesson(start):
            return Lesson.create(teacher=teacher, student=student, start=start,
                                 end=start + HOUR, status=Lesson.CONFIRMED, price=1000)

        month_start = zones.to_utc(first, time(0), case.zone)
        lesson(month_start - timedelta(minutes=30))  # 23:30 the evening before: not its
        opening = lesson(month_start)
        changed = lesson(case.utc)
        lesson(zones.to_utc(after, time(0), case.zone))  # the next month's
        time_machine.move_to(zones.to_utc(after, time(12), case.zone), tick=False)
        report = figures.monthly_report(teacher, first)
    assert [line.start.strftime("%Y-%m-%d %H:%M %z") for line in report.lines] == [
        shown(opening.start, case.zone), case.shown]
    assert [line.minutes for line in report.lines] == [60, 60]
    assert changed.start == case.utc


def test_the_daily_digest_lists_the_lessons_of_the_change_day(app, case, people):
    teacher, student = people
    with app.app_context():
        start, end = zones.day_bounds(case.day, case.zone)
        for moment in (start - HOUR, case.utc, end):  # the day before, that day, the next
            Lesson.create(teacher=teacher, student=student, start=moment, end=moment + HOUR,
                          status=Lesson.CONFIRMED, price=1000)
        assert digest.send_due_digests(end - timedelta(minutes=1)) == 1
        [message] = Message.select().where(Message.user == student)
        assert message.idempotency_key == f"digest:{student.id}:{case.day.isoformat()}"
        hhmm = case.shown[11:16]
        [line] = [line for line in message.body_text.splitlines() if "–" in line]
        assert line.startswith(f"- {hhmm}")
        # An hour from a repeated time ends at the same wall time: the offsets tell
        # the two apart (formatting.clock_span), never "02:30–02:30".
        assert f"{hhmm}–{hhmm}" not in line
        if zones.clock_change_at(case.day, case.wall, case.zone) == zones.REPEATED:
            assert line.count("(UTC") == 2
