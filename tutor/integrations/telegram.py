"""Telegram Bot API over requests: notifications to a user's chat, and the updates
that link a chat to an account. https://core.telegram.org/bots/api"""
import html
import mimetypes
import re

DEFAULT_BASE_URL = "https://api.telegram.org"
MESSAGE_LIMIT = 4096  # text after entity parsing, in UTF-16 code units
# An entity begun but not ended at the end of the string: a cut there would split it.
ENTITY_START = re.compile(r"&#?[0-9A-Za-z]*$")


class TelegramError(Exception):
    """The Bot API call failed. `permanent`: do not send it again — the chat is gone,
    the bot is blocked, the request is wrong, or Telegram may have done it already.
    `retry_after`: seconds to wait after a flood-control refusal (429).
    `error_code` is Telegram's (or the HTTP status), None when there was no answer."""

    def __init__(self, message, *, permanent, error_code=None, description="",
                 retry_after=None):
        super().__init__(message)
        self.permanent = permanent
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after


class TelegramBot:
    """One bot, identified by its token. Text goes out in Telegram's HTML parse mode:
    build it with telegram_html() and split_message()."""

    def __init__(self, token, *, base_url=DEFAULT_BASE_URL, timeout=10.0, session=None):
        self.token = token
        self.base_url = base_url
        self.timeout = timeout
        self.session = session

    def send_message(self, chat_id, text, *, link_preview=False, reply_markup=None):
        """Send `text` (HTML, at most MESSAGE_LIMIT long), with an inline keyboard
        when `reply_markup` is given, and return the message's id."""
        payload = {"chat_id": chat_id, "text": text, "parse_mode": "HTML"}
        if not link_preview:
            payload["link_preview_options"] = {"is_disabled": True}
        if reply_markup:
            payload["reply_markup"] = reply_markup
        return _message_id(self.call("sendMessage", json=payload), "sendMessage")

    def answer_callback_query(self, callback_query_id, text=""):
        """Answer a button press (Telegram shows `text` as a short notice)."""
        payload = {"callback_query_id": callback_query_id}
        if text:
            payload["text"] = text[:200]
        return self.call("answerCallbackQuery", json=payload)

    def edit_message_text(self, chat_id, message_id, text, *, reply_markup=None):
        """Replace the text (HTML) of a message the bot sent, and its keyboard: none
        unless `reply_markup` is given."""
        payload = {"chat_id": chat_id, "message_id": message_id, "text": text,
                   "parse_mode": "HTML", "link_preview_options": {"is_disabled": True}}
        if reply_markup:
            payload["reply_markup"] = reply_markup
        return self.call("editMessageText", json=payload)

    def send_document(self, chat_id, filename, content, caption=""):
        """Send `content` as a file named `filename`, with an HTML caption (at most
        1024 long), and return the message's id."""
        fields = {"chat_id": str(chat_id)}
        if caption:
            fields.update(caption=caption, parse_mode="HTML")
        content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        files = {"document": (filename, content, content_type)}
        return _message_id(self.call("sendDocument", data=fields, files=files), "sendDocument")

    def get_updates(self, offset=None, timeout=25, allowed_updates=None):
        """Updates after `offset` (the last seen update_id + 1), waiting up to `timeout`
        seconds for one to come (long polling)."""
        payload = {"timeout": timeout}
        if offset is not None:
            payload["offset"] = offset
        if allowed_updates is not None:
            payload["allowed_updates"] = list(allowed_updates)
        # Telegram holds the request open for up to `timeout` seconds before answering.
        updates = self.call("getUpdates", json=payload, timeout=timeout + self.timeout)
        if not isinstance(updates, list):
            raise TelegramError(f"Telegram getUpdates answered with {updates!r}, not a list",
                                permanent=False)
        return updates

    def set_webhook(self, url, secret_token, allowed_updates=None):
        """Have Telegram POST updates to `url` (HTTPS) with `secret_token` in the
        X-Telegram-Bot-Api-Secret-Token header; getUpdates stops working meanwhile."""
        payload = {"url": url, "secret_token": secret_token}
        if allowed_updates is not None:
            payload["allowed_updates"] = list(allowed_updates)
        self.call("setWebhook", json=payload)

    def delete_webhook(self, drop_pending_updates=False):
        self.call("deleteWebhook", json={"drop_pending_updates": drop_pending_updates})

    def get_me(self):
        """The bot itself: {"id": ..., "is_bot": True, "username": ..., ...}."""
        me = self.call("getMe")
        if not isinstance(me, dict):
            raise TelegramError(f"Telegram getMe answered with {me!r}", permanent=False)
        return me

    def call(self, method, *, json=None, data=None, files=None, timeout=None):
        """Any Bot API method; returns its `result`."""
        import requests
        url = f"{self.base_url}/bot{self.token}/{method}"
        try:
            response = (self.session or requests).post(
                url, json=json, data=data, files=files,
                timeout=self.timeout if timeout is None else timeout)
        except requests.RequestException as error:
            # requests puts the URL, and so the token, in its messages: the cause is
            # dropped so that no log prints it.
            reason = str(error).replace(self.token, "<token>")
            raise TelegramError(f"Telegram {method} failed: {reason}", permanent=False) from None
        return _result(method, response)


def telegram_html(text):
    """Plain text made safe for Telegram's HTML parse mode."""
    return html.escape(text, quote=False)


def split_message(text, limit=MESSAGE_LIMIT):
    """Telegram HTML in pieces of at most `limit` UTF-16 code units (what Telegram
    counts; the raw HTML is never shorter than the text it counts). Pieces end at line
    breaks where possible, else after a space, and never inside an entity (&amp;) or a
    tag. A tag pair is not closed and reopened around a split: keep formatting within a
    line. Pieces are trimmed, and blank ones dropped: Telegram refuses empty messages."""
    if limit < 2:
        raise ValueError("limit must leave room for at least one character")
    pieces, current = [], ""
    lines = text.split("\n")
    for number, line in enumerate(lines):
        if number < len(lines) - 1:
            line += "\n"
        if _width(current) + _width(line) > limit:
            pieces.append(current)
            current = ""
        while _width(line) > limit:
            cut = _cut(line, limit)
            pieces.append(line[:cut])
            line = line[cut:].lstrip(" ")
        current += line
    pieces.append(current)
    # Telegram trims each message: trimming here keeps the pieces as they will show.
    return [piece.strip() for piece in pieces if piece.strip()]


def markup_on_last(pieces, markup):
    """[(piece, its reply_markup)] for the pieces of one message: the keyboard goes
    under the last piece only, where the whole text has been read."""
    return [(piece, markup if number == len(pieces) else None)
            for number, piece in enumerate(pieces, start=1)]


def _width(text):
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def _cut(line, limit):
    """Where to cut a line wider than `limit`."""
    fits = width = 0
    for char in line:
        width += _width(char)
        if width > limit:
            break
        fits += 1
    # A space right after what fits will do too: it goes, as trimming would drop it.
    space = line.rfind(" ", 0, fits + 1)
    cut = space if space > 0 else fits
    tag = line.rfind("<", 0, cut)
    if tag > line.rfind(">", 0, cut):
        cut = tag
    entity = ENTITY_START.search(line, 0, cut)
    if entity:
        cut = entity.start()
    return cut or fits


def _result(method, response):
    status = response.status_code
    try:
        payload = response.json()
    except ValueError:
        payload = None
    ok = payload.get("ok") if isinstance(payload, dict) else None
    if ok is True and "result" in payload:
        return payload["result"]
    if ok is not False:
        # A success in an unknown shape may have sent the message all the same.
        raise TelegramError(f"Telegram {method} answered {status}: {response.text[:200]!r}",
                            error_code=status, permanent=response.ok or _permanent(status))
    code = payload.get("error_code")
    code = code if isinstance(code, int) else status
    description = payload.get("description")
    description = description if isinstance(description, str) else ""
    parameters = payload.get("parameters")
    retry_after = parameters.get("retry_after") if isinstance(parameters, dict) else None
    raise TelegramError(f"Telegram {method} failed: {code} {description}",
                        permanent=_permanent(code), error_code=code, description=description,
                        retry_after=retry_after if isinstance(retry_after, int) else None)


def _permanent(code):
    # 400 (chat not found, bad markup), 401 (bad token), 403 (blocked, kicked,
    # deactivated user): the same request fails again. 429 is flood control.
    return 400 <= code < 500 and code != 429


def _message_id(message, method):
    message_id = message.get("message_id") if isinstance(message, dict) else None
    if not isinstance(message_id, int):
        # Telegram said ok: the message is out, whatever the answer looks like.
        raise TelegramError(f"Telegram {method} answered with {message!r}, not a message",
                            permanent=True)
    return message_id
