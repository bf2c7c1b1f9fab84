"""Days off in words a tutor reads without thinking, in Chromium. On a new install's
defaults (Russian, nothing configured) the notice of last month's days off removed
reads "9–12 ноября", "16 ноября, весь день" in the inbox, not two full moments with
zones. A teacher reading in another zone (travelling, in English) sees a day off
cut at their own midnights, each piece saying which whole days it is at home."""
from datetime import date, datetime, time, timezone

import pytest
from playwright.sync_api import expect

from tests.browser.site import signed_in
from tests.conftest import TEACHER_PASSWORD
from tutor.models import UnavailableInterval, User
from tutor.services import calendar, housekeeping, schedule

pytestmark = pytest.mark.browser

NOW = datetime(2026, 12, 2, 6, 0, tzinfo=timezone.utc)  # Wednesday 09:00 in Moscow


@pytest.fixture
def teacher_at_home(app, teacher, time_machine):
    time_machine.move_to(NOW, tick=True)
    with app.app_context():
        schedule.set_windows(teacher, [(day, time(9), time(18)) for day in range(7)])
    assert not app.config["TELEGRAM_BOT_TOKEN"] and app.config["EMAIL_BACKEND"] == "console"
    return teacher


def test_the_days_off_removed_read_as_days(browser, live_server, app, teacher_at_home):
    with app.app_context():
        for first, last in [(date(2026, 11, 9), date(2026, 11, 12)),
                            (date(2026, 11, 16), date(2026, 11, 16))]:
            start, end = calendar.range_to_utc(first, None, last, None, "Europe/Moscow")
            UnavailableInterval.create(teacher=teacher_at_home, start=start, end=end)
        assert housekeeping.remove_old_days_off(NOW)["removed"] == 2

    page = browser.new_context(timezone_id="Europe/Moscow").new_page()
    page.goto(live_server + "/")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    page.get_by_role("navigation").get_by_role("link", name="Войти").click()
    page.locator("#login").fill("teacher")
    page.locator("#password").fill(TEACHER_PASSWORD)
    page.locator("#login-form button[type=submit]").click()
    page.goto(live_server + "/inbox")
    body = page.locator(".inbox-body").first
    expect(body).to_contain_text("- 9–12 ноября")
    expect(body).to_contain_text("- 16 ноября, весь день")
    expect(body).not_to_contain_text("00:00")
    expect(body).not_to_contain_text("UTC")


def test_a_day_off_seen_from_another_zone_says_it_is_a_whole_day_at_home(
        browser, live_server, app, teacher_at_home):
    with app.app_context():
        schedule.add_unavailable_days(teacher_at_home, date(2026, 12, 9), date(2026, 12, 9),
                                      reason="Конференция", seen_lessons=())
        User.update(timezone="Europe/London").where(User.id == teacher_at_home.id).execute()
    page = signed_in(browser, live_server, "teacher", TEACHER_PASSWORD,
                     timezone_id="Europe/London")
    page.goto(f"{live_server}/?week=2026-12-07")
    pieces = page.locator(".cell-unavailable")
    expect(pieces).to_have_count(2)  # 8 December 21:00-24:00 and 9 December 00:00-21:00
    expect(pieces.nth(0).locator(".time")).to_have_text("21:00–24:00")
    expect(pieces.nth(1).locator(".time")).to_have_text("00:00–21:00")
    for n in range(2):
        expect(pieces.nth(n)).to_contain_text("9 December, all day (Moscow, UTC+3)")
        expect(pieces.nth(n)).to_contain_text("Конференция")

    # At home the same day is one whole day, without a note.
    with app.app_context():
        User.update(timezone=None).where(User.id == teacher_at_home.id).execute()
    page.reload()
    expect(pieces).to_have_count(1)
    expect(pieces.first.locator(".time")).to_have_text("All day")
    expect(pieces.first).not_to_contain_text("Moscow")
