"""Calendar feeds in Chromium: a student turns the feed on in the profile, the
address serves their lessons to a calendar app, a new address retires the old one;
the lesson page offers the lesson as an .ics download."""
from datetime import datetime, timedelta

import pytest
from icalendar import Calendar
from playwright.sync_api import expect

from tests.browser.site import signed_in
from tests.conftest import STUDENT_PASSWORD
from tutor.models import Lesson

pytestmark = pytest.mark.browser


def test_subscribe_renew_and_download_one_lesson(browser, live_server, app, teacher,
                                                 create_student):
    anna = create_student(login="anna")
    with app.app_context():
        start = datetime.utcnow().replace(microsecond=0, second=0, minute=0) + timedelta(days=3)
        lesson = Lesson.create(teacher=teacher, student=anna, start=start,
                               end=start + timedelta(hours=1), status=Lesson.CONFIRMED)
    page = signed_in(browser, live_server, "anna", STUDENT_PASSWORD, accept_downloads=True)
    context = page.context

    page.goto(live_server + "/account")
    page.get_by_role("button", name="Turn the calendar feed on").click()
    address = page.get_by_label("Feed address")
    expect(address).to_be_visible()
    first = address.input_value()
    # A calendar app fetches the address without any session.
    fetched = context.request.fetch(first, headers={"Cookie": ""})
    assert fetched.ok and fetched.headers["content-type"].startswith("text/calendar")
    [event] = Calendar.from_ical(fetched.body()).walk("VEVENT")
    assert event.decoded("dtstart").replace(tzinfo=None) == start

    page.get_by_role("button", name="Give it a new address").click()
    expect(page.get_by_label("Feed address")).not_to_have_value(first)
    assert app.test_client().get(first.replace(live_server, "")).status_code == 404

    page.goto(f"{live_server}/lessons/{lesson.id}")
    with page.expect_download() as download:
        page.get_by_role("link", name="Add to my calendar (.ics)").click()
    assert download.value.suggested_filename == f"lesson-{lesson.id}.ics"
    [single] = Calendar.from_ical(open(download.value.path(), "rb").read()).walk("VEVENT")
    assert str(single["uid"]) == str(event["uid"])
