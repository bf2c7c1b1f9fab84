"""One tap from the message: the teacher's "new booking" in Telegram carries Confirm,
Reject and Open; the student's "your lesson was moved" carries Accept and Cancel.
The presses come as real callback_query updates through the webhook, from the fake
Bot API's own messages, and are answered (answerCallbackQuery) and shown
(editMessageText) as Telegram does. Also /today, /week and /pending.

The teacher works every day 10:00-14:00 Moscow = 07:00-11:00 UTC; NOW is Monday
2026-06-01 00:00 UTC and SLOT Tuesday 07:00 UTC (10:00 in Moscow)."""
import json
from datetime import datetime, time
from decimal import Decimal

import pytest

from tutor.models import ActionUse, AuditEntry, Lesson, Message, User
from tutor.services import action_links, booking, delivery, schedule
from tutor.services.availability import Window

from tests.fake_telegram import WEBHOOK_SECRET, message_update, telegram  # noqa: F401

NOW = datetime(2026, 6, 1, 0, 0)
SLOT = datetime(2026, 6, 2, 7, 0)
TEACHER_CHAT, STUDENT_CHAT, STRANGER_CHAT = 555000222, 555000333, 555000444
HEADER = "X-Telegram-Bot-Api-Secret-Token"
pytestmark = pytest.mark.config(PUBLIC_URL="https://tutor.example.com")


@pytest.fixture
def people(app_ctx, teacher, create_student, time_machine):
    """Anna teaches (Telegram, English, price 1500); Ivan books; Olga is another
    student whose chat is linked too."""
    time_machine.move_to(NOW.isoformat() + "+00:00", tick=False)
    User.update(channel=User.TELEGRAM, telegram_chat_id=str(TEACHER_CHAT), locale="en").where(
        User.id == teacher.id).execute()
    schedule.set_windows(teacher, [Window(day, time(10), time(14)) for day in range(7)])
    schedule.update_settings(teacher, default_price="1500")
    ivan = create_student(login="ivan", first_name="Ivan", last_name="Petrov",
                          channel=User.TELEGRAM, telegram_chat_id=str(STUDENT_CHAT),
                          locale="en")
    olga = create_student(login="olga", channel=User.TELEGRAM,
                          telegram_chat_id=str(STRANGER_CHAT), locale="en")
    return User.get_by_id(teacher.id), ivan, olga


def post(client, update):
    response = client.post("/telegram/webhook", json=update, headers={HEADER: WEBHOOK_SECRET})
    assert response.status_code == 200
    return response


def booked(people, telegram):
    """Ivan books SLOT; the outbox sends the teacher's message with its buttons."""
    teacher, ivan, _ = people
    lesson = booking.book_lesson(ivan, teacher, SLOT, "Grammar")
    assert delivery.deliver_due().sent == 2
    message_id, shown = telegram.message_with_buttons(TEACHER_CHAT)
    return lesson, message_id, shown


def data_of(telegram, message_id, text, chat=TEACHER_CHAT):
    return next(button["callback_data"] for button in telegram.buttons(chat, message_id)
                if button["text"].startswith(text))


def test_the_request_carries_confirm_reject_and_open(people, telegram):
    lesson, message_id, shown = booked(people, telegram)
    assert shown["text"].startswith("New booking: Tuesday, 2 June 2026, 10:00")
    rows = shown["reply_markup"]["inline_keyboard"]
    assert [[button["text"] for button in row] for row in rows] == [
        ["Confirm (1,500 ₽)", "Reject"], ["Open"]]
    assert rows[1][0]["url"] == f"https://tutor.example.com/lessons/{lesson.id}"
    for button in rows[0]:
        assert len(button["callback_data"].encode()) <= 64
    # The student's own "request received" has no buttons.
    assert all("reply_markup" not in body for body in telegram.sent
               if body["chat_id"] == str(STUDENT_CHAT))


def test_confirm_from_the_button(people, telegram, client):
    teacher, ivan, _ = people
    lesson, message_id, _shown = booked(people, telegram)
    post(client, telegram.press(TEACHER_CHAT, message_id,
                                data_of(telegram, message_id, "Confirm")))

    confirmed = Lesson.get_by_id(lesson.id)
    assert confirmed.is_confirmed and confirmed.price == Decimal("1500")
    assert telegram.answers == [{"callback_query_id": telegram.answers[0]["callback_query_id"],
                                 "text": "Confirmed by you at 03:00."}]  # Moscow time
    edited = telegram.messages[(str(TEACHER_CHAT), message_id)]
    assert edited["text"].startswith("New booking: Tuesday, 2 June 2026, 10:00")
    assert edited["text"].endswith("Confirmed by you at 03:00.")
    # Only Open is left.
    assert [b["text"] for b in telegram.buttons(TEACHER_CHAT, message_id)] == ["Open"]
    # The same as the page: the student is told, and it is in the audit log.
    assert Message.get((Message.user == ivan) & (Message.kind == "lesson_confirmed"))
    assert AuditEntry.get(AuditEntry.action == "lesson.confirm").target_id == lesson.id


def test_pressing_twice_changes_nothing_and_says_so(people, telegram, client):
    lesson, message_id, _shown = booked(people, telegram)
    confirm = data_of(telegram, message_id, "Confirm")
    reject = data_of(telegram, message_id, "Reject")
    post(client, telegram.press(TEACHER_CHAT, message_id, confirm))
    messages = Message.select().count()

    post(client, telegram.press(TEACHER_CHAT, message_id, confirm))
    post(client, telegram.press(TEACHER_CHAT, message_id, reject))
    assert [a["text"] for a in telegram.answers[1:]] == [
        "This has already been answered: nothing was changed.",
        "This lesson has already been confirmed: nothing was changed."]
    assert Lesson.get_by_id(lesson.id).is_confirmed
    assert Message.select().count() == messages
    assert len(telegram.edits) == 1


def test_reject_from_the_button(people, telegram, client):
    teacher, ivan, _ = people
    lesson, message_id, _shown = booked(people, telegram)
    post(client, telegram.press(TEACHER_CHAT, message_id,
                                data_of(telegram, message_id, "Reject")))
    assert Lesson.get_or_none(Lesson.id == lesson.id) is None
    assert Message.get((Message.user == ivan) & (Message.kind == "lesson_rejected"))
    assert telegram.answers[-1]["text"] == "Rejected by you at 03:00."
    assert telegram.buttons(TEACHER_CHAT, message_id) == []
    # Pressed again: the lesson is gone and the press is remembered.
    post(client, telegram.press(TEACHER_CHAT, message_id,
                                data_of(telegram, message_id, "Reject")
                                if telegram.buttons(TEACHER_CHAT, message_id) else
                                action_links.callback_data("r", lesson)))
    assert telegram.answers[-1]["text"] == "This has already been answered: nothing was changed."


def test_a_change_on_the_web_makes_the_buttons_stale(people, telegram, client):
    teacher, _ivan, _ = people
    lesson, message_id, _shown = booked(people, telegram)
    confirm = data_of(telegram, message_id, "Confirm")
    # The teacher confirms on the page, moving the lesson an hour later.
    booking.confirm_lesson(teacher, lesson, Decimal("900"), 1, start=datetime(2026, 6, 2, 8))
    post(client, telegram.press(TEACHER_CHAT, message_id, confirm))
    assert telegram.answers[-1]["text"] == (
        "This lesson has changed or no longer exists since the message was sent: nothing "
        "was changed.")
    assert Lesson.get_by_id(lesson.id).price == Decimal("900")


@pytest.mark.parametrize("forge", [
    lambda data: data[:-1] + ("A" if data[-1] != "A" else "B"),  # the MAC altered
    lambda data: "r" + data[1:],  # confirm turned into reject
    lambda data: data.replace(".", "0.", 1),  # another lesson id
    lambda data: "garbage",
    lambda data: "c1." + "A" * 6 + "." + "A" * 16,
])
def test_forged_callback_data_is_refused(people, telegram, client, forge):
    lesson, message_id, _shown = booked(people, telegram)
    post(client, telegram.press(TEACHER_CHAT, message_id,
                                forge(data_of(telegram, message_id, "Confirm"))))
    assert telegram.answers[-1]["text"] == "This button does not work: nothing was changed."
    assert Lesson.get_by_id(lesson.id).is_pending
    assert ActionUse.select().count() == 0 and telegram.edits == []


def test_data_signed_with_another_key_is_refused(people, telegram, client, app):
    lesson, message_id, _shown = booked(people, telegram)
    app.config["SECRET_KEY"] = "another-key"
    data = action_links.callback_data("c", lesson)
    app.config["SECRET_KEY"] = "test-secret-key"
    post(client, telegram.press(TEACHER_CHAT, message_id, data))
    assert Lesson.get_by_id(lesson.id).is_pending


@pytest.mark.parametrize("chat", [STUDENT_CHAT, STRANGER_CHAT, 555000999])
def test_only_the_teachers_chat_can_press(people, telegram, client, chat):
    lesson, message_id, _shown = booked(people, telegram)
    post(client, telegram.press(TEACHER_CHAT, message_id,
                                data_of(telegram, message_id, "Confirm"), from_id=chat))
    # A chat linked to nobody is answered in its Telegram language (the fake's is ru).
    assert telegram.answers[-1]["text"] == (
        "Это не вам отвечать: ничего не изменено." if chat == 555000999
        else "This is not for you to answer: nothing was changed.")
    assert Lesson.get_by_id(lesson.id).is_pending and telegram.edits == []


def test_the_student_accepts_or_cancels_a_moved_lesson(people, telegram, client):
    teacher, ivan, _ = people
    lesson = booking.book_lesson(ivan, teacher, SLOT)
    booking.confirm_lesson(teacher, lesson, Decimal("1000"), 1, start=datetime(2026, 6, 3, 7))
    delivery.deliver_due()
    message_id, shown = telegram.message_with_buttons(STUDENT_CHAT)
    assert shown["text"].startswith("Your lesson is confirmed for a new time")
    assert [b["text"] for b in telegram.buttons(STUDENT_CHAT, message_id)] == [
        "Accept", "Cancel the lesson", "Open"]
    # The teacher cannot answer for the student.
    cancel = data_of(telegram, message_id, "Cancel", chat=STUDENT_CHAT)
    post(client, telegram.press(STUDENT_CHAT, message_id, cancel, from_id=TEACHER_CHAT))
    assert Lesson.get_or_none(Lesson.id == lesson.id) is not None

    post(client, telegram.press(STUDENT_CHAT, message_id,
                                data_of(telegram, message_id, "Accept", chat=STUDENT_CHAT)))
    assert telegram.answers[-1]["text"] == "You accepted the new time at 03:00."
    assert Lesson.get_by_id(lesson.id).is_confirmed
    # Accepting leaves Open; the Cancel sent earlier still works until the notice.
    post(client, telegram.press(STUDENT_CHAT, message_id, cancel))
    assert telegram.answers[-1]["text"] == "Cancelled by you at 03:00."
    assert Lesson.get_or_none(Lesson.id == lesson.id) is None
    assert Message.get((Message.user == teacher) & (Message.kind == "lesson_cancelled"))


def test_no_cancel_button_inside_the_notice(people, telegram):
    teacher, ivan, _ = people
    schedule.update_settings(teacher, cancellation_notice_hours=48)
    lesson = booking.book_lesson(ivan, teacher, SLOT)
    booking.confirm_lesson(teacher, lesson, Decimal("1000"), 1, start=datetime(2026, 6, 2, 8))
    delivery.deliver_due()
    message_id, _shown = telegram.message_with_buttons(STUDENT_CHAT)
    assert [b["text"] for b in telegram.buttons(STUDENT_CHAT, message_id)] == [
        "Accept", "Open"]


def test_pending_lists_requests_with_their_buttons(people, telegram, client):
    teacher, ivan, _ = people
    first = booking.book_lesson(ivan, teacher, SLOT)
    booking.book_lesson(ivan, teacher, datetime(2026, 6, 3, 8))
    telegram.sent.clear()
    post(client, message_update(1, "/pending", chat_id=TEACHER_CHAT))
    texts = [body["text"] for body in telegram.sent]
    assert texts == [
        "<b>Awaiting confirmation (times in Moscow (UTC+3)):</b>",
        "Tue 2 Jun 10:00–11:00 · Ivan Petrov · awaiting confirmation",
        "Wed 3 Jun 11:00–12:00 · Ivan Petrov · awaiting confirmation"]
    message_id = telegram.message_with_buttons(TEACHER_CHAT)[0] - 1  # the first request
    post(client, telegram.press(TEACHER_CHAT, message_id,
                                data_of(telegram, message_id, "Confirm")))
    assert Lesson.get_by_id(first.id).is_confirmed
    # The student sees their own requests, without buttons.
    telegram.sent.clear()
    post(client, message_update(2, "/pending", chat_id=STUDENT_CHAT))
    assert telegram.sent[0]["text"].endswith("Wed 3 Jun 11:00–12:00 · awaiting confirmation")
    assert "reply_markup" not in telegram.sent[0]


def test_week_lists_the_next_seven_days(people, telegram, client):
    teacher, ivan, _ = people
    booking.book_lesson(ivan, teacher, SLOT)
    post(client, message_update(3, "/week", chat_id=STUDENT_CHAT))
    assert telegram.sent[-1]["text"] == "\n".join([
        "<b>Your lessons in the next 7 days</b>", "Times in Moscow (UTC+3).", "",
        "Tue 2 Jun 10:00–11:00 · awaiting confirmation"])


def test_the_keyboard_is_kept_with_the_message(people, telegram):
    """Written with the outbox row, so a message held for a chat still has them."""
    teacher, ivan, _ = people
    booking.book_lesson(ivan, teacher, SLOT)
    stored = Message.get((Message.user == teacher) & (Message.kind == "lesson_booked"))
    assert json.loads(stored.buttons)["inline_keyboard"][0][0]["text"] == "Confirm (1,500 ₽)"
