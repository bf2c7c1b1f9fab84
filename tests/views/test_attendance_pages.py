"""Attendance, payments, balances and feedback through HTTP: who may do what (a
student never marks, records or reads someone else's money or feedback), CSRF on
every write, each htmx endpoint plain (PRG or the full page) and as a fragment (its
root id, no layout, Vary), and validation errors shown, never a 500."""
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from tests.conftest import STUDENT_PASSWORD, TEACHER_PASSWORD
from tutor.models import AuditEntry, Feedback, Lesson, Payment, User
from tutor.services import balances, feedback

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)  # Monday, 11:00 in Moscow
HTMX = {"HX-Request": "true"}


@pytest.fixture
def world(app, teacher, create_student, time_machine):
    """Alisa had a lesson last Monday (1200) and has one tomorrow; Boris had one
    on Friday (900)."""
    time_machine.move_to(NOW, tick=False)
    alisa = create_student(login="alisa", first_name="Алиса", last_name="Кузнецова")
    boris = create_student(login="boris", first_name="Борис", last_name="Орлов")
    with app.app_context():
        def make(student, start, price):
            return Lesson.create(teacher=teacher, student=student, start=start,
                                 end=start + timedelta(hours=1), status=Lesson.CONFIRMED,
                                 price=Decimal(price))
        return {
            "alisa": alisa, "boris": boris,
            "past": make(alisa, datetime(2026, 11, 16, 7), "1200"),
            "ahead": make(alisa, datetime(2026, 11, 24, 7), "1200"),
            "boris_past": make(boris, datetime(2026, 11, 20, 7), "900"),
        }


@pytest.fixture
def person(app, client, world):
    def open_as(login=None, password=STUDENT_PASSWORD):
        browser = app.test_client()
        browser.submit("/language/en")
        if login:
            assert browser.submit("/login", {"login": login,
                                             "password": password}).status_code == 302
        return browser
    return open_as


@pytest.fixture
def teacher_browser(person):
    return person("teacher", TEACHER_PASSWORD)


def attendance_of(app, lesson):
    with app.app_context():
        return Lesson.get_by_id(lesson.id).attendance


def payments(app):
    with app.app_context():
        return [(p.student_id, p.amount) for p in Payment.select().order_by(Payment.id)]


# --- attendance -----------------------------------------------------------------------

def test_the_teacher_marks_on_the_lesson_page(app, teacher_browser, world):
    lesson_id = world["past"].id
    page = teacher_browser.get(f"/lessons/{lesson_id}").text
    assert f'hx-post="/lessons/{lesson_id}/attendance"' in page and 'id="attendance"' in page
    response = teacher_browser.submit(f"/lessons/{lesson_id}/attendance",
                                      {"attendance": "attended"}, page=f"/lessons/{lesson_id}")
    assert response.status_code == 302 and response.location == f"/lessons/{lesson_id}"
    assert attendance_of(app, world["past"]) == "attended"
    assert "Attendance is saved." in teacher_browser.get(f"/lessons/{lesson_id}").text


def test_the_attendance_fragment(app, teacher_browser, world):
    lesson_id = world["past"].id
    response = teacher_browser.submit(f"/lessons/{lesson_id}/attendance",
                                      {"attendance": "late_cancel"},
                                      page=f"/lessons/{lesson_id}", headers=HTMX)
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section class="card" id="attendance"')
    assert "<html" not in response.text and "HX-Request" in response.headers["Vary"]
    assert '<option selected value="late_cancel">' in response.text
    assert "Attendance is saved." in response.text  # the toast rides along
    assert attendance_of(app, world["past"]) == "late_cancel"


def test_a_lesson_ahead_cannot_be_marked(app, teacher_browser, world):
    lesson_id = world["ahead"].id
    page = teacher_browser.get(f"/lessons/{lesson_id}").text
    assert "Attendance is marked once the lesson has started." in page
    assert f"/lessons/{lesson_id}/attendance" not in page
    response = teacher_browser.submit(f"/lessons/{lesson_id}/attendance",
                                      {"attendance": "attended"}, page=f"/lessons/{lesson_id}",
                                      headers=HTMX)
    assert response.status_code == 200
    assert "Attendance is marked once the lesson has started." in response.text
    assert attendance_of(app, world["ahead"]) is None


def test_a_made_up_mark_is_a_form_error(app, teacher_browser, world):
    lesson_id = world["past"].id
    response = teacher_browser.submit(f"/lessons/{lesson_id}/attendance",
                                      {"attendance": "present"}, page=f"/lessons/{lesson_id}")
    assert response.status_code == 200 and 'id="attendance-error"' in response.text
    assert attendance_of(app, world["past"]) is None


def test_the_lesson_list_marks_a_row(app, teacher_browser, world):
    lesson_id = world["past"].id
    here = "/teacher/lessons?first_day=&status=unmarked"
    page = teacher_browser.get(here).text
    assert f'id="lesson-{lesson_id}"' in page and f'id="lesson-{world["ahead"].id}"' not in page
    response = teacher_browser.submit(f"/teacher/lessons/{lesson_id}/attendance",
                                      {"attendance": "missed", "next": here}, page=here,
                                      headers=HTMX)
    assert response.status_code == 200
    assert response.text.lstrip().startswith(f'<tr id="lesson-{lesson_id}"')
    assert 'data-attendance="missed"' in response.text and "<html" not in response.text
    assert attendance_of(app, world["past"]) == "missed"
    # Without JavaScript: back to the list, where the lesson no longer waits for a mark.
    plain = teacher_browser.submit(f"/teacher/lessons/{world['boris_past'].id}/attendance",
                                   {"attendance": "attended", "next": here}, page=here)
    assert plain.status_code == 302 and plain.location == here
    assert "0 lessons" in teacher_browser.get(here).text
    with app.app_context():
        assert AuditEntry.select().where(AuditEntry.action == "lesson.attendance").count() == 2


def test_a_student_cannot_mark(app, person, world):
    alisa = person("alisa")
    lesson_id = world["past"].id
    page = alisa.get(f"/lessons/{lesson_id}").text
    assert "/attendance" not in page and "not marked" in page  # sees the mark, no form
    token = alisa.csrf_token(f"/lessons/{lesson_id}")
    assert alisa.post(f"/lessons/{lesson_id}/attendance",
                      data={"csrf_token": token, "attendance": "missed"}).status_code == 403
    assert alisa.post(f"/teacher/lessons/{lesson_id}/attendance",
                      data={"csrf_token": token, "attendance": "missed"}).status_code == 403
    # Someone else's lesson does not even exist for her.
    assert alisa.get(f"/lessons/{world['boris_past'].id}").status_code == 404
    assert attendance_of(app, world["past"]) is None


def test_marking_needs_the_csrf_token(app, teacher_browser, world):
    for path in (f"/lessons/{world['past'].id}/attendance",
                 f"/teacher/lessons/{world['past'].id}/attendance"):
        assert teacher_browser.post(path, data={"attendance": "attended"}).status_code == 400
    assert attendance_of(app, world["past"]) is None


# --- payments and balances ------------------------------------------------------------

def test_the_teacher_records_a_payment_without_javascript(app, teacher_browser, world):
    alisa = world["alisa"].id
    page = f"/teacher/students/{alisa}"
    response = teacher_browser.submit(f"{page}/payments", {
        "amount": "1 500,50", "paid_on": "2026-11-20", "note": "cash"}, page=page)
    assert response.status_code == 302 and response.location == f"{page}#payments"
    assert payments(app) == [(alisa, Decimal("1500.50"))]
    shown = teacher_browser.get(page).text
    # Kopecks always in two digits (it said "1,500.5").
    assert "The payment of 1,500.50 ₽ is recorded." in shown
    assert 'data-total="balance"><span class="balance">1,500.50 ₽' in shown


def test_the_payments_fragment_and_the_debt_flag(app, teacher_browser, world):
    alisa = world["alisa"].id
    page = f"/teacher/students/{alisa}"
    with app.app_context():
        balances.mark_attendance(User.get(User.login == "teacher"), world["past"],
                                 Lesson.ATTENDED)
    assert "negative balance" in teacher_browser.get(page).text  # owes 1200
    response = teacher_browser.submit(f"{page}/payments", {
        "amount": "1000", "paid_on": "2026-11-22", "note": ""}, page=page, headers=HTMX)
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section class="card" id="payments"')
    assert "<html" not in response.text and "HX-Request" in response.headers["Vary"]
    assert 'data-total="balance"><span class="balance debt">-200 ₽' in response.text
    assert "negative balance" in response.text
    assert "The payment of 1,000 ₽ is recorded." in response.text


@pytest.mark.parametrize("data,message", [
    ({"amount": "", "paid_on": "2026-11-20"}, "Enter the amount."),
    ({"amount": "-5", "paid_on": "2026-11-20"}, "Enter the amount in digits"),
    ({"amount": "abc", "paid_on": "2026-11-20"}, "Enter the amount in digits"),
    ({"amount": "0", "paid_on": "2026-11-20"}, "More than 0 and at most 1,000,000 ₽."),
    ({"amount": "1000000,01", "paid_on": "2026-11-20"}, "More than 0 and at most 1,000,000 ₽."),
    ({"amount": "10.005", "paid_on": "2026-11-20"}, "without a point or comma between thousands"),
    ({"amount": "10,505", "paid_on": "2026-11-20"}, "without a point or comma between thousands"),
    ({"amount": "1000,505", "paid_on": "2026-11-20"}, "At most two digits after the decimal point"),
    ({"amount": "100", "paid_on": "2026-11-24"}, "cannot be in the future"),
    ({"amount": "100", "paid_on": "20.11.2026"}, "Not a valid date value."),
    ({"amount": "100", "paid_on": "2026-11-20", "note": "x" * 201}, "At most 200 characters."),
])
def test_a_bad_payment_is_explained(app, teacher_browser, world, data, message):
    page = f"/teacher/students/{world['alisa'].id}"
    for headers in ({}, HTMX):
        response = teacher_browser.submit(f"{page}/payments", data, page=page, headers=headers)
        assert response.status_code == 200 and message in response.text
        assert ('<html' in response.text) == (not headers)
    assert payments(app) == []


def test_a_payment_is_deleted(app, teacher_browser, world):
    alisa = world["alisa"].id
    page = f"/teacher/students/{alisa}"
    with app.app_context():
        payment = balances.record_payment(User.get(User.login == "teacher"), world["alisa"],
                                          "700", date(2026, 11, 20))
    assert f"/payments/{payment.id}/delete" in teacher_browser.get(page).text
    response = teacher_browser.submit(f"{page}/payments/{payment.id}/delete", page=page,
                                      headers=HTMX)
    assert response.status_code == 200 and "No payments recorded yet." in response.text
    assert payments(app) == []
    # Through another student's address the payment does not exist.
    with app.app_context():
        again = balances.record_payment(User.get(User.login == "teacher"), world["alisa"],
                                        "700", date(2026, 11, 20))
    wrong = f"/teacher/students/{world['boris'].id}/payments/{again.id}/delete"
    assert teacher_browser.submit(wrong, page=page).status_code == 404
    assert len(payments(app)) == 1


def test_a_student_cannot_record_delete_or_see_payments_of_others(app, person, world):
    with app.app_context():
        teacher = User.get(User.login == "teacher")
        mine = balances.record_payment(teacher, world["alisa"], "300", date(2026, 11, 20))
        balances.record_payment(teacher, world["boris"], "999", date(2026, 11, 20), "boris")
    alisa = person("alisa")
    token = alisa.csrf_token("/lessons/mine")
    boris_page = f"/teacher/students/{world['boris'].id}"
    assert alisa.get(boris_page).status_code == 403
    assert alisa.post(f"{boris_page}/payments", data={
        "csrf_token": token, "amount": "1", "paid_on": "2026-11-20"}).status_code == 403
    assert alisa.post(f"/teacher/students/{world['alisa'].id}/payments/{mine.id}/delete",
                      data={"csrf_token": token}).status_code == 403
    own = alisa.get("/lessons/mine").text
    assert "300" in own and "999" not in own and "boris" not in own
    assert len(payments(app)) == 2


def test_payments_need_the_csrf_token(app, teacher_browser, world):
    page = f"/teacher/students/{world['alisa'].id}"
    assert teacher_browser.post(f"{page}/payments", data={
        "amount": "100", "paid_on": "2026-11-20"}).status_code == 400
    assert payments(app) == []


def test_the_student_sees_their_balance_and_payments(app, person, world):
    with app.app_context():
        teacher = User.get(User.login == "teacher")
        balances.record_payment(teacher, world["alisa"], "500", date(2026, 11, 18), "card")
        balances.mark_attendance(teacher, world["past"], Lesson.ATTENDED)
    page = person("alisa").get("/lessons/mine")
    assert page.status_code == 200
    text = page.text
    assert "My lessons and payments" in text and "Nov 18, 2026" in text and "card" in text
    assert 'data-total="paid">500<' in text and 'data-total="charged">1,200<' in text
    assert "-700 ₽" in text and "negative balance" in text
    assert "Nov 16, 2026, 10:00" in text and "attended" in text
    assert "Nov 24, 2026" not in text  # ahead: not a past lesson yet
    # The teacher has the administration pages for this.
    teacher_page = person("teacher", TEACHER_PASSWORD).get("/lessons/mine")
    assert teacher_page.status_code == 302 and teacher_page.location == "/teacher/students"


# --- feedback -------------------------------------------------------------------------

def test_the_student_leaves_feedback_and_only_the_teacher_reads_it(app, person, world):
    lesson_id = world["past"].id
    alisa = person("alisa")
    page = alisa.get(f"/lessons/{lesson_id}").text
    assert f'hx-post="/lessons/{lesson_id}/feedback"' in page and 'id="feedback"' in page
    response = alisa.submit(f"/lessons/{lesson_id}/feedback",
                            {"rating": "4", "comment": "Понятно объясняет"},
                            page=f"/lessons/{lesson_id}", headers=HTMX)
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section class="card" id="feedback"')
    assert "<html" not in response.text and "HX-Request" in response.headers["Vary"]
    assert "Change my feedback" in response.text and "Thank you!" in response.text
    with app.app_context():
        assert [(f.rating, f.comment) for f in Feedback.select()] == [(4, "Понятно объясняет")]
    teacher = person("teacher", TEACHER_PASSWORD)
    lesson_page = teacher.get(f"/lessons/{lesson_id}").text
    assert "Понятно объясняет" in lesson_page and "4 stars of 5" in lesson_page
    student_page = teacher.get(f"/teacher/students/{world['alisa'].id}").text
    assert "Понятно объясняет" in student_page
    # Boris never sees it: the lesson is not his.
    boris = person("boris")
    assert boris.get(f"/lessons/{lesson_id}").status_code == 404
    assert "Понятно объясняет" not in boris.get("/lessons/mine").text


def test_feedback_without_javascript(app, person, world):
    lesson_id = world["past"].id
    alisa = person("alisa")
    response = alisa.submit(f"/lessons/{lesson_id}/feedback", {"rating": "5", "comment": ""},
                            page=f"/lessons/{lesson_id}")
    assert response.status_code == 302 and response.location == f"/lessons/{lesson_id}"
    assert "Thank you!" in alisa.get(f"/lessons/{lesson_id}").text


@pytest.mark.parametrize("data,message", [
    ({"comment": "no rating"}, "Choose a rating from 1 to 5."),
    ({"rating": "9"}, "Choose a rating from 1 to 5."),
    ({"rating": "five"}, "Choose a rating from 1 to 5."),
    ({"rating": "3", "comment": "x" * 2001}, "At most 2000 characters."),
])
def test_bad_feedback_is_explained(app, person, world, data, message):
    lesson_id = world["past"].id
    alisa = person("alisa")
    for headers in ({}, HTMX):
        response = alisa.submit(f"/lessons/{lesson_id}/feedback", data,
                                page=f"/lessons/{lesson_id}", headers=headers)
        assert response.status_code == 200 and message in response.text
    with app.app_context():
        assert Feedback.select().count() == 0


def test_feedback_rules_through_the_web(app, person, world, time_machine):
    alisa = person("alisa")
    ahead = world["ahead"].id
    page = alisa.get(f"/lessons/{ahead}").text
    assert "You can rate the lesson once it has ended." in page
    response = alisa.submit(f"/lessons/{ahead}/feedback", {"rating": "5"},
                            page=f"/lessons/{ahead}", headers=HTMX)
    assert "You can rate the lesson once it has ended." in response.text
    # The teacher cannot leave feedback; nobody posts on someone else's lesson.
    teacher = person("teacher", TEACHER_PASSWORD)
    token = teacher.csrf_token("/teacher/students")
    assert teacher.post(f"/lessons/{world['past'].id}/feedback",
                        data={"csrf_token": token, "rating": "5"}).status_code == 403
    token = alisa.csrf_token("/lessons/mine")
    assert alisa.post(f"/lessons/{world['boris_past'].id}/feedback",
                      data={"csrf_token": token, "rating": "1"}).status_code == 404
    assert alisa.post(f"/lessons/{world['past'].id}/feedback",
                      data={"rating": "1"}).status_code == 400  # no CSRF token
    # Fourteen days after the end the form is gone.
    time_machine.move_to(datetime(2026, 11, 30, 8, 1, tzinfo=timezone.utc), tick=False)
    assert "Feedback on this lesson is closed." in alisa.get(f"/lessons/{world['past'].id}").text
    with app.app_context():
        assert Feedback.select().count() == 0
        assert feedback.FEEDBACK_DAYS == 14
