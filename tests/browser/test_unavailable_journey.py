"""Unavailable time and the wrong-login dialog in Chromium: the teacher marks next
week's Wednesday 14:00 to Friday 10:00 unavailable on the availability page (htmx)
and a student finds no slots there; a wrong login opens a modal dialog that takes the
focus, closes with Escape and gives the focus back; without JavaScript both work as
plain forms (the dialog's text on the page, the lessons inside listed before the
time is marked anyway)."""
import re
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.keyboard import wait_until_modal
from tests.browser.site import axe_problems, on_next_week, signed_in
from tests.conftest import STUDENT_PASSWORD, TEACHER_PASSWORD
from tutor.models import Lesson, UnavailableInterval, User, utcnow
from tutor.services import schedule, zones

pytestmark = pytest.mark.browser

MOSCOW = ZoneInfo("Europe/Moscow")


@pytest.fixture
def next_week(app, teacher, create_student, time_machine):
    """Every day 09:00-17:00 Moscow time; the Monday of next week in Moscow."""
    with app.app_context():
        schedule.set_windows(teacher, [(day, time(9), time(17)) for day in range(7)])
    # Seen from a Wednesday noon: late on a Sunday in Moscow, next Monday's first
    # slots fall inside the booking notice.
    time_machine.move_to(datetime(2026, 12, 9, 12, 0, tzinfo=MOSCOW), tick=True)
    create_student(login="alisa", first_name="Алиса", last_name="Кузнецова")
    today = utcnow().replace(tzinfo=timezone.utc).astimezone(MOSCOW).date()
    return today + timedelta(days=7 - today.weekday())


def day_section(page, day):
    return page.locator(f"section.day[aria-labelledby='day-{day.isoformat()}']")


def test_a_range_across_days_takes_the_students_slots(browser, live_server, app, next_week):
    wednesday, thursday, friday = (next_week + timedelta(days=n) for n in (2, 3, 4))
    student = on_next_week(browser, live_server, "alisa", STUDENT_PASSWORD)
    expect(day_section(student, thursday).locator(".cell-free")).to_have_count(8)

    teacher = signed_in(browser, live_server, "teacher", TEACHER_PASSWORD)
    teacher.goto(live_server + "/teacher/availability")
    expect(teacher.get_by_text("No unavailable time ahead.")).to_be_visible()
    teacher.get_by_label("First day").fill(wednesday.isoformat())
    teacher.get_by_label("From (time, optional)").fill("14:00")
    teacher.get_by_label("Last day").fill(friday.isoformat())
    teacher.get_by_label("Until (time, optional)").fill("10:00")
    teacher.get_by_label("Note (only you see it)").fill("Конференция")
    teacher.get_by_role("button", name="Mark unavailable").click()
    expect(teacher.locator(".toast-success")).to_contain_text("This time is marked unavailable.")
    first, last = wednesday.strftime("%-d %B"), friday.strftime("%-d %B")
    if not wednesday.year == friday.year == datetime.now(MOSCOW).year:
        first, last = f"{first} {wednesday.year}", f"{last} {friday.year}"
    expect(teacher.locator(".unavailable-list li")).to_have_text(re.compile(
        rf"{first} 14:00 – {last} 10:00 · Конференция\s*Remove"))
    assert axe_problems(teacher, "the availability page with a range") == []
    with app.app_context():
        block = UnavailableInterval.get()
        assert (zones.local(block.start, "Europe/Moscow").replace(tzinfo=None)
                == datetime.combine(wednesday, time(14)))
        assert block.end - block.start == timedelta(hours=44)

    # The student's week (kept rendered) has no slots inside the range any more.
    student.reload()
    expect(day_section(student, wednesday).locator(".cell-free .time")).to_have_text(
        ["09:00–10:00", "10:00–11:00", "11:00–12:00", "12:00–13:00", "13:00–14:00"])
    expect(day_section(student, thursday).locator(".cell-free")).to_have_count(0)
    expect(day_section(student, thursday)).to_contain_text("No free time")
    expect(day_section(student, friday).locator(".cell-free")).to_have_count(7)
    expect(student.locator(".cell-unavailable")).to_have_count(0)

    # The teacher sees it in the week, day by day, and in the month.
    teacher.goto(f"{live_server}/?week={next_week.isoformat()}")
    expect(day_section(teacher, thursday).locator(".cell-unavailable")).to_contain_text(
        "All day")
    expect(day_section(teacher, wednesday).locator(".cell-unavailable")).to_contain_text(
        "14:00–24:00")
    teacher.goto(f"{live_server}/month?month={thursday.strftime('%Y-%m')}")
    thursday_cell = teacher.locator(f"a[href='/?week={thursday.isoformat()}']")
    expect(thursday_cell).to_contain_text("unavailable all day")
    assert axe_problems(teacher, "the teacher's month with unavailable days") == []
    student.context.close()
    teacher.context.close()


def test_a_wrong_login_opens_a_dialog_that_the_keyboard_can_leave(browser, live_server,
                                                                   teacher):
    page = browser.new_context(timezone_id="Europe/Moscow").new_page()
    page.goto(live_server + "/")
    page.get_by_role("button", name="English").click()
    page.goto(live_server + "/login")
    page.get_by_label("Login").fill("teacher")
    page.get_by_label("Password").fill("not the password")
    page.get_by_label("Password").press("Enter")

    dialog = page.get_by_role("alertdialog", name="Could not log in")
    expect(dialog).to_be_visible()
    expect(dialog).to_have_accessible_description("Wrong login or password.")
    wait_until_modal(page, "dialog.login-failed")
    expect(dialog.get_by_role("button", name="OK")).to_be_focused()
    assert axe_problems(page, "the wrong-login dialog") == []
    # The page behind is inert: Tab stays in the dialog.
    for _ in range(3):
        page.keyboard.press("Tab")
        assert page.evaluate("""() => document.activeElement === document.body ||
            document.querySelector('dialog.login-failed').contains(document.activeElement)""")

    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page.get_by_label("Password")).to_be_focused()
    expect(page.get_by_label("Login")).to_have_value("teacher")

    # A login nobody has says exactly the same.
    page.get_by_label("Login").fill("nobody")
    page.get_by_label("Password").fill(TEACHER_PASSWORD)
    page.get_by_label("Password").press("Enter")
    expect(dialog).to_be_visible()
    expect(dialog).to_have_accessible_description("Wrong login or password.")
    wait_until_modal(page, "dialog.login-failed")
    dialog.get_by_role("button", name="OK").press("Enter")
    expect(dialog).to_be_hidden()
    expect(page.get_by_label("Password")).to_be_focused()

    page.get_by_label("Login").fill("teacher")
    page.keyboard.press("Tab")
    page.keyboard.type(TEACHER_PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    page.context.close()


def test_without_javascript(browser, live_server, app, teacher, next_week):
    context = browser.new_context(java_script_enabled=False, timezone_id="Europe/Moscow")
    page = context.new_page()
    page.goto(live_server + "/login")
    page.get_by_role("button", name="English").click()
    page.get_by_label("Login").fill("teacher")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    # The same text, on the page, with a button that closes it (HTML alone).
    notice = page.locator("dialog.login-failed")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("Could not log in")
    expect(notice).to_contain_text("Wrong login or password.")
    expect(page.locator("html")).not_to_have_class(re.compile(r"\bjs\b"))
    notice.get_by_role("button", name="OK").click()
    expect(notice).to_be_hidden()
    page.get_by_label("Password").fill(TEACHER_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    # A lesson on the Thursday: marking Wednesday to Friday lists it first.
    thursday = next_week + timedelta(days=3)
    with app.app_context():
        start = zones.to_utc(thursday, time(11), "Europe/Moscow")
        lesson = Lesson.create(teacher=teacher, student=User.get(User.login == "alisa"),
                               start=start,
                               end=start + timedelta(hours=1), status=Lesson.CONFIRMED)
    page.goto(live_server + "/teacher/availability")
    page.get_by_label("First day").fill((thursday - timedelta(days=1)).isoformat())
    page.get_by_label("Last day").fill((thursday + timedelta(days=1)).isoformat())
    page.get_by_role("button", name="Mark unavailable").click()
    warning = page.locator("#lessons-inside")
    expect(warning).to_contain_text("1 lesson falls inside this time.")
    expect(warning.get_by_role("link")).to_have_attribute("href", f"/lessons/{lesson.id}")
    expect(warning).to_contain_text("Алиса Кузнецова")
    with app.app_context():
        assert UnavailableInterval.select().count() == 0

    page.get_by_role("button", name="Mark unavailable anyway").click()
    expect(page.locator(".toast-success")).to_contain_text("These days are marked unavailable.")
    expect(page.locator(".toast-info")).to_contain_text("1 lesson inside it stays")
    # Listed as a person says whole days: "9–11 December" (or across a month's end).
    first, last = thursday - timedelta(days=1), thursday + timedelta(days=1)
    expect(page.locator(".unavailable-list li")).to_contain_text(
        f"{first.day}–{last.day} " if first.month == last.month else f"{first.day} ")
    with app.app_context():
        assert UnavailableInterval.select().count() == 1
        assert Lesson.get_by_id(lesson.id).is_confirmed

    # Removing it is a plain form too.
    page.locator(".unavailable-list").get_by_role("button", name=re.compile("^Remove")).click()
    expect(page.get_by_text("No unavailable time ahead.")).to_be_visible()
    context.close()
