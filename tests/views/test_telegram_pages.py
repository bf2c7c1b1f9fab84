"""The "Link Telegram" step on the site: after registering with Telegram, and on the
profile while Telegram is the channel and no chat is linked; "linked as @name" with
"unlink" once it is."""
import re
from datetime import time

import pytest

from tests.channels_config import EMAIL
from tests.conftest import STUDENT_PASSWORD
from tests.fake_telegram import BOT_NAME, message_update, telegram  # noqa: F401 (fixture)
from tutor.models import Message, TelegramLink, User
from tutor.services import notify

DEEP_LINK = re.compile(rf"^https://t\.me/{BOT_NAME}\?start=([A-Za-z0-9_-]+)$")
OPEN_BOT = 'action="/account/telegram/open"'  # the link step's "Open the bot" form
GOOD_PASSWORD = "Ледокол-Красин-1917"


@pytest.fixture
def maria(create_student):
    return create_student(login="maria", first_name="Мария", last_name="Смирнова",
                          channel=User.TELEGRAM, digest_time=time(8, 0))


@pytest.fixture
def logged_in(client, auth, maria):
    client.submit("/language/en")
    auth.login("maria", STUDENT_PASSWORD)
    return client


def open_bot(client):
    """Press "Open the bot": the POST answers with the way to Telegram. The token."""
    response = client.submit("/account/telegram/open", page="/account")
    assert response.status_code == 302
    return DEEP_LINK.match(response.headers["Location"]).group(1)


def link_chat(app, login, chat_id="555000111", username="maria_tg"):
    with app.app_context():
        User.update(telegram_chat_id=chat_id, telegram_username=username).where(
            User.login == login).execute()


def test_registering_with_telegram_leads_to_the_link_step(client, app, telegram):
    client.submit("/language/en")
    response = client.submit("/register", {
        "first_name": "Мария", "last_name": "Смирнова", "login": "maria.s",
        "password": GOOD_PASSWORD, "channel": "telegram", "digest_time": "07:30",
        "timezone": "Europe/Samara"}, page="/register")
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/telegram"
    page = client.get("/account/telegram").text
    assert "Your account has been created." in page  # the dialog comes along
    assert "Link Telegram" in page and "Open the bot" in page and OPEN_BOT in page
    with app.app_context():
        user = User.by_login("maria.s")
        assert TelegramLink.select().where(TelegramLink.user == user).count() == 0
    open_bot(client)
    with app.app_context():
        assert TelegramLink.select().where(TelegramLink.user == user).count() == 1
        # The welcome message waits for the chat.
        assert Message.get(Message.user == user).address is None


@pytest.mark.config(**EMAIL)
def test_registering_with_e_mail_goes_to_the_calendar(client, telegram):
    response = client.submit("/register", {
        "first_name": "Мария", "last_name": "Смирнова", "login": "maria.s",
        "password": GOOD_PASSWORD, "channel": "email", "email": "maria@example.org",
        "timezone": "Europe/Samara"}, page="/register")
    assert response.headers["Location"] == "/"


def test_the_profile_shows_the_link_step_while_not_linked(logged_in, telegram):
    page = logged_in.get("/account").text
    assert 'id="telegram-link"' in page and OPEN_BOT in page and 'target="_blank"' in page
    assert "I have pressed Start" in page and "The link works once, within 24 hours." in page
    # Each press makes a new link; the old one still works (another tab may show it).
    assert open_bot(logged_in) != open_bot(logged_in)


def test_opening_the_bot_needs_the_csrf_token_and_a_bot(logged_in, app, maria):
    assert logged_in.post("/account/telegram/open").status_code == 400
    response = logged_in.submit("/account/telegram/open", page="/account")
    assert response.headers["Location"] == "/account"
    assert "The Telegram bot is not set up on this site yet." in logged_in.get("/account").text
    with app.app_context():
        assert TelegramLink.select().count() == 0


def test_the_link_step_as_a_page_and_as_a_fragment(logged_in, telegram):
    page = logged_in.get("/account/telegram")
    assert "<html" in page.text and 'id="telegram-link"' in page.text
    fragment = logged_in.get("/account/telegram", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith("<div id=\"telegram-link\"")
    assert "<html" not in fragment.text and "<header" not in fragment.text
    assert 'hx-target="this"' in fragment.text and 'hx-swap="outerHTML"' in fragment.text
    assert "HX-Request" in fragment.headers["Vary"]
    assert OPEN_BOT in fragment.text


def test_the_check_shows_the_chat_linked_through_the_bot(logged_in, app, client, telegram):
    token = open_bot(logged_in)
    # Maria presses Start in Telegram: the update comes through the webhook.
    client.post("/telegram/webhook", json=message_update(1, f"/start {token}"),
                headers={"X-Telegram-Bot-Api-Secret-Token": app.config["TELEGRAM_WEBHOOK_SECRET"]})
    fragment = logged_in.get("/account/telegram", headers={"HX-Request": "true"}).text
    assert "Telegram: linked as @maria_tg." in fragment
    assert "Unlink Telegram" in fragment and OPEN_BOT not in fragment


def test_a_linked_profile_shows_the_username_and_no_link(logged_in, app, telegram):
    link_chat(app, "maria")
    page = logged_in.get("/account").text
    assert "Telegram: linked as @maria_tg." in page
    assert OPEN_BOT not in page
    assert "Notifications do not go to Telegram now" not in page


def test_a_chat_without_a_username(logged_in, app, telegram):
    link_chat(app, "maria", username=None)
    assert "Telegram: linked to your chat." in logged_in.get("/account").text


def test_after_stop_the_profile_shows_notifications_off(logged_in, app, client, telegram):
    link_chat(app, "maria", chat_id="555000111")
    client.post("/telegram/webhook", json=message_update(2, "/stop"),
                headers={"X-Telegram-Bot-Api-Secret-Token": app.config["TELEGRAM_WEBHOOK_SECRET"]})
    page = logged_in.get("/account").text
    assert re.search(r'<input checked[^>]*value="none"', page)
    assert "Notifications do not go to Telegram now" in page
    assert "Telegram: linked as @maria_tg." in page


def test_unlinking(logged_in, app, maria, telegram):
    link_chat(app, "maria")
    with app.app_context():
        waiting = notify.enqueue(User.get_by_id(maria.id), "welcome")
        assert waiting.address == "555000111"
    response = logged_in.submit("/account/telegram/unlink", page="/account")
    assert response.status_code == 302 and response.headers["Location"] == "/account"
    with app.app_context():
        user = User.get_by_id(maria.id)
        assert (user.telegram_chat_id, user.telegram_username, user.channel) == \
            (None, None, User.TELEGRAM)
        # What was not sent yet does not go to the old chat: it waits for the next one.
        waiting = Message.get_by_id(waiting.id)
        assert (waiting.status, waiting.address) == (Message.HELD, None)
        # Recovery by the old username finds nobody now.
        assert User.by_identifier("@maria_tg") is None
    page = logged_in.get("/account").text
    assert "Telegram is unlinked." in page and OPEN_BOT in page


def test_unlinking_with_htmx_reloads_the_profile(logged_in, app, telegram):
    link_chat(app, "maria")
    response = logged_in.post("/account/telegram/unlink", headers={
        "HX-Request": "true", "X-CSRFToken": logged_in.csrf_token("/account")})
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/account"


def test_unlinking_needs_the_csrf_token(logged_in, app):
    link_chat(app, "maria")
    assert logged_in.post("/account/telegram/unlink").status_code == 400
    with app.app_context():
        assert User.by_login("maria").telegram_chat_id == "555000111"


def test_unlinking_needs_a_login(client):
    response = client.submit("/account/telegram/unlink", page="/login")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_e_mail_users_see_no_link_step(client, auth, create_student, telegram):
    create_student(login="eva", channel=User.EMAIL, email="eva@example.org")
    client.submit("/language/en")
    auth.login("eva", STUDENT_PASSWORD)
    page = client.get("/account").text
    assert 'id="telegram-link"' in page and OPEN_BOT not in page
    assert "Link Telegram" not in page


def test_without_a_bot_the_profile_says_so(logged_in):
    page = logged_in.get("/account").text
    assert "The Telegram bot is not set up on this site, so your notifications are shown " \
        "only in the app" in page
    assert "Telegram: not set up on this site, so only in the app for now" in page
    assert OPEN_BOT not in page


def test_the_csp_lets_the_open_bot_form_go_to_telegram_only_with_a_bot(client, app, telegram):
    assert "form-action 'self' https://t.me;" in client.get("/login").headers[
        "Content-Security-Policy"]
    app.config["TELEGRAM_BOT_TOKEN"] = ""
    assert "form-action 'self';" in client.get("/login").headers["Content-Security-Policy"]
