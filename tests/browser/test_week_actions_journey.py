"""The teacher's week has one form per action: the grid sits inside the one that blocks
a slot, and the other buttons name theirs (form=, and formaction for lifting an
interval). In Chromium, with htmx and without JavaScript, the teacher marks a slot
unavailable, makes it available again and takes a day off from the calendar itself.
A link to book opens the dialog in place. A student going back and forth between
weeks gets the weeks they saw answered 304 by the server and shown from the
browser's cache."""
import re
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from flask import request_finished, request as flask_request
from playwright.sync_api import expect

from tests.browser.site import on_next_week
from tests.conftest import STUDENT_PASSWORD, TEACHER_PASSWORD
from tutor.models import UnavailableInterval, utcnow
from tutor.services import schedule

pytestmark = pytest.mark.browser

MOSCOW = ZoneInfo("Europe/Moscow")


@pytest.fixture
def next_week(app, teacher, create_student, time_machine):
    """Every day 09:00-12:00 Moscow time; the Monday of next week in Moscow."""
    with app.app_context():
        schedule.set_windows(teacher, [(day, time(9), time(12)) for day in range(7)])
    # Seen from a Wednesday noon: late on a Sunday in Moscow, next Monday's first
    # slots fall inside the booking notice.
    time_machine.move_to(datetime(2026, 12, 9, 12, 0, tzinfo=MOSCOW), tick=True)
    create_student(login="alisa", first_name="Алиса", last_name="Кузнецова")
    today = utcnow().replace(tzinfo=timezone.utc).astimezone(MOSCOW).date()
    return today + timedelta(days=7 - today.weekday())


def day_section(page, day):
    return page.locator(f"section.day[aria-labelledby='day-{day.isoformat()}']")


def intervals(app):
    with app.app_context():
        return UnavailableInterval.select().count()


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-js"])
def test_the_teacher_blocks_lifts_and_takes_a_day_off(browser, live_server, app, next_week,
                                                      javascript):
    if javascript:
        page = on_next_week(browser, live_server, "teacher", TEACHER_PASSWORD)
    else:
        page = browser.new_context(java_script_enabled=False,
                                   timezone_id="Europe/Moscow").new_page()
        page.goto(live_server + "/login")
        page.get_by_role("button", name="English").click()
        page.get_by_label("Login").fill("teacher")
        page.get_by_label("Password").fill(TEACHER_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.goto(f"{live_server}/?week={next_week.isoformat()}")
    tuesday = day_section(page, next_week + timedelta(days=1))
    expect(tuesday.locator(".cell-free")).to_have_count(3)

    tuesday.get_by_role("button", name="Make unavailable 10:00–11:00").click()
    expect(page.locator(".toast-success")).to_contain_text("This time is marked unavailable.")
    expect(tuesday.locator(".cell-free")).to_have_count(2)
    expect(tuesday.locator(".cell-unavailable")).to_contain_text("10:00–11:00")
    assert intervals(app) == 1

    tuesday.get_by_role("button", name="Make available 10:00–11:00").click()
    expect(page.locator(".toast-success")).to_contain_text("The time is available again.")
    expect(tuesday.locator(".cell-free")).to_have_count(3)
    assert intervals(app) == 0

    wednesday = next_week + timedelta(days=2)
    day_section(page, wednesday).get_by_role("button", name=re.compile("^Day off")).click()
    expect(page.locator(".toast-success")).to_contain_text("The day is marked unavailable.")
    expect(day_section(page, wednesday).locator(".cell-unavailable")).to_contain_text("All day")
    expect(day_section(page, wednesday).locator(".cell-free")).to_have_count(0)
    assert intervals(app) == 1
    page.context.close()


def test_weeks_seen_before_come_from_the_browsers_cache(browser, live_server, app, next_week):
    statuses = []

    def note(sender, response, **extra):
        if flask_request.headers.get("HX-Request") == "true" and flask_request.path == "/":
            statuses.append(response.status_code)
    request_finished.connect(note, app)
    try:
        page = on_next_week(browser, live_server, "alisa", STUDENT_PASSWORD)
        week_title = page.locator("#week-title")
        seen = week_title.text_content()
        page.get_by_role("link", name="Previous week").click()
        expect(week_title).not_to_have_text(seen)
        page.get_by_role("link", name="Next week").click()
        expect(week_title).to_have_text(seen)
        tuesday = day_section(page, next_week + timedelta(days=1))
        expect(tuesday.locator(".cell-free")).to_have_count(3)
        assert 304 in statuses, statuses
        page.context.close()
    finally:
        request_finished.disconnect(note, app)


def test_a_link_to_book_opens_the_dialog_in_place(browser, live_server, app, next_week):
    """The links to book carry only their href: the grid has htmx fetch them into the
    dialog (data-htmx-links, static/js/tutor.js), as an hx-get on each link did."""
    page = on_next_week(browser, live_server, "alisa", STUDENT_PASSWORD)
    week_url = page.url
    slot = day_section(page, next_week + timedelta(days=1)).locator(".cell-free .slot").first
    assert slot.get_attribute("hx-get") is None
    with page.expect_request(lambda request: "/lessons/new?start=" in request.url) as asked:
        slot.click()
    assert asked.value.headers.get("hx-request") == "true"
    assert asked.value.headers.get("hx-target") == "lesson-dialog"
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Book a lesson")
    assert page.url == week_url  # the grid's hx-push-url="false"
    page.context.close()
