"""The calendar pages as each kind of visitor sees them: the week and the month, whole
or as htmx fragments; free slots for everybody, a pending lesson without names, a
confirmed one only for its student and the teacher, unavailable time for the teacher."""
import re
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest

from tests import factories
from tests.conftest import STUDENT_PASSWORD, TEACHER_PASSWORD
from tests.factories import lesson_for
from tests.views.pages import HTMX, day_of, free_cells
from tutor.models import UnavailableInterval
from tutor.services import schedule

NOW = factories.MONDAY_MORNING  # Monday, 11:00 in Moscow


# --- the week -------------------------------------------------------------------------

def test_the_week_is_a_full_page(person):
    response = person().get("/?week=2026-11-23")
    assert response.status_code == 200
    assert response.text.lstrip().startswith("<!doctype html>")
    assert '<header class="site-header">' in response.text
    week = re.search(r'<section id="week"[^>]*>', response.text).group(0)
    assert 'hx-target="this"' in week and 'hx-swap="outerHTML"' in week
    assert 'id="week-title">Mon, 23 Nov – Sun, 29 Nov<' in response.text
    assert '<div id="lesson-dialog"></div>' in response.text
    assert "HX-Request" in response.headers["Vary"]


def test_an_htmx_request_gets_only_the_week(person):
    response = person().get("/?week=2026-11-30", headers=HTMX)
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="week"')
    assert "<html" not in response.text and "site-header" not in response.text
    assert 'id="week-title">Mon, 30 Nov – Sun, 6 Dec<' in response.text
    assert free_cells(response.text) == 12
    assert "HX-Request" in response.headers["Vary"]


@pytest.mark.parametrize("header", ["HX-Boosted", "HX-History-Restore-Request"])
def test_boosted_and_history_restore_requests_get_the_full_page(person, header):
    response = person().get("/?week=2026-11-30", headers={**HTMX, header: "true"})
    assert response.text.lstrip().startswith("<!doctype html>")
    assert '<section id="week"' in response.text


def test_the_week_links_to_the_weeks_around_it(person):
    browser = person()
    page = browser.get("/?week=2026-11-26").text  # a Thursday: its week starts on Monday
    assert 'id="week-title">Mon, 23 Nov – Sun, 29 Nov<' in page
    assert re.search(r'href="/\?week=2026-11-16" hx-get="/\?week=2026-11-16"[^>]*rel="prev"', page)
    assert re.search(r'href="/\?week=2026-11-30" hx-get="/\?week=2026-11-30"[^>]*rel="next"', page)
    assert 'href="/month?month=2026-11"' in page

    following = browser.get("/?week=2026-11-30", headers=HTMX).text
    assert ('href="/?week=2026-11-23" hx-get="/?week=2026-11-23" hx-push-url="true">Today<'
            in following)
    assert 'href="/?week=2026-12-07"' in following
    assert free_cells(day_of(following, "2026-12-01")) == 4


@pytest.mark.parametrize("query", ["?week=garbage", "?week=2026-13-45", "?week="])
def test_a_bad_week_falls_back_to_this_week(person, query):
    response = person().get("/" + query)
    assert response.status_code == 200
    assert 'id="week-title">Mon, 23 Nov – Sun, 29 Nov<' in response.text
    assert '<section class="day today" aria-labelledby="day-2026-11-23">' in response.text


def test_anonymous_visitors_see_the_free_slots(person):
    page = person().get("/").text
    assert free_cells(page) == 12
    assert "Times are shown in the Moscow (UTC+3) time zone." in page
    tuesday = day_of(page, "2026-11-24")
    times = re.findall(r'<span class="time">([^<]+)</span>\s+<span class="what">free</span>',
                       tuesday)
    assert times == ["10:00–11:00", "11:00–12:00", "12:00–13:00", "13:00–14:00"]
    # A plain link, its start to the minute; the grid has htmx fetch it into the dialog
    # (data-htmx-links, static/js/tutor.js), so no hx-get repeats the address.
    assert '<a class="slot" href="/lessons/new?start=2026-11-24T07:00">' in tuesday
    assert "hx-get" not in tuesday
    assert ('<div class="week-grid" hx-target="#lesson-dialog" hx-swap="innerHTML" '
            'hx-push-url="false" data-htmx-links=".slot">') in page
    assert "No free time" in day_of(page, "2026-11-23")  # Monday has no window
    assert "Day off" not in page and "Make available" not in page
    assert "swatch-confirmed" not in page  # the legend shows what anonymous can see


def test_times_are_shown_in_the_viewers_own_zone(person, create_student):
    create_student(login="kenji", timezone="Asia/Tokyo")
    page = person("kenji").get("/").text
    assert "Times are shown in the Tokyo (UTC+9) time zone." in page
    tuesday = day_of(page, "2026-11-24")
    assert '<span class="time">16:00–17:00</span>' in tuesday
    assert "10:00–11:00" not in page
    assert 'href="/lessons/new?start=2026-11-24T07:00"' in tuesday  # links stay in UTC


# --- the month ------------------------------------------------------------------------

def counted(kind, number, word):
    """A month cell's count: the bare number a phone shows, the words for the rest."""
    return (f'<span class="{kind}"><span class="short" aria-hidden="true">{number}</span>'
            f'<span class="long">{number} {word}</span></span>')


def test_the_month_counts_free_slots_per_day(person):
    response = person().get("/month?month=2026-11")
    page = response.text
    assert response.status_code == 200 and "<html" in page
    assert '<section id="month"' in page and 'hx-target="this"' in page
    assert "Times are shown in the Moscow (UTC+3) time zone." in page
    # Tue-Thu of this week and of the next (shown greyed, from December).
    assert page.count(counted("free-count", 4, "free")) == 6
    assert page.count("has-free") == 6 and page.count('class="outside has-free"') == 3
    # The link is named by its text (a hidden full date before the visible number), not
    # by an aria-label that differs from what is seen.
    assert '<span class="visually-hidden">Tuesday, 24 November 2026:</span>' in page
    assert 'aria-label="Tuesday' not in page
    assert 'href="/?week=2026-11-24"' in page
    assert 'href="/month?month=2026-10"' in page and 'href="/month?month=2026-12"' in page


def test_an_htmx_request_gets_only_the_month(person, app, alisa, calendar_ready):
    lesson_for(app, alisa, calendar_ready)
    response = person().get("/month?month=2026-11", headers=HTMX)
    assert response.text.lstrip().startswith('<section id="month"')
    assert "<html" not in response.text
    assert "HX-Request" in response.headers["Vary"]
    tuesday = re.search(r'Tuesday, 24 November 2026:.*?</a>', response.text, re.S).group(0)
    assert counted("free-count", 3, "free") in tuesday  # the pending request takes one
    assert counted("lesson-count", 1, "lesson") in response.text


def test_a_bad_month_falls_back_to_this_month(person):
    response = person().get("/month?month=nonsense")
    assert response.status_code == 200
    assert 'id="month-title">November 2026<' in response.text


# --- who sees which lesson ------------------------------------------------------------

def test_a_pending_lesson_shows_to_others_without_names(person, app, alisa, boris,
                                                        calendar_ready):
    lesson = lesson_for(app, alisa, calendar_ready, comment="Подготовка к ЕГЭ")
    for page in (person("boris").get("/").text, person().get("/").text):
        tuesday = day_of(page, "2026-11-24")
        assert free_cells(tuesday) == 3
        cell = re.search(r'<li class="cell cell-pending">.*?</li>', tuesday, re.S).group(0)
        assert "10:00–11:00" in cell and "awaiting confirmation" in cell
        assert "awaits the teacher's confirmation" in cell
        for secret in ("Алиса", "Кузнецова", "alisa", "Подготовка", "Show student",
                       f"/lessons/{lesson.id}", "cell-own"):
            assert secret not in page


def test_the_student_sees_their_own_pending_lesson(person, app, alisa, calendar_ready):
    lesson = lesson_for(app, alisa, calendar_ready, comment="Подготовка к ЕГЭ")
    tuesday = day_of(person("alisa").get("/").text, "2026-11-24")
    cell = re.search(r'<li class="cell cell-pending cell-own">.*?</li>', tuesday, re.S).group(0)
    assert "awaiting confirmation" in cell and "Подготовка к ЕГЭ" in cell
    assert f'href="/lessons/{lesson.id}"' in cell


def test_a_confirmed_lesson_is_only_for_its_student_and_the_teacher(person, app, alisa, boris,
                                                                   calendar_ready):
    lesson = lesson_for(app, alisa, calendar_ready, comment="Подготовка к ЕГЭ", price=1500,
                        people=2)
    for page in (person("boris").get("/").text, person().get("/").text):
        tuesday = day_of(page, "2026-11-24")
        assert "10:00–11:00" not in tuesday  # neither free nor a lesson
        assert free_cells(tuesday) == 3
        assert "cell-confirmed" not in page and "cell-pending" not in page
        assert "Подготовка" not in page and "Кузнецова" not in page
    month = person("boris").get("/month?month=2026-11").text
    assert "lesson-count" not in month

    own = day_of(person("alisa").get("/").text, "2026-11-24")
    teachers = day_of(person("teacher", TEACHER_PASSWORD).get("/").text, "2026-11-24")
    assert '<li class="cell cell-confirmed cell-own">' in own
    assert '<li class="cell cell-confirmed">' in teachers
    for tuesday in (own, teachers):
        cell = re.search(r'<li class="cell cell-confirmed.*?</li>', tuesday, re.S).group(0)
        assert "10:00–11:00" in cell and ">confirmed<" in cell
        assert "Lesson for 2 people · 1,500 ₽" in cell
        assert "Подготовка к ЕГЭ" in cell
        assert f'href="/lessons/{lesson.id}"' in cell
    # The teacher may reveal who booked; the student does not need their own name shown.
    assert f'hx-get="/lessons/{lesson.id}/student"' in teachers and "Show student" in teachers
    assert "/student\"" not in own and "Show student" not in own
    for login, password in (("alisa", STUDENT_PASSWORD), ("teacher", TEACHER_PASSWORD)):
        month = person(login, password).get("/month?month=2026-11").text
        assert counted("lesson-count", 1, "lesson") in month


def test_show_student_reveals_the_name_to_the_teacher(person, app, alisa, calendar_ready):
    lesson = lesson_for(app, alisa, calendar_ready)
    response = person("teacher", TEACHER_PASSWORD).get(f"/lessons/{lesson.id}/student",
                                                       headers=HTMX)
    assert response.text.strip() == '<span class="student-name">Алиса Кузнецова</span>'


# --- unavailable time -----------------------------------------------------------------

@pytest.fixture
def wednesday_off(app, calendar_ready):
    with app.app_context():
        return schedule.add_unavailable_days(calendar_ready, date(2026, 11, 25),
                                             date(2026, 11, 25), "Конференция")


def test_the_teacher_sees_unavailable_time_and_can_lift_it(person, app, wednesday_off):
    teacher = person("teacher", TEACHER_PASSWORD)
    wednesday = day_of(teacher.get("/?week=2026-11-23").text, "2026-11-25")
    assert free_cells(wednesday) == 0
    cell = re.search(r'<li class="cell cell-unavailable">.*?</li>', wednesday, re.S).group(0)
    assert "All day" in cell and "unavailable: Конференция" in cell
    # The week's one lift form; the cell's button gives the interval's address.
    assert '<button type="submit" form="week-lift" formaction="' in cell
    action = re.search(r'formaction="([^"]+)"', cell).group(1).replace("&amp;", "&")
    assert urlsplit(action).path == f"/teacher/unavailable/{wednesday_off.id}/delete"
    assert parse_qs(urlsplit(action).query)["next"] == ["/?week=2026-11-23"]
    assert '>Make available<span class="visually-hidden"> All day</span></button>' in cell

    response = teacher.submit(action, page="/?week=2026-11-23")
    assert response.status_code == 302 and response.headers["Location"] == "/?week=2026-11-23"
    with app.app_context():
        assert UnavailableInterval.select().count() == 0
    assert free_cells(day_of(teacher.get("/?week=2026-11-23").text, "2026-11-25")) == 4


def test_lifting_unavailable_time_with_htmx_stays_on_the_calendar(person, app, wednesday_off):
    teacher = person("teacher", TEACHER_PASSWORD)
    page = teacher.get("/?week=2026-11-23", headers=HTMX).text
    cell = re.search(r'<li class="cell cell-unavailable">.*?</li>', page, re.S).group(0)
    assert '<form id="week-lift" method="post" hx-post>' in page
    target = re.search(r'formaction="([^"]+)"', cell).group(1).replace("&amp;", "&")
    response = teacher.post(target, data={"csrf_token": teacher.csrf_token("/")},
                            headers={**HTMX, "HX-Current-URL": "http://localhost/?week=2026-11-23"})
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == "/?week=2026-11-23"
    with app.app_context():
        assert UnavailableInterval.select().count() == 0


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example"])
def test_lifting_unavailable_time_never_leaves_the_site(person, app, wednesday_off, target):
    teacher = person("teacher", TEACHER_PASSWORD)
    response = teacher.submit(f"/teacher/unavailable/{wednesday_off.id}/delete",
                              query_string={"next": target}, page="/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/teacher/availability"


def test_students_see_unavailable_time_only_as_no_free_time(person, alisa, wednesday_off):
    for page in (person("alisa").get("/").text, person().get("/").text):
        wednesday = day_of(page, "2026-11-25")
        assert "No free time" in wednesday
        assert "cell-unavailable" not in page and "Конференция" not in page
        assert "Make available" not in page


def test_the_teacher_gets_a_day_off_button_on_days_with_free_slots(person):
    page = person("teacher", TEACHER_PASSWORD).get("/").text
    assert page.count('action="/teacher/unavailable/day"') == 1  # one form for the week
    assert page.count('form="week-day-off"') == 3
    tuesday = day_of(page, "2026-11-24")
    assert '<button type="submit" form="week-day-off" name="day" value="2026-11-24"' in tuesday
    assert "Day off" not in day_of(page, "2026-11-23")
