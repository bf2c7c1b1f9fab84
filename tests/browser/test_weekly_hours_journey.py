"""The weekly grid in Chromium, for a new teacher on the defaults (no e-mail, no
Telegram, no hours yet): Monday's two windows typed in place, lessons every 30
minutes, Monday copied to Tuesday-Thursday, and the student's calendar offering
exactly those slots; a preset; a window changed and removed; an unavailable range
added, listed as a person says it and removed; the grid at 375 px without sideways
scroll, axe-clean, worked with the keyboard alone; and the same copy without
JavaScript."""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.site import PHONE, axe_problems, on_next_week, overflow_problems, signed_in
from tests.browser.keyboard import tab_to
from tests.conftest import STUDENT_PASSWORD, TEACHER_PASSWORD
from tutor.models import (
    AvailabilityWindow,
    Lesson,
    TeacherSettings,
    UnavailableInterval,
    utcnow,
)

pytestmark = pytest.mark.browser

MOSCOW = ZoneInfo("Europe/Moscow")
WEDNESDAY_NOON = datetime(2026, 12, 9, 12, 0, tzinfo=MOSCOW)
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@pytest.fixture
def newcomer(app, teacher, create_student, time_machine):
    """A teacher as first started (nothing configured) and one student; next week's
    Monday in Moscow, seen on a Wednesday noon (late on a Sunday in Moscow, Monday's
    first slots would fall inside the booking notice)."""
    time_machine.move_to(WEDNESDAY_NOON, tick=True)
    create_student(login="alisa", first_name="Алиса", last_name="Кузнецова")
    today = utcnow().replace(tzinfo=timezone.utc).astimezone(MOSCOW).date()
    return today + timedelta(days=7 - today.weekday())


def day(page, weekday):
    return page.locator(f"#hours-day-{weekday}")


def add_hours(page, weekday, start, end):
    box = day(page, weekday)
    box.locator("summary", has_text="Add hours").click()
    box.get_by_label("From", exact=True).fill(start)
    box.get_by_label("To", exact=True).fill(end)
    box.get_by_role("button", name=f"Add {DAYS[weekday]}").click()
    # The grid swapped in with the new window: an earlier add's toast may still show.
    expect(day(page, weekday).locator(f".day-window input[name=start][value='{start}']")) \
        .to_have_count(1)
    expect(page.locator(".toast-success").last).to_contain_text("The window is added.")


def shown(page, weekday):
    """The day's windows as the grid shows them: ["10:00–12:00", ...]."""
    return day(page, weekday).locator(".day-window").evaluate_all(
        "items => items.map(li => li.querySelector('input[name=start]').value + '–' "
        "+ li.querySelector('input[name=end]').value)")


def windows(app):
    with app.app_context():
        return [(w.weekday, w.start.strftime("%H:%M"), w.end.strftime("%H:%M"))
                for w in AvailabilityWindow.select().order_by(AvailabilityWindow.weekday,
                                                              AvailabilityWindow.start)]


def free_times(page, date):
    return page.locator(f"section.day[aria-labelledby='day-{date.isoformat()}'] "
                        ".cell-free .time").all_inner_texts()


def test_a_new_teachers_week_copied_and_offered_on_the_step(browser, live_server, app,
                                                             newcomer):
    page = signed_in(browser, live_server, "teacher", TEACHER_PASSWORD)
    page.goto(live_server + "/teacher/availability")
    expect(page.locator(".week-day-off")).to_have_count(7)

    add_hours(page, 0, "10:00", "12:00")
    add_hours(page, 0, "15:00", "17:00")
    assert shown(page, 0) == ["10:00–12:00", "15:00–17:00"]
    # Overlapping hours are refused with the reason; nothing is saved.
    add_hours_box = day(page, 0)
    add_hours_box.locator("summary", has_text="Add hours").click()
    add_hours_box.get_by_label("From", exact=True).fill("11:00")
    add_hours_box.get_by_label("To", exact=True).fill("13:00")
    add_hours_box.get_by_role("button", name="Add Monday").click()
    expect(page.get_by_role("alert")).to_have_text(
        "Monday: 10:00–12:00 and 11:00–13:00 overlap. Change one of them or join them into one.")
    assert windows(app) == [(0, "10:00", "12:00"), (0, "15:00", "17:00")]

    # Lessons every 30 minutes (a new teacher's are on the hour), set beside the hours;
    # the booking rules say it and link here.
    rules = page.locator("#rules-step")
    expect(rules).to_contain_text("Lessons start on the hour (16:00, 17:00).")
    rules.get_by_role("link", name="Change it beside the weekly hours").click()
    step = page.locator("#weekly-hours #slot-step")
    expect(step.get_by_label("Lessons start")).to_be_in_viewport()
    expect(step.get_by_label("Lessons start")).to_have_value("60")
    step.get_by_label("Lessons start").select_option("30")
    step.get_by_role("button", name="Save Lessons start").click()
    expect(page.locator(".toast-success").last).to_contain_text(
        "Lessons start every 30 minutes (16:00, 16:30).")
    expect(page.locator("#weekly-hours #slot-step").get_by_label("Lessons start")).to_have_value(
        "30")
    expect(page.locator("#rules-step")).to_contain_text(
        "Lessons start every 30 minutes (16:00, 16:30).")
    page.reload()
    expect(page.locator("#slot-step").get_by_label("Lessons start")).to_have_value("30")

    monday = day(page, 0)
    monday.locator("summary", has_text="Copy to other days").click()
    for name in ("Tuesday", "Wednesday", "Thursday"):
        monday.get_by_label(name).check()
    monday.get_by_role("button", name="Copy").click()
    expect(page.locator(".toast-success").last).to_contain_text("The hours are copied.")
    for weekday in (1, 2, 3):
        assert shown(page, weekday) == ["10:00–12:00", "15:00–17:00"]
    expect(page.locator(".week-day-off")).to_have_count(3)
    assert axe_problems(page, "the weekly grid") == []

    student = on_next_week(browser, live_server, "alisa", STUDENT_PASSWORD)
    expected = ["10:00–11:00", "10:30–11:30", "11:00–12:00",
                "15:00–16:00", "15:30–16:30", "16:00–17:00"]
    for offset in range(4):
        assert free_times(student, newcomer + timedelta(days=offset)) == expected
    assert free_times(student, newcomer + timedelta(days=4)) == []

    # A preset sets the weekend and leaves the weekdays as they are.
    page.get_by_role("button", name="Weekends 10:00–16:00").click()
    expect(page.locator(".toast-success").last).to_contain_text(
        "The hours are set: Weekends 10:00–16:00.")
    assert shown(page, 5) == shown(page, 6) == ["10:00–16:00"]
    assert shown(page, 0) == ["10:00–12:00", "15:00–17:00"]

    # A window changed in place, then one removed.
    tuesday = day(page, 1)
    tuesday.get_by_label("Tuesday, to").first.fill("13:00")
    tuesday.get_by_role("button", name="Save Tuesday 10:00–12:00").click()
    expect(page.locator(".toast-success").last).to_contain_text("The hours are changed.")
    assert shown(page, 1) == ["10:00–13:00", "15:00–17:00"]
    day(page, 2).get_by_role("button", name="Remove Wednesday 15:00–17:00").click()
    expect(page.locator(".toast-success").last).to_contain_text("The window is removed.")
    assert shown(page, 2) == ["10:00–12:00"]

    student.reload()
    assert free_times(student, newcomer + timedelta(days=1))[:4] == [
        "10:00–11:00", "10:30–11:30", "11:00–12:00", "11:30–12:30"]
    assert free_times(student, newcomer + timedelta(days=2)) == expected[:3]
    with app.app_context():
        assert Lesson.select().count() == 0
    student.context.close()
    page.context.close()


def test_an_unavailable_range_added_and_removed_beside_the_grid(browser, live_server, app,
                                                                 newcomer):
    page = signed_in(browser, live_server, "teacher", TEACHER_PASSWORD)
    page.goto(live_server + "/teacher/availability")
    page.get_by_role("button", name="Weekdays 9:00–18:00").click()
    expect(page.locator(".week-day-off")).to_have_count(2)
    first, last = newcomer + timedelta(days=1), newcomer + timedelta(days=3)
    page.get_by_label("First day").fill(first.isoformat())
    page.get_by_label("Last day").fill(last.isoformat())
    page.get_by_role("button", name="Mark unavailable").click()
    expect(page.locator(".toast-success").last).to_contain_text(
        "These days are marked unavailable.")
    # As formatting.time_span says it (tests/test_time_span.py has every shape).
    year = "" if first.year == last.year == datetime.now(MOSCOW).year else f" {last.year}"
    said = (f"{first.day}–{last.day} {last:%B}{year}" if (first.year, first.month) ==
            (last.year, last.month) else f"{first.day} {first:%B}")
    item = page.locator(".unavailable-list li")
    expect(item).to_contain_text(said)
    with app.app_context():
        assert UnavailableInterval.select().count() == 1
    item.get_by_role("button", name="Remove").click()
    expect(page.locator(".toast-success").last).to_contain_text("The time is available again.")
    expect(page.get_by_text("No unavailable time ahead.")).to_be_visible()
    with app.app_context():
        assert UnavailableInterval.select().count() == 0
    page.context.close()


def test_the_grid_on_a_phone_and_with_the_keyboard(browser, live_server, app, newcomer):
    page = signed_in(browser, live_server, "teacher", TEACHER_PASSWORD)
    page.set_viewport_size(PHONE)
    page.goto(live_server + "/teacher/availability")
    page.get_by_role("button", name="Weekday evenings 17:00–21:00").click()
    expect(page.locator(".toast-success").last).to_contain_text("The hours are set")
    for weekday in (0, 4):
        day(page, weekday).locator("summary", has_text="Copy to other days").click()
    day(page, 0).locator("summary", has_text="Add hours").click()
    assert overflow_problems(page, "the weekly grid at 375 px") == []
    assert axe_problems(page, "the weekly grid at 375 px") == []

    # Keyboard alone: open Sunday's "Add hours", type the times, add with Enter.
    summary = day(page, 6).locator("summary", has_text="Add hours")
    tab_to(page, summary)
    page.keyboard.press("Enter")
    tab_to(page, day(page, 6).get_by_label("From", exact=True))
    # This browser's time fields are 12-hour ones: hours, minutes, then AM/PM.
    page.keyboard.type("0900AM")
    tab_to(page, day(page, 6).get_by_label("To", exact=True))
    page.keyboard.type("1100AM")
    expect(day(page, 6).get_by_label("To", exact=True)).to_have_value("11:00")
    page.keyboard.press("Enter")
    expect(page.locator(".toast-success").last).to_contain_text("The window is added.")
    assert shown(page, 6) == ["09:00–11:00"]
    assert (6, "09:00", "11:00") in windows(app)
    page.context.close()


def test_copy_without_javascript(browser, live_server, app, newcomer):
    page = signed_in(browser, live_server, "teacher", TEACHER_PASSWORD,
                     java_script_enabled=False)
    page.goto(live_server + "/teacher/availability")
    add_box = day(page, 0)
    add_box.locator("summary", has_text="Add hours").click()
    add_box.get_by_label("From", exact=True).fill("09:00")
    add_box.get_by_label("To", exact=True).fill("10:30")
    add_box.get_by_role("button", name="Add Monday").click()
    expect(page.get_by_text("The window is added.")).to_be_visible()
    monday = day(page, 0)
    monday.locator("summary", has_text="Copy to other days").click()
    monday.get_by_label("Friday").check()
    monday.get_by_role("button", name="Copy").click()
    expect(page.get_by_text("The hours are copied.")).to_be_visible()
    assert windows(app) == [(0, "09:00", "10:30"), (4, "09:00", "10:30")]
    assert shown(page, 4) == ["09:00–10:30"]
    page.context.close()


def test_the_step_in_russian_beside_the_hours(browser, live_server, app, newcomer):
    """A new install's Russian: the step sits under the weekly hours, said in words."""
    page = browser.new_context(timezone_id="Europe/Moscow").new_page()
    page.goto(live_server + "/")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    page.get_by_role("navigation").get_by_role("link", name="Войти").click()
    page.locator("#login").fill("teacher")
    page.locator("#password").fill(TEACHER_PASSWORD)
    page.locator("#login-form button[type=submit]").click()
    page.goto(live_server + "/teacher/availability")
    expect(page.locator("#rules-step")).to_have_text(
        "Уроки начинаются в начале часа (16:00, 17:00). Изменить рядом с рабочими часами")
    step = page.locator("#weekly-hours #slot-step")
    step.get_by_label("Начало уроков").select_option("0")
    step.get_by_role("button", name="Сохранить Начало уроков").click()
    expect(page.locator(".toast-success").last).to_contain_text(
        "Уроки начинаются сразу после предыдущего урока и перерыва.")
    with app.app_context():
        assert TeacherSettings.get().slot_step_minutes == 0
