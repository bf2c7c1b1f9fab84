"""Where the calendar opens: visitors and students land on the week of the next free
slot, which the page names with a link to book it; "Today" stays one click away; the
teacher lands on today's week."""
import re
from datetime import date

from tests.conftest import TEACHER_PASSWORD
from tests.views.pages import HTMX, free_cells
from tutor.services import schedule


def title(page):
    return re.search(r'<h2 id="week-title">([^<]*)</h2>', page).group(1)


def today_link(page):
    return re.search(r'<a id="week-current" href="([^"]*)"', page).group(1)


def next_free(page):
    found = re.search(r'<p class="next-free" id="next-free">(.*?)</p>', page, re.S)
    return found.group(1) if found else None


def block_this_week(app, teacher):
    with app.app_context():
        schedule.add_unavailable_days(teacher, date(2026, 11, 23), date(2026, 11, 29))


def test_a_week_with_free_time_is_where_it_opens(person):
    page = person().get("/").text
    assert title(page) == "Mon, 23 Nov – Sun, 29 Nov"
    assert next_free(page) == ('Next free time: <a href="/lessons/new?start=2026-11-24T07:00:00">'
                               'Tuesday, 24 November, 10:00</a>')


def test_a_full_week_opens_on_the_next_free_one(app, person, alisa, calendar_ready):
    block_this_week(app, calendar_ready)
    for browser in (person(), person("alisa")):
        page = browser.get("/").text
        assert title(page) == "Mon, 30 Nov – Sun, 6 Dec"
        assert free_cells(page) == 12
        assert "Tuesday, 1 December, 10:00" in next_free(page)
        assert today_link(page) == "/?week=2026-11-23"
        today = browser.get(today_link(page)).text
        assert title(today) == "Mon, 23 Nov – Sun, 29 Nov" and free_cells(today) == 0
        assert "Tuesday, 1 December, 10:00" in next_free(today)


def test_a_fragment_without_a_week_lands_there_too(app, person, calendar_ready):
    block_this_week(app, calendar_ready)
    fragment = person().get("/", headers=HTMX).text
    assert title(fragment) == "Mon, 30 Nov – Sun, 6 Dec"
    assert next_free(fragment) is None  # the page's, not the fragment's


def test_without_free_time_it_opens_today_and_says_so(app, person, calendar_ready):
    with app.app_context():
        schedule.set_windows(calendar_ready, [])
    page = person().get("/").text
    assert title(page) == "Mon, 23 Nov – Sun, 29 Nov"
    assert next_free(page) == "There is no free time to book yet. Please look again later."


def test_the_teacher_opens_on_today(app, person, calendar_ready):
    block_this_week(app, calendar_ready)
    page = person("teacher", TEACHER_PASSWORD).get("/").text
    assert title(page) == "Mon, 23 Nov – Sun, 29 Nov"
    assert next_free(page) is None


def test_in_russian(app, person, calendar_ready):
    block_this_week(app, calendar_ready)
    browser = person()
    browser.submit("/language/ru")
    assert "Ближайшее свободное время: <a" in next_free(browser.get("/").text)
    assert "вторник, 1 декабря, 10:00</a>" in next_free(browser.get("/").text)
