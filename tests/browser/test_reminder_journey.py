"""Reminders in Chromium: a student chooses a reminder a day before each lesson in
the profile, and the reminder job then writes exactly one, on the chosen channel."""
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.site import signed_in
from tests.conftest import STUDENT_PASSWORD
from tutor.models import Lesson, Message, User, utcnow
from tutor.services import reminders

pytestmark = pytest.mark.browser


def test_choose_a_day_ahead_and_get_one_reminder(browser, live_server, app, teacher,
                                                 create_student):
    create_student(login="anna", channel=User.EMAIL, email="anna@example.org")
    page = signed_in(browser, live_server, "anna", STUDENT_PASSWORD)

    page.goto(live_server + "/account")
    choice = page.get_by_label("Reminder before each lesson")
    expect(choice).to_have_value("2")
    choice.select_option(label="24 h before")
    page.locator("#notifications-form").get_by_role("button", name="Save").click()
    expect(page.get_by_text("Your notification settings are saved.")).to_be_visible()

    with app.app_context():
        anna = User.by_login("anna")
        assert anna.reminder_hours == 24
        start = utcnow().replace(microsecond=0) + timedelta(hours=20)
        Lesson.create(teacher=teacher, student=anna, start=start, end=start + timedelta(hours=1),
                      status=Lesson.CONFIRMED)
        assert reminders.send_due_reminders() == 1
        assert reminders.send_due_reminders() == 0
        reminder = Message.get(Message.kind == "lesson_reminder")
        assert (reminder.address, reminder.user_id) == ("anna@example.org", anna.id)
