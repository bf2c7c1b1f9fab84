"""A tutor's first steps in Chromium. On a plain install (no keys) registration offers
only notifications in the app, and the teacher lands on the getting-started checklist
with the banner; with e-mail (a Mailgun fake) and Telegram (the fake bot) set up, the
choices appear and the banner goes once the teacher's chat is linked."""
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.site import signed_in
from tests.channels_config import EMAIL
from tests.fake_telegram import (  # noqa: F401 (telegram is a fixture)
    WEBHOOK_SECRET, message_update, telegram,
)
from tutor.models import User
from tutor.services import accounts

pytestmark = pytest.mark.browser
NEW_PASSWORD = "Северное-сияние-2031"


@pytest.fixture
def credentials(app):
    """The teacher `flask db upgrade` creates, with its generated login and password."""
    with app.app_context():
        return accounts.ensure_teacher()


def test_a_plain_install_offers_the_app_and_leads_the_teacher(browser, live_server, app,
                                                              credentials):
    visitor = browser.new_context(locale="en-GB").new_page()
    visitor.goto(live_server + "/register")
    visitor.get_by_role("button", name="English").click()
    choices = visitor.locator("input[name=channel]")
    expect(choices).to_have_count(1)
    in_app = visitor.get_by_label("Only in the app (the bell icon)")
    expect(in_app).to_be_checked()
    expect(visitor.get_by_label("E-mail address")).to_have_count(0)
    expect(visitor.locator("#optout-explanation")).to_be_visible()
    expect(visitor.locator("#optout-explanation")).to_contain_text("reset only by the teacher")
    visitor.context.close()

    page = signed_in(browser, live_server, credentials.login, credentials.password)
    checklist = page.locator("#onboarding")
    expect(checklist).to_be_visible()
    expect(checklist).to_contain_text("0 of 6 done")
    expect(checklist.get_by_role("listitem")).to_have_count(6)
    banner = page.locator("#channel-banner")
    expect(banner).to_contain_text("You get notifications only in the app")

    # The first step links to the password form; doing it ticks the step.
    checklist.get_by_role("link", name="Change the generated password").click()
    expect(page).to_have_url(re.compile(r"/account#password-heading$"))
    expect(page.locator("#channel-banner")).to_be_visible()  # on every teacher page
    page.get_by_label("Current password").fill(credentials.password)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change the password").click()
    expect(page.locator(".toast-success")).to_contain_text("Your password is changed.")
    page.get_by_role("navigation").get_by_role("link", name="Calendar").click()
    expect(page.locator("#onboarding li[data-step=password]")).to_have_class("done")
    expect(page.locator("#onboarding")).to_contain_text("1 of 6 done")

    # The channel step says how the site gets e-mail or Telegram at all.
    page.locator("#onboarding li[data-step=channel] a").click()
    expect(page.locator("#site-title")).to_be_visible()
    expect(page.locator("main")).to_contain_text("TELEGRAM_BOT_TOKEN")

    # "Hide this list" takes it away for good; the banner stays.
    page.get_by_role("navigation").get_by_role("link", name="Calendar").click()
    page.get_by_role("button", name="Hide this list").click()
    expect(page.locator("#onboarding")).to_have_count(0)
    page.reload()
    expect(page.locator("#onboarding")).to_have_count(0)
    expect(page.locator("#channel-banner")).to_be_visible()


def test_with_e_mail_and_telegram_set_up_the_banner_goes_once_the_chat_is_linked(
        browser, live_server, app, credentials, telegram, httpserver):
    app.config.update(EMAIL, MAILGUN_URL=httpserver.url_for("").rstrip("/"))
    httpserver.expect_request(re.compile(r"^/v3/.+/messages$"), method="POST").respond_with_json(
        {"id": "<queued@mg.example.org>", "message": "Queued. Thank you."})

    visitor = browser.new_context(locale="en-GB").new_page()
    visitor.goto(live_server + "/register")
    visitor.get_by_role("button", name="English").click()
    for label in ("E-mail", "Telegram", "Only in the app (the bell icon)"):
        expect(visitor.get_by_label(label, exact=True)).to_be_visible()
    visitor.context.close()

    page = signed_in(browser, live_server, credentials.login, credentials.password)
    page.locator("#channel-banner").get_by_role("link", name="Choose a channel").click()
    expect(page).to_have_url(re.compile(r"/account#notifications-heading$"))
    page.locator("#notifications-form").get_by_label("Telegram").check()
    page.locator("#notifications-form").get_by_role("button", name="Save").click()
    expect(page.locator(".toast-success")).to_contain_text("Your notification settings are saved.")
    # Telegram is chosen but no chat is linked yet: the banner stays.
    expect(page.locator("#channel-banner")).to_be_visible()

    context = page.context
    context.route("https://t.me/**", lambda route: route.fulfill(body="Telegram"))
    with context.expect_event("response",
                              lambda r: r.url.endswith("/account/telegram/open")) as answer:
        page.get_by_role("button", name="Open the bot").click()
    token = parse_qs(urlsplit(answer.value.headers["location"]).query)["start"][0]
    response = requests.post(
        live_server + "/telegram/webhook", json=message_update(1, f"/start {token}"),
        headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}, timeout=10)
    assert response.status_code == 200
    page.get_by_role("link", name="I have pressed Start").click()
    expect(page.locator("#telegram-link")).to_contain_text("linked")

    page.get_by_role("navigation").get_by_role("link", name="Calendar").click()
    expect(page.locator("#week")).to_be_visible()
    expect(page.locator("#channel-banner")).to_have_count(0)
    expect(page.locator("#onboarding li[data-step=channel]")).to_have_class("done")
    with app.app_context():
        teacher = User.first_teacher()
        assert teacher.channel == User.TELEGRAM and teacher.telegram_chat_id
