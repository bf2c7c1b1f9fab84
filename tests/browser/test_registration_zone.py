"""Registration suggests the browser's own time zone, under the name the list offers
(Chromium still reports India as Asia/Calcutta); without JavaScript the server's
default stays. Zones read as people name them, in the page's language."""
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("browser_zone, offered, shown", [
    ("Asia/Kolkata", "Asia/Kolkata", "Калькутта (UTC+5:30)"),
    ("Europe/Berlin", "Europe/Berlin", "Берлин (UTC+"),
    ("Asia/Yekaterinburg", "Asia/Yekaterinburg", "Екатеринбург (UTC+5)"),
])
def test_the_browsers_zone_is_suggested(browser, live_server, app, browser_zone, offered,
                                        shown):
    page = browser.new_context(timezone_id=browser_zone).new_page()
    page.goto(live_server + "/register")
    zone = page.locator("#register-form select[name=timezone]")
    expect(zone).to_have_value(offered)
    expect(zone.locator("option:checked")).to_contain_text(shown)


def test_without_javascript_the_default_zone_stays(browser, live_server, app):
    page = browser.new_context(timezone_id="Asia/Tokyo", java_script_enabled=False).new_page()
    page.goto(live_server + "/register")
    zone = page.locator("#register-form select[name=timezone]")
    expect(zone).to_have_value("Europe/Moscow")
    expect(zone.locator("option:checked")).to_have_text("Москва (UTC+3)")
