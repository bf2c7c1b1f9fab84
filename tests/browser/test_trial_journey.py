"""A trial request turned into a first lesson, in Chromium: a visitor asks from the
start page; the teacher finds it in the notifications and offers a time with the
new-lesson form filled in from the request. On a new install (no e-mail set up) the
welcome e-mail waits in the outbox and the teacher is given the login and password to
pass on; with e-mail set up the visitor gets it, sets a password from its link and
sees the lesson; a request asked in the bot is answered in its chat. With the bot
configured, the teacher's Telegram message carries "Offer a time" and "Decline",
which declines in place."""
import json
import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.site import axe_problems, signed_in
from tests.conftest import TEACHER_PASSWORD
from tests.fake_telegram import telegram  # noqa: F401 (fixture)
from tutor.models import Lesson, Message, TeacherSettings, TrialRequest, User
from tutor.services import delivery, telegram_bot
from tests.fake_telegram import message_update

pytestmark = pytest.mark.browser


def visitor_asks(browser, live_server):
    page = browser.new_context(locale="en-GB", timezone_id="Europe/Moscow").new_page()
    page.goto(live_server + "/")
    page.get_by_role("button", name="English").click()
    page.get_by_role("link", name="Ask for a trial lesson").click()
    expect(page.get_by_role("heading", name="A trial lesson")).to_be_visible()
    assert axe_problems(page, "trial request form") == []
    page.get_by_label("Your name").fill("Пётр Сидоров")
    page.get_by_label("How to reach you").fill("petr@example.org")
    page.get_by_label("What would you like to learn?").fill("ОГЭ по математике")
    page.get_by_label("Which days and times suit you?").fill("будни после 18:00")
    page.get_by_role("button", name="Ask for a trial lesson").click()
    thanks = page.get_by_role("dialog")
    expect(thanks).to_contain_text("Thank you! The teacher will write to you")
    return page


def test_a_trial_request_becomes_a_first_lesson(browser, live_server, app, teacher):
    with app.app_context():
        TeacherSettings.for_teacher(teacher)
    visitor_asks(browser, live_server)
    with app.app_context():
        trial = TrialRequest.get()

    page = signed_in(browser, live_server, "teacher", TEACHER_PASSWORD)
    page.goto(live_server + "/inbox")
    # Written in the teacher's language (Russian, the site's default).
    expect(page.get_by_text("Заявка на пробное занятие: Пётр Сидоров").first).to_be_visible()
    page.locator(f'a[href="/teacher/trials/{trial.id}"]').first.click()
    expect(page.get_by_role("heading", name="Trial lesson request")).to_be_visible()
    expect(page.get_by_text("ОГЭ по математике")).to_be_visible()
    assert axe_problems(page, "trial request page") == []

    page.get_by_role("link", name="Offer a time").click()
    expect(page.get_by_label("First name of a new student")).to_have_value("Пётр")
    expect(page.get_by_label("Last name of a new student")).to_have_value("Сидоров")
    page.get_by_label("Date").fill((date.today() + timedelta(days=9)).isoformat())
    page.get_by_label("Start time").fill("18:00")
    page.get_by_role("button", name="Create the lesson").click()
    expect(page.get_by_role("heading", name="The lesson is created")).to_be_visible()
    expect(page.get_by_text("send the time, the login and the password to "
                            "petr@example.org")).to_be_visible()
    # E-mail is not set up on a new install: the welcome waits, and the page says why
    # the teacher passes the credentials on.
    expect(page.locator("#trial-told")).to_contain_text(
        "E-mail is not set up on this site yet")
    expect(page.locator(".credentials")).to_contain_text("piotr.sidorov")
    with app.app_context():
        student = User.by_login("piotr.sidorov")
        assert TrialRequest.get_by_id(trial.id).student_id == student.id
        assert Lesson.get(Lesson.student == student).is_confirmed
        assert "Contact: petr@example.org" in Lesson.get(Lesson.student == student).comment
        delivery.deliver_due()
        welcome = Message.get(Message.kind == "trial_welcome")
        assert (welcome.status, welcome.address) == (Message.HELD, "petr@example.org")
    page.goto(live_server + "/teacher/outbox")
    row = page.locator("tr", has_text="petr@example.org")
    expect(row).to_contain_text("waiting for this channel to be set up")


def offer_a_time(page, live_server, trial_id):
    page.goto(f"{live_server}/teacher/lessons/new?trial={trial_id}")
    page.get_by_label("Date").fill((date.today() + timedelta(days=9)).isoformat())
    page.get_by_label("Start time").fill("18:00")
    page.get_by_role("button", name="Create the lesson").click()
    expect(page.locator(".toast-success")).to_contain_text(
        "Пётр Сидоров is told how to sign in")
    expect(page.locator(".credentials")).to_have_count(0)


def sets_a_password_and_sees_the_lesson(browser, live_server, link):
    page = browser.new_context(locale="ru-RU", timezone_id="Europe/Moscow").new_page()
    page.goto(link)
    page.get_by_label("Новый пароль", exact=True).fill("Kedr-Lampa-Sinitsa-42")
    page.get_by_label("Новый пароль ещё раз").fill("Kedr-Lampa-Sinitsa-42")
    page.get_by_role("button", name="Сохранить пароль и войти").click()
    expect(page).to_have_url(re.compile(r"/lessons/\d+$"))
    expect(page.get_by_text("18:00").first).to_be_visible()
    return page


def test_with_email_set_up_the_visitor_is_told_and_sets_a_password(
        browser, live_server, app, teacher, fake_mailgun):
    app.config["PUBLIC_URL"] = live_server
    with app.app_context():
        TeacherSettings.for_teacher(teacher)
    visitor_asks(browser, live_server)
    with app.app_context():
        trial = TrialRequest.get()
    page = signed_in(browser, live_server, "teacher", TEACHER_PASSWORD)
    offer_a_time(page, live_server, trial.id)
    with app.app_context():
        delivery.deliver_due()
    # In the visitor's language: they asked in English.
    [mail] = [m for m in fake_mailgun.accepted if m["to"] == "petr@example.org"
              and m["subject"].startswith("Your trial lesson: ")]
    assert "Your login: piotr.sidorov" in mail["text"] and "18:00" in mail["subject"]
    link = re.search(r"http://\S+/reset/\S+", mail["text"]).group(0)
    sets_a_password_and_sees_the_lesson(browser, live_server, link)


def test_a_request_from_the_bot_is_answered_in_its_chat(browser, live_server, app, teacher,
                                                         telegram):
    app.config["PUBLIC_URL"] = live_server
    with app.app_context():
        TeacherSettings.for_teacher(teacher)
        for number, text in enumerate(["/trial", "Пётр Сидоров", "ОГЭ", "вечером", "-"]):
            if text == "-":
                text = "+7 900 123-45-67"
            telegram_bot.handle_update(message_update(950_000 + number, text, chat_id=777))
        trial = TrialRequest.get()
        assert trial.telegram_chat_id == "777"
    page = signed_in(browser, live_server, "teacher", TEACHER_PASSWORD)
    offer_a_time(page, live_server, trial.id)
    with app.app_context():
        delivery.deliver_due()
        assert User.by_login("piotr.sidorov").telegram_chat_id == "777"
    [text] = [body["text"] for body in telegram.sent
              if str(body["chat_id"]) == "777" and "Ваш логин" in body["text"]]
    link = re.search(r"http://\S+/reset/\S+", text).group(0).replace("&amp;", "&")
    sets_a_password_and_sees_the_lesson(browser, live_server, link)


def test_with_the_bot_the_teacher_declines_from_telegram(browser, live_server, app,
                                                         create_user, telegram):
    create_user("teacher", TEACHER_PASSWORD, role=User.TEACHER, first_name="Анна",
                channel=User.TELEGRAM, telegram_chat_id="42", locale="en")
    visitor_asks(browser, live_server)
    with app.app_context():
        assert delivery.deliver_due().sent == 1
        trial = TrialRequest.get()
    sent = telegram.sent[-1]
    assert "Пётр Сидоров asks for a trial lesson." in sent["text"]
    markup = sent["reply_markup"]
    markup = json.loads(markup) if isinstance(markup, str) else markup
    offer, decline = markup["inline_keyboard"][0]
    assert (offer["text"], decline["text"]) == ("Offer a time", "Decline")
    assert offer["url"] == f"{live_server}/teacher/lessons/new?trial={trial.id}"

    assert decline["callback_data"].startswith(f"td{trial.id}.")

    # "Decline" declines in place: the message says so; the web page agrees.
    with app.app_context():
        message_id, _shown = telegram.message_with_buttons(42)
        press = telegram_bot.handle_update(telegram.press(42, message_id,
                                                          decline["callback_data"]))
    assert press.notice.startswith("Declined by you at")
    assert not telegram.messages[("42", message_id)]["reply_markup"]
    page = signed_in(browser, live_server, "teacher", TEACHER_PASSWORD)
    page.goto(live_server + "/teacher/trials")
    expect(page.get_by_text("No requests are waiting.")).to_be_visible()
