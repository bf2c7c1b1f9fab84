"""The student's "My lessons" page through HTTP: upcoming lessons with what the student
may do, requests that did not go ahead (and their own page instead of a 404), each
section as a fragment, a query count that does not grow with the lessons; and the
slot a visitor picked carried through logging in and registering."""
from datetime import datetime, timedelta, timezone

import pytest

from tests import factories
from tests.conftest import STUDENT_PASSWORD, TEACHER_PASSWORD
from tests.queries import counting_queries
from tutor.models import Lesson, User
from tutor.services import balances, booking, expiry

NOW = factories.MONDAY_MORNING  # Monday, 11:00 in Moscow
TUESDAY_10 = datetime(2026, 11, 24, 7, 0)  # naive UTC: Tuesday 10:00 in Moscow
WEDNESDAY_10 = datetime(2026, 11, 25, 7, 0)
THURSDAY_10 = datetime(2026, 11, 26, 7, 0)
HTMX = {"HX-Request": "true"}
SLOT = "/lessons/new?start=2026-11-24T07:00:00"


@pytest.fixture
def calendar_ready(app, teacher, time_machine):
    """Tuesday to Thursday, 10:00-14:00 Moscow time, on a Monday morning."""
    return factories.ready_calendar(app, teacher, time_machine)


@pytest.fixture
def alisa(create_student):
    return create_student(login="alisa", first_name="Алиса", last_name="Кузнецова")


@pytest.fixture
def person(app, client, calendar_ready):
    return factories.browsers(app)


@pytest.fixture
def week_of_alisa(app, alisa, calendar_ready):
    """A request for Tuesday, a confirmed lesson on Wednesday and one on Thursday
    that the teacher rejected."""
    teacher = calendar_ready
    with app.app_context():
        pending = booking.book_lesson(alisa, teacher, TUESDAY_10, "Подготовка к ЕГЭ")
        confirmed = booking.book_lesson(alisa, teacher, WEDNESDAY_10)
        booking.confirm_lesson(teacher, confirmed, 1500, 1)
        rejected = booking.book_lesson(alisa, teacher, THURSDAY_10)
        booking.reject_lesson(teacher, rejected, "В четверг не могу")
    return dict(pending=pending, confirmed=confirmed, rejected=rejected)


def test_upcoming_first_with_what_the_student_may_do(person, week_of_alisa):
    page = person("alisa").get("/lessons/mine").text
    upcoming, past = page.index('id="my-upcoming"'), page.index('id="my-past"')
    assert upcoming < past < page.index('id="my-payments"')
    section = page[upcoming:past]
    pending, confirmed = week_of_alisa["pending"].id, week_of_alisa["confirmed"].id
    assert section.index(f'id="my-lesson-{pending}"') < section.index(
        f'id="my-lesson-{confirmed}"')
    assert "Tuesday, 24 November, 10:00–11:00" in section
    assert "Awaiting the teacher" in section and "in 23 hours" in section
    assert "Withdraw the request" in section and "Подготовка к ЕГЭ" in section
    assert "Wednesday, 25 November, 10:00–11:00" in section and "Confirmed" in section
    assert "1,500 ₽" in section
    assert f'href="/lessons/{confirmed}#cancel-title">Cancel the lesson</a>' in section
    assert "(possible until Tuesday, 24 November, 10:00)" in section
    # The rejected request, with the teacher's reason.
    rejected = week_of_alisa["rejected"].id
    assert "Did not go ahead" in section
    assert f'href="/lessons/{rejected}">Thursday, 26 November, 10:00–11:00' in section
    assert "The teacher rejected the request." in section
    assert "Reason: В четверг не могу" in section


def test_inside_the_notice_the_student_is_told_why_not(person, week_of_alisa, time_machine):
    time_machine.move_to(datetime(2026, 11, 24, 8, 0, tzinfo=timezone.utc), tick=False)
    alisa = person("alisa")
    page = alisa.get("/lessons/mine").text
    confirmed = week_of_alisa["confirmed"].id
    assert f"#cancel-title\">Cancel the lesson" not in page
    assert ("The teacher asks for 24 hours' notice to cancel a lesson. To cancel now, "
            "please contact the teacher.") in page
    lesson_page = alisa.get(f"/lessons/{confirmed}").text
    assert 'id="cancel-rule"' in lesson_page and "24 hours' notice" in lesson_page
    assert f'action="/lessons/{confirmed}/cancel"' not in lesson_page


def test_the_times_are_in_the_students_zone(app, person, week_of_alisa, alisa):
    with app.app_context():
        User.update(timezone="Asia/Yekaterinburg").where(User.id == alisa.id).execute()
    page = person("alisa").get("/lessons/mine").text
    assert "Tuesday, 24 November, 12:00–13:00" in page  # 10:00 in Moscow


def test_empty_lists_say_what_to_do(person, alisa):
    page = person("alisa").get("/lessons/mine").text
    assert page.count("Pick a time in the calendar") == 2
    assert "No upcoming lessons." in page and "No lessons yet." in page
    assert "Did not go ahead" not in page


@pytest.mark.parametrize("part", ["upcoming", "past", "payments"])
def test_each_section_is_a_fragment_of_its_own(person, week_of_alisa, part):
    alisa = person("alisa")
    fragment = alisa.get(f"/lessons/mine/{part}", headers=HTMX)
    assert fragment.status_code == 200 and "HX-Request" in fragment.headers["Vary"]
    assert fragment.text.lstrip().startswith(f'<section id="my-{part}"')
    assert "<html" not in fragment.text
    assert fragment.text.count("<section") == 1
    # Without htmx the same address is the whole page.
    page = alisa.get(f"/lessons/mine/{part}").text
    assert "<html" in page and 'id="my-upcoming"' in page and 'id="my-payments"' in page
    assert person("alisa").get("/lessons/mine/other").status_code == 404


def test_the_upcoming_section_refreshes_itself(person, week_of_alisa):
    fragment = person("alisa").get("/lessons/mine/upcoming", headers=HTMX).text
    assert 'hx-get="/lessons/mine/upcoming" hx-trigger="every 60s"' in fragment


def test_the_page_needs_a_student(person, client):
    assert client.get("/lessons/mine").status_code == 302  # to the login page
    teacher = person("teacher", TEACHER_PASSWORD)
    assert teacher.get("/lessons/mine/upcoming").location == "/teacher/students"


def add_history(teacher, student, count, first):
    """`count` lessons from `first` on, a day apart: in the past confirmed (every
    other one attended), ahead pending or confirmed, and `count` // 4 rejected
    requests; and a payment."""
    rows = []
    for n in range(count):
        start = first + timedelta(days=n)
        status = Lesson.CONFIRMED if start < NOW.replace(tzinfo=None) or n % 2 else \
            Lesson.PENDING
        rows.append({"teacher": teacher.id, "student": student.id, "start": start,
                     "end": start + timedelta(hours=1), "status": status,
                     "price": 1000 if status == Lesson.CONFIRMED else None, "people": 1,
                     "created_at": first, "attendance": Lesson.ATTENDED if n % 2 else None})
    Lesson.insert_many(rows).execute()
    for lesson in list(Lesson.select().where(Lesson.status == Lesson.PENDING)
                       .limit(count // 4)):
        booking.reject_lesson(teacher, lesson, "нет")
    balances.record_payment(teacher, student, "500", datetime(2025, 1, 1).date())


def test_the_page_costs_the_same_queries_however_many_lessons(app, person, alisa,
                                                              calendar_ready):
    with app.app_context():
        student = User.get_by_id(alisa.id)
        add_history(calendar_ready, student, 4, datetime(2025, 1, 1, 9))
        add_history(calendar_ready, student, 4, datetime(2026, 12, 1, 9))
    browser = person("alisa")

    def page_queries():
        with counting_queries() as queries:
            assert browser.get("/lessons/mine").status_code == 200
            for part in ("upcoming", "past", "payments"):
                assert browser.get(f"/lessons/mine/{part}", headers=HTMX).status_code == 200
        return len(queries)

    page_queries()
    few = page_queries()
    with app.app_context():
        student = User.get_by_id(alisa.id)
        add_history(calendar_ready, student, 40, datetime(2025, 2, 1, 9))
        add_history(calendar_ready, student, 40, datetime(2027, 1, 1, 9))
    page = browser.get("/lessons/mine/upcoming", headers=HTMX).text
    assert page.count('class="my-lesson state-pending"') >= 10  # they are all listed
    assert page.count('class="my-lesson state-rejected"') >= 10
    assert page_queries() == few


# --- a lesson that did not go ahead -------------------------------------------------

def test_a_rejected_request_opens_for_its_student_only(person, week_of_alisa):
    rejected = week_of_alisa["rejected"].id
    page = person("alisa").get(f"/lessons/{rejected}")
    assert page.status_code == 200
    text = page.text
    assert "Lesson: Thursday, 26 November 2026, 10:00–11:00" in text
    assert 'data-state="rejected">rejected<' in text
    assert "The teacher rejected the request." in text and "В четверг не могу" in text
    assert 'href="/?week=2026-11-26">Pick another time</a>' in text
    assert person("teacher", TEACHER_PASSWORD).get(f"/lessons/{rejected}").status_code == 404
    assert person().get(f"/lessons/{rejected}").status_code == 302  # to the login page


def test_an_expired_and_a_cancelled_one_say_so(app, person, week_of_alisa, alisa,
                                               create_student, time_machine):
    alisa_browser = person("alisa")
    confirmed = week_of_alisa["confirmed"].id
    assert alisa_browser.submit(f"/lessons/{confirmed}/cancel", {"reason": ""},
                                page=f"/lessons/{confirmed}").status_code == 302
    cancelled = alisa_browser.get(f"/lessons/{confirmed}").text
    assert 'data-state="cancelled">cancelled<' in cancelled
    assert "You cancelled the lesson." in cancelled
    time_machine.move_to(datetime(2026, 11, 24, 7, 0, tzinfo=timezone.utc), tick=False)
    with app.app_context():
        assert expiry.expire_unconfirmed() == 1
    expired = alisa_browser.get(f"/lessons/{week_of_alisa['pending'].id}").text
    assert 'data-state="expired">expired<' in expired
    assert "the teacher did not confirm it before its time" in expired
    create_student(login="boris")
    assert person("boris").get(f"/lessons/{confirmed}").status_code == 404


# --- the slot a visitor picked, through logging in and registering --------------------

def test_logging_in_returns_to_the_picked_slot(person, alisa):
    visitor = person()
    login_url = visitor.get(SLOT).location
    login_page = visitor.get(login_url).text
    assert ('href="/register?next=/lessons/new?start%3D2026-11-24T07:00:00">Register</a>'
            in login_page)
    response = visitor.submit("/login", {"login": "alisa", "password": STUDENT_PASSWORD,
                                         "next": SLOT}, page=login_url)
    assert response.location == SLOT
    page = visitor.get(SLOT).text
    dialog = page[page.index('<div id="lesson-dialog">'):]
    assert dialog.split(">", 1)[1].lstrip().startswith('<dialog class="notice" open data-modal')
    assert 'name="start" type="hidden" value="2026-11-24T07:00:00"' in dialog


REGISTRATION = {"first_name": "Вера", "last_name": "Новикова", "login": "vera",
                "password": "Kv7!pLr2-xQz9mW", "channel": "none", "timezone": "Europe/Moscow"}


def test_registering_returns_to_the_picked_slot(person):
    visitor = person()
    register = "/register?next=/lessons/new?start%3D2026-11-24T07:00:00"
    page = visitor.get(register).text
    assert 'action="/register?next=/lessons/new?start%3D2026-11-24T07:00:00"' in page
    assert 'href="/login?next=/lessons/new?start%3D2026-11-24T07:00:00">' in page
    response = visitor.submit(register, REGISTRATION)
    assert response.status_code == 302 and response.location == SLOT
    assert 'id="book-dialog"' in visitor.get(SLOT).text


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x",
                                    "/\\evil.example"])
def test_registering_never_leaves_the_site(person, target):
    visitor = person()
    response = visitor.submit("/register", REGISTRATION, page="/register",
                              query_string={"next": target})
    assert response.status_code == 302 and response.location == "/"


@pytest.mark.config(TELEGRAM_BOT_TOKEN="123:abc", TELEGRAM_BOT_NAME="tutor_bot")
def test_the_telegram_step_offers_to_continue(person):
    visitor = person()
    register = "/register?next=/lessons/new?start%3D2026-11-24T07:00:00"
    response = visitor.submit(register, {**REGISTRATION, "channel": "telegram"})
    assert response.location == (
        "/account/telegram?next=/lessons/new?start%3D2026-11-24T07:00:00")
    step = visitor.get(response.location).text
    assert f'<a class="button primary" href="{SLOT}">Continue</a>' in step
