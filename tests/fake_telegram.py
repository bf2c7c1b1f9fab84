"""A fake Telegram Bot API on pytest-httpserver: the methods the bot calls, with the
request and answer formats of https://core.telegram.org/bots/api and
../shared/EXTERNAL-APIS.md: getUpdates with offset confirmation and both kinds of 409
(a webhook is set; another getUpdates is running), sendMessage and sendDocument parsing
HTML as Telegram does (only its tags; an unescaped `<` or `&` is refused with Telegram's
own 400 description) and counting the parsed text in UTF-16 units against the
4096/1024 limits, 401 for a token it does not know, 403 for a chat that blocked the bot
or a deleted user, 400 for an unknown chat."""
import itertools
import json
import re
import threading

import pytest
from werkzeug import Response

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
BOT_NAME = "tutor_test_bot"
WEBHOOK_SECRET = "s3cret-Webhook_token"
BOT = {"id": 123456789, "is_bot": True, "first_name": "Репетитор", "username": BOT_NAME}
DATE = 1780304400  # any Unix time: the bot does not read it
TEXT_LIMIT, CAPTION_LIMIT = 4096, 1024  # UTF-16 code units of the parsed text
# The tags of Telegram's HTML parse mode (https://core.telegram.org/bots/api#html-style).
TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler",
        "a", "code", "pre", "blockquote", "tg-emoji"}
NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
BLOCKED = "Forbidden: bot was blocked by the user"
DEACTIVATED = "Forbidden: user is deactivated"
CONFLICT_WEBHOOK = ("Conflict: can't use getUpdates method while webhook is active; "
                    "use deleteWebhook to delete the webhook first")
CONFLICT_POLLER = ("Conflict: terminated by other getUpdates request; make sure that only "
                   "one bot instance is running")


def _json(payload, status=200):
    return Response(json.dumps(payload), status=status, content_type="application/json")


def _error(code, description):
    return _json({"ok": False, "error_code": code, "description": description}, status=code)


class EntityError(ValueError):
    """Telegram's "can't parse entities" refusal; the message is its description."""


def parse_html(text):
    """The text Telegram shows for `text` in HTML parse mode, or EntityError with the
    description Telegram gives. Offsets are in bytes of the UTF-8 text, as Telegram's."""
    def offset(index):
        return len(text[:index].encode())

    def refuse(reason):
        raise EntityError(f"Bad Request: can't parse entities: {reason}")

    shown, open_tags, index = [], [], 0
    while index < len(text):
        char = text[index]
        if char == "<":
            end = text.find(">", index)
            if text.startswith("</", index):
                name = text[index + 2:end if end >= 0 else len(text)].strip().lower()
                if end < 0 or not open_tags or open_tags[-1] != name:
                    refuse(f"Unexpected end tag at byte offset {offset(index)}")
                open_tags.pop()
            else:
                name = re.match(r"[A-Za-z0-9-]*", text[index + 1:]).group().lower()
                if name not in TAGS:
                    refuse(f'Unsupported start tag "{name}" at byte offset {offset(index)}')
                if end < 0:
                    refuse(f"Unclosed start tag at byte offset {offset(index)}")
                if name == "span" and 'class="tg-spoiler"' not in text[index:end]:
                    refuse(f'Tag "span" must have class "tg-spoiler" at byte offset '
                           f"{offset(index)}")
                open_tags.append(name)
            index = end + 1
        elif char == "&":
            entity = re.match(r"&(#[0-9]+|#x[0-9A-Fa-f]+|[A-Za-z]+);", text[index:])
            if entity is None:
                refuse(f"Can't find end of the entity starting at byte offset {offset(index)}")
            name = entity.group(1)
            if name.startswith("#x"):
                shown.append(chr(int(name[2:], 16)))
            elif name.startswith("#"):
                shown.append(chr(int(name[1:])))
            else:
                shown.append(NAMED_ENTITIES.get(name, entity.group()))
            index += len(entity.group())
        else:
            shown.append(char)
            index += 1
    if open_tags:
        refuse(f'Can\'t find end tag corresponding to start tag "{open_tags[-1]}"')
    return "".join(shown)


def utf16_length(text):
    return len(text.encode("utf-16-le")) // 2


class FakeTelegram:
    def __init__(self, httpserver, token=TOKEN):
        self.url = httpserver.url_for("").rstrip("/")
        self.token = token  # the one it knows; any other gets 401 Unauthorized
        self.updates = []  # not yet confirmed by an offset
        self.sent = []  # sendMessage bodies, as sent
        self.documents = []  # sendDocument: {"chat_id", "filename", "content", "caption"}
        self.polls = []  # getUpdates bodies
        self.webhook = None  # the setWebhook body while one is set
        self.other_poller = False  # another bot instance is polling: 409 to getUpdates
        self.blocked = set()  # chat ids (str) of users who blocked the bot
        self.deactivated = set()  # chat ids of deleted accounts
        self.missing_chats = set()  # chat ids Telegram does not know
        self.outage = 0  # the next this many calls answer 502 Bad Gateway
        self.message_ids = itertools.count(100)
        self.lock = threading.Lock()
        httpserver.expect_request(re.compile(r"^/bot[^/]*/[A-Za-z]+$")) \
            .respond_with_handler(self._dispatch)

    def texts(self, chat_id=None):
        return [body["text"] for body in self.sent
                if chat_id is None or body["chat_id"] == chat_id]

    def _dispatch(self, request):
        token, method = re.match(r"^/bot([^/]*)/([A-Za-z]+)$", request.path).groups()
        with self.lock:
            if self.outage > 0:
                self.outage -= 1
                return Response("<html>502 Bad Gateway</html>", status=502,
                                content_type="text/html")
            if token != self.token:
                return _error(401, "Unauthorized")
            handler = getattr(self, f"_{method}", None)
            if handler is None:
                return _error(404, "Not Found: method not found")
            return handler(request)

    def _chat_refusal(self, chat_id):
        chat_id = str(chat_id)
        if chat_id in self.blocked:
            return _error(403, BLOCKED)
        if chat_id in self.deactivated:
            return _error(403, DEACTIVATED)
        if chat_id in self.missing_chats or not chat_id.lstrip("-").isdigit():
            return _error(400, "Bad Request: chat not found")
        return None

    def _message(self, chat_id, **fields):
        chat = {"id": int(chat_id), "type": "private", "first_name": "Мария"}
        return _json({"ok": True, "result": {"message_id": next(self.message_ids), "from": BOT,
                                             "chat": chat, "date": DATE, **fields}})

    def _sendMessage(self, request):
        body = request.get_json()
        refusal = self._chat_refusal(body.get("chat_id", ""))
        if refusal:
            return refusal
        text = body.get("text", "")
        if body.get("parse_mode") == "HTML":
            try:
                text = parse_html(text)
            except EntityError as error:
                return _error(400, str(error))
        text = text.strip()
        if not text:
            return _error(400, "Bad Request: message text is empty")
        if utf16_length(text) > TEXT_LIMIT:
            return _error(400, "Bad Request: message is too long")
        self.sent.append(body)
        return self._message(body["chat_id"], text=text)

    def _sendDocument(self, request):
        form, upload = request.form, request.files.get("document")
        refusal = self._chat_refusal(form.get("chat_id", ""))
        if refusal:
            return refusal
        if upload is None:
            return _error(400, "Bad Request: there is no document in the request")
        caption = form.get("caption", "")
        if form.get("parse_mode") == "HTML":
            try:
                caption = parse_html(caption)
            except EntityError as error:
                return _error(400, str(error))
        if utf16_length(caption.strip()) > CAPTION_LIMIT:
            return _error(400, "Bad Request: message caption is too long")
        content = upload.read()
        if not content:
            return _error(400, "Bad Request: file must be non-empty")
        self.documents.append({"chat_id": form["chat_id"], "filename": upload.filename,
                               "content": content, "caption": caption.strip()})
        document = {"file_name": upload.filename, "file_size": len(content),
                    "file_id": f"BQACAgIAAxkBAAI{len(self.documents)}",
                    "file_unique_id": f"AgAD{len(self.documents)}"}
        return self._message(form["chat_id"], document=document,
                             **({"caption": caption.strip()} if caption.strip() else {}))

    def _getUpdates(self, request):
        body = request.get_json(silent=True) or {}
        self.polls.append(body)
        if self.webhook is not None:
            return _error(409, CONFLICT_WEBHOOK)
        if self.other_poller:
            return _error(409, CONFLICT_POLLER)
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

    def _getMe(self, request):
        return _json({"ok": True, "result": BOT})


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
