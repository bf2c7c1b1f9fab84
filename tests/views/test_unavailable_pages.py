"""Unavailable time on the teacher's availability page: any from–to range in the
teacher's zone, listed as a person says it, refused with a clear message when it
makes no sense, never keeping a lesson inside without listing it first; as a full
page (no JavaScript) and as the htmx fragment. The calendar shows it to the teacher
in the week and the month; students simply find no slots there."""
import re
from datetime import date, datetime, time, timezone

import pytest

from tests.conftest import STUDENT_PASSWORD, TEACHER_PASSWORD, browser_for
from tutor.models import Lesson, UnavailableInterval
from tutor.services import schedule

NOW = datetime(2026, 12, 1, 6, 0, tzinfo=timezone.utc)  # Tuesday, 09:00 in Moscow
HTMX = {"HX-Request": "true"}
PAGE = "/teacher/availability"
RANGE = {"first_day": "2026-12-09", "start_time": "14:00", "last_day": "2026-12-11",
         "end_time": "10:00", "reason": "Конференция"}


@pytest.fixture
def ready(app, teacher, time_machine):
    """Every day 10:00-18:00 Moscow time, on the morning of 1 December."""
    time_machine.move_to(NOW, tick=False)
    with app.app_context():
        schedule.set_windows(teacher, [(day, time(10), time(18)) for day in range(7)])
    return teacher


@pytest.fixture
def visitor(app, client, ready):
    """A logged-in browser of its own (or anonymous) in English, or in Russian."""
    def open_as(login=None, password=STUDENT_PASSWORD, lang="en"):
        return browser_for(app, login, password, lang)
    return open_as


@pytest.fixture
def teacher_browser(visitor):
    return visitor("teacher", TEACHER_PASSWORD)


def intervals(app):
    with app.app_context():
        return [(i.start, i.end, i.reason) for i in UnavailableInterval.select().order_by(
            UnavailableInterval.start)]


def free_on(page, day):
    """The free cells of one day of a week page."""
    section = page.split(f'aria-labelledby="day-{day}"')[1].split('<section class="day')[0]
    return section.count('class="cell cell-free"')


def test_a_range_across_days_from_the_plain_form(teacher_browser, visitor, app):
    response = teacher_browser.submit("/teacher/unavailable", RANGE, page=PAGE)
    assert response.status_code == 302 and response.headers["Location"] == PAGE
    # Wall clock in Moscow (UTC+3) to UTC.
    assert intervals(app) == [(datetime(2026, 12, 9, 11), datetime(2026, 12, 11, 7),
                               "Конференция")]
    page = teacher_browser.get(PAGE).text
    assert "This time is marked unavailable." in page
    assert "<span>9 December 14:00 – 11 December 10:00 · Конференция</span>" in page
    assert 'aria-label="Remove 9 December 14:00 – 11 December 10:00"' in page

    week = visitor().get("/?week=2026-12-07").text
    assert (free_on(week, "2026-12-09"), free_on(week, "2026-12-10"),
            free_on(week, "2026-12-11")) == (4, 0, 8)


def test_a_range_from_htmx_redirects_and_a_bad_one_swaps_the_section(teacher_browser, app):
    token = teacher_browser.csrf_token(PAGE)
    response = teacher_browser.post("/teacher/unavailable", headers=HTMX,
                                    data={"csrf_token": token, **RANGE})
    assert response.status_code == 204 and response.headers["HX-Redirect"] == PAGE
    assert len(intervals(app)) == 1

    bad = teacher_browser.post("/teacher/unavailable", headers=HTMX, data={
        "csrf_token": token, **RANGE, "last_day": "2026-12-09", "end_time": "13:00"})
    assert bad.status_code == 200
    assert bad.text.lstrip().startswith('<div id="availability"') and "<html" not in bad.text
    assert '<p class="error" id="end_time-error">The end must come after the start.</p>' \
        in bad.text
    assert 'value="13:00"' in bad.text and "HX-Request" in bad.headers["Vary"]
    assert len(intervals(app)) == 1


@pytest.mark.parametrize("changes,field,message", [
    ({"last_day": "2026-12-09", "end_time": "14:00"}, "end_time",
     "The end must come after the start."),
    ({"last_day": "2026-12-08"}, "last_day", "The last day must not come before the first."),
    ({"first_day": ""}, "first_day", "Enter the date."),
    ({"first_day": "1800-01-01"}, "first_day", "Not a valid date value."),
    ({"last_day": "2300-01-01"}, "last_day", "Not a valid date value."),
    ({"start_time": "25:00"}, "start_time", "Not a valid time value."),
])
def test_a_range_that_makes_no_sense_is_refused(teacher_browser, app, changes, field, message):
    response = teacher_browser.submit("/teacher/unavailable", {**RANGE, **changes}, page=PAGE)
    assert response.status_code == 200
    assert f'<p class="error" id="{field}-error">{message}' in response.text
    assert intervals(app) == []


def test_an_hour_the_clocks_skip_is_no_range(teacher_browser, app, ready):
    with app.app_context():
        schedule.update_settings(ready, timezone="Europe/Berlin")
    response = teacher_browser.submit("/teacher/unavailable", {
        "first_day": "2027-03-28", "start_time": "02:00", "last_day": "2027-03-28",
        "end_time": "03:00"}, page=PAGE)
    assert response.status_code == 200
    assert "The end must come after the start." in response.text
    assert intervals(app) == []


def test_ranges_are_listed_as_a_person_says_them(teacher_browser, visitor, app, ready):
    with app.app_context():
        schedule.add_unavailable_days(ready, date(2026, 12, 9), date(2026, 12, 9))
        schedule.add_unavailable_days(ready, date(2026, 12, 20), date(2026, 12, 22), "Отпуск")
        schedule.add_unavailable(ready, datetime(2026, 12, 15, 11), datetime(2026, 12, 15, 15))
        schedule.add_unavailable_days(ready, date(2027, 1, 5), date(2027, 1, 5))
    page = teacher_browser.get(PAGE).text
    listed = re.findall(r'<ul class="windows unavailable-list">(.*?)</ul>', page, re.S)[0]
    assert re.findall(r"<span>(.*?)</span>", listed) == [
        "9 December, all day", "15 December, 14:00–18:00",
        "20–22 December · Отпуск", "5 January 2027, all day"]

    russian = visitor("teacher", TEACHER_PASSWORD, lang="ru").get(PAGE).text
    assert "<span>9 декабря, весь день</span>" in russian
    assert "<span>20–22 декабря · Отпуск</span>" in russian
    assert "<span>15 декабря, 14:00–18:00</span>" in russian


def test_the_fragment_for_htmx_has_the_range_form(teacher_browser):
    response = teacher_browser.get(PAGE, headers=HTMX)
    assert response.text.lstrip().startswith('<div id="availability"')
    assert "<html" not in response.text and "HX-Request" in response.headers["Vary"]
    for name in ("first_day", "start_time", "last_day", "end_time", "reason"):
        assert f'name="{name}"' in response.text
    assert "No unavailable time ahead." in response.text


def test_lessons_inside_are_listed_and_kept_only_when_seen(teacher_browser, app, ready, alisa):
    with app.app_context():
        lesson = Lesson.create(teacher=ready, student=alisa, start=datetime(2026, 12, 10, 8),
                               end=datetime(2026, 12, 10, 9), status=Lesson.CONFIRMED)
    first = teacher_browser.submit("/teacher/unavailable", RANGE, page=PAGE)
    assert first.status_code == 200
    warning = first.text.split('id="lessons-inside"')[1].split("</div>")[0]
    assert "1 lesson falls inside this time." in warning
    assert f'<a href="/lessons/{lesson.id}">10 December, 11:00–12:00</a>' in warning
    assert "Алиса Кузнецова" in warning and "confirmed" in warning
    assert f'name="seen" type="hidden" value="{lesson.id}"' in first.text
    assert "Mark unavailable anyway" in first.text and 'value="2026-12-11"' in first.text
    assert intervals(app) == []

    # The same with htmx: the section, the list in it.
    token = teacher_browser.csrf_token(PAGE)
    fragment = teacher_browser.post("/teacher/unavailable", headers=HTMX,
                                    data={"csrf_token": token, **RANGE})
    assert fragment.text.lstrip().startswith('<div id="availability"')
    assert f'href="/lessons/{lesson.id}"' in fragment.text and intervals(app) == []

    second = teacher_browser.submit("/teacher/unavailable", {**RANGE, "seen": str(lesson.id)},
                                    page=PAGE)
    assert second.status_code == 302
    assert len(intervals(app)) == 1
    page = teacher_browser.get(PAGE).text
    assert "1 lesson inside it stays: cancel it on its page" in page
    with app.app_context():
        assert Lesson.get_by_id(lesson.id).is_confirmed


def test_a_day_off_from_the_calendar_on_a_day_with_lessons_lists_them(teacher_browser, app,
                                                                      ready, alisa):
    with app.app_context():
        lesson = Lesson.create(teacher=ready, student=alisa, start=datetime(2026, 12, 10, 8),
                               end=datetime(2026, 12, 10, 9))
    response = teacher_browser.submit("/teacher/unavailable/day", {"day": "2026-12-10"},
                                      page="/?week=2026-12-07")
    assert response.status_code == 302
    assert response.headers["Location"] == (
        "/teacher/availability?first_day=2026-12-10&last_day=2026-12-10#days-off-title")
    assert intervals(app) == []
    page = teacher_browser.get(response.headers["Location"]).text
    assert f'href="/lessons/{lesson.id}"' in page and "awaiting confirmation" in page
    assert 'id="first_day" name="first_day" required type="date" value="2026-12-10"' in page
    assert f'value="{lesson.id}"' in page

    # A day without lessons is marked at once, as before.
    assert teacher_browser.submit("/teacher/unavailable/day", {"day": "2026-12-12"},
                                  page="/").headers["Location"] == "/?week=2026-12-12"
    assert len(intervals(app)) == 1


def test_the_teachers_calendar_shows_the_range_and_students_see_no_slots(
        teacher_browser, visitor, app, ready):
    # A student's week is kept rendered; a new range must reach it all the same.
    student = visitor()
    assert free_on(student.get("/?week=2026-12-07", headers=HTMX).text, "2026-12-10") == 8
    teacher_browser.submit("/teacher/unavailable", RANGE, page=PAGE)
    fragment = student.get("/?week=2026-12-07", headers=HTMX).text
    assert free_on(fragment, "2026-12-10") == 0
    assert "cell-unavailable" not in fragment and "Конференция" not in fragment

    week = teacher_browser.get("/?week=2026-12-07").text
    tenth = week.split('aria-labelledby="day-2026-12-10"')[1].split('<section class="day')[0]
    assert '<span class="time">All day</span>' in tenth and "Конференция" in tenth
    ninth = week.split('aria-labelledby="day-2026-12-09"')[1].split('<section class="day')[0]
    assert '<span class="time">14:00–24:00</span>' in ninth

    month = teacher_browser.get("/month?month=2026-12").text
    assert month.count("unavailable all day</span>") == 1
    assert month.count("partly unavailable</span>") == 2
    assert "unavailable" not in visitor().get("/month?month=2026-12").text


def test_a_time_the_clocks_skip_or_repeat_is_taken_and_told(teacher_browser, app, ready):
    with app.app_context():
        schedule.update_settings(ready, timezone="Europe/Berlin")
    response = teacher_browser.submit("/teacher/unavailable", {
        "first_day": "2027-03-28", "start_time": "02:30", "last_day": "2027-10-31",
        "end_time": "02:30"}, page=PAGE)
    assert response.status_code == 302
    # 02:30 does not exist on 28 March (03:30 summer time is meant); on 31 October it
    # comes twice (the first, still summer time, is meant).
    assert intervals(app) == [(datetime(2027, 3, 28, 1, 30), datetime(2027, 10, 31, 0, 30), "")]
    page = teacher_browser.get(PAGE).text
    assert "The clocks skip 02:30 on 28 March: it is taken as 03:30." in page
    assert "02:30 comes twice on 31 October (the clocks go back): it is taken as the first " \
           "one." in page
    assert "28 March 2027 03:30 – 31 October 2027 02:30" in page
