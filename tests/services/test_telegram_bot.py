"""The Telegram bot against a fake Bot API: linking a chat with a one-time deep link,
/start, /today in each person's zone, /stop, unknown chats, and each update handled
once."""
from datetime import datetime, time, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from tutor.models import Lesson, Message, TelegramLink, TelegramUpdate, User
from tutor.services import delivery, notify, recovery, telegram_bot

from tests.fake_telegram import BOT_NAME, message_update, telegram  # noqa: F401 (fixture)

CHAT = 555000111
NOW = "2026-11-24 09:00:00+00:00"


@pytest.fixture
def maria(app_ctx, create_student):
    return create_student(login="maria", first_name="Мария", last_name="Смирнова",
                          channel=User.TELEGRAM, digest_time=time(8, 0), locale="en")


def token_of(link):
    return parse_qs(urlsplit(link).query)["start"][0]


def fresh(user):
    return User.get_by_id(user.id)


def reply_body(text, chat_id=CHAT):
    """A sendMessage body exactly as the bot sends its answers."""
    return {"chat_id": chat_id, "text": text, "parse_mode": "HTML",
            "link_preview_options": {"is_disabled": True}}


updates = iter(range(700_000_001, 800_000_000))


def send(text, **fields):
    """The bot receives a text message from the chat; returns its Reply."""
    return telegram_bot.handle_update(message_update(next(updates), text, **fields))


# --- the deep link ---------------------------------------------------------------------

def test_a_link_is_a_deep_link_to_the_bot_and_its_token_is_stored_hashed(telegram, maria):
    link = telegram_bot.make_link(maria)
    assert link.startswith(f"https://t.me/{BOT_NAME}?start=")
    token = token_of(link)
    assert 20 <= len(token) <= 64 and set(token) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
    stored = TelegramLink.get(TelegramLink.user == maria)
    assert stored.token_hash != token and token not in stored.token_hash
    assert len(stored.token_hash) == 64


def test_a_user_holds_a_few_links_at_most(telegram, maria):
    links = [telegram_bot.make_link(maria) for _ in range(telegram_bot.LINKS_KEPT + 3)]
    assert TelegramLink.select().where(TelegramLink.user == maria).count() == \
        telegram_bot.LINKS_KEPT
    # The newest ones work; the oldest are gone.
    assert send(f"/start {token_of(links[0])}", language_code="en").text.startswith(
        "This link does not work")
    assert send(f"/start {token_of(links[-1])}").text.startswith("Done!")


def test_expired_links_are_cleared_away(telegram, maria, create_student, time_machine):
    time_machine.move_to(NOW, tick=False)
    telegram_bot.make_link(maria)
    time_machine.move_to("2026-11-25 09:00:00+00:00", tick=False)
    telegram_bot.make_link(create_student(login="ivan"))
    assert TelegramLink.select().where(TelegramLink.user == maria).count() == 0


def test_no_link_without_a_configured_bot(app_ctx, maria):
    with pytest.raises(telegram_bot.BotNotConfigured):
        telegram_bot.make_link(maria)
    assert telegram_bot.link_state(maria) == telegram_bot.LinkState(linked=False,
                                                                    configured=False)


# --- linking ---------------------------------------------------------------------------

def test_start_with_the_token_links_the_chat_and_answers_in_the_users_language(telegram,
                                                                                maria):
    link = telegram_bot.make_link(maria)
    reply = send(f"/start {token_of(link)}", username="Maria_TG", language_code="ru")

    maria = fresh(maria)
    assert maria.telegram_chat_id == str(CHAT)
    assert maria.telegram_username == "maria_tg"  # lower-case, no @
    assert maria.address == str(CHAT)
    # Maria reads English on the site: the bot answers in English, whatever her app says.
    assert telegram.sent == [reply_body(reply.text)]
    assert reply.text.startswith("Done! This chat is now linked to your account maria.")
    assert "Your notifications will come here." in reply.text
    assert "/today" in reply.text and "/stop" in reply.text
    assert TelegramLink.select().where(TelegramLink.user == maria).count() == 0
    assert telegram_bot.link_state(maria) == telegram_bot.LinkState(linked=True,
                                                                    username="maria_tg")


def test_a_russian_user_is_answered_in_russian(app_ctx, telegram, teacher, create_student,
                                               time_machine):
    ivan = create_student(login="ivan", channel=User.TELEGRAM, locale="ru")
    time_machine.move_to(NOW, tick=False)
    Lesson.create(teacher=teacher, student=ivan, start=datetime(2026, 11, 24, 12, 0),
                  end=datetime(2026, 11, 24, 13, 0), status=Lesson.CONFIRMED)
    send(f"/start {token_of(telegram_bot.make_link(ivan))}", language_code="en")
    assert fresh(ivan).telegram_chat_id == str(CHAT)
    reply = send("/today", language_code="en")
    assert "вторник, 24 ноября" in reply.text and "15:00–16:00 · подтверждено" in reply.text


def test_the_token_works_once(telegram, maria, create_student):
    token = token_of(telegram_bot.make_link(maria))
    send(f"/start {token}")
    reply = send(f"/start {token}", chat_id=CHAT + 1, username="someone_else",
                 language_code="en")
    assert reply.text.startswith("This link does not work any more")
    assert "Link Telegram" in reply.text  # how to get a new one
    assert fresh(maria).telegram_chat_id == str(CHAT)
    assert User.select().where(User.telegram_chat_id == str(CHAT + 1)).count() == 0


def test_the_same_chat_tapping_an_old_link_hears_it_is_linked(telegram, maria):
    token = token_of(telegram_bot.make_link(maria))
    send(f"/start {token}")
    reply = send(f"/start {token}")
    assert "This chat is linked to your account maria." in reply.text


def test_the_token_expires_after_a_day(telegram, maria, time_machine):
    time_machine.move_to(NOW, tick=False)
    token = token_of(telegram_bot.make_link(maria))
    time_machine.move_to("2026-11-25 09:00:01+00:00", tick=False)
    reply = send(f"/start {token}", language_code="en")
    assert reply.text.startswith("This link does not work any more: it has expired")
    assert fresh(maria).telegram_chat_id is None


def test_a_link_made_just_before_still_works_a_day_later(telegram, maria, time_machine):
    time_machine.move_to(NOW, tick=False)
    token = token_of(telegram_bot.make_link(maria))
    time_machine.move_to("2026-11-25 08:59:00+00:00", tick=False)
    assert send(f"/start {token}").text.startswith("Done!")


def test_a_made_up_token_is_refused(telegram, maria):
    reply = send("/start not-a-real-token-at-all", language_code="en")
    assert reply.text.startswith("This link does not work any more")
    assert User.select().where(User.telegram_chat_id.is_null(False)).count() == 0


def test_a_chat_moves_from_another_account_and_a_username_to_its_holder(telegram, maria,
                                                                        create_student):
    old = create_student(login="old.account", channel=User.TELEGRAM,
                         telegram_chat_id=str(CHAT), telegram_username="maria_tg")
    other = create_student(login="other", channel=User.TELEGRAM,
                           telegram_chat_id=str(CHAT + 7), telegram_username="new_name")
    reply = send(f"/start {token_of(telegram_bot.make_link(maria))}", username="New_Name")

    assert (fresh(maria).telegram_chat_id, fresh(maria).telegram_username) == \
        (str(CHAT), "new_name")
    # The old account no longer reaches this chat; its messages wait for a new link.
    assert (fresh(old).telegram_chat_id, fresh(old).telegram_username) == (None, None)
    # The username moved on at Telegram: the other account keeps its own chat.
    assert (fresh(other).telegram_chat_id, fresh(other).telegram_username) == \
        (str(CHAT + 7), None)
    assert "It is no longer linked to the account old.account." in reply.text
    # Password recovery by the username now finds Maria.
    assert User.by_identifier("@New_Name").id == maria.id


def test_a_sender_without_a_username_links_all_the_same(telegram, maria):
    send(f"/start {token_of(telegram_bot.make_link(maria))}", username=None)
    assert (fresh(maria).telegram_chat_id, fresh(maria).telegram_username) == (str(CHAT), None)
    assert telegram_bot.link_state(fresh(maria)).username is None


def test_linking_releases_the_held_messages(telegram, maria):
    notify.enqueue(maria, "welcome", key=f"welcome:{maria.id}")
    assert delivery.deliver_due().held == 1
    send(f"/start {token_of(telegram_bot.make_link(maria))}")
    held = Message.get(Message.user == maria)
    assert (held.status, held.address) == (Message.PENDING, str(CHAT))

    assert delivery.deliver_due().sent == 1
    welcome = telegram.sent[-1]
    assert welcome["chat_id"] == str(CHAT) and welcome["parse_mode"] == "HTML"
    assert welcome["text"].startswith("<b>Your account has been created</b>")


def test_messages_not_tried_yet_get_the_chat_too(telegram, maria):
    welcome = notify.enqueue(maria, "welcome", key=f"welcome:{maria.id}")
    assert (welcome.status, welcome.address) == (Message.PENDING, None)
    send(f"/start {token_of(telegram_bot.make_link(maria))}")
    assert Message.get_by_id(welcome.id).address == str(CHAT)
    assert delivery.deliver_due().sent == 1
    assert telegram.sent[-1]["text"].startswith("<b>Your account has been created</b>")


def test_password_recovery_by_the_linked_username(telegram, maria):
    send(f"/start {token_of(telegram_bot.make_link(maria))}", username="Maria_TG")
    recovery.request_password_reset("@MARIA_tg", lambda token: f"https://t.example/{token}")
    reset = Message.get((Message.user == maria) & (Message.kind == "password_reset"))
    assert reset.address == str(CHAT) and reset.channel == User.TELEGRAM


def test_a_user_who_does_not_use_telegram_is_told_where_messages_go(app_ctx, telegram,
                                                                  create_student):
    eva = create_student(login="eva", channel=User.EMAIL, email="eva@example.org", locale="en")
    reply = send(f"/start {token_of(telegram_bot.make_link(eva))}")
    assert fresh(eva).telegram_chat_id == str(CHAT)
    assert fresh(eva).channel == User.EMAIL
    assert "Your notifications do not go to Telegram now" in reply.text


# --- other chats and commands ----------------------------------------------------------

@pytest.mark.parametrize("text, first_line", [
    ("/start", "Hello! This bot sends notifications from your tutor's site."),
    ("/today", "This chat is not linked to an account yet."),
    ("/stop", "This chat is not linked to an account yet."),
    ("hello?", "This chat is not linked to an account yet."),
])
def test_an_unknown_chat_is_told_to_link_first(telegram, maria, text, first_line):
    reply = send(text, language_code="en-GB")
    assert reply.text.split("\n")[0] == first_line
    assert "open your profile" in reply.text and "Link Telegram" in reply.text
    body = reply_body(reply.text)
    if text == "/start":  # and the button that asks for a trial lesson
        body["reply_markup"] = {"inline_keyboard": [[{"text": "Book a trial lesson",
                                                      "callback_data": "trial:start"}]]}
    assert telegram.sent == [body]


@pytest.mark.parametrize("language_code, locale", [
    ("en", "en"), ("en-GB", "en"), ("RU", "ru"), ("de", "ru"), (None, "ru"), (7, "ru")])
def test_an_unknown_chat_is_answered_in_the_senders_language_if_the_site_has_it(
        app_ctx, language_code, locale):
    # The site's default language is Russian.
    assert telegram_bot.chat_locale(None, {"id": 1, "language_code": language_code}) == locale


def test_an_unknown_chat_hears_russian_or_english_as_its_app_speaks(app_ctx, telegram):
    english = send("/start", language_code="en").text
    assert english.startswith("Hello!")
    assert send("/start", language_code="ru").text != english
    assert send("/start", language_code="de").text != english  # the site's default


def test_a_linked_chat_is_answered_in_the_users_language(app_ctx, maria, create_student):
    assert telegram_bot.chat_locale(maria, {"id": 1, "language_code": "ru"}) == "en"
    nina = create_student(login="nina")  # no language chosen: the site's default
    assert telegram_bot.chat_locale(nina, {"id": 1, "language_code": "en"}) == "ru"


def test_start_in_a_linked_chat_greets_and_lists_the_commands(telegram, maria):
    send(f"/start {token_of(telegram_bot.make_link(maria))}")
    reply = send("/start")
    assert reply.text.startswith("Hello, Мария! This chat is linked to your account maria.")
    assert "/today — your lessons today" in reply.text
    assert send("what can you do").text.startswith("Commands:")
    assert send(f"/start@{BOT_NAME}").text == reply.text  # the command with the bot's name


def test_group_chats_and_other_updates_get_no_answer(telegram, maria):
    assert send("/start", chat_id=-100123, chat_type="supergroup") is None
    edited = {"update_id": next(updates), "edited_message": message_update(1, "/today")["message"]}
    assert telegram_bot.handle_update(edited) is None
    assert telegram.sent == []
    assert TelegramUpdate.select().count() == 2  # handled: not to be looked at again


@pytest.mark.parametrize("update", [None, [], {}, {"update_id": "5"}, {"update_id": True}])
def test_something_that_is_not_an_update_is_refused(app_ctx, update):
    with pytest.raises(telegram_bot.InvalidUpdate):
        telegram_bot.handle_update(update)


def test_the_same_update_is_handled_once(telegram, maria, create_student):
    token = token_of(telegram_bot.make_link(maria))
    update = message_update(41, f"/start {token}")
    assert telegram_bot.handle_update(update) is not None
    # A webhook redelivery, or a poll overlapping the last one.
    assert telegram_bot.handle_update(update) is None
    assert len(telegram.sent) == 1
    # Even one whose token would work: the update_id alone decides.
    other = create_student(login="other", channel=User.TELEGRAM)
    again = message_update(41, f"/start {token_of(telegram_bot.make_link(other))}",
                           chat_id=CHAT + 1)
    assert telegram_bot.handle_update(again) is None
    assert fresh(other).telegram_chat_id is None


def test_handled_updates_are_forgotten_after_a_week(telegram, maria, time_machine):
    time_machine.move_to(NOW, tick=False)
    send("/start")
    time_machine.move_to("2026-12-01 09:00:01+00:00", tick=False)
    send("/start")
    assert TelegramUpdate.select().count() == 1


def test_a_failed_answer_does_not_undo_the_link(app_ctx, maria, httpserver):
    app_ctx.config.update(TELEGRAM_BOT_TOKEN="1:x", TELEGRAM_BOT_NAME=BOT_NAME,
                          TELEGRAM_API_URL=httpserver.url_for("").rstrip("/"))
    httpserver.expect_request("/bot1:x/sendMessage", method="POST").respond_with_json(
        {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"},
        status=403)
    send(f"/start {token_of(telegram_bot.make_link(maria))}")
    assert fresh(maria).telegram_chat_id == str(CHAT)
    assert len(httpserver.log) == 1


# --- /today ----------------------------------------------------------------------------

@pytest.fixture
def day(telegram, teacher, maria, create_student, time_machine):
    """Maria lives in Yekaterinburg (UTC+5), Boris and the teacher in Moscow (UTC+3).
    At 20:30 UTC it is already the 25th for Maria and still the 24th in Moscow."""
    User.update(timezone="Asia/Yekaterinburg").where(User.id == maria.id).execute()
    User.update(channel=User.TELEGRAM, telegram_chat_id="900", locale="en").where(
        User.id == teacher.id).execute()
    boris = create_student(login="boris", first_name="Борис", last_name="Орлов",
                           channel=User.TELEGRAM, telegram_chat_id="901", locale="en")
    maria_chat = CHAT
    User.update(telegram_chat_id=str(maria_chat)).where(User.id == maria.id).execute()

    def lesson(student, start, status=Lesson.CONFIRMED):
        Lesson.create(teacher=teacher, student=student, start=start,
                      end=start + timedelta(hours=1), status=status)

    lesson(maria, datetime(2026, 11, 24, 10, 0))  # 15:00 on the 24th in Yekaterinburg
    lesson(maria, datetime(2026, 11, 24, 19, 0))  # 00:00 on the 25th there; 22:00 Moscow
    lesson(boris, datetime(2026, 11, 25, 5, 0), status=Lesson.PENDING)  # the 25th everywhere
    lesson(boris, datetime(2026, 11, 24, 6, 0))  # 09:00 on the 24th in Moscow
    time_machine.move_to("2026-11-24 20:30:00+00:00", tick=False)
    return boris


def test_today_for_a_student_in_her_own_zone(day):
    reply = send("/today")
    assert reply.text.split("\n") == [
        "<b>Your lessons today, Wednesday, 25 November</b>",
        "Times in Yekaterinburg (UTC+5).",
        "",
        "00:00–01:00 · confirmed",
    ]


def test_today_for_the_teacher_lists_every_lesson_with_names(day):
    reply = send("/today", chat_id=900)
    assert reply.text.split("\n") == [
        "<b>Your lessons today, Tuesday, 24 November</b>",
        "Times in Moscow (UTC+3).",
        "",
        "09:00–10:00 · Борис Орлов · confirmed",
        "13:00–14:00 · Мария Смирнова · confirmed",
        "22:00–23:00 · Мария Смирнова · confirmed",
    ]


def test_today_without_lessons(day, time_machine):
    time_machine.move_to("2026-11-25 22:00:00+00:00", tick=False)  # the 26th in Yekaterinburg
    assert send("/today").text == "No lessons today (Thursday, 26 November)."
    time_machine.move_to("2026-11-25 01:00:00+00:00", tick=False)  # the 25th in Moscow
    assert send("/today", chat_id=901).text.split("\n")[-1] == \
        "08:00–09:00 · awaiting confirmation"


# --- /stop -----------------------------------------------------------------------------

def test_stop_turns_telegram_notifications_off(telegram, maria):
    send(f"/start {token_of(telegram_bot.make_link(maria))}")
    reply = send("/stop")
    maria = fresh(maria)
    assert (maria.channel, maria.digest_time) == (User.NO_CHANNEL, None)
    assert reply.text.startswith("Telegram notifications are off for your account maria.")
    assert telegram.sent[-1] == reply_body(reply.text)
    # Nothing goes to Telegram any more (kept in her inbox, held); the chat stays
    # linked for /today.
    held = notify.enqueue(maria, "welcome")
    assert (held.channel, held.status) == (User.NO_CHANNEL, Message.HELD)
    assert maria.telegram_chat_id == str(CHAT)
    assert send("/today").text.startswith("No lessons today")
    assert send("/stop").text == \
        "Telegram notifications are already off for your account maria."
