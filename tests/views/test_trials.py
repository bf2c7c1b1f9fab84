"""Trial lesson requests: a visitor asks from the start page; the teacher sees it in
the inbox and in Telegram (with "Offer a time" and "Decline"), offers a time through
the new-lesson form (which makes the account) or declines. Bots and repeats are
answered like everyone and leave nothing; nothing tells who has an account."""
import pytest

from tests.conftest import STUDENT_PASSWORD, TEACHER_PASSWORD
from tests.fake_telegram import telegram  # noqa: F401 (fixture)
from tutor.models import InboxItem, Lesson, Message, TrialRequest, User
from tutor.services import delivery, telegram_bot, trials

THANKS = "Thank you! The teacher will write to you at the contact you gave"
ASK = {"name": "Пётр Сидоров", "contact": "+7 (900) 123-45-67", "goal": "ОГЭ по математике",
       "preferred_times": "будни после 18:00"}


def ask(client, **fields):
    client.submit("/language/en")
    return client.submit("/trial", {**ASK, **fields}, page="/trial")


def test_the_start_page_invites_visitors_only(client, app, teacher, auth):
    client.submit("/language/en")
    assert 'href="/trial"' in client.get("/").text
    auth.login()
    assert 'href="/trial"' not in client.get("/").text


def test_a_visitor_asks_and_the_teacher_is_told(client, app, teacher):
    response = ask(client)
    assert response.status_code == 302
    assert THANKS in client.get("/").text
    with app.app_context():
        trial = TrialRequest.get()
        assert (trial.name, trial.contact_key, trial.status) == (
            "Пётр Сидоров", "+79001234567", TrialRequest.NEW)
        item = InboxItem.get(InboxItem.user == teacher.id)
        assert "Пётр Сидоров" in item.subject and "ОГЭ по математике" in item.body_text
        assert item.link == f"/teacher/trials/{trial.id}"


def test_telegram_carries_offer_and_decline(client, app, create_user, telegram):
    teacher = create_user("teacher", TEACHER_PASSWORD, role=User.TEACHER, first_name="Анна",
                          channel=User.TELEGRAM, telegram_chat_id="42", locale="en")
    ask(client)
    with app.app_context():
        trial = TrialRequest.get()
        buttons = Message.get(Message.user == teacher.id).buttons
    assert f'"url": "http://localhost/teacher/lessons/new?trial={trial.id}"' in buttons
    assert f'"callback_data": "td{trial.id}.' in buttons
    assert '"Offer a time"' in buttons and '"Decline"' in buttons


def test_decline_in_telegram_declines_in_place(client, app, create_user, create_student,
                                                telegram):
    teacher = create_user("teacher", TEACHER_PASSWORD, role=User.TEACHER, first_name="Анна",
                          channel=User.TELEGRAM, telegram_chat_id="42", locale="en")
    create_student(login="eve", channel=User.TELEGRAM, telegram_chat_id="43")
    ask(client)
    with app.app_context():
        delivery.deliver_due()
        trial_id = TrialRequest.get().id
        message_id, shown = telegram.message_with_buttons(42)
        [decline] = [b for row in shown["reply_markup"]["inline_keyboard"] for b in row
                     if b["text"] == "Decline"]
        data = decline["callback_data"]
        # A forged button, and another person's press, change nothing.
        forged = data[:-1] + ("A" if data[-1] != "A" else "B")
        press = telegram_bot.handle_update(telegram.press(42, message_id, forged))
        assert press.notice == "This button does not work: nothing was changed."
        press = telegram_bot.handle_update(telegram.press(42, message_id, data, from_id=43))
        assert press.notice == "Это не вам отвечать: ничего не изменено."  # eve's language
        assert TrialRequest.get_by_id(trial_id).is_open
        # The teacher's press declines it and the message says so, its buttons gone.
        press = telegram_bot.handle_update(telegram.press(42, message_id, data))
        assert press.notice.startswith("Declined by you at ")
        assert TrialRequest.get_by_id(trial_id).status == TrialRequest.DECLINED
        edited = telegram.messages[("42", message_id)]
        assert edited["text"].endswith(press.notice) and not edited["reply_markup"]
        press = telegram_bot.handle_update(telegram.press(42, message_id, data))
        assert press.notice == "This has already been answered: nothing was changed."


@pytest.mark.parametrize("fields", [
    {"website": "http://spam.example"},  # the honeypot
    {"name": ""},  # refused: the form again, not the thanks
])
def test_bots_and_bad_input_leave_nothing(client, app, teacher, fields):
    response = ask(client, **fields)
    if "website" in fields:
        assert response.status_code == 302 and THANKS in client.get("/").text
    else:
        assert response.status_code == 200 and "Tell us your name." in response.text
    with app.app_context():
        assert TrialRequest.select().count() == 0 and InboxItem.select().count() == 0


def test_one_contact_asks_once_a_day_and_is_answered_the_same(client, app, teacher,
                                                              create_student):
    create_student(login="petr", email="petr@example.org")
    ask(client, contact="petr@example.org")
    assert THANKS in client.get("/").text
    ask(client, contact=" PETR@example.org ")
    assert THANKS in client.get("/").text
    with app.app_context():
        assert TrialRequest.select().count() == 1
        assert InboxItem.select().count() == 1


@pytest.mark.config(RATELIMIT_ENABLED=True, TRIAL_RATE_LIMIT="2 per hour")
def test_one_address_is_rate_limited(client, app, teacher):
    for number in range(2):
        assert ask(client, contact=f"c{number}@example.org").status_code == 302
    assert ask(client, contact="c9@example.org").status_code == 429


def test_offering_a_time_makes_the_account(client, app, teacher, auth):
    ask(client)
    with app.app_context():
        trial_id = TrialRequest.get().id
    auth.login()
    page = client.get(f"/teacher/trials/{trial_id}").text
    assert "Offer a time" in page and "+7 (900) 123-45-67" in page
    form = client.get(f"/teacher/lessons/new?trial={trial_id}").text
    assert 'value="Пётр"' in form and 'value="Сидоров"' in form
    assert "Trial lesson. Contact: +7 (900) 123-45-67" in form
    response = client.submit(f"/teacher/lessons/new?trial={trial_id}", {
        "first_name": "Пётр", "last_name": "Сидоров", "day": "2099-03-02", "time": "10:00",
        "minutes": "60", "price": "1000", "people": "1", "comment": "пробное"},
        page=f"/teacher/lessons/new?trial={trial_id}")
    assert response.status_code == 200
    assert "send the time, the login and the password to +7 (900) 123-45-67" in response.text
    with app.app_context():
        trial = TrialRequest.get_by_id(trial_id)
        assert trial.status == TrialRequest.OFFERED
        assert trial.student.login == "piotr.sidorov"
        assert Lesson.get(Lesson.student == trial.student).status == Lesson.CONFIRMED
    assert "A time was offered" in client.get(f"/teacher/trials/{trial_id}").text


def test_declining(client, app, teacher, auth):
    ask(client)
    with app.app_context():
        trial_id = TrialRequest.get().id
    auth.login()
    response = client.submit(f"/teacher/trials/{trial_id}/decline",
                             page=f"/teacher/trials/{trial_id}")
    assert response.headers["Location"] == "/teacher/trials"
    client.submit(f"/teacher/trials/{trial_id}/decline", page=f"/teacher/trials/{trial_id}")
    assert "answered already" in client.get("/teacher/trials").text
    with app.app_context():
        assert TrialRequest.get_by_id(trial_id).status == TrialRequest.DECLINED


def test_only_the_teacher_sees_requests(client, app, teacher, auth, create_student):
    ask(client)
    with app.app_context():
        trial_id = TrialRequest.get().id
    create_student(login="eve")
    auth.login("eve", STUDENT_PASSWORD)
    assert client.get(f"/teacher/trials/{trial_id}").status_code == 403
    assert client.submit(f"/teacher/trials/{trial_id}/decline").status_code == 403


def test_lesson_defaults_split_the_name(app_ctx):
    trial = TrialRequest(name="Мария", contact="@maria", goal="", preferred_times="")
    assert trials.lesson_defaults(trial)["first_name"] == "Мария"
    assert trials.lesson_defaults(trial)["last_name"] == ""


def test_the_teachers_home_points_to_waiting_requests(client, app, teacher, auth):
    ask(client)
    auth.login()
    assert "1 trial lesson request waits for an answer" in client.get("/").text
