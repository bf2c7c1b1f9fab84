"""A fake Telegram Bot API on pytest-httpserver: the methods the bot calls, with the
request and answer formats of https://core.telegram.org/bots/api and
../shared/EXTERNAL-APIS.md: getUpdates with offset confirmation and both kinds of 409
(a webhook is set; another getUpdates is running), sendMessage and sendDocument parsing
HTML as Telegram does (only its tags; an unescaped `<` or `&` is refused with Telegram's
own 400 description) and counting the parsed text in UTF-16 units against the
4096/1024 limits, 401 for a token it does not know, 403 for a chat that blocked the bot
or a deleted user, 400 for an unknown chat. Inline keyboards are checked as Telegram
checks them (callback_data of 1-64 bytes, http(s) URLs); `press()` makes the
callback_query update a tap on a button of a sent message delivers, and
answerCallbackQuery, editMessageText and editMessageReplyMarkup answer as Telegram
does (an unknown or already answered query, a message not found, "message is not
modified")."""
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
QUERY_INVALID = ("Bad Request: query is too old and response timeout expired or query ID "
                 "is invalid")
NOT_MODIFIED = ("Bad Request: message is not modified: specified new message content and "
                "reply markup are exactly the same as a current content and reply markup "
                "of the message")


def _json(payload, status=200):
    return Response(json.dumps(payload), status=status, content_type="application/json")


def _error(code, description):
    return _json({"ok": False, "error_code": code, "description": description}, status=code)


def markup_refusal(markup):
    """Telegram's 400 description for a reply_markup it refuses, or None."""
    if markup is None:
        return None
    rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        return "Bad Request: can't parse reply keyboard markup JSON object"
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not button.get("text"):
                return "Bad Request: can't parse inline keyboard button: Text buttons are " \
                       "unallowed in the inline keyboard"
            if "callback_data" in button:
                if not 1 <= len(str(button["callback_data"]).encode()) <= 64:
                    return "Bad Request: BUTTON_DATA_INVALID"
            elif "url" in button:
                if not re.match(r"https?://[^\s/]+", str(button["url"])):
                    return (f"Bad Request: inline keyboard button URL '{button['url']}' is "
                            "invalid: Wrong HTTP URL")
            else:
                return "Bad Request: can't parse inline keyboard button: Field \"url\" " \
                       "must be of type String"
    return None


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


def _shown_text(body, too_long):
    """(the text a sendMessage/editMessageText `body` shows, None), or (None, the 400
    Telegram answers: bad HTML, empty, or `too_long`, which the two word differently)."""
    text = body.get("text", "")
    if body.get("parse_mode") == "HTML":
        try:
            text = parse_html(text)
        except EntityError as error:
            return None, _error(400, str(error))
    text = text.strip()
    if not text:
        return None, _error(400, "Bad Request: message text is empty")
    if utf16_length(text) > TEXT_LIMIT:
        return None, _error(400, too_long)
    return text, None


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
        # What each chat shows: (chat_id str, message_id) -> {"text", "reply_markup"}.
        self.messages = {}
        self.queries = {}  # callback_query ids delivered -> answered yet
        self.answers = []  # answerCallbackQuery bodies
        self.edits = []  # editMessageText / editMessageReplyMarkup bodies
        self.update_ids = itertools.count(90_000)
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
        message_id = next(self.message_ids)
        if "text" in fields:
            self.messages[(str(chat_id), message_id)] = {
                "text": fields["text"], "reply_markup": fields.get("reply_markup")}
        return _json({"ok": True, "result": {"message_id": message_id, "from": BOT,
                                             "chat": chat, "date": DATE, **fields}})

    def message_with_buttons(self, chat_id):
        """The newest message shown in the chat that has an inline keyboard:
        (message_id, shown)."""
        found = [(key[1], shown) for key, shown in self.messages.items()
                 if key[0] == str(chat_id) and shown["reply_markup"]]
        return found[-1]

    def buttons(self, chat_id, message_id):
        shown = self.messages[(str(chat_id), message_id)]
        markup = shown["reply_markup"] or {"inline_keyboard": []}
        return [button for row in markup["inline_keyboard"] for button in row]

    def press(self, chat_id, message_id, data, from_id=None, username="Maria_TG"):
        """The callback_query update Telegram delivers when the user `from_id` taps
        the button carrying `data` under the message `message_id` of `chat_id`."""
        query_id = str(4_000_000_000_000_000 + len(self.queries))
        self.queries[query_id] = False
        sender = {"id": from_id or chat_id, "is_bot": False, "first_name": "Мария",
                  "language_code": "ru", "username": username}
        shown = self.messages.get((str(chat_id), message_id), {})
        message = {"message_id": message_id, "from": BOT, "date": DATE,
                   "chat": {"id": chat_id, "type": "private", "first_name": "Мария"},
                   "text": shown.get("text", "")}
        if shown.get("reply_markup"):
            message["reply_markup"] = shown["reply_markup"]
        return {"update_id": next(self.update_ids),
                "callback_query": {"id": query_id, "from": sender, "message": message,
                                   "chat_instance": "-5544332211", "data": data}}

    def _sendMessage(self, request):
        body = request.get_json()
        refusal = self._chat_refusal(body.get("chat_id", ""))
        if refusal:
            return refusal
        text, refusal = _shown_text(body, "Bad Request: message is too long")
        if refusal:
            return refusal
        refusal = markup_refusal(body.get("reply_markup"))
        if refusal:
            return _error(400, refusal)
        self.sent.append(body)
        if body.get("reply_markup"):
            return self._message(body["chat_id"], text=text, reply_markup=body["reply_markup"])
        return self._message(body["chat_id"], text=text)

    def _answerCallbackQuery(self, request):
        body = request.get_json()
        query_id = str(body.get("callback_query_id", ""))
        if self.queries.get(query_id, True):  # unknown, or answered already
            return _error(400, QUERY_INVALID)
        if len(body.get("text", "")) > 200:
            return _error(400, "Bad Request: MESSAGE_TOO_LONG")
        self.queries[query_id] = True
        self.answers.append(body)
        return _json({"ok": True, "result": True})

    def _edit(self, body, text=None):
        key = (str(body.get("chat_id", "")), body.get("message_id"))
        shown = self.messages.get(key)
        if shown is None:
            return _error(400, "Bad Request: message to edit not found")
        refusal = markup_refusal(body.get("reply_markup"))
        if refusal:
            return _error(400, refusal)
        new = {"text": shown["text"] if text is None else text,
               "reply_markup": body.get("reply_markup")}
        if new == shown:
            return _error(400, NOT_MODIFIED)
        self.messages[key] = new
        self.edits.append(body)
        chat = {"id": int(key[0]), "type": "private", "first_name": "Мария"}
        result = {"message_id": key[1], "from": BOT, "chat": chat, "date": DATE,
                  "edit_date": DATE + 1, "text": new["text"]}
        if new["reply_markup"]:
            result["reply_markup"] = new["reply_markup"]
        return _json({"ok": True, "result": result})

    def _editMessageText(self, request):
        body = request.get_json()
        text, refusal = _shown_text(body, "Bad Request: MESSAGE_TOO_LONG")
        if refusal:
            return refusal
        return self._edit(body, text)

    def _editMessageReplyMarkup(self, request):
        return self._edit(request.get_json())

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
