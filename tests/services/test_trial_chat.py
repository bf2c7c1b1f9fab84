"""A trial request asked in the Telegram bot, against the fake Bot API over HTTP: step
by step, through a restart (another process goes on with the conversation), with
/cancel and the buttons, with the web form's limits, alike for a linked and an unknown
chat, and never moved on by another chat, a group or a forged button."""
import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from tutor.models import InboxItem, Message, TrialChat, TrialRequest, User
from tutor.services import telegram_bot, trial_chat

from tests.fake_telegram import (  # noqa: F401 (fixture)
    BOT_NAME,
    TOKEN,
    message_update,
    telegram,
)

CHAT = 555000222
OTHER = 555000333
NOW = "2026-12-01 09:00:00+00:00"
updates = iter(range(810_000_001, 900_000_000))


def send(text, chat_id=CHAT, **fields):
    return telegram_bot.handle_update(message_update(next(updates), text, chat_id=chat_id,
                                                     **fields))


def last_markup(telegram, chat_id=CHAT):
    return [body.get("reply_markup") for body in telegram.sent
            if body["chat_id"] == chat_id][-1]


def press_last(telegram, data, chat_id=CHAT, **fields):
    """Press the button carrying `data` under the newest message with buttons."""
    message_id, shown = telegram.message_with_buttons(chat_id)
    assert data in [button.get("callback_data") for row in shown["reply_markup"]
                    ["inline_keyboard"] for button in row]
    return telegram_bot.handle_update(telegram.press(chat_id, message_id, data, **fields))


def converse(telegram, chat_id=CHAT, contact="+7 900 123-45-67"):
    """The whole conversation from /trial; returns the texts the chat was sent."""
    start = len(telegram.sent)
    send("/trial", chat_id)
    send("Пётр Иванов", chat_id)
    send("Английский для собеседования", chat_id)
    send("Будни после 18:00", chat_id)
    send(contact, chat_id)
    return [body["text"] for body in telegram.sent[start:]]


@pytest.fixture
def setup(app_ctx, telegram, teacher, time_machine):
    time_machine.move_to(NOW, tick=False)
    return telegram


def test_a_visitor_asks_step_by_step_from_the_start_button(setup):
    telegram = setup
    send("/start")
    assert last_markup(telegram) == {"inline_keyboard": [[
        {"text": "Записаться на пробное", "callback_data": trial_chat.START}]]}
    press = press_last(telegram, trial_chat.START)
    assert press.follow.text.endswith("Как вас зовут?")
    assert telegram.texts(CHAT)[-1].endswith("Как вас зовут?")
    assert send("Пётр Иванов").text == "Чему вы хотите научиться и для чего?"
    assert send("Английский").text == "Какие дни и время вам подходят?"
    press_last(telegram, trial_chat.SKIP)  # no preferred times
    assert telegram.texts(CHAT)[-1].startswith("Преподаватель ответит вам здесь.")
    press_last(telegram, trial_chat.SKIP)  # no phone or e-mail: the chat is the contact
    assert telegram.texts(CHAT)[-1].startswith("Спасибо! Преподаватель ответит вам здесь")

    trial = TrialRequest.get()
    assert (trial.name, trial.goal, trial.preferred_times) == ("Пётр Иванов", "Английский", "")
    assert trial.contact == "Telegram @Maria_TG"
    assert (trial.telegram_chat_id, trial.locale, trial.is_open) == (str(CHAT), "ru", True)
    # The teacher sees it as a web request: in the inbox and on their channel.
    assert InboxItem.get(InboxItem.kind == "trial_request").subject == \
        "Заявка на пробное занятие: Пётр Иванов"
    assert TrialChat.select().count() == 0  # the conversation is over


def test_answers_are_checked_and_the_question_asked_again(setup):
    send("/trial")
    assert send("   ").text == "Пожалуйста, напишите, как вас зовут.\n\nКак вас зовут?"
    assert send("Я" * 201).text.startswith("Пожалуйста, короче: не больше 200 символов.")
    update = message_update(next(updates), "x", chat_id=CHAT)
    del update["message"]["text"]
    update["message"]["sticker"] = {"file_id": "abc"}
    assert telegram_bot.handle_update(update).text.startswith("Пожалуйста, ответьте текстом.")
    send("Пётр")
    send("-")
    send("-")
    assert send("не скажу").text.startswith(
        "Это не похоже ни на номер телефона, ни на адрес e-mail.")
    assert TrialRequest.select().count() == 0
    send("petr@example.org")
    assert TrialRequest.get().contact == "Telegram @Maria_TG, petr@example.org"


def test_the_conversation_goes_on_in_another_process(setup, database_url, tmp_path):
    """A restart, or the next update landing on another host: only the database holds
    where the conversation is."""
    script = tmp_path / "other_host.py"
    script.write_text(OTHER_HOST)
    updates_there = [message_update(next(updates), text, chat_id=CHAT)
                     for text in ("/trial", "Пётр Иванов")]
    result = subprocess.run(
        [sys.executable, str(script), database_url, setup.url, json.dumps(updates_there)],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "SECRET_KEY": "test-secret-key",
             "PYTHONPATH": str(Path(__file__).resolve().parents[2])})
    assert result.returncode == 0, result.stderr
    assert setup.texts(CHAT)[-1] == "Чему вы хотите научиться и для чего?"
    assert TrialChat.get().step == trial_chat.GOAL
    # Here, in this process, the conversation goes on where the other one left it.
    assert send("Английский").text == "Какие дни и время вам подходят?"
    send("Вечером")
    send("+7 900 123-45-67")
    trial = TrialRequest.get()
    assert (trial.name, trial.goal, trial.preferred_times) == (
        "Пётр Иванов", "Английский", "Вечером")
    assert trial.contact == "Telegram @Maria_TG, +7 900 123-45-67"


OTHER_HOST = """
import json, sys
from tutor import create_app
from tutor.services import telegram_bot
url, api, updates = sys.argv[1:]
app = create_app({"DATABASE_URL": url, "REDIS_URL": "", "TESTING": True,
                  "RATELIMIT_ENABLED": False, "RATELIMIT_STORAGE_URI": "memory://",
                  "TELEGRAM_BOT_TOKEN": "%s", "TELEGRAM_BOT_NAME": "%s",
                  "TELEGRAM_API_URL": api})
with app.app_context():
    for update in json.loads(updates):
        telegram_bot.handle_update(update)
""" % (TOKEN, BOT_NAME)


def test_cancel_by_command_or_button(setup):
    send("/trial")
    send("Пётр")
    assert send("/cancel").text == "Отменено: ничего не отправлено. /trial — начать заново."
    assert send("Английский").text.startswith("Этот чат пока не подключён")  # no conversation
    send("/trial")
    send("Пётр")
    press_last(setup, trial_chat.CANCEL)
    assert setup.texts(CHAT)[-1].startswith("Отменено")
    assert TrialChat.select().count() == TrialRequest.select().count() == 0


def test_another_command_ends_the_conversation(setup, create_student):
    send("/trial")
    assert send("/start").text.startswith("Здравствуйте!")
    assert TrialChat.select().count() == 0


def test_a_linked_chat_and_an_unknown_chat_are_answered_alike(setup, create_student):
    """No account enumeration: the bot asks and answers the same whoever the chat is."""
    create_student(login="known", channel=User.TELEGRAM, telegram_chat_id=str(OTHER),
                   locale="en")
    unknown = converse(setup, CHAT)
    known = converse(setup, OTHER)
    assert known == unknown
    assert TrialRequest.select().count() == 2
    # A second request from the same chat within a day: the same thanks, nothing sent.
    again = converse(setup, OTHER)
    assert again == unknown
    assert TrialRequest.select().count() == 2
    assert InboxItem.select().where(InboxItem.kind == "trial_request").count() == 2


@pytest.mark.config(RATELIMIT_ENABLED=True, TRIAL_RATE_LIMIT="1 per hour")
def test_the_rate_limit_counts_per_chat(setup):
    converse(setup, CHAT)
    assert converse(setup, CHAT)[-1] == \
        "Слишком много заявок из этого чата: попробуйте позже."
    assert converse(setup, OTHER)[-1].startswith("Спасибо!")


def test_another_chat_never_moves_a_conversation_on(setup):
    send("/trial")
    # Another person writes: they have no conversation, and the first one stays put.
    assert send("Пётр", chat_id=OTHER).text.startswith("Этот чат пока не подключён")
    assert TrialChat.get().step == trial_chat.NAME
    # A group the bot is in is not talked to at all.
    assert telegram_bot.handle_update(message_update(
        next(updates), "/trial", chat_id=-100123, chat_type="group")) is None
    assert TrialChat.select().count() == 1


def test_a_button_pressed_for_another_chat_changes_nothing(setup):
    send("/trial")
    send("Пётр")
    message_id, _shown = setup.message_with_buttons(CHAT)
    # OTHER presses a button under a message of CHAT's (a forged update): refused.
    press = telegram_bot.handle_update(setup.press(CHAT, message_id, trial_chat.CANCEL,
                                                   from_id=OTHER))
    assert press.notice == "Эта кнопка недействительна: ничего не изменено."
    assert press.follow is None
    assert TrialChat.get().step == trial_chat.GOAL
    # A skip pressed in a chat with no conversation: nothing to answer.
    press = telegram_bot.handle_update(setup.press(OTHER, 1, trial_chat.SKIP))
    assert press.notice == "Здесь нечего отвечать: начните заново командой /trial."
    assert TrialChat.select().count() == 1


def test_a_conversation_left_for_a_day_is_forgotten(setup, time_machine):
    send("/trial")
    send("Пётр")
    time_machine.move_to(datetime(2026, 12, 2, 9, 1), tick=False)
    assert send("Английский").text.startswith("Этот чат пока не подключён")
    assert Message.select().where(Message.kind == "trial_request").count() == 0
