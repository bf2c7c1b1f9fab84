"""Linking Telegram in Chromium: register with Telegram, get the bot's deep link,
press Start (the bot's update arrives through the webhook as Telegram would send
it), and the page shows the chat linked."""
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from playwright.sync_api import expect

from tests.fake_telegram import (  # noqa: F401 (telegram is a fixture)
    BOT_NAME, WEBHOOK_SECRET, message_update, telegram,
)
from tutor.models import Message, User
from tutor.services import delivery

pytestmark = pytest.mark.browser
PASSWORD = "Ледокол-Красин-1917"
CHAT = 555000111


def test_register_with_telegram_link_the_chat_and_see_it_on_the_profile(
        browser, live_server, app, teacher, telegram):
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.goto(live_server + "/register")
    page.get_by_role("button", name="English").click()
    page.get_by_label("First name").fill("Мария")
    page.get_by_label("Last name").fill("Смирнова")
    page.get_by_label("Login").fill("maria.s")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Telegram").check()
    expect(page.get_by_label("E-mail address")).to_be_hidden()
    page.get_by_role("button", name="Register").click()

    # The account exists; the next step is linking the chat.
    created = page.get_by_role("dialog")
    expect(created).to_contain_text("Your account has been created.")
    created.get_by_role("button", name="OK").click()
    expect(page.get_by_role("heading", name="Link Telegram")).to_be_visible()
    # "Open the bot" sends a new tab to Telegram (stood in for here: no network).
    context.route("https://t.me/**", lambda route: route.fulfill(body="Telegram"))
    with context.expect_event("response", lambda r: r.url.endswith("/account/telegram/open")) \
            as answer:
        page.get_by_role("button", name="Open the bot").click()
    deep_link = answer.value.headers["location"]
    assert re.match(rf"^https://t\.me/{BOT_NAME}\?start=[A-Za-z0-9_-]{{20,64}}$", deep_link)
    token = parse_qs(urlsplit(deep_link).query)["start"][0]

    # In Telegram, "Start" sends "/start <token>"; Telegram posts it to the webhook.
    response = requests.post(
        live_server + "/telegram/webhook", json=message_update(1, f"/start {token}"),
        headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}, timeout=10)
    assert response.status_code == 200
    assert telegram.texts(CHAT)[0].startswith("Done! This chat is now linked to your account "
                                             "maria.s.")

    # Back on the site, the check swaps in the linked state.
    page.get_by_role("link", name="I have pressed Start").click()
    expect(page.locator("#telegram-link")).to_contain_text("Telegram: linked as @maria_tg.")
    expect(page.get_by_role("button", name="Open the bot")).to_have_count(0)

    # The profile shows it too, with Telegram as the channel.
    page.get_by_role("link", name="Мария Смирнова").click()
    expect(page.locator("#telegram-link")).to_contain_text("Telegram: linked as @maria_tg.")
    expect(page.get_by_label("Telegram")).to_be_checked()
    expect(page.get_by_role("button", name="Unlink Telegram")).to_be_visible()

    # The welcome message, held until now, goes to the chat.
    with app.app_context():
        assert delivery.deliver_due().sent == 1
        user = User.by_login("maria.s")
        assert Message.get(Message.user == user).status == Message.SENT
    assert telegram.sent[-1]["chat_id"] == str(CHAT)
    assert telegram.sent[-1]["text"].startswith("<b>Your account has been created</b>")

    # Unlinking brings the link step back.
    page.get_by_role("button", name="Unlink Telegram").click()
    expect(page.locator(".toast-success")).to_contain_text("Telegram is unlinked.")
    expect(page.get_by_role("button", name="Open the bot")).to_be_visible()
    context.close()
