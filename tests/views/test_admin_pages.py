"""The teacher's administration through HTTP: every route kept from anonymous
visitors and students (and from a missing CSRF token), each page plain and as an htmx
fragment, and each action with the audit entry it writes."""
from datetime import date, datetime, time, timedelta, timezone

import pytest

from tests.channels_config import outside_channels
from tests.conftest import STUDENT_PASSWORD, TEACHER_PASSWORD, browser_for
from tutor.models import AuditEntry, Broadcast, Goal, Lesson, Message, User
from tutor.services import balances, schedule
from tutor.services.passwords import verify_password

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)  # Monday, 11:00 in Moscow
HTMX = {"HX-Request": "true"}


@pytest.fixture
def ready(app, teacher, time_machine):
    time_machine.move_to(NOW, tick=False)
    with app.app_context():
        schedule.set_windows(teacher, [(day, time(10), time(14)) for day in (1, 2, 3)])
    return teacher


@pytest.fixture
def person(app, client, ready):
    """A browser of its own for each visitor, in English; no login for anonymous."""
    def open_as(login=None, password=STUDENT_PASSWORD):
        return browser_for(app, login, password)
    return open_as


@pytest.fixture
def teacher_browser(person):
    return person("teacher", TEACHER_PASSWORD)


@pytest.fixture
def people(app, create_student, ready):
    goal = None
    with app.app_context():
        goal = Goal.create(name="ЕГЭ", position=0)
        old = Goal.create(name="Старая цель", position=1, retired=True)
    made = {
        "alisa": create_student(login="alisa", first_name="Алиса", last_name="Кузнецова",
                                channel=User.EMAIL, email="alisa@example.org", goal=goal,
                                last_login_at=datetime(2026, 11, 20, 9)),
        "boris": create_student(login="boris", first_name="Борис", last_name="Орлов",
                                channel=User.TELEGRAM, telegram_chat_id="42", goal=old),
        "vera": create_student(login="vera", first_name="Вера", last_name="Андреева",
                               channel=User.EMAIL, email="vera@example.org",
                               inactive_since=datetime(2026, 10, 1)),
        "gleb": create_student(login="gleb", first_name="Глеб", last_name="Яковлев"),
    }
    made["goal"], made["old_goal"] = goal, old
    return made


@pytest.fixture
def lessons(app, people, ready):
    """A pending request (Alisa, Tuesday 10:00 Moscow), a confirmed lesson (Boris,
    Wednesday 10:00) and a past confirmed one (Alisa, last week)."""
    with app.app_context():
        def make(student, start, status, price=None):
            return Lesson.create(teacher=ready, student=student, start=start,
                                 end=start + timedelta(hours=1), status=status, price=price,
                                 comment="Подготовка")
        return {
            "pending": make(people["alisa"], datetime(2026, 11, 24, 7), Lesson.PENDING),
            "confirmed": make(people["boris"], datetime(2026, 11, 25, 7), Lesson.CONFIRMED,
                              1500),
            "past": make(people["alisa"], datetime(2026, 11, 16, 7), Lesson.CONFIRMED, 1200),
        }


def snapshot(app):
    """Everything an admin action could change."""
    with app.app_context():
        return (
            [tuple(u.__data__.values()) for u in User.select().order_by(User.id)],
            [(lesson.id, lesson.status) for lesson in Lesson.select().order_by(Lesson.id)],
            [tuple(g.__data__.values()) for g in Goal.select().order_by(Goal.id)],
            Broadcast.select().count(),
            Message.select().count(),
        )


def audit_count(app):
    with app.app_context():
        return AuditEntry.select().count()


# --- who gets in ----------------------------------------------------------------------

BROADCAST = {"subject": "Каникулы", "body": "Занятий не будет\nс 1 по 7 января."}
ROUTES = [  # (method, path, data, what a teacher gets): valid requests
    ("GET", "/teacher/students", None, 200),
    ("GET", "/teacher/students?q=алиса&sort=paid&order=desc", None, 200),
    ("GET", "/teacher/students/deactivate?scope=selected&ids={alisa}", None, 200),
    ("POST", "/teacher/students/deactivate", {"scope": "selected", "ids": "{alisa}"}, 302),
    ("GET", "/teacher/students/{alisa}", None, 200),
    ("GET", "/teacher/students/{alisa}/edit", None, 200),
    ("POST", "/teacher/students/{alisa}/edit",
     {"first_name": "Алиса", "last_name": "Смирнова", "login": "alisa",
      "email": "alisa@example.org", "channel": "email", "goal": "", "timezone": ""}, 302),
    ("POST", "/teacher/students/{alisa}/password", {}, 200),
    ("POST", "/teacher/students/{alisa}/deactivate", {}, 302),
    ("POST", "/teacher/students/{vera}/reactivate", {}, 302),
    ("GET", "/teacher/students/{alisa}/delete", None, 200),
    ("POST", "/teacher/students/{alisa}/delete", {}, 302),
    ("GET", "/teacher/lessons", None, 200),
    ("POST", "/teacher/lessons/{pending}/reject", {"reason": "Занята"}, 302),
    ("POST", "/teacher/lessons/{confirmed}/cancel", {"reason": "Болею"}, 302),
    ("GET", "/teacher/goals", None, 200),
    ("POST", "/teacher/goals", {"name": "Разговорный"}, 302),
    ("POST", "/teacher/goals/{goal}/rename", {"name": "ЕГЭ по английскому"}, 302),
    ("POST", "/teacher/goals/{goal}/move/down", {}, 302),
    ("POST", "/teacher/goals/{goal}/retire", {}, 302),
    ("POST", "/teacher/goals/{old_goal}/restore", {}, 302),
    ("GET", "/teacher/broadcasts", None, 200),
    ("POST", "/teacher/broadcasts/preview", BROADCAST, 200),
    ("POST", "/teacher/broadcasts/edit", BROADCAST, 200),
    ("POST", "/teacher/broadcasts", BROADCAST, 302),
    ("GET", "/teacher/settings", None, 200),
    ("GET", "/teacher/audit", None, 200),
]
ROUTE_IDS = [f"{method} {path.split('?')[0]}" for method, path, *_ in ROUTES]
READ_ONLY = {"/teacher/broadcasts/preview", "/teacher/broadcasts/edit"}


def fill(text, people, lessons):
    ids = {name: getattr(thing, "id", thing) for name, thing in {**people, **lessons}.items()}
    return text.format(**ids) if isinstance(text, str) else text


def send(browser, method, path, data, token=True):
    if method == "GET":
        return browser.get(path)
    if token:
        return browser.submit(path, data, page="/")
    return browser.post(path, data=data)


@pytest.mark.parametrize("method,path,data,_", ROUTES, ids=ROUTE_IDS)
def test_students_are_forbidden_everything(person, app, people, lessons, method, path, data, _):
    browser = person("alisa")
    before, entries = snapshot(app), audit_count(app)
    data = {k: fill(v, people, lessons) for k, v in (data or {}).items()}
    response = send(browser, method, fill(path, people, lessons), data)
    assert response.status_code == 403
    assert "You do not have access to this page." in response.text
    assert snapshot(app) == before and audit_count(app) == entries


@pytest.mark.parametrize("method,path,data,_", ROUTES, ids=ROUTE_IDS)
def test_anonymous_visitors_are_sent_to_log_in(person, app, people, lessons, method, path,
                                               data, _):
    browser = person()
    before = snapshot(app)
    data = {k: fill(v, people, lessons) for k, v in (data or {}).items()}
    response = send(browser, method, fill(path, people, lessons), data)
    assert response.status_code == 302
    expected = "/login?next=" if method == "GET" else "/login"
    assert response.headers["Location"].startswith(expected)
    assert snapshot(app) == before


@pytest.mark.parametrize("method,path,data,_", [r for r in ROUTES if r[0] == "POST"],
                         ids=[i for i, r in zip(ROUTE_IDS, ROUTES) if r[0] == "POST"])
def test_a_post_without_the_csrf_token_is_refused(teacher_browser, app, people, lessons,
                                                  method, path, data, _):
    before, entries = snapshot(app), audit_count(app)
    data = {k: fill(v, people, lessons) for k, v in (data or {}).items()}
    response = send(teacher_browser, method, fill(path, people, lessons), data, token=False)
    assert response.status_code == 400
    assert "The form has expired." in response.text
    assert snapshot(app) == before and audit_count(app) == entries


@pytest.mark.parametrize("method,path,data,status", ROUTES, ids=ROUTE_IDS)
def test_the_teacher_may_do_everything_and_each_change_is_audited(
        teacher_browser, app, people, lessons, method, path, data, status):
    before, entries = snapshot(app), audit_count(app)
    data = {k: fill(v, people, lessons) for k, v in (data or {}).items()}
    response = send(teacher_browser, method, fill(path, people, lessons), data)
    assert response.status_code == status
    changes = method == "POST" and path not in READ_ONLY
    assert (snapshot(app) != before) == changes
    assert audit_count(app) == entries + (1 if changes else 0)


def test_unknown_records_are_404(teacher_browser, people, ready):
    assert teacher_browser.get("/teacher/students/9999").status_code == 404
    assert teacher_browser.get(f"/teacher/students/{ready.id}").status_code == 404  # teacher
    assert teacher_browser.submit("/teacher/goals/9999/retire", page="/").status_code == 404
    assert teacher_browser.submit(f"/teacher/goals/{people['goal'].id}/move/sideways",
                                  page="/").status_code == 404
    assert teacher_browser.submit("/teacher/lessons/9999/cancel", {"reason": "x"},
                                  page="/").status_code == 404


# --- the student list -----------------------------------------------------------------

def rows(page):
    return page.count('<input type="checkbox" name="ids"')


def test_the_list_as_a_page(app, teacher_browser, people, lessons):
    with app.app_context():  # Alisa attended her 1,200 lesson and paid 200 of it
        Lesson.update(attendance=Lesson.ATTENDED).where(Lesson.id == lessons["past"].id).execute()
        balances.record_payment(User.get(User.login == "teacher"), people["alisa"], "200",
                                date(2026, 11, 16))
    response = teacher_browser.get("/teacher/students")
    page = response.text
    assert response.status_code == 200 and "<html" in page and 'id="students"' in page
    assert rows(page) == 4 and "4 students found" in page
    # The live search: htmx swaps the list as the teacher types, and the address follows.
    assert 'hx-trigger="input changed delay:300ms, search"' in page
    assert 'hx-get="/teacher/students"' in page and 'hx-push-url="true"' in page
    assert 'hx-target="#students"' in page
    # Without JavaScript the same form is a plain GET.
    assert ('<form id="student-search" class="row search" method="get" '
            'action="/teacher/students"') in page
    alisa = page[page.index("Алиса Кузнецова"):]
    alisa = alisa[:alisa.index("</tr>")]
    for cell in ("alisa", "E-mail", "ЕГЭ", "Nov 20, 2026, 12:00", "active", ">2<", ">200<",
                 'number debt" data-balance="-1000.00">-1,000', "negative balance"):
        assert cell in alisa
    assert page.count("negative balance") == 1  # nobody else owes


def test_the_list_as_an_htmx_fragment(teacher_browser, people):
    response = teacher_browser.get("/teacher/students?q=ВЕРА", headers=HTMX)
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="students" hx-target="this"')
    assert "<html" not in response.text and "HX-Request" in response.headers["Vary"]
    assert rows(response.text) == 1 and "Андреева" in response.text
    assert "inactive" in response.text


@pytest.mark.parametrize("query,expected", [
    ("q=алиса", ["Кузнецова"]),
    ("q=ОРЛОВ", ["Орлов"]),
    ("q=vera%40example", ["Андреева"]),
    ("q=никто", []),
    ("status=inactive", ["Андреева"]),
    ("status=active&sort=name&order=desc", ["Яковлев", "Орлов", "Кузнецова"]),
    ("sort=lessons&order=desc", ["Кузнецова", "Орлов", "Андреева", "Яковлев"]),
    ("sort=last_login&order=desc", ["Кузнецова", "Орлов", "Андреева", "Яковлев"]),
])
def test_search_filter_and_sort(teacher_browser, people, lessons, query, expected):
    page = teacher_browser.get(f"/teacher/students?{query}").text
    names = ["Кузнецова", "Орлов", "Андреева", "Яковлев"]
    shown = sorted((page.index(name), name) for name in names if f"{name}</a>" in page)
    assert [name for _, name in shown] == expected
    if not expected:
        assert "No students match." in page


def test_sort_links_and_pages_keep_the_search(teacher_browser, app):
    with app.app_context():
        User.insert_many([{"login": f"s{n:03}", "password_hash": "x", "role": User.STUDENT,
                           "first_name": "Ученик", "last_name": f"Номер{n:03}"}
                          for n in range(60)]).execute()
    page = teacher_browser.get("/teacher/students?q=ученик&sort=lessons").text
    assert rows(page) == 50 and "60 students found" in page
    pupil = "%D1%83%D1%87%D0%B5%D0%BD%D0%B8%D0%BA"  # "ученик", as the link has it
    assert f'href="/teacher/students?q={pupil}&amp;sort=lessons&amp;page=2"' in page
    assert 'aria-sort="ascending"' in page
    # The order goes with the next search: these inputs belong to the search form.
    assert '<input type="hidden" name="sort" value="lessons" form="student-search">' in page
    second = teacher_browser.get("/teacher/students?q=ученик&sort=lessons&page=2",
                                 headers=HTMX).text
    assert rows(second) == 10


def test_mass_deactivation_of_ticked_rows(teacher_browser, app, people):
    ids = f"ids={people['alisa'].id}&ids={people['boris'].id}&ids={people['vera'].id}"
    page = teacher_browser.get(f"/teacher/students/deactivate?scope=selected&{ids}").text
    # Vera is inactive already: two students are concerned.
    assert "Deactivate 2 students?" in page and "Алиса Кузнецова" in page
    assert "Андреева" not in page
    response = teacher_browser.submit("/teacher/students/deactivate", {
        "scope": "selected", "ids": [people["alisa"].id, people["boris"].id,
                                     people["vera"].id]}, page="/")
    assert response.status_code == 302
    assert "2 students are deactivated." in teacher_browser.get(response.headers["Location"]).text
    with app.app_context():
        assert {u.login for u in User.select().where(User.inactive_since.is_null())} == {
            "teacher", "gleb"}


def test_mass_deactivation_of_everybody_matching(teacher_browser, app, people):
    page = teacher_browser.get("/teacher/students/deactivate?scope=all&q=б").text
    assert "Deactivate 2 students?" in page  # Борис, Глеб
    assert '<input type="hidden" name="q" value="б">' in page
    assert '<input type="hidden" name="scope" value="all">' in page
    response = teacher_browser.submit("/teacher/students/deactivate",
                                      {"scope": "all", "q": "б"}, page="/")
    assert response.headers["Location"].startswith("/teacher/students?q=")
    with app.app_context():
        assert {u.login for u in User.select().where(User.inactive_since.is_null(False))} == {
            "boris", "gleb", "vera"}


def test_mass_deactivation_with_nonsense_ids(teacher_browser, app, people):
    before = snapshot(app)
    response = teacher_browser.get("/teacher/students/deactivate?scope=selected&ids=abc")
    assert response.status_code == 302
    assert teacher_browser.submit("/teacher/students/deactivate",
                                  {"scope": "selected", "ids": "abc"}, page="/").status_code == 400
    assert snapshot(app) == before


def test_mass_deactivation_without_a_tick(teacher_browser, people):
    response = teacher_browser.get("/teacher/students/deactivate?scope=selected")
    assert response.status_code == 302
    page = teacher_browser.get(response.headers["Location"]).text
    assert "Tick the students to deactivate first." in page
    page = teacher_browser.get(
        f"/teacher/students/deactivate?scope=selected&ids={people['vera'].id}").text
    assert "Nobody to deactivate" in page


# --- one student ----------------------------------------------------------------------

def test_the_student_page(teacher_browser, people, lessons):
    page = teacher_browser.get(f"/teacher/students/{people['alisa'].id}").text
    for text in ("Алиса Кузнецова", "alisa@example.org", "ЕГЭ", "Nov 20, 2026, 12:00",
                 "Lesson history", "Nov 24, 2026, 10:00–11:00", "Nov 16, 2026, 10:00–11:00",
                 "awaiting confirmation", "Reset the password", "Deactivate", "Delete…"):
        assert text in page
    totals = page[page.index('id="totals-title"'):page.index('id="history-title"')]
    assert "<dd>2</dd>" in totals and "<dd>1,200</dd>" in totals
    boris = teacher_browser.get(f"/teacher/students/{people['boris'].id}").text
    assert "Старая цель" in boris and "(retired)" in boris


@outside_channels
def test_edit_a_student(teacher_browser, app, people):
    path = f"/teacher/students/{people['boris'].id}/edit"
    page = teacher_browser.get(path).text
    assert 'id="student-form"' in page and 'hx-post="' + path + '"' in page
    # The retired goal Boris has is still among the choices; so are the offered ones.
    assert "Старая цель" in page and "ЕГЭ" in page
    response = teacher_browser.submit(path, {
        "first_name": "Борис", "last_name": "Орлов-Старший", "login": "Boris.O",
        "email": "boris@example.org", "channel": "email", "goal": str(people["goal"].id),
        "timezone": "Asia/Omsk"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/teacher/students/{people['boris'].id}"
    with app.app_context():
        boris = User.get_by_id(people["boris"].id)
        assert (boris.last_name, boris.login, boris.email, boris.channel, boris.goal_id,
                boris.timezone) == ("Орлов-Старший", "boris.o", "boris@example.org", "email",
                                    people["goal"].id, "Asia/Omsk")
        assert {m.kind for m in Message.select()} == {"login_changed", "channel_changed"}
        entry = AuditEntry.get(AuditEntry.action == "student.update")
        assert entry.target_id == boris.id


@pytest.mark.parametrize("changes,message", [
    ({"login": "alisa"}, "This login is taken."),
    ({"login": "b"}, "3 to 32 characters"),
    ({"channel": "email", "email": ""}, "Enter an e-mail address for the e-mail channel."),
    ({"email": "alisa@example.org"}, "An account with this e-mail already exists."),
    ({"email": "not an address"}, "This does not look like an e-mail address."),
    ({"goal": "{old_goal}", "login": "boris"}, None),  # his own retired goal: fine
    ({"goal": "9999"}, "Choose a goal from the list."),
    ({"timezone": "Mars/Base"}, "Choose a time zone from the list."),
    ({"first_name": ""}, "Enter the first name."),
])
def test_edit_errors_come_back_in_the_form(teacher_browser, app, people, changes, message):
    path = f"/teacher/students/{people['boris'].id}/edit"
    data = {"first_name": "Борис", "last_name": "Орлов", "login": "boris", "email": "",
            "channel": "telegram", "goal": str(people["old_goal"].id), "timezone": "",
            **{k: v.format(old_goal=people["old_goal"].id) for k, v in changes.items()}}
    before = snapshot(app)
    plain = teacher_browser.submit(path, data)
    fragment = teacher_browser.submit(path, data, headers=HTMX)
    if message is None:
        assert plain.status_code == 302 and fragment.status_code == 204
        return
    assert plain.status_code == 200 and "<html" in plain.text and message in plain.text
    assert fragment.status_code == 200 and message in fragment.text
    assert fragment.text.lstrip().startswith('<form id="student-form"')
    assert "<html" not in fragment.text and "HX-Request" in fragment.headers["Vary"]
    assert snapshot(app) == before


def test_edit_success_by_htmx_leaves_for_the_student_page(teacher_browser, people):
    path = f"/teacher/students/{people['gleb'].id}/edit"
    response = teacher_browser.submit(path, {
        "first_name": "Глеб", "last_name": "Яковлев", "login": "gleb2", "email": "",
        "channel": "none", "goal": "", "timezone": ""}, headers=HTMX)
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == f"/teacher/students/{people['gleb'].id}"


def test_reset_password_shows_it_once_and_logs_the_student_out(person, teacher_browser, app,
                                                               people):
    alisa_browser = person("alisa")
    assert alisa_browser.get("/account").status_code == 200
    response = teacher_browser.submit(f"/teacher/students/{people['alisa'].id}/password",
                                      page=f"/teacher/students/{people['alisa'].id}")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    password = response.text.split("<dt>Password</dt><dd><code>")[1].split("</code>")[0]
    with app.app_context():
        assert verify_password(User.get_by_id(people["alisa"].id).password_hash, password)
    assert alisa_browser.get("/account").status_code == 302  # logged out
    assert person("alisa", password).get("/account").status_code == 200


def test_deactivate_and_reactivate_one(teacher_browser, app, people):
    path = f"/teacher/students/{people['gleb'].id}"
    response = teacher_browser.submit(f"{path}/deactivate", page=path)
    assert response.headers["Location"] == path
    page = teacher_browser.get(path).text
    assert "The student is deactivated" in page and "inactive since Nov 23, 2026, 11:00" in page
    assert "Reactivate" in page
    teacher_browser.submit(f"{path}/reactivate", page=path)
    with app.app_context():
        assert User.get_by_id(people["gleb"].id).inactive_since is None


def test_delete_a_student_after_a_clear_confirmation(teacher_browser, app, people, lessons):
    path = f"/teacher/students/{people['alisa'].id}/delete"
    page = teacher_browser.get(path).text
    assert "Delete Алиса Кузнецова?" in page
    assert "2 lessons, past and upcoming" in page
    assert "1 of them upcoming" in page
    assert "1 confirmed lesson worth 1,200 ₽" in page
    response = teacher_browser.submit(path)
    assert response.headers["Location"] == "/teacher/students"
    assert "Алиса Кузнецова is deleted" in teacher_browser.get("/teacher/students").text
    with app.app_context():
        assert User.by_login("alisa") is None
        assert [lesson.id for lesson in Lesson.select()] == [lessons["confirmed"].id]


# --- lessons --------------------------------------------------------------------------

def test_the_lesson_list_from_today_on(teacher_browser, lessons):
    response = teacher_browser.get("/teacher/lessons")
    page = response.text
    assert response.status_code == 200 and "<html" in page and 'id="lessons"' in page
    assert 'value="2026-11-23"' in page  # "from" defaults to today
    assert "Nov 24, 2026, 10:00–11:00" in page and "Nov 25, 2026, 10:00–11:00" in page
    assert "Nov 16, 2026" not in page
    assert f'href="/lessons/{lessons["pending"].id}">Confirm or edit</a>' in page
    assert f'hx-post="/teacher/lessons/{lessons["pending"].id}/reject"' in page
    assert f'hx-post="/teacher/lessons/{lessons["confirmed"].id}/cancel"' in page
    assert 'hx-get="/teacher/lessons"' in page and 'hx-push-url="true"' in page


@pytest.mark.parametrize("query,shown", [
    ("first_day=", ["Nov 16, 2026", "Nov 24, 2026", "Nov 25, 2026"]),
    ("first_day=&last_day=2026-11-20", ["Nov 16, 2026"]),
    ("first_day=2026-11-25", ["Nov 25, 2026"]),
    ("first_day=&status=pending", ["Nov 24, 2026"]),
    ("first_day=&student=ОРЛОВ", ["Nov 25, 2026"]),
    ("first_day=not-a-date", ["Nov 16, 2026", "Nov 24, 2026", "Nov 25, 2026"]),
])
def test_lesson_filters(teacher_browser, lessons, query, shown):
    page = teacher_browser.get(f"/teacher/lessons?{query}").text
    for day in ("Nov 16, 2026", "Nov 24, 2026", "Nov 25, 2026"):
        assert (f"{day}, 10:00–11:00" in page) == (day in shown), day
    fragment = teacher_browser.get(f"/teacher/lessons?{query}", headers=HTMX)
    assert fragment.text.lstrip().startswith('<div id="lessons" hx-target="this"')
    assert "<html" not in fragment.text and "HX-Request" in fragment.headers["Vary"]


def test_a_past_lesson_has_no_buttons_but_the_attendance_mark(teacher_browser, lessons):
    page = teacher_browser.get("/teacher/lessons?first_day=").text
    row = page[page.index(f'id="lesson-{lessons["past"].id}"'):]
    row = row[:row.index("</tr>")]
    assert "/reject" not in row and "/cancel" not in row and ">Open</a>" in row
    assert f'hx-post="/teacher/lessons/{lessons["past"].id}/attendance"' in row
    assert "not marked" in row


def test_reject_from_the_list(teacher_browser, app, lessons):
    lesson_id = lessons["pending"].id
    response = teacher_browser.submit(f"/teacher/lessons/{lesson_id}/reject", {
        "reason": "Занята", "next": "/teacher/lessons?status=pending"}, page="/teacher/lessons")
    assert response.headers["Location"] == "/teacher/lessons?status=pending"
    with app.app_context():
        assert Lesson.get_or_none(Lesson.id == lesson_id) is None
        assert Message.get(Message.kind == "lesson_rejected").user_id == lessons[
            "pending"].student_id
        assert AuditEntry.get(AuditEntry.action == "lesson.reject").target_id == lesson_id


def test_reject_from_the_list_by_htmx_swaps_the_row(teacher_browser, lessons):
    lesson_id = lessons["pending"].id
    response = teacher_browser.submit(f"/teacher/lessons/{lesson_id}/reject", {
        "reason": "", "next": "https://evil.example/"}, page="/teacher/lessons", headers=HTMX)
    assert response.status_code == 200
    assert response.text.lstrip().startswith(
        f'<tr id="lesson-{lesson_id}" class="status-pending gone"')
    assert "Rejected; the student is told." in response.text
    assert 'hx-swap-oob="true"' in response.text  # the toast rides along


def test_cancel_needs_a_reason(teacher_browser, app, lessons):
    lesson_id = lessons["confirmed"].id
    path = f"/teacher/lessons/{lesson_id}/cancel"
    fragment = teacher_browser.submit(path, {"reason": ""}, page="/teacher/lessons",
                                      headers=HTMX)
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith(
        f'<tr id="lesson-{lesson_id}" class="status-confirmed"')
    assert "Please give the student a reason." in fragment.text
    plain = teacher_browser.submit(path, {"reason": "", "next": "/teacher/lessons?first_day="},
                                   page="/teacher/lessons")
    assert plain.headers["Location"] == "/teacher/lessons?first_day="
    assert "Please give the student a reason." in teacher_browser.get(
        plain.headers["Location"]).text
    with app.app_context():
        assert Lesson.get_by_id(lesson_id).is_confirmed


def test_another_teachers_lesson_is_not_found(teacher_browser, app, create_user, people):
    other = create_user("teacher2", TEACHER_PASSWORD, role=User.TEACHER)
    with app.app_context():
        foreign = Lesson.create(teacher=other, student=people["alisa"],
                                start=datetime(2026, 12, 1, 7), end=datetime(2026, 12, 1, 8))
    assert teacher_browser.submit(f"/teacher/lessons/{foreign.id}/reject",
                                  page="/").status_code == 404


# --- goals ----------------------------------------------------------------------------

def test_goals_page_plain_and_fragment(teacher_browser, people):
    page = teacher_browser.get("/teacher/goals").text
    assert "<html" in page and 'id="goals"' in page
    assert "ЕГЭ" in page and "Старая цель" in page and "Offer again" in page
    fragment = teacher_browser.get("/teacher/goals", headers=HTMX)
    assert fragment.text.lstrip().startswith('<div id="goals" class="stack" hx-target="this"')
    assert "<html" not in fragment.text and "HX-Request" in fragment.headers["Vary"]


def test_create_a_goal_by_htmx_and_see_it_offered(teacher_browser, person, app, people):
    response = teacher_browser.submit("/teacher/goals", {"name": "Разговорный английский"},
                                      page="/teacher/goals", headers=HTMX)
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="goals"')
    assert "Разговорный английский" in response.text
    assert "The goal “Разговорный английский” is added." in response.text  # the toast
    register = person().get("/register").text
    assert "Разговорный английский" in register and "ЕГЭ" in register
    assert "Старая цель" not in register  # retired


@pytest.mark.parametrize("name,message", [
    ("", "Enter the goal's name."), ("егэ", "There is a goal with this name already.")])
def test_goal_errors(teacher_browser, app, people, name, message):
    plain = teacher_browser.submit("/teacher/goals", {"name": name}, page="/teacher/goals")
    assert plain.status_code == 200 and "<html" in plain.text and message in plain.text
    fragment = teacher_browser.submit("/teacher/goals", {"name": name}, page="/teacher/goals",
                                      headers=HTMX)
    assert fragment.status_code == 200 and message in fragment.text
    assert "<html" not in fragment.text
    with app.app_context():
        assert Goal.select().count() == 2


def test_rename_error_shows_at_its_goal(teacher_browser, people):
    response = teacher_browser.submit(f"/teacher/goals/{people['goal'].id}/rename",
                                      {"name": "старая цель"}, page="/teacher/goals",
                                      headers=HTMX)
    assert response.status_code == 200
    error = f'id="goal-{people["goal"].id}-error">There is a goal with this name already.'
    assert error in response.text


def test_move_and_retire_by_htmx(teacher_browser, app, person, people):
    goal = people["goal"]
    moved = teacher_browser.submit(f"/teacher/goals/{goal.id}/move/down", page="/teacher/goals",
                                   headers=HTMX)
    assert moved.text.index("Старая цель") < moved.text.index('value="ЕГЭ"')
    retired = teacher_browser.submit(f"/teacher/goals/{goal.id}/retire", page="/teacher/goals",
                                     headers=HTMX)
    assert "new students no longer see it" in retired.text
    assert "ЕГЭ" not in person().get("/register").text
    with app.app_context():
        assert User.by_login("alisa").goal_id == goal.id  # stays on Alisa
    restored = teacher_browser.submit(f"/teacher/goals/{goal.id}/restore",
                                      page="/teacher/goals", headers=HTMX)
    assert restored.text.lstrip().startswith('<div id="goals"')
    assert "The goal is offered again." in restored.text
    assert "HX-Request" in restored.headers["Vary"]
    assert "ЕГЭ" in person().get("/register").text


# --- broadcasts -----------------------------------------------------------------------

def test_compose_preview_and_send(teacher_browser, app, people):
    page = teacher_browser.get("/teacher/broadcasts").text
    assert "3 active students will get it" in page  # Alisa, Boris, and Gleb in the app
    assert 'hx-post="/teacher/broadcasts/preview"' in page and "No broadcasts yet." in page

    preview = teacher_browser.submit("/teacher/broadcasts/preview", BROADCAST,
                                     page="/teacher/broadcasts", headers=HTMX)
    assert preview.text.lstrip().startswith('<div id="broadcast" hx-target="this"')
    assert "<html" not in preview.text and "HX-Request" in preview.headers["Vary"]
    assert "Каникулы" in preview.text and "Занятий не будет\nс 1 по 7 января." in preview.text
    assert "Send to 3 students" in preview.text
    plain = teacher_browser.submit("/teacher/broadcasts/preview", BROADCAST,
                                   page="/teacher/broadcasts")
    assert "<html" in plain.text and "Send to 3 students" in plain.text
    back = teacher_browser.submit("/teacher/broadcasts/edit", BROADCAST,
                                  page="/teacher/broadcasts", headers=HTMX)
    assert ">\r\nЗанятий не будет\nс 1 по 7 января.</textarea>" in back.text

    sent = teacher_browser.submit("/teacher/broadcasts", BROADCAST, page="/teacher/broadcasts",
                                  headers=HTMX)
    assert sent.status_code == 204 and sent.headers["HX-Redirect"] == "/teacher/broadcasts"
    history = teacher_browser.get("/teacher/broadcasts").text
    assert "The message is on its way to 3 students." in history
    assert "Каникулы" in history
    with app.app_context():
        recipients = {m.user.login for m in Message.select().where(Message.kind == "broadcast")}
        assert recipients == {"alisa", "boris", "gleb"}  # Gleb's in his inbox


def test_broadcast_errors_and_repeats(teacher_browser, app, people):
    empty = teacher_browser.submit("/teacher/broadcasts/preview", {"subject": "", "body": ""},
                                   page="/teacher/broadcasts", headers=HTMX)
    assert "Enter a subject." in empty.text and "Write the message." in empty.text
    teacher_browser.submit("/teacher/broadcasts", BROADCAST, page="/teacher/broadcasts")
    again = teacher_browser.submit("/teacher/broadcasts", BROADCAST, page="/teacher/broadcasts")
    assert again.status_code == 200
    assert "This message has just been sent. It is not sent twice." in again.text
    with app.app_context():
        assert Broadcast.select().count() == 1


# --- settings and the audit log -------------------------------------------------------

def test_settings_page_shows_the_rules_and_links_to_where_they_change(teacher_browser, ready):
    page = teacher_browser.get("/teacher/settings").text
    for text in ("60 minutes", "56 days ahead", "12 hours", "24 hours", "Moscow (UTC+3)",
                 'href="/teacher/availability#rules-title"', 'href="/account#password-heading"',
                 'href="/account#notifications-heading"', "teacher"):
        assert text in page


def test_the_audit_log_records_the_existing_teacher_actions(teacher_browser, app, people,
                                                            lessons):
    teacher_browser.submit("/teacher/availability/windows",
                           {"weekday": "4", "start": "15:00", "end": "18:00"})
    teacher_browser.submit("/teacher/availability/settings", {
        "lesson_length_minutes": "45", "buffer_minutes": "0", "min_notice_hours": "12",
        "horizon_days": "56", "cancellation_notice_hours": "24", "default_price": "0",
        "timezone": "Europe/Moscow", "max_pending_lessons": "10", "max_pending_series": "2"})
    teacher_browser.submit("/teacher/unavailable", {"first_day": "2026-12-08",
                                                    "last_day": "2026-12-09"})
    teacher_browser.submit(f"/lessons/{lessons['pending'].id}/confirm", {
        "price": "1000", "people": "1", "comment": "", "day": "2026-11-24", "time": "10:00"})
    teacher_browser.submit(f"/lessons/{lessons['confirmed'].id}/cancel", {"reason": "Болею"})
    with app.app_context():
        actions = [e.action for e in AuditEntry.newest()]
        assert actions == ["lesson.cancel", "lesson.confirm", "unavailable.add",
                           "settings.update", "window.add"]
        window = AuditEntry.get(AuditEntry.action == "window.add")
        assert "csrf" not in window.after and '"start": "15:00:00"' in window.after

    page = teacher_browser.get("/teacher/audit").text
    assert "Lesson cancelled" in page and "Weekly hours added" in page
    assert "Анна Петрова" in page and "Болею" in page
    only = teacher_browser.get("/teacher/audit?action=window.add").text
    assert "Weekly hours added" in only and "Lesson cancelled</td>" not in only
    assert '<option value="window.add" selected>' in only


def test_the_audit_log_reads_as_sentences_in_russian(teacher_browser, app, people, lessons):
    teacher_browser.submit("/teacher/availability/windows",
                           {"weekday": "4", "start": "15:00", "end": "18:00"})
    teacher_browser.submit(f"/lessons/{lessons['pending'].id}/confirm", {
        "price": "1000", "people": "1", "comment": "", "day": "2026-11-24", "time": "10:00"})
    teacher_browser.submit("/language/ru")
    page = teacher_browser.get("/teacher/audit").text
    assert "Рабочие часы добавлены" in page and "Занятие подтверждено" in page
    assert "День недели" in page and "Пятница" in page  # not "weekday 4"
    assert f"Занятие №{lessons['pending'].id}" in page and "lessons #" not in page
    assert "подтверждено" in page and "24 ноября 2026, 10:00" in page  # the teacher's zone
    for raw in ("weekday", "status", "confirmed<", "False", "True", "submit"):
        assert raw not in page.split('<table class="list audit">')[1]
