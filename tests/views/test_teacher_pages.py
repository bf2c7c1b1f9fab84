"""The teacher's pages: weekly windows, booking rules, days off (also from the
calendar), lessons placed by hand for a registered student or a new person; students
and anonymous visitors are kept out of every one of them."""
import html
import re
from datetime import date, datetime, time
from decimal import Decimal

import pytest

from tests import factories
from tests.conftest import TEACHER_PASSWORD
from tests.factories import TUESDAY_10
from tests.queries import history
from tests.views.pages import HTMX, SETTINGS, WINDOWS, free_cells, shown_windows, windows
from tutor.models import (
    Lesson,
    Message,
    TeacherSettings,
    UnavailableInterval,
    User,
)
from tutor.services import booking, schedule

NOW = factories.MONDAY_MORNING  # Monday, 11:00 in Moscow


@pytest.fixture
def alisa(create_student):
    return create_student(login="alisa", first_name="Алиса", last_name="Кузнецова",
                          channel=User.EMAIL, email="alisa@example.org")


@pytest.fixture
def vacation(app, calendar_ready):
    with app.app_context():
        return schedule.add_unavailable_days(calendar_ready, date(2026, 12, 1),
                                             date(2026, 12, 3), "Отпуск")


def intervals(app):
    with app.app_context():
        return [(i.start, i.end, i.reason) for i in UnavailableInterval.select().order_by(
            UnavailableInterval.start)]


def saved_settings(app, teacher):
    with app.app_context():
        s = TeacherSettings.for_teacher(teacher)
        return (s.lesson_length_minutes, s.buffer_minutes, s.min_notice_hours, s.horizon_days,
                s.cancellation_notice_hours, s.default_price, s.timezone,
                s.max_pending_lessons, s.max_pending_series)


def lessons(app):
    with app.app_context():
        return list(Lesson.select().order_by(Lesson.start))


# --- who gets in ----------------------------------------------------------------------

ROUTES = [  # (method, path, form data): valid, so only the permission check stops them
    ("GET", "/teacher/availability", None),
    ("POST", "/teacher/availability/settings", {**SETTINGS, "lesson_length_minutes": "45"}),
    ("POST", "/teacher/availability/windows", {"weekday": "4", "start": "15:00", "end": "18:00"}),
    ("POST", "/teacher/availability/windows/1/10:00/delete", {}),
    ("POST", "/teacher/unavailable", {"first_day": "2026-12-08", "last_day": "2026-12-08"}),
    ("POST", "/teacher/unavailable/day", {"day": "2026-11-25"}),
    ("POST", "/teacher/unavailable/{interval}/delete", {}),
    ("GET", "/teacher/lessons/new?start=2026-11-24T07:00:00", None),
    ("POST", "/teacher/lessons/new", {"student": "", "first_name": "Иван", "last_name": "Петров",
                                      "day": "2026-11-24", "time": "10:00", "minutes": "60",
                                      "price": "1000", "people": "1"}),
    ("GET", "/teacher/lessons/past", None),
    ("POST", "/teacher/lessons/past", {"student": "", "first_name": "Иван", "last_name": "Петров",
                                       "day": "2026-11-20", "time": "10:00", "minutes": "60",
                                       "price": "1000", "people": "1",
                                       "attendance": "attended"}),
]
ROUTE_IDS = [f"{method} {path.split('?')[0]}" for method, path, _ in ROUTES]


def snapshot(app, teacher):
    with app.app_context():
        return (windows(app), intervals(app), saved_settings(app, teacher), len(lessons(app)),
                User.select().count())


def request(browser, method, path, data):
    if method == "GET":
        return browser.get(path)
    return browser.submit(path, data, page="/")


@pytest.mark.parametrize("method,path,data", ROUTES, ids=ROUTE_IDS)
def test_students_are_forbidden_every_teacher_page(person, app, alisa, vacation, calendar_ready,
                                                   method, path, data):
    before = snapshot(app, calendar_ready)
    response = request(person("alisa"), method, path.format(interval=vacation.id), data)
    assert response.status_code == 403
    assert "You do not have access to this page." in response.text
    assert snapshot(app, calendar_ready) == before


@pytest.mark.parametrize("method,path,data", ROUTES, ids=ROUTE_IDS)
def test_anonymous_visitors_are_sent_to_log_in(person, app, vacation, calendar_ready, method,
                                               path, data):
    before = snapshot(app, calendar_ready)
    response = request(person(), method, path.format(interval=vacation.id), data)
    assert response.status_code == 302
    # A GET comes back to itself after logging in; a POST without a referring page
    # cannot be repeated, so it goes to the login page plainly.
    expected = "/login?next=" if method == "GET" else "/login"
    assert response.headers["Location"].startswith(expected)
    assert snapshot(app, calendar_ready) == before


@pytest.mark.parametrize("method,path,data", ROUTES, ids=ROUTE_IDS)
def test_the_teacher_may_use_every_page(teacher_browser, app, vacation, calendar_ready, method,
                                        path, data):
    before = snapshot(app, calendar_ready)
    response = request(teacher_browser, method, path.format(interval=vacation.id), data)
    # The new person's credentials are a page of their own; every other write redirects.
    shows_a_page = method == "GET" or path in ("/teacher/lessons/new", "/teacher/lessons/past")
    assert response.status_code == (200 if shows_a_page else 302)
    changed = snapshot(app, calendar_ready) != before
    assert changed == (method == "POST")


@pytest.mark.parametrize("method,path,data", [r for r in ROUTES if r[0] == "POST"],
                         ids=[i for i, r in zip(ROUTE_IDS, ROUTES) if r[0] == "POST"])
def test_a_post_without_the_csrf_token_is_refused(teacher_browser, app, vacation,
                                                  calendar_ready, method, path, data):
    before = snapshot(app, calendar_ready)
    response = teacher_browser.post(path.format(interval=vacation.id), data=data)
    assert response.status_code == 400
    assert "The form has expired." in response.text
    assert snapshot(app, calendar_ready) == before


# --- weekly windows -------------------------------------------------------------------

def test_the_availability_page_lists_the_windows(teacher_browser):
    response = teacher_browser.get("/teacher/availability")
    page = response.text
    assert "<html" in page and '<div id="availability"' in page
    assert shown_windows(page) == [(day, "10:00", "14:00") for day in (1, 2, 3)]
    for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"):
        assert f'<h3 class="week-day-name">{day}</h3>' in page
    assert page.count("Not working") == 4
    assert 'action="/teacher/availability/windows/2/10:00/delete"' in page
    assert 'action="/teacher/availability/windows/2/10:00/change"' in page
    assert "Times in the Moscow (UTC+3) time zone." in page


def test_the_availability_fragment_for_htmx(teacher_browser):
    response = teacher_browser.get("/teacher/availability", headers=HTMX)
    assert response.text.lstrip().startswith('<div id="availability" class="stack" '
                                             'hx-target="this" hx-swap="outerHTML">')
    assert "<html" not in response.text and "<h1>" not in response.text
    assert "HX-Request" in response.headers["Vary"]


def test_adding_a_window_opens_new_slots(teacher_browser, person, app):
    response = teacher_browser.submit("/teacher/availability/windows", {
        "weekday": "4", "start": "15:00", "end": "18:00"}, page="/teacher/availability")
    assert response.status_code == 302
    assert response.headers["Location"] == "/teacher/availability#weekly-hours"
    assert windows(app) == WINDOWS + [(4, time(15), time(18))]
    page = teacher_browser.get("/teacher/availability").text
    assert "The window is added." in page and (4, "15:00", "18:00") in shown_windows(page)
    friday = person().get("/").text.split('aria-labelledby="day-2026-11-27"')[1]
    assert free_cells(friday.split('<section class="day')[0]) == 3


@pytest.mark.parametrize("data,message", [
    ({"weekday": "1", "start": "13:00", "end": "15:00"},
     "Tuesday: 10:00–14:00 and 13:00–15:00 overlap."),
    ({"weekday": "4", "start": "15:00", "end": "15:00"}, "The end must come after the start."),
    ({"weekday": "4", "start": "", "end": "15:00"}, "Enter the time."),
])
def test_a_bad_window_is_refused(teacher_browser, app, data, message):
    response = teacher_browser.submit("/teacher/availability/windows", data,
                                      page="/teacher/availability")
    assert response.status_code == 200
    assert message in response.text and 'aria-invalid="true"' in response.text
    assert windows(app) == WINDOWS


@pytest.mark.parametrize("path,data,message,kept,root", [
    ("/teacher/availability/windows", {"weekday": "1", "start": "13:00", "end": "15:00"},
     "Tuesday: 10:00–14:00 and 13:00–15:00 overlap.", 'value="13:00"', "weekly-hours"),
    ("/teacher/availability/settings", {**SETTINGS, "buffer_minutes": "500"},
     "From 0 to 240.", 'value="500"', "availability"),
    ("/teacher/unavailable", {"first_day": "2026-12-03", "last_day": "2026-12-01"},
     "The last day must not come before the first.", 'value="2026-12-03"', "availability"),
])
def test_a_bad_form_with_htmx_swaps_only_the_section(teacher_browser, app, calendar_ready,
                                                     path, data, message, kept, root):
    before = snapshot(app, calendar_ready)
    token = teacher_browser.csrf_token("/teacher/availability")
    response = teacher_browser.post(path, headers=HTMX, data={"csrf_token": token, **data})
    assert response.status_code == 200
    assert re.match(rf'(<div|<section) id="{root}"', response.text.lstrip()), response.text
    assert "<html" not in response.text
    assert message in response.text and kept in response.text
    assert "HX-Request" in response.headers["Vary"]
    assert snapshot(app, calendar_ready) == before


def test_an_htmx_change_swaps_the_grid_in_place(teacher_browser, app):
    token = teacher_browser.csrf_token("/teacher/availability")
    response = teacher_browser.post("/teacher/availability/windows", headers=HTMX, data={
        "csrf_token": token, "weekday": "0", "start": "09:00", "end": "10:00"})
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="weekly-hours"')
    assert "<html" not in response.text and "The window is added." in response.text
    assert (0, "09:00", "10:00") in shown_windows(response.text)
    assert windows(app)[0] == (0, time(9), time(10))


def test_removing_a_window(teacher_browser, person, app):
    response = teacher_browser.submit("/teacher/availability/windows/2/10:00/delete",
                                      page="/teacher/availability")
    assert response.status_code == 302
    assert windows(app) == [WINDOWS[0], WINDOWS[2]]
    assert shown_windows(teacher_browser.get("/teacher/availability").text) == [
        (1, "10:00", "14:00"), (3, "10:00", "14:00")]
    assert free_cells(person().get("/").text) == 8


# --- booking rules --------------------------------------------------------------------

def test_saving_the_booking_rules(teacher_browser, app, calendar_ready):
    response = teacher_browser.submit("/teacher/availability/settings", {
        "lesson_length_minutes": "90", "buffer_minutes": "15", "min_notice_hours": "2",
        "horizon_days": "30", "cancellation_notice_hours": "48", "default_price": "1500.50",
        "timezone": "Asia/Yekaterinburg", "max_pending_lessons": "4",
        "max_pending_series": "0"}, page="/teacher/availability")
    assert response.status_code == 302
    assert saved_settings(app, calendar_ready) == (90, 15, 2, 30, 48, Decimal("1500.50"),
                                                   "Asia/Yekaterinburg", 4, 0)
    page = teacher_browser.get("/teacher/availability").text
    assert "The booking rules are saved." in page
    assert 'name="lesson_length_minutes" required type="number" value="90"' in page
    assert '<option selected value="Asia/Yekaterinburg">' in page


@pytest.mark.parametrize("field,value,message", [
    ("lesson_length_minutes", "5", "From 10 to 480."),
    ("buffer_minutes", "241", "From 0 to 240."),
    ("horizon_days", "", "Enter a whole number."),
    ("default_price", "-5", "Enter the amount in digits, for example 1500 or 1500.50."),
    ("default_price", "100000000", "From 0 to 99,999,999.99 ₽."),
    ("default_price", "2,000", "Write the amount without a point or comma between thousands: "
                     "2000.50 or 2 000.50."),
    ("timezone", "Mars/Olympus", "Choose a time zone from the list."),
    ("max_pending_lessons", "0", "From 1 to 100."),
    ("max_pending_series", "21", "From 0 to 20."),
])
def test_a_bad_rule_is_a_field_error_and_the_value_stays(teacher_browser, app, calendar_ready,
                                                        field, value, message):
    before = saved_settings(app, calendar_ready)
    response = teacher_browser.submit("/teacher/availability/settings",
                                      {**SETTINGS, "min_notice_hours": "3", field: value},
                                      page="/teacher/availability")
    assert response.status_code == 200
    assert f'<p class="error" id="{field}-error">{message}</p>' in response.text
    if field != "timezone":
        assert re.search(rf'id="{field}"[^>]*value="{value}"', response.text)
    assert 'name="min_notice_hours" required type="number" value="3"' in response.text
    assert saved_settings(app, calendar_ready) == before


# --- days off -------------------------------------------------------------------------

def test_adding_and_removing_days_off(teacher_browser, person, app):
    response = teacher_browser.submit("/teacher/unavailable", {
        "first_day": "2026-12-01", "last_day": "2026-12-03", "reason": "Отпуск"},
        page="/teacher/availability")
    assert response.status_code == 302 and response.headers["Location"] == "/teacher/availability"
    assert intervals(app) == [(datetime(2026, 11, 30, 21), datetime(2026, 12, 3, 21), "Отпуск")]
    page = teacher_browser.get("/teacher/availability").text
    assert "These days are marked unavailable." in page
    assert "<span>1–3 December · Отпуск</span>" in page
    assert free_cells(person().get("/?week=2026-11-30").text) == 0

    interval_id = re.search(r'action="/teacher/unavailable/(\d+)/delete"', page).group(1)
    response = teacher_browser.submit(f"/teacher/unavailable/{interval_id}/delete",
                                      page="/teacher/availability")
    assert response.status_code == 302 and response.headers["Location"] == "/teacher/availability"
    assert intervals(app) == []
    assert free_cells(person().get("/?week=2026-11-30").text) == 12


def test_days_off_must_not_end_before_they_begin(teacher_browser, app):
    response = teacher_browser.submit("/teacher/unavailable", {
        "first_day": "2026-12-03", "last_day": "2026-12-01"}, page="/teacher/availability")
    assert response.status_code == 200
    assert "The last day must not come before the first." in response.text
    assert 'value="2026-12-03"' in response.text
    assert intervals(app) == []


def test_removing_someone_elses_or_a_missing_interval_is_not_found(teacher_browser, app,
                                                                   create_user):
    other = create_user("other-teacher", TEACHER_PASSWORD, role=User.TEACHER)
    with app.app_context():
        theirs = schedule.add_unavailable_days(other, date(2026, 12, 1), date(2026, 12, 1))
    for interval_id in (theirs.id, 9999):
        assert teacher_browser.submit(f"/teacher/unavailable/{interval_id}/delete",
                                      page="/teacher/availability").status_code == 404
    assert len(intervals(app)) == 1


def test_a_day_off_from_the_calendar(teacher_browser, person, app):
    response = teacher_browser.submit("/teacher/unavailable/day", {"day": "2026-11-25"},
                                      page="/?week=2026-11-23")
    assert response.status_code == 302 and response.headers["Location"] == "/?week=2026-11-25"
    assert intervals(app) == [(datetime(2026, 11, 24, 21), datetime(2026, 11, 25, 21), "")]
    assert "The day is marked unavailable." in teacher_browser.get("/?week=2026-11-25").text
    assert free_cells(person().get("/").text) == 8


def test_a_day_off_from_the_calendar_with_htmx(teacher_browser, app):
    token = teacher_browser.csrf_token("/")
    response = teacher_browser.post("/teacher/unavailable/day", headers=HTMX,
                                    data={"csrf_token": token, "day": "2026-11-25"})
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/?week=2026-11-25"
    assert len(intervals(app)) == 1


def test_a_day_off_needs_a_day(teacher_browser, app):
    response = teacher_browser.submit("/teacher/unavailable/day", {"day": "someday"}, page="/")
    assert response.status_code == 400
    assert intervals(app) == []


# --- lessons placed by hand -----------------------------------------------------------

def test_the_new_lesson_form_starts_at_the_chosen_slot(teacher_browser, alisa):
    page = teacher_browser.get("/teacher/lessons/new?start=2026-11-24T07:00:00").text
    assert 'id="day" name="day" required type="date" value="2026-11-24"' in page
    assert 'id="time" name="time" required type="time" value="10:00"' in page
    assert 'name="minutes" required type="number" value="60"' in page
    assert f'<option value="{alisa.id}">Алиса Кузнецова (alisa)</option>' in page


def test_a_lesson_for_a_registered_student(teacher_browser, app, alisa):
    response = teacher_browser.submit("/teacher/lessons/new", {
        "student": str(alisa.id), "day": "2026-11-27", "time": "16:00", "minutes": "90",
        "price": "2000", "people": "3", "comment": "Пробный урок"}, page="/teacher/lessons/new")
    assert response.status_code == 302 and response.headers["Location"] == "/?week=2026-11-27"
    [lesson] = lessons(app)
    assert (lesson.student_id, lesson.status, lesson.start, lesson.end, lesson.price,
            lesson.people, lesson.comment) == (
        alisa.id, Lesson.CONFIRMED, datetime(2026, 11, 27, 13), datetime(2026, 11, 27, 14, 30),
        2000, 3, "Пробный урок")
    with app.app_context():
        assert [(m.kind, m.address) for m in Message.select()] == [
            ("lesson_confirmed", "alisa@example.org")]
    assert "The lesson is created; the student is told." in teacher_browser.get(
        "/?week=2026-11-27").text


def test_a_lesson_for_a_new_person_shows_their_credentials_once(teacher_browser, person, app):
    data = {"student": "", "first_name": "Иван", "last_name": "Петров", "day": "2026-11-24",
            "time": "10:00", "minutes": "60", "price": "1000", "people": "1"}
    response = teacher_browser.submit("/teacher/lessons/new", data, page="/teacher/lessons/new")
    assert response.status_code == 200
    assert "Иван Петров, Tuesday, 24 November 2026 at 10:00." in response.text
    assert "<dt>Login</dt><dd><code>ivan.petrov</code></dd>" in response.text
    password = html.unescape(re.search(r"<dt>Password</dt><dd><code>([^<]+)</code>",
                                       response.text).group(1))
    with app.app_context():
        ivan = User.by_login("ivan.petrov")
        assert (ivan.role, ivan.first_name, ivan.last_name) == (User.STUDENT, "Иван", "Петров")
        [lesson] = Lesson.select()
        assert (lesson.student_id, lesson.status, lesson.start) == (
            ivan.id, Lesson.CONFIRMED, TUESDAY_10)
        assert password not in ivan.password_hash

    own = person("ivan.petrov", password).get("/").text  # the shown password works
    assert '<li class="cell cell-confirmed cell-own">' in own

    again = teacher_browser.submit("/teacher/lessons/new", {**data, "day": "2026-11-25"},
                                   page="/teacher/lessons/new")
    assert "<dd><code>ivan.petrov2</code></dd>" in again.text


def test_a_new_lesson_on_a_taken_time_writes_nothing(teacher_browser, app, alisa,
                                                     calendar_ready):
    with app.app_context():
        booking.book_lesson(alisa, calendar_ready, TUESDAY_10)
        users = User.select().count()
    response = teacher_browser.submit("/teacher/lessons/new", {
        "student": "", "first_name": "Иван", "last_name": "Петров", "day": "2026-11-24",
        "time": "10:30", "minutes": "60", "price": "1000", "people": "1"},
        page="/teacher/lessons/new")
    assert response.status_code == 200
    assert "Someone has just booked this time. Please pick another one." in response.text
    assert 'value="Иван"' in response.text and 'value="10:30"' in response.text
    assert len(lessons(app)) == 1
    with app.app_context():
        assert User.select().count() == users and User.by_login("ivan.petrov") is None


@pytest.mark.parametrize("changes,message", [
    ({"first_name": "", "last_name": ""}, "Choose a student, or enter a new person's first name."),
    ({"first_name": "R2D2"}, "Use letters only"),
    ({"day": "2026-11-20"}, "This time has already passed."),
    ({"student": "9999"}, "Choose a student from the list."),
])
def test_a_bad_new_lesson_is_refused(teacher_browser, app, changes, message):
    data = {"student": "", "first_name": "Иван", "last_name": "Петров", "day": "2026-11-24",
            "time": "10:00", "minutes": "60", "price": "1000", "people": "1", **changes}
    response = teacher_browser.submit("/teacher/lessons/new", data, page="/teacher/lessons/new")
    assert response.status_code == 200
    assert message in response.text
    assert lessons(app) == []
    with app.app_context():
        assert User.by_login("ivan.petrov") is None


# --- lessons entered afterwards ------------------------------------------------------

PAST = {"day": "2026-11-20", "time": "15:00", "minutes": "60", "price": "1500",
        "people": "1", "attendance": "attended"}


def test_a_past_lesson_is_entered_for_a_student_and_told_to_nobody(teacher_browser, person,
                                                                    app, alisa):
    form = teacher_browser.get(f"/teacher/lessons/past?student={alisa.id}").text
    assert f'<option selected value="{alisa.id}">' in form
    response = teacher_browser.submit("/teacher/lessons/past", {"student": str(alisa.id), **PAST},
                                      page="/teacher/lessons/past")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/teacher/lessons/past?student={alisa.id}"
    [lesson] = lessons(app)
    assert (lesson.student_id, lesson.status, lesson.attendance, lesson.entered_afterwards,
            lesson.start, lesson.price) == (alisa.id, Lesson.CONFIRMED, Lesson.ATTENDED, True,
                                            datetime(2026, 11, 20, 12), 1500)
    with app.app_context():
        assert Message.select().count() == 0
    assert ("The lesson of 20 November 2026 at 15:00 is entered; nobody is told."
            in teacher_browser.get(response.headers["Location"]).text)
    listed = teacher_browser.get("/teacher/lessons?first_day=").text
    assert "entered afterwards" in listed
    assert "entered afterwards" in teacher_browser.get(f"/lessons/{lesson.id}").text
    student_page = teacher_browser.get(f"/teacher/students/{alisa.id}").text
    assert "entered afterwards" in student_page
    assert f'href="/teacher/lessons/past?student={alisa.id}"' in student_page
    # The student sees it among their past lessons, marked the same way.
    assert "attended · entered afterwards" in person("alisa").get("/lessons/mine").text


@pytest.mark.parametrize("changes,message", [
    ({"day": "2026-11-23", "time": "12:00"},
     "This lesson has not started yet: create it as a new lesson (the student is told)."),
    ({"attendance": "maybe"}, "Not a valid choice"),
    ({"day": "2026-11-20", "time": "15:30"}, "Another of your lessons takes (part of) this time."),
])
def test_a_bad_past_lesson_is_refused(teacher_browser, app, alisa, calendar_ready, changes,
                                      message):
    with app.app_context():
        Lesson.create(teacher=calendar_ready, student=alisa, start=datetime(2026, 11, 20, 12),
                      end=datetime(2026, 11, 20, 13), status=Lesson.CONFIRMED, price=1)
    response = teacher_browser.submit("/teacher/lessons/past", {
        "student": str(alisa.id), **PAST, "day": "2026-11-19", **changes},
        page="/teacher/lessons/past")
    assert response.status_code == 200
    assert message in html.unescape(response.text)
    assert len(lessons(app)) == 1


def test_the_new_lesson_form_points_a_past_date_to_entering_it(teacher_browser, alisa):
    response = teacher_browser.submit("/teacher/lessons/new", {
        "student": str(alisa.id), **PAST}, page="/teacher/lessons/new")
    assert "This time has already passed." in response.text
    assert "A lesson that already took place is entered afterwards" in response.text
    assert 'href="/teacher/lessons/past"' in response.text


def test_the_teacher_blocks_one_slot_from_the_calendar(teacher_browser, app, calendar_ready):
    week = teacher_browser.get("/?week=2026-11-23").text
    # One form for the week, around the grid: each free cell's button names the slot.
    assert week.count('<form id="week-block" method="post"') == 1
    form = week[week.index('<form id="week-block"'):]
    form = form[:form.index("</form>")]
    assert '<div class="week-grid"' in form and "<form" not in form[1:]
    slot = re.search(r'<button name="slot" value="([^"]+)">Make unavailable<', form).group(1)
    start, end = slot.split("/")
    response = teacher_browser.submit("/teacher/unavailable/slot?next=/?week%3D2026-11-23",
                                      {"slot": slot}, page="/?week=2026-11-23")
    assert response.headers["Location"] == "/?week=2026-11-23"
    with app.app_context():
        block = UnavailableInterval.get()
        assert (block.start, block.end) == (datetime.fromisoformat(start),
                                            datetime.fromisoformat(end))
    assert f'value="{slot}"' not in teacher_browser.get("/?week=2026-11-23").text
    for wrong in (f"{end}/{start}", start, f"{start}/", f"/{end}", f"{start}/{end}/x"):
        bad = teacher_browser.submit("/teacher/unavailable/slot", {"slot": wrong},
                                     page="/?week=2026-11-23")
        assert bad.status_code == 400, wrong


def test_the_home_page_counts_unmarked_lessons_up_to_a_bound(teacher_browser, app, alisa,
                                                             calendar_ready):
    from tutor.services.balances import UNMARKED_COUNTED

    with app.app_context():
        history(calendar_ready, [alisa], UNMARKED_COUNTED + 1)
    page = teacher_browser.get("/").text
    assert f"{UNMARKED_COUNTED} or more past lessons wait for an attendance mark" in page
