"""Booking a slot and the life of a lesson through HTTP: who may open and do what
(anonymous, the lesson's student, another student, the teacher), the CSRF guard, and
each transition with its outbox message."""
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from tests import factories
from tests.conftest import STUDENT_PASSWORD, TEACHER_PASSWORD
from tutor.models import Lesson, Message, User
from tutor.services import booking

NOW = factories.MONDAY_MORNING  # Monday, 11:00 in Moscow
TUESDAY_10 = datetime(2026, 11, 24, 7, 0)  # naive UTC: Tuesday 10:00 in Moscow
HTMX = {"HX-Request": "true"}


@pytest.fixture
def calendar_ready(app, teacher, time_machine):
    """Tuesday to Thursday, 10:00-14:00 Moscow time, on a Monday morning; the teacher
    gets messages by e-mail."""
    return factories.ready_calendar(app, teacher, time_machine, email=True)


@pytest.fixture
def alisa(create_student):
    return create_student(login="alisa", first_name="Алиса", last_name="Кузнецова",
                          channel=User.EMAIL, email="alisa@example.org")


@pytest.fixture
def boris(create_student):
    return create_student(login="boris", first_name="Борис", last_name="Орлов",
                          channel=User.EMAIL, email="boris@example.org")


@pytest.fixture
def pending(app, alisa, calendar_ready):
    """Alisa's request for Tuesday 10:00."""
    with app.app_context():
        return booking.book_lesson(alisa, calendar_ready, TUESDAY_10, "Подготовка к ЕГЭ")


@pytest.fixture
def confirmed(app, pending, calendar_ready):
    with app.app_context():
        return booking.confirm_lesson(calendar_ready, pending, 1500, 1)


def lessons(app):
    with app.app_context():
        return list(Lesson.select().order_by(Lesson.start))


def messages(app, kind=None):
    with app.app_context():
        query = Message.select().order_by(Message.id)
        if kind:
            query = query.where(Message.kind == kind)
        return [(m.kind, m.address, m.body_text) for m in query]


def kinds(app):
    return [kind for kind, _, _ in messages(app)]


def lesson_state(app, lesson_id):
    with app.app_context():
        lesson = Lesson.get_or_none(Lesson.id == lesson_id)
        return lesson.status if lesson else "deleted"


# --- booking --------------------------------------------------------------------------

def test_anonymous_visitors_are_sent_to_log_in_with_the_slot_kept(person):
    response = person().get("/lessons/new?start=2026-11-24T07:00:00")
    assert response.status_code == 302
    assert response.headers["Location"] == (
        "/login?next=/lessons/new?start%3D2026-11-24T07:00:00")
    login_page = person().get(response.headers["Location"]).text
    assert 'name="next" type="hidden" value="/lessons/new?start=2026-11-24T07:00:00"' in login_page


def test_an_htmx_click_by_anonymous_redirects_the_whole_page(person):
    response = person().get("/lessons/new?start=2026-11-24T07:00:00", headers=HTMX)
    assert response.status_code == 204
    assert response.headers["HX-Redirect"].startswith("/login?next=/lessons/new")


@pytest.mark.parametrize("start", ["", "yesterday", "2026-11-24T25:00"])
def test_a_bad_start_is_not_found(person, alisa, start):
    assert person("alisa").get(f"/lessons/new?start={start}").status_code == 404


def test_the_booking_form_as_a_page(person, alisa):
    """A full page (back from logging in, or without JavaScript): the slot's week with
    the booking dialog open over it; its Cancel closes the dialog, no script needed."""
    response = person("alisa").get("/lessons/new?start=2026-11-24T07:00:00")
    page = response.text
    assert response.status_code == 200 and "<html" in page
    assert '<form id="book-form" method="post" action="/lessons"' in page
    assert 'name="start" type="hidden" value="2026-11-24T07:00:00"' in page
    assert "Tuesday, 24 November 2026</strong>, 10:00–11:00" in page
    assert "(Moscow (UTC+3))" in page
    assert 'id="week"' in page and "Mon, 23 Nov – Sun, 29 Nov" in page
    dialog = page[page.index('<div id="lesson-dialog">'):]
    assert dialog.split(">", 1)[1].lstrip().startswith('<dialog class="notice" open data-modal')
    assert 'form="book-close">Cancel</button>' in page


def test_the_booking_form_as_a_dialog(person, alisa):
    response = person("alisa").get("/lessons/new?start=2026-11-24T07:00:00", headers=HTMX)
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<dialog class="notice" open data-modal')
    assert 'id="book-dialog"' in response.text and 'id="book-form"' in response.text
    assert "<html" not in response.text
    assert "HX-Request" in response.headers["Vary"]


def test_the_teacher_is_sent_to_their_own_form(teacher_browser):
    response = teacher_browser.get("/lessons/new?start=2026-11-24T07:00:00")
    assert response.status_code == 302
    assert response.headers["Location"] == "/teacher/lessons/new?start=2026-11-24T07:00:00"


def test_a_student_books_a_free_slot(person, app, alisa):
    browser = person("alisa")
    response = browser.submit("/lessons", {"start": "2026-11-24T07:00:00",
                                           "comment": "Хочу разобрать задачи"},
                              page="/lessons/new?start=2026-11-24T07:00:00")
    assert response.status_code == 302 and response.headers["Location"] == "/?week=2026-11-24"
    [lesson] = lessons(app)
    assert (lesson.student_id, lesson.status, lesson.start, lesson.end, lesson.comment) == (
        alisa.id, Lesson.PENDING, TUESDAY_10, datetime(2026, 11, 24, 8, 0),
        "Хочу разобрать задачи")
    [(kind, address, text)] = messages(app, "lesson_booked")
    assert (kind, address) == ("lesson_booked", "teacher@example.org")
    [(_, address, text_to_her)] = messages(app, "lesson_requested")
    assert address == "alisa@example.org" and "is with the teacher" in text_to_her
    assert "Алиса Кузнецова" in text
    week = browser.get("/?week=2026-11-24").text
    assert "Your request is sent." in week
    assert '<li class="cell cell-pending cell-own">' in week


def test_an_htmx_booking_reloads_the_week(person, app, alisa):
    browser = person("alisa")
    token = browser.csrf_token("/lessons/new?start=2026-11-24T07:00:00")
    response = browser.post("/lessons", data={"csrf_token": token,
                                              "start": "2026-11-24T07:00:00"}, headers=HTMX)
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/?week=2026-11-24"
    assert [lesson.status for lesson in lessons(app)] == [Lesson.PENDING]


def test_a_taken_slot_is_a_conflict_and_the_form_stays(person, app, pending, boris):
    response = person("boris").submit("/lessons", {"start": "2026-11-24T07:00:00",
                                                   "comment": "Можно в это время?"},
                                      page="/lessons/new?start=2026-11-24T07:00:00")
    assert response.status_code == 409
    assert "Someone has just booked this time. Please pick another one." in response.text
    assert '<form id="book-form"' in response.text
    assert "Можно в это время?</textarea>" in response.text
    assert [lesson.student_id for lesson in lessons(app)] == [pending.student_id]
    assert kinds(app) == ["lesson_booked", "lesson_requested"]  # Alisa's only


def test_a_taken_slot_in_the_dialog_keeps_the_dialog(person, app, pending, boris):
    browser = person("boris")
    token = browser.csrf_token("/lessons/new?start=2026-11-24T07:00:00")
    response = browser.post("/lessons", data={"csrf_token": token,
                                              "start": "2026-11-24T07:00:00"}, headers=HTMX)
    assert response.status_code == 200  # htmx swaps only 2xx answers
    assert response.text.lstrip().startswith("<dialog")
    assert "Someone has just booked this time." in response.text
    assert len(lessons(app)) == 1


@pytest.mark.parametrize("start", ["2026-11-24T07:30:00",  # off the hourly grid
                                   "2026-11-23T09:00:00",  # inside the 12 hours notice
                                   "2026-11-27T07:00:00"])  # Friday: no window
def test_a_time_that_is_not_a_slot_is_a_conflict(person, app, alisa, start):
    response = person("alisa").submit("/lessons", {"start": start},
                                      page=f"/lessons/new?start={start}")
    assert response.status_code == 409
    assert "This time is not free for booking any more." in response.text
    assert lessons(app) == [] and messages(app) == []


def test_a_too_long_comment_is_refused_and_nothing_is_written(person, app, alisa):
    response = person("alisa").submit("/lessons", {"start": "2026-11-24T07:00:00",
                                                   "comment": "я" * 2001},
                                      page="/lessons/new?start=2026-11-24T07:00:00")
    assert response.status_code == 200
    assert "At most 2000 characters." in response.text
    assert 'aria-invalid="true"' in response.text
    assert lessons(app) == [] and messages(app) == []


# --- who may do what ------------------------------------------------------------------

CONFIRM = {"price": "1500", "people": "1", "day": "2026-11-24", "time": "10:00", "comment": ""}
ROUTES = {  # name: (method, path, form data)
    "book form": ("GET", "/lessons/new?start=2026-11-25T07:00:00", None),
    "book": ("POST", "/lessons", {"start": "2026-11-25T07:00:00"}),
    "show": ("GET", "/lessons/{id}", None),
    "student": ("GET", "/lessons/{id}/student", None),
    "confirm": ("POST", "/lessons/{id}/confirm", CONFIRM),
    "reject": ("POST", "/lessons/{id}/reject", {"reason": "Не получится"}),
    "cancel": ("POST", "/lessons/{id}/cancel", {"reason": "Не получится"}),
}
LOGIN = "login"
# who: {route: (status, what becomes of Alisa's pending lesson)}
EXPECTED = {
    "anonymous": {"book form": (LOGIN, "pending"), "book": (LOGIN, "pending"),
                  "show": (LOGIN, "pending"), "student": (LOGIN, "pending"),
                  "confirm": (LOGIN, "pending"), "reject": (LOGIN, "pending"),
                  "cancel": (LOGIN, "pending")},
    "alisa": {"book form": (200, "pending"), "book": (302, "pending"),
              "show": (200, "pending"), "student": (200, "pending"),
              "confirm": (403, "pending"), "reject": (403, "pending"),
              "cancel": (302, "deleted")},
    "boris": {"book form": (200, "pending"), "book": (302, "pending"),
              "show": (404, "pending"), "student": (404, "pending"),
              "confirm": (404, "pending"), "reject": (404, "pending"),
              "cancel": (404, "pending")},
    "teacher": {"book form": (302, "pending"), "book": (403, "pending"),
                "show": (200, "pending"), "student": (200, "pending"),
                "confirm": (302, "confirmed"), "reject": (302, "deleted"),
                "cancel": (302, "deleted")},
}
PASSWORDS = {"alisa": STUDENT_PASSWORD, "boris": STUDENT_PASSWORD, "teacher": TEACHER_PASSWORD}


@pytest.mark.parametrize("who,route", [(who, route) for who in EXPECTED for route in ROUTES])
def test_who_may_do_what_with_a_lesson(person, app, pending, boris, who, route):
    browser = person(None if who == "anonymous" else who, PASSWORDS.get(who))
    method, path, data = ROUTES[route]
    path = path.format(id=pending.id)
    if method == "GET":
        response = browser.get(path)
    else:
        response = browser.submit(path, data, page="/")
    status, state = EXPECTED[who][route]
    if status == LOGIN:
        assert response.status_code == 302
        location = urlsplit(response.headers["Location"])
        assert location.path == "/login"
        if method == "GET":
            assert parse_qs(location.query)["next"] == [path]
    else:
        assert response.status_code == status
    assert lesson_state(app, pending.id) == state
    booked = [lesson for lesson in lessons(app) if lesson.id != pending.id]
    assert len(booked) == (1 if route == "book" and status == 302 else 0)
    if status == 404:
        assert "Кузнецова" not in response.text and "Подготовка" not in response.text


@pytest.mark.parametrize("route", ["book", "confirm", "reject", "cancel"])
def test_a_post_without_the_csrf_token_is_refused(person, app, pending, route):
    browser = person("alisa" if route == "book" else "teacher",
                     STUDENT_PASSWORD if route == "book" else TEACHER_PASSWORD)
    _, path, data = ROUTES[route]
    response = browser.post(path.format(id=pending.id), data=data)
    assert response.status_code == 400
    assert "The form has expired." in response.text
    assert [(lesson.id, lesson.status) for lesson in lessons(app)] == [(pending.id, "pending")]


# --- the lesson page ------------------------------------------------------------------

def test_the_teacher_sees_the_request_with_the_confirm_form(teacher_browser, pending):
    page = teacher_browser.get(f"/lessons/{pending.id}").text
    assert "Tuesday, 24 November 2026, 10:00–11:00" in page
    assert "<dd>Алиса Кузнецова</dd>" in page and "Подготовка к ЕГЭ" in page
    assert f'action="/lessons/{pending.id}/confirm"' in page
    assert f'action="/lessons/{pending.id}/reject"' in page
    assert 'name="day" required type="date" value="2026-11-24"' in page
    assert 'name="time" required type="time" value="10:00"' in page
    # The usual price, in a text field (a number field's decimal sign is the browser's).
    assert ('inputmode="decimal" name="price" required type="text" value="0"') in page


def test_the_student_sees_their_request_and_may_cancel_it(person, pending):
    page = person("alisa").get(f"/lessons/{pending.id}").text
    assert '<dd class="status-pending">awaiting confirmation</dd>' in page
    assert f'action="/lessons/{pending.id}/cancel"' in page
    assert "/confirm" not in page and "/reject" not in page


# --- the lifecycle --------------------------------------------------------------------

def test_the_teacher_confirms_with_price_and_people(teacher_browser, app, pending):
    response = teacher_browser.submit(f"/lessons/{pending.id}/confirm", {
        "price": "1500", "people": "2", "day": "2026-11-24", "time": "10:00",
        "comment": "Взять учебник"}, page=f"/lessons/{pending.id}")
    assert response.status_code == 302 and response.headers["Location"] == "/?week=2026-11-24"
    [lesson] = lessons(app)
    assert (lesson.status, lesson.price, lesson.people, lesson.comment, lesson.start) == (
        Lesson.CONFIRMED, 1500, 2, "Взять учебник", TUESDAY_10)
    assert lesson.confirmed_at == NOW.replace(tzinfo=None)
    [(kind, address, _)] = messages(app, "lesson_confirmed")
    assert address == "alisa@example.org"
    assert "The lesson is confirmed; the student is told." in teacher_browser.get("/").text


def test_the_teacher_confirms_at_another_time(teacher_browser, app, pending):
    response = teacher_browser.submit(f"/lessons/{pending.id}/confirm", {
        "price": "1000", "people": "1", "day": "2026-11-26", "time": "12:30"},
        page=f"/lessons/{pending.id}")
    assert response.headers["Location"] == "/?week=2026-11-26"
    [lesson] = lessons(app)
    assert (lesson.status, lesson.start, lesson.end) == (
        Lesson.CONFIRMED, datetime(2026, 11, 26, 9, 30), datetime(2026, 11, 26, 10, 30))
    assert kinds(app) == ["lesson_booked", "lesson_requested", "lesson_moved"]


def test_a_lesson_cannot_be_moved_onto_another(teacher_browser, app, pending, boris,
                                               calendar_ready):
    with app.app_context():
        other = booking.book_lesson(boris, calendar_ready, datetime(2026, 11, 25, 7, 0))
    response = teacher_browser.submit(f"/lessons/{pending.id}/confirm", {
        "price": "1000", "people": "1", "day": "2026-11-25", "time": "10:30"},
        page=f"/lessons/{pending.id}")
    assert response.status_code == 200
    assert "Someone has just booked this time." in response.text
    assert 'value="2026-11-25"' in response.text and 'value="10:30"' in response.text
    assert [(lesson.id, lesson.status) for lesson in lessons(app)] == [
        (pending.id, "pending"), (other.id, "pending")]


@pytest.mark.parametrize("field,value,message", [
    ("price", "-1", "Enter the amount in digits, for example 1500 or 1500.50."),
    ("price", "100000000", "From 0 to 99,999,999.99 ₽."),
    ("price", "1500,505", "At most two digits after the decimal point (kopecks)."),
    ("price", "", "Enter the price (0 for a free lesson)."),
    ("people", "0", "From 1 to 50."),
    ("time", "25:00", "Not a valid time value."),
])
def test_bad_confirm_details_are_field_errors(teacher_browser, app, pending, field, value,
                                             message):
    data = {"price": "1500", "people": "1", "day": "2026-11-24", "time": "10:00", field: value}
    response = teacher_browser.submit(f"/lessons/{pending.id}/confirm", data,
                                      page=f"/lessons/{pending.id}")
    assert response.status_code == 200
    assert message in response.text
    assert f'id="{field}-error"' in response.text
    assert lesson_state(app, pending.id) == "pending" and kinds(app) == ["lesson_booked", "lesson_requested"]


def test_the_teacher_rejects_with_a_reason(teacher_browser, app, pending):
    response = teacher_browser.submit(f"/lessons/{pending.id}/reject",
                                      {"reason": "Заболела, извините"},
                                      page=f"/lessons/{pending.id}")
    assert response.status_code == 302
    assert lessons(app) == []
    [(kind, address, text)] = messages(app, "lesson_rejected")
    assert address == "alisa@example.org"
    assert "Заболела, извините" in text


def test_the_teacher_cancels_with_a_reason(teacher_browser, app, confirmed):
    page = teacher_browser.get(f"/lessons/{confirmed.id}").text
    assert f'action="/lessons/{confirmed.id}/cancel"' in page and "/confirm" not in page
    response = teacher_browser.submit(f"/lessons/{confirmed.id}/cancel",
                                      {"reason": "Переезд"}, page=f"/lessons/{confirmed.id}")
    assert response.status_code == 302
    assert lessons(app) == []
    [(kind, address, text)] = messages(app, "lesson_cancelled")
    assert address == "alisa@example.org" and "Переезд" in text


def test_the_teacher_must_give_a_reason_to_cancel(teacher_browser, app, confirmed):
    response = teacher_browser.submit(f"/lessons/{confirmed.id}/cancel", {"reason": "  "},
                                      page=f"/lessons/{confirmed.id}")
    assert response.status_code == 200
    assert ('<p class="error" id="reason-error">Please give the student a reason.</p>'
            in response.text)
    assert lesson_state(app, confirmed.id) == "confirmed"
    assert messages(app, "lesson_cancelled") == []


def test_the_student_cancels_their_pending_lesson(person, app, pending):
    browser = person("alisa")
    response = browser.submit(f"/lessons/{pending.id}/cancel", page=f"/lessons/{pending.id}")
    # Back to their own lessons, where it is listed as withdrawn.
    assert response.status_code == 302 and response.headers["Location"] == "/lessons/mine"
    assert lessons(app) == []
    [(kind, address, text)] = messages(app, "lesson_cancelled")
    assert address == "teacher@example.org" and "Алиса Кузнецова" in text
    mine = browser.get("/lessons/mine").text
    assert "The lesson is cancelled." in mine and "You withdrew the request." in mine


def test_the_student_cannot_cancel_a_confirmed_lesson_at_short_notice(person, app, confirmed):
    # 23 hours before the lesson; the teacher asks for 24.
    response = person("alisa").submit(f"/lessons/{confirmed.id}/cancel",
                                      page=f"/lessons/{confirmed.id}")
    assert response.status_code == 200
    assert ("A confirmed lesson can be cancelled only until 23 November 2026, 10:00. "
            "Please contact the teacher.") in response.text
    assert lesson_state(app, confirmed.id) == "confirmed"
    assert messages(app, "lesson_cancelled") == []


def test_the_student_cancels_a_confirmed_lesson_in_good_time(person, app, alisa,
                                                             calendar_ready):
    with app.app_context():
        thursday = booking.book_lesson(alisa, calendar_ready, datetime(2026, 11, 26, 7, 0))
        booking.confirm_lesson(calendar_ready, thursday, 1500, 1)
    response = person("alisa").submit(f"/lessons/{thursday.id}/cancel",
                                      page=f"/lessons/{thursday.id}")
    assert response.status_code == 302
    assert lessons(app) == []


def test_confirming_twice_says_it_is_already_confirmed(teacher_browser, app, confirmed):
    # The teacher had the request open in a second tab.
    response = teacher_browser.submit(f"/lessons/{confirmed.id}/confirm", {
        "price": "900", "people": "1", "day": "2026-11-24", "time": "10:00"},
        page=f"/lessons/{confirmed.id}")
    assert response.status_code == 200
    assert "This lesson has already been confirmed." in response.text
    [lesson] = lessons(app)
    assert (lesson.status, lesson.price) == (Lesson.CONFIRMED, 1500)
