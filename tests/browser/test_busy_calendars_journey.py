"""Busy time from another calendar, in Chromium with a real huey consumer: the teacher,
in the Russian a new install starts with, pastes the address of a calendar served on
127.0.0.1 (a weekly event with an EXDATE, an event in New York's zone, an all-day
event, a "free" one), the consumer reads it while the page waits for it, and the
student's next week no longer offers those times; the teacher's week shows them as
"busy (imported)" without their titles; the page fits a phone."""
import os
import signal
import subprocess
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from huey import SqliteHuey
from playwright.sync_api import expect

from tests.browser.site import PHONE, TEACHER, axe_problems, log_in, on_next_week, overflow_problems
from tests.conftest import STUDENT_PASSWORD
from tests.fake_calendars import calendars  # noqa: F401
from tests.processes import CONSUMER, ROOT
from tutor.models import utcnow
from tutor.queue import huey
from tutor.services import schedule

pytestmark = [pytest.mark.browser, pytest.mark.slow]
MOSCOW, NEW_YORK = ZoneInfo("Europe/Moscow"), ZoneInfo("America/New_York")


def ics_for(monday):
    """Next week as another calendar has it: Tuesday 10:00-12:00 Moscow weekly (not the
    week after: an EXDATE), Thursday 08:00 in New York, Saturday all day, and a "free"
    Wednesday 10:00 (TRANSP:TRANSPARENT) that blocks nothing."""
    tuesday, wednesday, thursday, saturday = (monday + timedelta(days=n) for n in (1, 2, 3, 5))

    def day(d):
        return d.strftime("%Y%m%d")
    return "\r\n".join([
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Yandex LLC//Yandex Calendar//EN",
        "BEGIN:VEVENT", "UID:weekly@example.org", "SUMMARY:Личный тренер",
        f"DTSTART;TZID=Europe/Moscow:{day(tuesday)}T100000",
        f"DTEND;TZID=Europe/Moscow:{day(tuesday)}T120000",
        "RRULE:FREQ=WEEKLY;COUNT=3",
        f"EXDATE;TZID=Europe/Moscow:{day(tuesday + timedelta(days=7))}T100000",
        "END:VEVENT",
        "BEGIN:VEVENT", "UID:ny@example.org", "SUMMARY:Call with New York",
        f"DTSTART;TZID=America/New_York:{day(thursday)}T080000",
        f"DTEND;TZID=America/New_York:{day(thursday)}T090000",
        "END:VEVENT",
        "BEGIN:VEVENT", "UID:dacha@example.org", "SUMMARY:Дача",
        f"DTSTART;VALUE=DATE:{day(saturday)}",
        f"DTEND;VALUE=DATE:{day(saturday + timedelta(days=1))}",
        "END:VEVENT",
        "BEGIN:VEVENT", "UID:free@example.org", "SUMMARY:Напоминание",
        f"DTSTART;TZID=Europe/Moscow:{day(wednesday)}T100000",
        f"DTEND;TZID=Europe/Moscow:{day(wednesday)}T110000", "TRANSP:TRANSPARENT",
        "END:VEVENT",
        "END:VCALENDAR", ""]).encode()


@pytest.fixture
def consumer(app, test_config, tmp_path, monkeypatch):
    """A real consumer sharing a queue file with the web app, allowed to read 127.0.0.1."""
    queue = tmp_path / "queue" / "huey.db"
    queue.parent.mkdir()
    monkeypatch.setattr(huey, "_immediate", False)
    monkeypatch.setattr(huey, "storage", SqliteHuey("tutor", filename=str(queue)).storage)
    env = {**os.environ, "DATABASE_URL": test_config["DATABASE_URL"],
           "INSTANCE_PATH": str(tmp_path / "consumer"), "HUEY_SQLITE_PATH": str(queue),
           "SECRET_KEY": "busy", "REDIS_URL": "", "EMAIL_BACKEND": "console",
           "BUSY_CALENDAR_ALLOW_PRIVATE": "1"}
    process = subprocess.Popen([str(CONSUMER), "tasks.huey", "-w", "2", "-k", "thread",
                                "-d", "0.05", "-m", "0.5"], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    yield process
    process.send_signal(signal.SIGINT)
    output = process.communicate(timeout=30)[0]
    assert "Traceback" not in output, output


def day_section(page, day):
    return page.locator(f"section.day[aria-labelledby='day-{day.isoformat()}']")


def local(day, hour, minute, zone):
    """"HH:MM" in Moscow of `hour`:`minute` on `day` in `zone`."""
    moment = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
    return moment.astimezone(MOSCOW).strftime("%H:%M")


def test_busy_time_from_a_served_calendar_closes_the_students_slots(
        browser, live_server, app, teacher, create_student, calendars, consumer):
    with app.app_context():
        schedule.set_windows(teacher, [(d, time(9), time(17)) for d in range(7)])
    create_student(login="alisa", first_name="Алиса", last_name="Кузнецова")
    today = utcnow().replace(tzinfo=timezone.utc).astimezone(MOSCOW).date()
    monday = today + timedelta(days=7 - today.weekday())
    tuesday, wednesday, thursday, saturday = (monday + timedelta(days=n) for n in (1, 2, 3, 5))
    url = calendars.serve("/export/9f3c2b7e/calendar.ics", ics_for(monday))

    student = on_next_week(browser, live_server, "alisa", STUDENT_PASSWORD)
    expect(day_section(student, tuesday).locator(".cell-free")).to_have_count(8)
    expect(day_section(student, saturday).locator(".cell-free")).to_have_count(8)

    # The teacher in the Russian a new install starts with.
    teacher_page = browser.new_context(timezone_id="Europe/Moscow").new_page()
    log_in(teacher_page, live_server, TEACHER)
    teacher_page.goto(live_server + "/teacher/availability")
    teacher_page.get_by_role("link", name="Подключить другие календари").click()
    expect(teacher_page.get_by_role("heading", name="Другие календари", level=1)).to_be_visible()
    teacher_page.get_by_label("Адрес календаря (iCal)").fill(url)
    teacher_page.get_by_role("button", name="Добавить календарь").click()
    expect(teacher_page.locator(".toast-success")).to_contain_text(
        "Календарь добавлен и сейчас читается.")
    # The consumer reads it; the list asks again until it has ("Читается…" first).
    status = teacher_page.locator(".calendar-status")
    expect(status).to_have_text("Обновлено только что, 4 занятых интервала.", timeout=30_000)
    expect(teacher_page.locator(".busy-calendars")).to_contain_text("127.0.0.1/…/calendar.ics")
    expect(teacher_page.locator("body")).not_to_contain_text("9f3c2b7e")
    assert axe_problems(teacher_page, "other calendars with one") == []
    teacher_page.set_viewport_size(PHONE)
    assert overflow_problems(teacher_page, "other calendars on a phone") == []
    teacher_page.set_viewport_size({"width": 1280, "height": 900})

    student.reload()
    tuesday_cells = day_section(student, tuesday).locator(".cell-free")
    expect(tuesday_cells).to_have_count(6)  # 10:00 and 11:00 are gone
    expect(tuesday_cells.filter(has_text="10:00–11:00")).to_have_count(0)
    thursday_gone = local(thursday, 8, 0, NEW_YORK)  # 08:00 in New York, in Moscow
    expect(day_section(student, thursday).locator(".cell-free").filter(
        has_text=f"{thursday_gone}–")).to_have_count(0)
    expect(day_section(student, thursday).locator(".cell-free")).to_have_count(7)
    expect(day_section(student, wednesday).locator(".cell-free")).to_have_count(8)  # "free"
    expect(day_section(student, saturday).locator(".cell-free")).to_have_count(0)
    expect(student.locator("#week")).not_to_contain_text("busy")
    for private in ("Личный тренер", "Дача", "New York"):
        expect(student.locator("body")).not_to_contain_text(private)

    teacher_page.goto(live_server + f"/?week={monday.isoformat()}")
    imported = day_section(teacher_page, tuesday).locator(".cell-imported")
    expect(imported).to_have_text("10:00–12:00 занято (из другого календаря)")
    expect(day_section(teacher_page, saturday).locator(".cell-imported")).to_have_text(
        "Весь день занято (из другого календаря)")
    for private in ("Личный тренер", "Дача", "New York"):
        expect(teacher_page.locator("body")).not_to_contain_text(private)
