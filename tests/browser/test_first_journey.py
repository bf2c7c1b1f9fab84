"""The first journey in a real browser: the start page in Russian, English on
request, the teacher logs in and out."""
import pytest
from playwright.sync_api import expect

from tests.browser.keyboard import wait_until_modal
from tests.conftest import TEACHER_PASSWORD

pytestmark = pytest.mark.browser


def test_start_page_language_switch_login_logout(page, live_server, teacher):
    page.goto(live_server + "/")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.get_by_role("link", name="Календарь")).to_be_visible()

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("link", name="Calendar")).to_be_visible()
    expect(page.get_by_text("Times are shown in the Moscow (UTC+3) time zone.")).to_be_visible()
    expect(page.get_by_role("button", name="English")).to_have_attribute("aria-pressed", "true")

    page.get_by_role("navigation").get_by_role("link", name="Log in").click()
    page.get_by_label("Login").fill("teacher")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    notice = page.get_by_role("alertdialog", name="Could not log in")
    expect(notice).to_contain_text("Wrong login or password.")
    # Escape closes it once the script has made it modal.
    wait_until_modal(page, "dialog.login-failed")
    expect(notice.get_by_role("button", name="OK")).to_be_focused()
    page.keyboard.press("Escape")
    expect(notice).to_be_hidden()

    page.get_by_label("Password").fill(TEACHER_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Availability")).to_be_visible()
    expect(page.locator(".toast-success")).to_contain_text("You are logged in.")
    expect(page.get_by_text("Анна Петрова")).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("navigation").get_by_role("link", name="Log in")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_toasts_can_be_closed(page, live_server, teacher):
    page.goto(live_server + "/login")
    page.get_by_label("Логин").fill("teacher")
    page.get_by_label("Пароль").fill(TEACHER_PASSWORD)
    page.get_by_label("Пароль").press("Enter")
    toast = page.locator(".toast-success")
    expect(toast).to_be_visible()
    toast.get_by_role("button", name="Закрыть").click()
    expect(toast).to_have_count(0)


def test_phone_width_does_not_scroll_sideways(browser, live_server, teacher):
    context = browser.new_context(viewport={"width": 375, "height": 812})
    phone = context.new_page()
    for path in ["/", "/login"]:
        phone.goto(live_server + path)
        overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} overflows by {overflow}px at 375px"
    context.close()
