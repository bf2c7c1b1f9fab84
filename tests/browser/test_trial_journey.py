"""A trial request turned into a first lesson, in Chromium: a visitor asks from the
start page; the teacher finds it in the notifications, offers a time with the
new-lesson form filled in from the request, and gets the new account's login and
password to send to the visitor's contact. With the bot configured, the teacher's
Telegram message carries "Offer a time" and "Decline"."""
import json
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.site import axe_problems, signed_in
from tests.conftest import TEACHER_PASSWORD
from tests.fake_telegram import telegram  # noqa: F401 (fixture)
from tutor.models import Lesson, TeacherSettings, TrialRequest, User
from tutor.services import delivery

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
    expect(page.locator(".credentials")).to_contain_text("piotr.sidorov")
    with app.app_context():
        student = User.by_login("piotr.sidorov")
        assert TrialRequest.get_by_id(trial.id).student_id == student.id
        assert Lesson.get(Lesson.student == student).is_confirmed
        assert "Contact: petr@example.org" in Lesson.get(Lesson.student == student).comment


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

    # "Decline" opens the request's page (signed in), whose button declines.
    page = signed_in(browser, live_server, "teacher", TEACHER_PASSWORD)
    page.goto(decline["url"])
    page.get_by_role("button", name="Decline").click()
    expect(page.locator(".toast-success")).to_contain_text("The request is declined.")
    expect(page.get_by_text("No requests are waiting.")).to_be_visible()
