"""The teacher's caps on pending requests through HTTP: a request past the cap is
refused in the booking dialog with a clear message in the student's language (the
dialog stays, nothing is saved), for a single lesson and for a weekly booking."""
from datetime import datetime, time, timezone

import pytest

from tests.conftest import STUDENT_PASSWORD
from tutor.models import Lesson, LessonSeries
from tutor.services import booking, schedule, series

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)  # Monday, 11:00 in Moscow
TUESDAY_10 = datetime(2026, 11, 24, 7, 0)  # naive UTC: Tuesday 10:00 in Moscow
NEXT = "2026-11-24T08:00:00"  # Tuesday 11:00 in Moscow, free
HTMX = {"HX-Request": "true"}


@pytest.fixture
def alisa(app, client, teacher, create_student, time_machine):
    """Alisa with one request waiting; the teacher allows one lesson and one series."""
    time_machine.move_to(NOW, tick=False)
    student = create_student(login="alisa", first_name="Алиса", last_name="Кузнецова")
    with app.app_context():
        schedule.set_windows(teacher, [(day, time(10), time(14)) for day in (1, 2, 3)])
        schedule.update_settings(teacher, max_pending_lessons=1, max_pending_series=1)
        booking.book_lesson(student, teacher, TUESDAY_10)
    return student


def browser_of(app, language):
    browser = app.test_client()
    browser.submit(f"/language/{language}")
    assert browser.submit("/login", {"login": "alisa", "password": STUDENT_PASSWORD}
                          ).status_code == 302
    return browser


def counts(app):
    with app.app_context():
        return Lesson.select().count(), LessonSeries.select().count()


@pytest.mark.parametrize("language, message", [
    ("en", "You already have 1 request waiting for the teacher's answer, the most the "
           "teacher allows. Please wait for the answer or cancel it."),
    ("ru", "У вас уже 1 заявка ждёт ответа преподавателя — больше преподаватель не "
           "разрешает. Дождитесь ответа или отмените заявку."),
])
def test_a_request_past_the_cap_is_refused_in_the_dialog(app, alisa, language, message):
    browser = browser_of(app, language)
    page = f"/lessons/new?start={NEXT}"
    for headers in ({}, HTMX):
        response = browser.submit("/lessons", {"start": NEXT, "comment": "Ещё одно"},
                                  page=page, headers=headers)
        assert response.status_code == 200
        assert message in response.text.replace("&#39;", "'")
        assert "Ещё одно" in response.text  # the form keeps what was typed
    assert "<html" not in response.text  # the htmx answer is the dialog alone
    assert counts(app) == (1, 0)


@pytest.mark.parametrize("language, allowed, message", [
    ("en", 0, "The teacher does not take weekly bookings by request."),
    ("ru", 0, "Преподаватель не принимает заявки на еженедельные занятия."),
    ("en", 1, "You already have 1 weekly booking waiting for the teacher's answer"),
    ("ru", 1, "У вас уже 1 еженедельная заявка ждёт ответа преподавателя"),
])
def test_a_weekly_request_past_the_cap_is_refused_in_the_dialog(app, alisa, teacher,
                                                                language, allowed, message):
    with app.app_context():
        schedule.update_settings(teacher, max_pending_lessons=10, max_pending_series=allowed)
        if allowed:
            series.book_series(alisa, teacher, datetime(2026, 11, 25, 7, 0), count=2)
    before = counts(app)
    browser = browser_of(app, language)
    response = browser.submit("/lessons/series", {"start": NEXT, "times": "3",
                                                  "previewed": f"{NEXT}||3"},
                              page=f"/lessons/new?start={NEXT}", headers=HTMX)
    assert response.status_code == 200
    assert message in response.text.replace("&#39;", "'")
    assert counts(app) == before
