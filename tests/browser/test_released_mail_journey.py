"""A lesson e-mail that waited for a channel, in Chromium: a student on a new
install's defaults (no channel) has a lesson confirmed; later, with e-mail set up
(Mailgun, played by tests/fake_mailgun.py), they choose e-mail on their profile page.
The confirmation goes out then with the lesson's links and its .ics (as the lesson is
now: moved meanwhile, at its new time), and the inbox in the app offers the same
file beside the notice."""
from datetime import datetime, time, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from playwright.sync_api import expect

from tests.browser.site import signed_in
from tests.conftest import STUDENT_PASSWORD
from tutor.models import Lesson, Message, utcnow
from tutor.services import booking, calendar_feed, delivery, placing

pytestmark = pytest.mark.browser
MOSCOW = ZoneInfo("Europe/Moscow")


def test_a_held_confirmation_goes_out_with_its_event_when_e_mail_is_chosen(
        browser, live_server, app, teacher, create_student, fake_mailgun):
    anna = create_student(login="anna", first_name="Анна", last_name="Кузнецова")
    today = utcnow().replace(tzinfo=timezone.utc).astimezone(MOSCOW).date()
    monday = today + timedelta(days=7 - today.weekday())
    start = datetime.combine(monday, time(12), MOSCOW).astimezone(timezone.utc).replace(
        tzinfo=None)
    moved = start + timedelta(days=1, hours=2)
    with app.app_context():
        lesson, _ = placing.create_lesson_for(teacher, start, start + timedelta(hours=1),
                                              student=anna, price=Decimal(1500), people=1)
        booking.change_lesson(teacher, Lesson.get_by_id(lesson.id), Decimal(1500), 1,
                              start=moved)
        assert {m.status for m in Message.select()} == {Message.HELD}

    page = signed_in(browser, live_server, "anna", STUDENT_PASSWORD)
    page.goto(live_server + "/account")
    page.get_by_label("E-mail", exact=True).check()
    page.get_by_label("E-mail address").fill("anna@example.org")
    page.locator("#notifications, form", has=page.get_by_label("E-mail address")).get_by_role(
        "button", name="Save").click()
    expect(page.locator(".toast-success")).to_contain_text("Your notification settings are saved.")

    with app.app_context():
        assert delivery.deliver_due().sent == 2
        uid = calendar_feed.uid(Lesson.get_by_id(lesson.id))
    for form, files in zip(fake_mailgun.accepted, fake_mailgun.files):
        assert form["to"] == "anna@example.org"
        assert f"/lessons/{lesson.id}" in form["text"]
        [ics] = files
        [event] = Calendar.from_ical(ics.content).walk("VEVENT")
        assert str(event["uid"]) == uid and event["sequence"] == 2
        assert event.decoded("dtstart") == moved.replace(tzinfo=timezone.utc)

    page.goto(live_server + "/inbox")
    # Both notices (written in Russian, her language then) keep the file too.
    expect(page.locator(".inbox-item").get_by_role("link", name="lesson.ics")).to_have_count(2)
