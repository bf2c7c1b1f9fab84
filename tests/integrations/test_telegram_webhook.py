"""Updates reaching the bot: the webhook (secret header, no CSRF, no login) and long
polling with `flask telegram-poll`, plus `flask telegram-webhook`, all against the
fake Bot API."""
from urllib.parse import parse_qs, urlsplit

import pytest

from tutor.models import TelegramUpdate, User
from tutor.services import outbox_backends, telegram_bot

from tests.fake_telegram import (  # noqa: F401 (telegram is a fixture)
    WEBHOOK_SECRET, message_update, telegram,
)

CHAT = 555000111
HEADER = "X-Telegram-Bot-Api-Secret-Token"


@pytest.fixture
def link_token(app, create_student):
    """Maria chose Telegram; her deep link's token."""
    maria = create_student(login="maria", channel=User.TELEGRAM, locale="en")
    with app.app_context():
        link = telegram_bot.make_link(maria)
    return parse_qs(urlsplit(link).query)["start"][0]


def chat_of(app, login):
    with app.app_context():
        return User.by_login(login).telegram_chat_id


def handled(app):
    with app.app_context():
        return TelegramUpdate.select().count()


def post_update(client, update, secret=WEBHOOK_SECRET, **kwargs):
    headers = {HEADER: secret} if secret is not None else {}
    return client.post("/telegram/webhook", json=update, headers=headers, **kwargs)


# --- the webhook -----------------------------------------------------------------------

def test_the_webhook_links_a_chat_with_the_right_secret(client, app, telegram, link_token):
    # No session, no CSRF token: Telegram has neither.
    response = post_update(client, message_update(10, f"/start {link_token}"))
    assert response.status_code == 200
    assert chat_of(app, "maria") == str(CHAT)
    assert telegram.sent == [{
        "chat_id": CHAT,
        "text": "Done! This chat is now linked to your account maria.\n\n"
                "Your notifications will come here.\n\n"
                "Commands:\n/today — your lessons today\n/week — your lessons in the next 7 "
                "days\n/pending — lessons awaiting confirmation\n/stop — turn Telegram "
                "notifications off",
        "parse_mode": "HTML",
        "link_preview_options": {"is_disabled": True},
    }]


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", WEBHOOK_SECRET + "x",
                                    WEBHOOK_SECRET[:-1]])
def test_the_webhook_refuses_a_missing_or_wrong_secret(client, app, telegram, link_token,
                                                       secret):
    response = post_update(client, message_update(10, f"/start {link_token}"), secret=secret)
    assert response.status_code == 403
    assert chat_of(app, "maria") is None
    assert handled(app) == 0 and telegram.sent == []


def test_the_webhook_refuses_everything_when_no_secret_is_configured(client, app, telegram,
                                                                     link_token):
    app.config["TELEGRAM_WEBHOOK_SECRET"] = ""
    assert post_update(client, message_update(10, "/start"), secret="").status_code == 403
    assert handled(app) == 0


def test_no_webhook_without_a_bot(client, app):
    assert app.config["TELEGRAM_BOT_TOKEN"] == ""
    response = client.post("/telegram/webhook", json=message_update(10, "/start"),
                           headers={HEADER: "anything"})
    assert response.status_code == 404


def test_a_redelivered_update_is_handled_once(client, app, telegram, link_token):
    update = message_update(10, f"/start {link_token}")
    assert post_update(client, update).status_code == 200
    assert post_update(client, update).status_code == 200  # Telegram retries: still OK
    assert len(telegram.sent) == 1 and handled(app) == 1


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"message": {}}',
                                  b'{"update_id": "10"}'])
def test_the_webhook_refuses_what_is_not_an_update(client, app, telegram, body):
    response = client.post("/telegram/webhook", data=body, content_type="application/json",
                           headers={HEADER: WEBHOOK_SECRET})
    assert response.status_code == 400
    assert handled(app) == 0


def test_the_webhook_only_takes_posts(client, telegram):
    assert client.get("/telegram/webhook", headers={HEADER: WEBHOOK_SECRET}).status_code == 405


def test_an_unknown_chat_through_the_webhook(client, app, telegram):
    assert post_update(client, message_update(11, "/today", language_code="en")).status_code \
        == 200
    assert telegram.texts(CHAT)[0].startswith("This chat is not linked to an account yet.")


# --- telegram-poll ---------------------------------------------------------------------

def test_poll_once_handles_the_waiting_updates_and_confirms_them(runner, app, telegram,
                                                                 link_token):
    telegram.updates = [message_update(500, f"/start {link_token}"),
                        message_update(501, "/today")]
    result = runner.invoke(args=["telegram-poll", "--once", "--timeout", "3"])
    assert result.exit_code == 0, result.output
    assert "2 update(s) handled." in result.output
    assert chat_of(app, "maria") == str(CHAT)
    assert telegram.texts(CHAT)[0].startswith("Done!")
    assert telegram.texts(CHAT)[1].startswith("No lessons today")
    # The first request asks for all unconfirmed updates; the second confirms them.
    assert telegram.polls == [
        {"timeout": 3, "allowed_updates": ["message", "callback_query"]},
        {"timeout": 0, "offset": 502, "allowed_updates": ["message", "callback_query"]},
    ]
    assert telegram.updates == []

    # Nothing new: nothing handled, nothing confirmed.
    result = runner.invoke(args=["telegram-poll", "--once", "--timeout", "0"])
    assert "0 update(s) handled." in result.output
    assert telegram.polls[2:] == [{"timeout": 0, "allowed_updates": ["message", "callback_query"]}]
    assert len(telegram.sent) == 2


def test_an_overlapping_poll_does_not_handle_an_update_twice(app_ctx, telegram, link_token):
    bot = outbox_backends.bot()
    telegram.updates = [message_update(600, f"/start {link_token}")]
    # Two pollers (or a restart before the offset was confirmed) see the same update.
    assert telegram_bot.poll(bot, None, 0) == (601, 1)
    assert telegram_bot.poll(bot, None, 0) == (601, 1)
    assert len(telegram.sent) == 1
    assert telegram_bot.poll(bot, 601, 0) == (601, 0)


def test_an_update_that_breaks_the_handler_does_not_stop_polling(app_ctx, telegram):
    bot = outbox_backends.bot()
    telegram.updates = [{"update_id": 700, "message": {"chat": {"id": CHAT, "type": "private"},
                                                       "from": {"id": CHAT}, "text": 7}},
                        "garbage",
                        message_update(701, "/start", language_code="en")]
    assert telegram_bot.poll(bot, None, 0) == (702, 3)
    assert telegram.texts(CHAT) and telegram.texts(CHAT)[-1].startswith("Hello!")


def test_polling_is_refused_while_a_webhook_is_set(runner, telegram):
    telegram.webhook = {"url": "https://tutor.example.com/telegram/webhook"}
    result = runner.invoke(args=["telegram-poll", "--once"])
    assert result.exit_code == 1
    assert "Telegram refuses getUpdates while a webhook is set" in result.output
    assert "telegram-webhook --delete" in result.output


def test_poll_needs_a_bot(runner):
    result = runner.invoke(args=["telegram-poll", "--once"])
    assert result.exit_code == 1 and "TELEGRAM_BOT_TOKEN is not set" in result.output


# --- telegram-webhook ------------------------------------------------------------------

def test_setting_and_deleting_the_webhook(runner, telegram):
    url = "https://tutor.example.com/telegram/webhook"
    result = runner.invoke(args=["telegram-webhook", url])
    assert result.exit_code == 0, result.output
    assert telegram.webhook == {"url": url, "secret_token": WEBHOOK_SECRET,
                                "allowed_updates": ["message", "callback_query"]}
    assert "telegram-poll is refused" in result.output

    result = runner.invoke(args=["telegram-webhook", "--delete"])
    assert result.exit_code == 0, result.output
    assert telegram.webhook is None


@pytest.mark.parametrize("args, secret, message", [
    ([], WEBHOOK_SECRET, "Give the webhook's URL, or --delete."),
    (["http://tutor.example.com/telegram/webhook"], WEBHOOK_SECRET, "only to https://"),
    (["https://tutor.example.com/telegram/webhook"], "", "TELEGRAM_WEBHOOK_SECRET must be set"),
    (["https://tutor.example.com/telegram/webhook"], "has spaces in it",
     "TELEGRAM_WEBHOOK_SECRET must be set"),
])
def test_the_webhook_command_refuses_bad_settings(runner, app, telegram, args, secret, message):
    app.config["TELEGRAM_WEBHOOK_SECRET"] = secret
    result = runner.invoke(args=["telegram-webhook", *args])
    assert result.exit_code != 0 and message in result.output
    assert telegram.webhook is None
