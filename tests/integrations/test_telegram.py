"""The Telegram Bot API client against a local fake speaking the Bot API's formats."""
import threading

import pytest
import requests
from werkzeug import Response

from tutor.integrations.telegram import (
    MESSAGE_LIMIT, TelegramBot, TelegramError, split_message, telegram_html,
)

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
CHAT = {"id": 987654321, "first_name": "Мария", "username": "maria_tg", "type": "private"}
BOT = {"id": 123456789, "is_bot": True, "first_name": "Репетитор", "username": "tutor_bot",
       "can_join_groups": True, "can_read_all_group_messages": False,
       "supports_inline_queries": False}


def path(method):
    return f"/bot{TOKEN}/{method}"


def sent(message_id, **fields):
    """A sendMessage/sendDocument answer: the Message that was sent."""
    return {"ok": True, "result": {"message_id": message_id, "from": BOT, "chat": CHAT,
                                   "date": 1780304400, **fields}}


@pytest.fixture
def bot(httpserver):
    return TelegramBot(TOKEN, base_url=httpserver.url_for("").rstrip("/"))


@pytest.fixture(autouse=True)
def close_uploads(httpserver):
    # werkzeug spools uploaded files to temporary files that only close with the request.
    yield
    for request, _ in httpserver.log:
        request.close()


def the_request(httpserver):
    assert len(httpserver.log) == 1
    request, _ = httpserver.log[0]
    return request


# --- methods ----------------------------------------------------------------------------

def test_send_message_sends_html_without_a_link_preview(httpserver, bot):
    text = "<b>Занятие подтверждено</b>\nПонедельник, 1 июня, 13:00 &amp; 14:00"
    httpserver.expect_request(path("sendMessage"), method="POST", json={
        "chat_id": 987654321, "text": text, "parse_mode": "HTML",
        "link_preview_options": {"is_disabled": True},
    }).respond_with_json(sent(42, text="Занятие подтверждено\nПонедельник, 1 июня, 13:00 & 14:00"))

    assert bot.send_message(987654321, text) == 42
    assert the_request(httpserver).mimetype == "application/json"


def test_send_message_may_show_a_link_preview(httpserver, bot):
    httpserver.expect_request(path("sendMessage"), method="POST", json={
        "chat_id": "-1001234567890", "text": "https://tutor.example.com", "parse_mode": "HTML",
    }).respond_with_json(sent(7, text="https://tutor.example.com"))

    assert bot.send_message("-1001234567890", "https://tutor.example.com",
                            link_preview=True) == 7


def test_send_document_uploads_the_file(httpserver, bot):
    content = b"%PDF-1.7\n\x00\xff binary"
    httpserver.expect_request(path("sendDocument"), method="POST").respond_with_json(sent(
        43, document={"file_name": "Отчёт за май.pdf", "mime_type": "application/pdf",
                      "file_id": "BQACAgIAAxkBAAIB", "file_unique_id": "AgADBQAC",
                      "file_size": len(content)},
        caption="Отчёт за май"))

    assert bot.send_document(987654321, "Отчёт за май.pdf", content,
                             caption="<b>Отчёт</b> за май") == 43

    request = the_request(httpserver)
    assert request.mimetype == "multipart/form-data"
    assert request.form.to_dict(flat=False) == {
        "chat_id": ["987654321"], "caption": ["<b>Отчёт</b> за май"], "parse_mode": ["HTML"]}
    document = request.files["document"]
    assert (document.filename, document.mimetype, document.read()) == (
        "Отчёт за май.pdf", "application/pdf", content)


def test_send_document_without_a_caption(httpserver, bot):
    httpserver.expect_request(path("sendDocument"), method="POST").respond_with_json(sent(
        44, document={"file_name": "backup.db", "file_id": "x", "file_unique_id": "y"}))

    assert bot.send_document(987654321, "backup.db", b"SQLite format 3\x00") == 44

    request = the_request(httpserver)
    assert request.form.to_dict() == {"chat_id": "987654321"}
    assert request.files["document"].mimetype == "application/octet-stream"


def test_get_updates_long_polls_from_an_offset(httpserver, bot):
    updates = [{"update_id": 500, "message": {
        "message_id": 1, "from": {"id": 987654321, "is_bot": False, "first_name": "Мария"},
        "chat": CHAT, "date": 1780304400, "text": "/start link-abc123",
        "entities": [{"offset": 0, "length": 6, "type": "bot_command"}]}}]
    httpserver.expect_request(path("getUpdates"), method="POST", json={
        "offset": 500, "timeout": 0, "allowed_updates": ["message"],
    }).respond_with_json({"ok": True, "result": updates})

    assert bot.get_updates(offset=500, timeout=0, allowed_updates=("message",)) == updates


def test_get_updates_by_default(httpserver, bot):
    httpserver.expect_request(path("getUpdates"), method="POST", json={"timeout": 25}
                              ).respond_with_json({"ok": True, "result": []})

    assert bot.get_updates() == []


def test_long_polling_outwaits_the_request_timeout(httpserver, bot):
    # Telegram holds a getUpdates request open until an update comes or the poll
    # timeout ends: that wait must not count against the request timeout.
    release, finished = threading.Event(), threading.Event()

    def held(request):
        release.wait(0.3)
        response = Response('{"ok": true, "result": []}', content_type="application/json")
        response.call_on_close(finished.set)
        return response

    httpserver.expect_request(path("getUpdates"), method="POST").respond_with_handler(held)
    bot.timeout = 0.1

    assert bot.get_updates(timeout=5) == []
    assert finished.wait(5)


def test_set_webhook(httpserver, bot):
    httpserver.expect_request(path("setWebhook"), method="POST", json={
        "url": "https://tutor.example.com/telegram/webhook", "secret_token": "s3cret_-Token",
        "allowed_updates": ["message", "callback_query"],
    }).respond_with_json({"ok": True, "result": True, "description": "Webhook was set"})

    assert bot.set_webhook("https://tutor.example.com/telegram/webhook", "s3cret_-Token",
                           allowed_updates=["message", "callback_query"]) is None


def test_delete_webhook(httpserver, bot):
    httpserver.expect_request(path("deleteWebhook"), method="POST",
                              json={"drop_pending_updates": False}).respond_with_json(
        {"ok": True, "result": True, "description": "Webhook was deleted"})

    assert bot.delete_webhook() is None


def test_get_me(httpserver, bot):
    httpserver.expect_request(path("getMe"), method="POST").respond_with_json(
        {"ok": True, "result": BOT})

    assert bot.get_me() == BOT


def test_uses_the_given_session(httpserver):
    session = requests.Session()
    session.headers["User-Agent"] = "tutor-tests"
    httpserver.expect_request(path("getMe"), headers={"User-Agent": "tutor-tests"}
                              ).respond_with_json({"ok": True, "result": BOT})
    bot = TelegramBot(TOKEN, base_url=httpserver.url_for("").rstrip("/"), session=session)

    assert bot.get_me() == BOT


# --- failures ---------------------------------------------------------------------------

def refusal(code, description, **parameters):
    answer = {"ok": False, "error_code": code, "description": description}
    return {**answer, "parameters": parameters} if parameters else answer


@pytest.mark.parametrize("answer, permanent, retry_after", [
    (refusal(400, "Bad Request: chat not found"), True, None),
    (refusal(400, "Bad Request: can't parse entities: Unsupported start tag \"br\" at byte "
                  "offset 12"), True, None),
    (refusal(400, "Bad Request: message is too long"), True, None),
    (refusal(401, "Unauthorized"), True, None),
    (refusal(403, "Forbidden: bot was blocked by the user"), True, None),
    (refusal(403, "Forbidden: bot was kicked from the group chat"), True, None),
    (refusal(403, "Forbidden: user is deactivated"), True, None),
    (refusal(429, "Too Many Requests: retry after 5", retry_after=5), False, 5),
    (refusal(500, "Internal Server Error: restart"), False, None),
    (refusal(502, "Bad Gateway"), False, None),
])
def test_refusals_say_whether_to_retry(httpserver, bot, answer, permanent, retry_after):
    httpserver.expect_request(path("sendMessage"), method="POST").respond_with_json(
        answer, status=answer["error_code"])

    with pytest.raises(TelegramError) as caught:
        bot.send_message(987654321, "Привет")

    error = caught.value
    assert (error.permanent, error.retry_after) == (permanent, retry_after)
    assert (error.error_code, error.description) == (answer["error_code"],
                                                     answer["description"])
    assert answer["description"] in str(error) and "sendMessage" in str(error)


@pytest.mark.parametrize("status, permanent", [(404, True), (500, False), (502, False),
                                               (504, False)])
def test_answers_not_from_the_bot_api_count_by_status(httpserver, bot, status, permanent):
    httpserver.expect_request(path("sendMessage"), method="POST").respond_with_data(
        "<html><body><h1>Bad Gateway</h1></body></html>", status=status,
        content_type="text/html")

    with pytest.raises(TelegramError) as caught:
        bot.send_message(987654321, "Привет")

    assert (caught.value.permanent, caught.value.error_code) == (permanent, status)


@pytest.mark.parametrize("body", [
    "OK",
    '{"result": {"message_id": 42}}',
    '{"ok": true}',
    '{"ok": "true", "result": {"message_id": 42}}',
    '{"ok": true, "result": {"text": "Привет"}}',
    '{"ok": true, "result": true}',
])
def test_a_success_in_an_unknown_shape_is_not_resent(httpserver, bot, body):
    httpserver.expect_request(path("sendMessage"), method="POST").respond_with_data(
        body, content_type="application/json")

    with pytest.raises(TelegramError) as caught:
        bot.send_message(987654321, "Привет")

    assert caught.value.permanent is True


def test_updates_in_an_unknown_shape(httpserver, bot):
    httpserver.expect_request(path("getUpdates"), method="POST").respond_with_json(
        {"ok": True, "result": {"update_id": 1}})

    with pytest.raises(TelegramError):
        bot.get_updates(timeout=0)


def test_slow_service_is_worth_retrying(httpserver, bot):
    release, finished = threading.Event(), threading.Event()

    def slow(request):
        release.wait(0.5)
        response = Response('{"ok": true, "result": {"message_id": 1}}',
                            content_type="application/json")
        response.call_on_close(finished.set)
        return response

    httpserver.expect_request(path("sendMessage"), method="POST").respond_with_handler(slow)
    bot.timeout = 0.1

    with pytest.raises(TelegramError) as caught:
        bot.send_message(987654321, "Привет")
    assert caught.value.permanent is False and caught.value.error_code is None
    # The fake server answers one request at a time: let it finish this one, or its log
    # entry could land in the next test's.
    release.set()
    assert finished.wait(5)


def test_refused_connection_is_worth_retrying_and_hides_the_token(closed_port_url):
    bot = TelegramBot(TOKEN, base_url=closed_port_url)

    with pytest.raises(TelegramError) as caught:
        bot.send_message(987654321, "Привет")

    error = caught.value
    assert error.permanent is False and error.error_code is None
    assert "/bot<token>/sendMessage" in str(error)
    assert TOKEN not in str(error) and error.__cause__ is None


# --- text -------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("Мария & Анна", "Мария &amp; Анна"),
    ("a < b > c", "a &lt; b &gt; c"),
    ("<b>not bold</b>", "&lt;b&gt;not bold&lt;/b&gt;"),
    ("&amp; stays text", "&amp;amp; stays text"),
    ('"quotes" and \'apostrophes\'', '"quotes" and \'apostrophes\''),
    ("", ""),
])
def test_telegram_html_escapes_what_the_parser_reads(text, expected):
    assert telegram_html(text) == expected


def widths(pieces):
    return [len(piece.encode("utf-16-le")) // 2 for piece in pieces]


def test_short_text_is_one_piece():
    assert split_message("Привет!\nЗанятие в 13:00.") == ["Привет!\nЗанятие в 13:00."]
    assert split_message("я" * MESSAGE_LIMIT) == ["я" * MESSAGE_LIMIT]


@pytest.mark.parametrize("text", ["", "\n", "\n\n \n"])
def test_blank_text_is_no_piece(text):
    assert split_message(text) == []


def test_splits_at_line_breaks():
    lines = [f"{day:02d}.06 — занятие с Марией, 13:00–14:00" for day in range(1, 31)]

    pieces = split_message("\n".join(lines), limit=200)

    assert len(pieces) > 1 and max(widths(pieces)) <= 200
    assert "\n".join(pieces).split("\n") == lines


def test_packs_as_many_lines_as_fit():
    assert split_message("aaaa\nbbbb\ncccc\ndddd", limit=10) == ["aaaa\nbbbb", "cccc\ndddd"]
    # The line break between pieces is dropped, and blank lines at a split go with it.
    assert split_message("aaaa\n\n\n\nbbbb", limit=6) == ["aaaa", "bbbb"]


def test_a_long_line_is_split_after_a_space():
    assert split_message("один два три четыре пять", limit=10) == [
        "один два", "три четыре", "пять"]


def test_a_long_word_is_split_anywhere():
    assert split_message("x" * 25, limit=10) == ["x" * 10, "x" * 10, "x" * 5]


@pytest.mark.parametrize("entity", ["&amp;", "&lt;", "&gt;", "&quot;", "&#128512;",
                                    "&#x1F600;"])
@pytest.mark.parametrize("offset", range(1, 10))
def test_never_cuts_inside_an_entity(entity, offset):
    text = "x" * (20 - offset) + entity + "y" * 20

    pieces = split_message(text, limit=20)

    assert "".join(pieces) == text
    assert max(widths(pieces)) <= 20
    assert any(entity in piece for piece in pieces)


@pytest.mark.parametrize("offset", range(1, 18))
def test_never_cuts_inside_a_tag(offset):
    tag = '<a href="https://tutor.example.com/l/1">'
    text = "x" * (60 - offset) + tag + "урок</a>" + "y" * 30

    pieces = split_message(text, limit=60)

    assert "".join(pieces) == text
    assert max(widths(pieces)) <= 60
    assert any(tag in piece for piece in pieces)


def test_counts_what_telegram_counts():
    # An emoji outside the Basic Multilingual Plane is two UTF-16 code units.
    text = "😀" * 3000

    pieces = split_message(text)

    assert "".join(pieces) == text
    assert widths(pieces) == [4096, 1904]


def test_pieces_of_a_long_digest_fit_and_keep_the_text():
    line = telegram_html("Ученик «Мария» & <группа 2> — 13:00–14:00 😀")
    text = "\n".join(f"{number}. {line}" for number in range(1, 400))

    pieces = split_message(text)

    assert len(pieces) > 1 and max(widths(pieces)) <= MESSAGE_LIMIT
    assert "\n".join(pieces) == text


def test_limit_must_leave_room():
    with pytest.raises(ValueError):
        split_message("text", limit=1)
