"""A fake Telegram Bot API on pytest-httpserver: the methods the bot calls, with the
request and answer formats of https://core.telegram.org/bots/api (getUpdates with
offset confirmation, 409 while a webhook is set, Message objects for sendMessage)."""
import json
import itertools

import pytest
from werkzeug import Response

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
BOT_NAME = "tutor_test_bot"
WEBHOOK_SECRET = "s3cret-Webhook_token"
BOT = {"id": 123456789, "is_bot": True, "first_name": "Репетитор", "username": BOT_NAME}
DATE = 1780304400  # any Unix time: the bot does not read it


def _json(payload, status=200):
    return Response(json.dumps(payload), status=status, content_type="application/json")


def _error(code, description):
    return _json({"ok": False, "error_code": code, "description": description}, status=code)


class FakeTelegram:
    def __init__(self, httpserver, token=TOKEN):
        self.url = httpserver.url_for("").rstrip("/")
        self.updates = []  # not yet confirmed by an offset
        self.sent = []  # sendMessage bodies, as sent
        self.polls = []  # getUpdates bodies
        self.webhook = None  # the setWebhook body while one is set
        self.message_ids = itertools.count(100)
        for method in ("sendMessage", "getUpdates", "setWebhook", "deleteWebhook"):
            httpserver.expect_request(f"/bot{token}/{method}", method="POST") \
                .respond_with_handler(getattr(self, f"_{method}"))

    def texts(self, chat_id=None):
        return [body["text"] for body in self.sent
                if chat_id is None or body["chat_id"] == chat_id]

    def _sendMessage(self, request):
        body = request.get_json()
        if not body.get("text", "").strip():
            return _error(400, "Bad Request: message text is empty")
        if len(body["text"]) > 4096:
            return _error(400, "Bad Request: message is too long")
        self.sent.append(body)
        chat = {"id": int(body["chat_id"]), "type": "private", "first_name": "Мария"}
        return _json({"ok": True, "result": {"message_id": next(self.message_ids), "from": BOT,
                                             "chat": chat, "date": DATE,
                                             "text": body["text"]}})

    def _getUpdates(self, request):
        body = request.get_json()
        self.polls.append(body)
        if self.webhook is not None:
            return _error(409, "Conflict: can't use getUpdates method while webhook is active; "
                               "use deleteWebhook to delete the webhook first")
        offset = body.get("offset")
        if offset is not None:  # confirms every update below it
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        return _json({"ok": True, "result": list(self.updates)})

    def _setWebhook(self, request):
        body = request.get_json()
        if not body.get("url", "").startswith("https://"):
            return _error(400, "Bad Request: bad webhook: An HTTPS URL must be provided for "
                               "webhook")
        self.webhook = body
        return _json({"ok": True, "result": True, "description": "Webhook was set"})

    def _deleteWebhook(self, request):
        self.webhook = None
        return _json({"ok": True, "result": True, "description": "Webhook was deleted"})


def message_update(update_id, text, chat_id=555000111, username="Maria_TG",
                   language_code="ru", first_name="Мария", chat_type="private"):
    """An Update carrying a text message, as Telegram sends it."""
    sender = {"id": chat_id, "is_bot": False, "first_name": first_name,
              "language_code": language_code}
    if username:
        sender["username"] = username
    chat = {"id": chat_id, "type": chat_type, "first_name": first_name}
    if username:
        chat["username"] = username
    message = {"message_id": update_id % 10_000, "from": sender, "chat": chat, "date": DATE,
               "text": text}
    if text.startswith("/"):
        message["entities"] = [{"offset": 0, "length": len(text.split()[0]),
                                "type": "bot_command"}]
    return {"update_id": update_id, "message": message}


@pytest.fixture
def telegram(app, httpserver):
    """The app's bot configured against the fake Bot API."""
    fake = FakeTelegram(httpserver)
    app.config.update(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_BOT_NAME=BOT_NAME,
                      TELEGRAM_API_URL=fake.url, TELEGRAM_WEBHOOK_SECRET=WEBHOOK_SECRET)
    return fake
