"""Confirming a request from the e-mail in Chromium: the teacher opens the link of
the "new booking" message, sees the lesson and one button, presses it and sees the
outcome; the same link's button pressed again (in a tab opened before) says it was
used, and the lesson is confirmed once."""
import re
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect

from tests.factories import teacher_and_ivan
from tutor.models import Lesson, Message
from tutor.services import booking

pytestmark = pytest.mark.browser


def test_confirm_a_request_from_the_e_mail_link(browser, live_server, app, teacher,
                                                create_student):
    app.config["PUBLIC_URL"] = live_server
    # Two days ahead, 10:00 in Moscow: bookable whatever the hour now.
    start = (datetime.now(timezone.utc) + timedelta(days=2)).replace(
        hour=7, minute=0, second=0, microsecond=0, tzinfo=None)
    with app.app_context():
        anna, ivan = teacher_and_ivan(teacher, create_student)
        lesson = booking.book_lesson(ivan, anna, start, "Grammar")
        body = Message.get((Message.user == teacher.id)
                           & (Message.kind == "lesson_booked")).body_text
    link = re.search(r"Confirm the lesson:\n(\S+)", body).group(1)
    assert link.startswith(live_server + "/act/")

    context = browser.new_context(locale="en-GB")  # not logged in
    page = context.new_page()
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Lesson:")
    expect(page.locator("main")).to_contain_text("Ivan Petrov")
    expect(page.locator("main")).to_contain_text("awaiting confirmation")
    # The same link in another tab, opened before the button is pressed.
    later = context.new_page()
    later.goto(link)

    page.get_by_role("button", name="Confirm (1,500 ₽)").click()
    expect(page.locator("main").get_by_role("status")).to_have_text(
        re.compile(r"^Confirmed by you at \d\d:\d\d\.$"))
    with app.app_context():
        assert Lesson.get_by_id(lesson.id).is_confirmed
        assert Message.select().where((Message.user == ivan)
                                      & (Message.kind == "lesson_confirmed")).count() == 1

    later.get_by_role("button", name="Confirm (1,500 ₽)").click()
    expect(later.get_by_role("heading", level=1)).to_have_text("This link no longer works")
    expect(later.locator("main").get_by_role("status")).to_have_text(
        "This has already been answered: nothing was changed.")
    # Opening it again says so straight away, with no button.
    page.goto(link)
    expect(page.locator("main").get_by_role("status")).to_contain_text("already been answered")
    expect(page.locator("main form")).to_have_count(0)
    with app.app_context():
        assert Message.select().where((Message.user == ivan)
                                      & (Message.kind == "lesson_confirmed")).count() == 1
    context.close()
