"""A busy calendar larger than tutor keeps, in Chromium: a free/busy calendar (no
events, FREEBUSY periods, as CalDAV servers publish busy time) with a busy period
every 15 minutes for ten weeks. Its nearest 5 000 periods close the teacher's slots
and /teacher/calendars says in words, in the Russian of a new install and in
English, how many within the days students can book were left out; before this, such
a calendar was refused whole."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.site import TEACHER, axe_problems, log_in, signed_in
from tests.conftest import TEACHER_PASSWORD
from tests.fake_calendars import calendars, freebusy_calendar, many_busy  # noqa: F401
from tutor.models import utcnow
from tutor.services import busy_import

pytestmark = [pytest.mark.browser,
              pytest.mark.config(BUSY_CALENDAR_ALLOW_PRIVATE=True)]


@pytest.fixture
def huge_calendar(app, teacher, calendars):  # noqa: F811
    now = utcnow().replace(second=0, microsecond=0)
    url = calendars.serve("/export/busy.ics", freebusy_calendar(many_busy(now, 70 * 96)))
    with app.app_context():
        subscription = busy_import.subscribe(teacher, url)
        assert busy_import.refresh(subscription.id) == busy_import.UPDATED
    return subscription


def test_the_calendars_page_says_what_was_left_out(browser, live_server, app, huge_calendar):
    page = browser.new_context(timezone_id="Europe/Moscow").new_page()
    log_in(page, live_server, TEACHER)  # the Russian a new install starts with
    page.goto(live_server + "/teacher/calendars")
    expect(page.locator(".calendar-status")).to_contain_text("5 000 занятых интервалов")
    note = page.locator(".calendar-left-out")
    expect(note).to_contain_text("больше занятого времени, чем можно сохранить (5 000)")
    expect(note).to_contain_text(re.compile(r"37\d более поздних интервалов"))
    expect(page.locator(".calendar-status .error")).to_have_count(0)
    assert axe_problems(page, "other calendars with busy time left out") == []

    english = signed_in(browser, live_server, "teacher", TEACHER_PASSWORD)
    english.goto(live_server + "/teacher/calendars")
    expect(english.locator(".calendar-left-out")).to_contain_text(re.compile(
        r"37\d later ones within the days students can book were left out"))
    # The nearest busy periods close the teacher's week.
    english.goto(live_server + "/")
    expect(english.locator(".cell-imported").first).to_be_visible()
