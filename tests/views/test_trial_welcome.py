"""Offering a time for a trial request tells the visitor how to sign in through the
contact they gave: the bot's chat (which becomes the new account's Telegram) or an
e-mail, with the login, the lesson's time in their language and a single-use link to
set a password. Where that channel does not deliver yet the message waits in the
outbox and the teacher passes the credentials on; for a phone, the teacher does."""
import re
from datetime import datetime

import pytest

from tests.conftest import TEACHER_PASSWORD
from tests.fake_telegram import telegram  # noqa: F401 (fixture)
from tutor.models import Lesson, Message, TrialRequest, User
from tutor.services import delivery, trials

CHAT = 555000444
LESSON = {"first_name": "Пётр", "last_name": "Сидоров", "day": "2099-03-02", "time": "10:00",
          "minutes": "60", "price": "1000", "people": "1", "comment": "пробное"}
WHEN = "2 марта 2099, 10:00"  # Monday, in the teacher's (Moscow) zone, in Russian
NEW_PASSWORD = "Kedr-Lampa-Sinitsa-42"


def offer(client, app, auth, contact="petr@example.org", chat_id=None):
    with app.app_context():
        trial = trials.ask("Пётр Сидоров", contact, chat_id=chat_id, locale="ru")
    auth.login()
    client.submit("/language/en")
    url = f"/teacher/lessons/new?trial={trial.id}"
    return trial.id, client.submit(url, LESSON, page=url)


def welcome():
    return Message.get(Message.kind == "trial_welcome")


def set_password(client, link):
    """The visitor opens the link (signed out), sets a password: where it leads."""
    path = link.removeprefix("http://localhost")
    page = client.get(path)
    assert page.status_code == 200, page.text
    return client.submit(path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, page=path)


def test_a_request_from_the_bot_is_answered_in_its_chat(client, app, auth, teacher, telegram):
    trial_id, response = offer(client, app, auth, contact="Telegram @petr", chat_id=CHAT)
    # No credentials to pass on: the visitor is told.
    assert response.status_code == 302
    assert "Пётр Сидоров is told how to sign in" in client.get(response.headers["Location"]).text
    with app.app_context():
        student = TrialRequest.get_by_id(trial_id).student
        assert (student.telegram_chat_id, student.channel, student.locale) == (
            str(CHAT), User.TELEGRAM, "ru")
        message = welcome()
        assert (message.channel, message.address, message.status) == (
            User.TELEGRAM, str(CHAT), Message.PENDING)
        assert delivery.deliver_due().sent == 1
        lesson_id = Lesson.get(Lesson.student == student).id
    [text] = [body["text"] for body in telegram.sent if str(body["chat_id"]) == str(CHAT)]
    assert "Ваше пробное занятие" in text and WHEN in text
    assert f"Ваш логин: {student.login}" in text
    link = re.search(r"http://localhost/reset/\S+", text).group(0)
    assert f"lesson={lesson_id}" in link
    client.submit("/logout")
    done = set_password(client, link.replace("&amp;", "&"))
    assert done.headers["Location"] == f"/lessons/{lesson_id}"
    # The link works once.
    assert client.get(link.replace("&amp;", "&").removeprefix("http://localhost")
                      ).status_code == 400


def test_an_email_request_gets_an_email(client, app, auth, teacher, fake_mailgun):
    trial_id, response = offer(client, app, auth)
    assert response.status_code == 302
    with app.app_context():
        student = TrialRequest.get_by_id(trial_id).student
        assert (student.email, student.channel) == ("petr@example.org", User.EMAIL)
        assert delivery.deliver_due().sent >= 1
    [sent] = [m for m in fake_mailgun.accepted if "пробное" in m["subject"]]
    assert sent["to"] == "petr@example.org" and WHEN in sent["text"]
    assert f"Ваш логин: {student.login}" in sent["text"]


def test_on_a_new_install_the_email_waits_and_the_teacher_passes_it_on(
        client, app, auth, teacher, fake_mailgun):
    app.config["EMAIL_BACKEND"] = "console"  # a new install: e-mail not set up
    trial_id, response = offer(client, app, auth)
    assert response.status_code == 200
    assert "E-mail is not set up on this site yet" in response.text
    assert "petr@example.org" in response.text
    assert re.search(r"<code>[^<]{12,}</code>", response.text)  # the password, shown once
    with app.app_context():
        message = welcome()
        assert (message.status, message.address) == (Message.HELD, "petr@example.org")
        delivery.deliver_due()  # the console "backend" would only log it: it waits
        assert welcome().status == Message.HELD
        # E-mail is set up later: the message goes out by itself.
        app.config["EMAIL_BACKEND"] = "mailgun"
        delivery.deliver_due()
        assert welcome().status == Message.SENT
    assert any(m["to"] == "petr@example.org" for m in fake_mailgun.accepted)


def test_a_phone_contact_is_passed_on_by_the_teacher(client, app, auth, teacher):
    trial_id, response = offer(client, app, auth, contact="+7 (900) 123-45-67")
    assert response.status_code == 200
    assert "The app cannot write to this contact itself" in response.text
    with app.app_context():
        assert Message.select().where(Message.kind == "trial_welcome").count() == 0


def test_the_welcome_link_expires_after_a_week(client, app, auth, teacher, telegram,
                                               time_machine):
    time_machine.move_to(datetime(2099, 2, 1, 9, 0), tick=False)
    offer(client, app, auth, contact="Telegram", chat_id=CHAT)
    with app.app_context():
        link = re.search(r"http://localhost(/reset/\S+)", welcome().body_text).group(1)
    client.submit("/logout")
    time_machine.move_to(datetime(2099, 2, 8, 8, 0), tick=False)
    assert client.get(link).status_code == 200
    time_machine.move_to(datetime(2099, 2, 8, 10, 0), tick=False)
    assert client.get(link).status_code == 400
