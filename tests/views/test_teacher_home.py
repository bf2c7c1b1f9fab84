"""The teacher's home shows what needs them, and a request is answered from there;
the header counts the requests awaiting confirmation for the teacher alone."""
import re
from decimal import Decimal

import pytest

from tests.conftest import TEACHER_PASSWORD
from tests.factories import lesson_for
from tests.views.pages import HTMX
from tutor.models import Lesson
from tutor.services import schedule


@pytest.fixture
def request_from_alisa(app, alisa, calendar_ready):
    with app.app_context():
        schedule.update_settings(calendar_ready, default_price=Decimal("1500"))
    return lesson_for(app, alisa, calendar_ready, comment="Алгебра")


def agenda(page):
    return re.search(r'<section id="agenda".*?</section>', page, re.S).group(0)


def badge(page):
    found = re.search(r'<a id="requests-badge".*?</a>', page, re.S)
    return found.group(0) if found else None


def test_the_home_lists_the_request_with_its_answers(person, request_from_alisa):
    page = person("teacher", TEACHER_PASSWORD).get("/").text
    home = agenda(page)
    item = re.search(r'<li class="agenda-item request" id="request-(\d+)">.*?</li>', home,
                     re.S)
    assert int(item.group(1)) == request_from_alisa.id
    assert "Tuesday, 24 November, 10:00" in item.group(0) and "Алгебра" in item.group(0)
    assert f'formaction="/teacher/lessons/{request_from_alisa.id}/confirm"' in item.group(0)
    assert f'formaction="/teacher/lessons/{request_from_alisa.id}/reject"' in item.group(0)
    assert "your usual price, 1,500 ₽" in home
    assert '<span class="count">1<' in badge(page)


def test_confirming_from_the_home(app, person, request_from_alisa):
    teacher = person("teacher", TEACHER_PASSWORD)
    done = teacher.submit(f"/teacher/lessons/{request_from_alisa.id}/confirm",
                          {"next": "/"}, page="/")
    assert done.status_code == 302 and done.headers["Location"] == "/"
    with app.app_context():
        lesson = Lesson.get_by_id(request_from_alisa.id)
        assert (lesson.status, lesson.price, lesson.comment) == ("confirmed", 1500, "Алгебра")
    page = teacher.get("/").text
    assert "The lesson is confirmed; the student is told." in page
    assert "No requests are waiting for you." in agenda(page)
    assert '<span class="count">' not in badge(page)
    again = teacher.submit(f"/teacher/lessons/{request_from_alisa.id}/confirm",
                           {"next": "/"}, page="/")
    assert again.status_code == 302
    assert "This lesson has already been confirmed." in teacher.get("/").text


def test_rejecting_from_the_home(app, person, request_from_alisa):
    teacher = person("teacher", TEACHER_PASSWORD)
    done = teacher.submit(f"/teacher/lessons/{request_from_alisa.id}/reject",
                          {"next": "/"}, page="/")
    assert done.status_code == 302 and done.headers["Location"] == "/"
    with app.app_context():
        assert Lesson.get_or_none(Lesson.id == request_from_alisa.id) is None


def test_only_the_teacher_confirms(app, person, request_from_alisa):
    student = person("alisa")
    refused = student.submit(f"/teacher/lessons/{request_from_alisa.id}/confirm",
                             {"next": "/"}, page="/")
    assert refused.status_code == 403
    assert person().post(f"/teacher/lessons/{request_from_alisa.id}/confirm").status_code in (
        302, 400)
    with app.app_context():
        assert Lesson.get_by_id(request_from_alisa.id).is_pending


def test_a_missing_lesson_is_not_found(person, request_from_alisa):
    teacher = person("teacher", TEACHER_PASSWORD)
    assert teacher.submit("/teacher/lessons/9999/confirm", {"next": "/"},
                          page="/").status_code == 404


def test_the_badge_alone_for_htmx(person, request_from_alisa):
    teacher = person("teacher", TEACHER_PASSWORD)
    for headers in ({}, HTMX):
        response = teacher.get("/teacher/requests/count", headers=headers)
        assert response.status_code == 200
        assert response.text.lstrip().startswith('<a id="requests-badge"')
        assert "<html" not in response.text and '<span class="count">1<' in response.text
    assert person("alisa").get("/teacher/requests/count").status_code == 403


def test_students_and_visitors_have_no_badge_and_no_home(person, request_from_alisa):
    for browser in (person("alisa"), person()):
        page = browser.get("/").text
        assert badge(page) is None and 'id="agenda"' not in page


def test_a_quiet_home_says_so(person, calendar_ready):
    page = person("teacher", TEACHER_PASSWORD).get("/").text
    home = agenda(page)
    assert "No requests are waiting for you." in home and "No lessons." in home
    assert "Students in debt" not in home
