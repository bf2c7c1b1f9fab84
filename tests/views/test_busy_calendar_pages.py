"""The teacher's "Other calendars" page over HTTP: an address added is read (the
consumer's work, run at once here), its status said in words, refreshed, removed;
refusals at the field; the fragment and the full page; and the weeks it changes —
the student's without the busy slot, the teacher's with "busy (imported)"."""
import html
from datetime import datetime, time, timedelta, timezone

import pytest

from tests.conftest import STUDENT_PASSWORD, TEACHER_PASSWORD, browser_for
from tests.fake_calendars import SAMPLE, SAMPLE_BUSY, SECRET_TITLE, calendars  # noqa: F401
from tutor.models import AuditEntry, CalendarSubscription, ImportedBusy
from tutor.services import schedule

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=timezone.utc)  # Monday 12:00 in Moscow
pytestmark = pytest.mark.config(BUSY_CALENDAR_ALLOW_PRIVATE=True,
                                BUSY_CALENDAR_READ_TIMEOUT=1)


@pytest.fixture
def ready(app, teacher, time_machine):
    time_machine.move_to(NOW, tick=False)
    with app.app_context():
        schedule.set_windows(teacher, [(day, time(9), time(18)) for day in range(7)])
    return time_machine


@pytest.fixture
def teacher_browser(app, client, ready):
    return browser_for(app, "teacher", TEACHER_PASSWORD)


def add(browser, url):
    return browser.submit("/teacher/calendars", {"url": url})


def test_an_added_calendar_is_read_and_its_status_said(app, teacher_browser, calendars, ready):
    url = calendars.serve("/private-abc/basic.ics", SAMPLE)
    response = add(teacher_browser, url)
    assert response.status_code == 302
    page = teacher_browser.get("/teacher/calendars").text
    assert "The calendar is added and is being read now." in page
    assert "Updated just now, 9 busy intervals." in page
    assert "127.0.0.1/…/basic.ics" in page and "private-abc" not in page
    assert SECRET_TITLE not in page

    ready.shift(timedelta(minutes=5))
    teacher_browser.submit("/language/ru")
    page = teacher_browser.get("/teacher/calendars").text
    assert "Обновлено 5 минут назад, 9 занятых интервалов." in page
    with app.app_context():
        entry = AuditEntry.get(AuditEntry.action == "calendar.add")
        assert "private-abc" not in entry.after


def test_a_failing_calendar_says_why_and_keeps_what_it_had(app, teacher_browser, calendars,
                                                            ready):
    url = calendars.serve("/c.ics", SAMPLE)
    add(teacher_browser, url)
    calendars.serve("/c.ics", b"<html>Please sign in</html>")
    with app.app_context():
        subscription = CalendarSubscription.get()
    ready.shift(timedelta(minutes=3))
    teacher_browser.submit(f"/teacher/calendars/{subscription.id}/refresh",
                           page="/teacher/calendars")
    page = teacher_browser.get("/teacher/calendars").text
    assert "There is no calendar at this address" in page
    assert "Kept from the last good read: updated 3 minutes ago, 9 busy intervals." in page
    with app.app_context():
        assert ImportedBusy.select().count() == len(SAMPLE_BUSY)


@pytest.mark.parametrize("text, message", [
    ("", "Paste the calendar's address."),
    ("calendar.google.com/basic.ics", "This is not a calendar's web address."),
    ("ftp://example.org/cal.ics", "This is not a calendar's web address."),
    ("https://example.org/" + "a" * 1000, "This address is too long."),
])
def test_what_is_not_an_address_is_refused_at_the_field(app, teacher_browser, text, message):
    response = add(teacher_browser, text)
    assert response.status_code == 200
    assert message in html.unescape(response.text)
    assert 'aria-invalid="true"' in response.text
    with app.app_context():
        assert CalendarSubscription.select().count() == 0


def test_the_same_address_twice_is_refused(app, teacher_browser):
    with app.app_context():
        CalendarSubscription.create(teacher=1, url="https://calendar.example.org/a.ics")
    response = add(teacher_browser, "https://calendar.example.org/a.ics")
    assert "This calendar is added already." in response.text


def test_the_list_is_a_fragment_for_htmx_and_a_page_otherwise(teacher_browser):
    fragment = teacher_browser.get("/teacher/calendars", headers={"HX-Request": "true"})
    assert fragment.text.lstrip().startswith('<div id="busy-calendars"')
    assert "<html" not in fragment.text and "HX-Request" in fragment.headers["Vary"]
    page = teacher_browser.get("/teacher/calendars")
    assert "<html" in page.text and 'id="busy-calendars"' in page.text


def test_a_read_still_waiting_asks_again_until_it_is_done(app, teacher_browser, calendars,
                                                          monkeypatch):
    from tutor import jobs
    monkeypatch.setattr(jobs, "wake", lambda: None)  # no consumer yet
    add(teacher_browser, calendars.serve("/c.ics", SAMPLE))
    waiting = teacher_browser.get("/teacher/calendars", headers={"HX-Request": "true"}).text
    assert 'hx-trigger="load delay:2s"' in waiting and "Being read…" in waiting
    with app.app_context():
        jobs.check_waiting_work.call_local()
    done = teacher_browser.get("/teacher/calendars", headers={"HX-Request": "true"}).text
    assert "hx-trigger" not in done.split(">", 1)[0] and "9 busy intervals" in done


def test_removing_a_calendar_opens_its_time_again(app, teacher_browser, calendars,
                                                 create_student):
    add(teacher_browser, calendars.serve("/c.ics", SAMPLE))
    create_student(login="anna")
    student = browser_for(app, "anna", STUDENT_PASSWORD)
    week = student.get("/?week=2027-03-01").text
    assert "start=2027-03-02T07:00\"" not in week and "start=2027-03-02T08:00\"" in week
    teacher_week = teacher_browser.get("/?week=2027-03-01").text
    assert "busy (imported)" in teacher_week and SECRET_TITLE not in teacher_week

    with app.app_context():
        subscription = CalendarSubscription.get()
    response = teacher_browser.submit(f"/teacher/calendars/{subscription.id}/delete",
                                      page="/teacher/calendars")
    assert response.status_code == 302
    assert "start=2027-03-02T07:00\"" in student.get("/?week=2027-03-01").text
    assert "busy (imported)" not in teacher_browser.get("/?week=2027-03-01").text
    assert teacher_browser.submit(f"/teacher/calendars/{subscription.id}/delete",
                                  page="/teacher/calendars").status_code == 404
