"""Our Telegram client and the outbox against the fake Bot API where it answers as
Telegram does (../shared/EXTERNAL-APIS.md): HTML parsed with Telegram's own tags and
refusals, limits counted in UTF-16 units of the parsed text, sendDocument, both 409s."""
import pytest

from tests.fake_telegram import (  # noqa: F401 (telegram is a fixture)
    CONFLICT_POLLER,
    TOKEN,
    telegram,
)
from tutor.integrations.telegram import (
    TelegramBot,
    TelegramError,
    split_message,
    telegram_html,
)

CHAT = 4242


@pytest.fixture
def bot(telegram):  # noqa: F811 (the fixture above)
    return TelegramBot(TOKEN, base_url=telegram.url)


@pytest.mark.parametrize("text, description", [
    ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
    ("<p>Привет</p>", 'Unsupported start tag "p" at byte offset 0'),
    ("Юля <b>жирный", 'Can\'t find end tag corresponding to start tag "b"'),
    ("Tom & Jerry", "Can't find end of the entity starting at byte offset 4"),
    ("a</b>", "Unexpected end tag at byte offset 1"),
])
def test_html_telegram_cannot_parse_is_refused_for_good(bot, telegram, text,  # noqa: F811
                                                        description):
    with pytest.raises(TelegramError) as caught:
        bot.send_message(CHAT, text)
    assert caught.value.error_code == 400 and caught.value.permanent
    assert caught.value.description == f"Bad Request: can't parse entities: {description}"
    assert telegram.sent == []


def test_escaped_text_and_telegrams_tags_go_through(bot, telegram):  # noqa: F811
    text = f"<b>{telegram_html('1 < 2 & <p>')}</b> <i>ok</i> <a href=\"https://t.me\">x</a>"
    bot.send_message(CHAT, text)
    assert telegram.texts() == [text]


def test_the_limit_counts_utf16_units_of_the_parsed_text(bot, telegram):  # noqa: F811
    bot.send_message(CHAT, "😀" * 2048)  # 4096 units
    bot.send_message(CHAT, "&lt;" * 4096)  # 16384 characters of HTML, 4096 shown
    with pytest.raises(TelegramError) as caught:
        bot.send_message(CHAT, "😀" * 2049)
    assert caught.value.description == "Bad Request: message is too long"


def test_split_pieces_fit_what_telegram_counts(bot, telegram):  # noqa: F811
    text = telegram_html("Занятие <завтра> & 😀 ещё " * 600)
    pieces = split_message(text)
    assert len(pieces) > 2
    for piece in pieces:
        bot.send_message(CHAT, piece)
    assert len(telegram.sent) == len(pieces)


def test_send_document_with_a_caption(bot, telegram):  # noqa: F811
    bot.send_document(CHAT, "report-2026-10.csv", "дата;цена\n".encode(),
                      caption="<b>Отчёт</b> " + "😀" * 500)
    (document,) = telegram.documents
    assert document["filename"] == "report-2026-10.csv"
    assert document["content"].decode() == "дата;цена\n"
    with pytest.raises(TelegramError) as caught:
        bot.send_document(CHAT, "a.csv", b"x", caption="😀" * 513)  # 1026 units
    assert caught.value.description == "Bad Request: message caption is too long"


def test_a_wrong_token_is_unauthorized(telegram):  # noqa: F811
    with pytest.raises(TelegramError) as caught:
        TelegramBot("123:wrong", base_url=telegram.url).send_message(CHAT, "x")
    assert (caught.value.error_code, caught.value.description) == (401, "Unauthorized")


def test_both_conflicts_of_get_updates(bot, telegram):  # noqa: F811
    telegram.other_poller = True
    with pytest.raises(TelegramError) as caught:
        bot.get_updates(timeout=0)
    assert (caught.value.error_code, caught.value.description) == (409, CONFLICT_POLLER)
    telegram.other_poller, telegram.webhook = False, {"url": "https://t.example/hook"}
    with pytest.raises(TelegramError) as caught:
        bot.get_updates(timeout=0)
    assert caught.value.error_code == 409 and "webhook is active" in caught.value.description


def test_poll_says_another_poller_is_running(runner, telegram):  # noqa: F811
    telegram.other_poller = True
    result = runner.invoke(args=["telegram-poll", "--once"])
    assert result.exit_code == 1
    assert "Another process is fetching this bot's updates" in result.output
    assert "webhook" not in result.output
