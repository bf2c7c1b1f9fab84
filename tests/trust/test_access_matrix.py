"""The access-control matrix: every route of the URL map × every kind of visitor,
with the answer each one gets declared in one table (MATRIX).

- A route without a row fails `test_every_route_is_declared`: whoever adds a route
  declares who may use it.
- Routes with ids are probed with student A's records (her lessons, her profile, her
  outbox message), so student B and the inactive student probe someone else's: they
  must get 403/404 and change nothing (no IDOR). The teacher's student pages are
  probed with the teacher's own id too.
- Each probe runs on a fresh database. A refusal (log in, 400, 403, 404) must leave
  every table exactly as it was, and so must every GET, for every role.
- POSTs carry a valid CSRF token here (the CSRF guard is test_csrf.py's subject)."""
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from flask import url_for

from tests.conftest import STUDENT_PASSWORD
from tests.trust.conftest import ANONYMOUS, INACTIVE, ROLES, STUDENT_A, STUDENT_B, TEACHER

LOGIN = "log in"  # 302 to the login page
GO = "redirect"  # 302 (or 301) anywhere else: done, or nothing to do here
REFUSALS = {LOGIN, 400, 403, 404}


@dataclass(frozen=True)
class Row:
    endpoint: str
    method: str
    answers: dict  # role -> status code, LOGIN or GO
    values: dict = field(default_factory=dict)  # URL variables; "@name" is an Objects field
    data: dict = field(default_factory=dict)  # form fields besides the CSRF token
    query: dict = field(default_factory=dict)
    label: str = ""
    bearer: bool = False  # the address itself is the key: whoever holds it is let in

    @property
    def id(self):
        return f"{self.endpoint}{f'[{self.label}]' if self.label else ''}-{self.method}"


def row(endpoint, method, anonymous, student_a, student_b, inactive, teacher, **options):
    answers = dict(zip(ROLES, (anonymous, student_a, student_b, inactive, teacher)))
    return Row(endpoint, method, answers, **options)


def public(endpoint, method, answer, **options):
    return row(endpoint, method, answer, answer, answer, answer, answer, **options)


def members(endpoint, method, answer, **options):
    """Anyone logged in; visitors are sent to log in."""
    return row(endpoint, method, LOGIN, answer, answer, answer, answer, **options)


def teacher_only(endpoint, method, answer, **options):
    return row(endpoint, method, LOGIN, 403, 403, 403, answer, **options)


LESSON_A = {"lesson_id": "@lesson_a"}
SERIES_A = {"series_id": "@series_a"}
STUDENT_A_ID = {"student_id": "@student_a"}
TEACHER_ID = {"student_id": "@teacher"}

MATRIX = [
    #     endpoint                    method  anonymous  A    B    inactive teacher
    # --- the calendar and odds and ends ---------------------------------------------
    public("calendar.week", "GET", 200),
    public("calendar.month", "GET", 200),
    public("profile.public", "GET", 200),
    # Only the current version of a photo is served; this teacher has none.
    public("profile.photo", "GET", 404, values={"teacher_id": "@teacher", "version": "0"}),
    public("main.favicon", "GET", 301),
    public("static", "GET", 200, values={"filename": "css/tutor.css"}),
    public("ops.healthz", "GET", 200),
    public("ops.readyz", "GET", 200),
    # From 127.0.0.1 (METRICS_ALLOW); strangers get 403 (tests/views/test_ops.py).
    public("ops.metrics_endpoint", "GET", 200),
    # No session: the secret header is the proof (tests/integrations/test_telegram_webhook.py).
    public("telegram.webhook", "POST", 403, data={"update_id": 1}),
    # --- logging in, registering, recovering ----------------------------------------
    row("auth.login", "GET", 200, GO, GO, GO, GO),
    row("auth.login", "POST", 200, GO, GO, GO, GO),
    members("auth.logout", "POST", GO),
    row("auth.register", "GET", 200, GO, GO, GO, GO),
    row("auth.register", "POST", 200, GO, GO, GO, GO),
    public("auth.suggest_name", "GET", 200, values={"field": "first_name"},
           query={"first_name": "Ал"}),
    public("auth.password_strength", "POST", 200, data={"password": "correct horse"}),
    public("auth.set_language", "POST", GO, values={"lang": "en"}),
    public("auth.forgot_password", "GET", 200),
    public("auth.forgot_password", "POST", 200),  # empty form: the field is required
    public("auth.reset_password", "GET", 400, values={"token": "not-a-token"}, label="forged"),
    public("auth.reset_password", "POST", 400, values={"token": "not-a-token"}, label="forged"),
    # The link itself is the proof, whoever holds it (it works once, for an hour).
    public("auth.reset_password", "GET", 200, values={"token": "@reset_token_a"}, label="A",
           bearer=True),
    public("auth.reset_password", "POST", 200, values={"token": "@reset_token_a"}, label="A",
           bearer=True),
    # Other ways to log in (views/signin.py). Off to Yandex (whose answer no probe has:
    # the callback without this browser's pending state goes back to log in).
    row("signin.yandex_start", "POST", GO, GO, GO, GO, GO),
    public("signin.yandex_callback", "GET", LOGIN, query={"code": "1", "state": "forged"}),
    public("signin.yandex_register", "GET", LOGIN),  # no Yandex user waiting to register
    public("signin.yandex_register", "POST", LOGIN),
    members("signin.yandex_link", "POST", GO),
    members("signin.yandex_unlink", "POST", GO),
    # An unsigned Telegram payload: refused, back to log in (or the profile).
    row("signin.telegram_login", "POST", LOGIN, GO, GO, GO, GO, data={"id": "1", "hash": "0"}),
    members("signin.telegram_link", "POST", GO, data={"id": "1", "hash": "0"}),
    # Trial lesson requests: visitors ask (an empty form: its errors), the teacher answers.
    public("trials.ask", "GET", 200),
    public("trials.ask", "POST", 200),
    teacher_only("trials.index", "GET", 200),
    teacher_only("trials.show", "GET", 200, values={"trial_id": "@trial"}),
    teacher_only("trials.decline", "POST", GO, values={"trial_id": "@trial"}),
    # --- the user's own account -----------------------------------------------------
    members("account.profile", "GET", 200),
    members("account.update_profile", "POST", 200),  # empty form: errors, nothing saved
    members("account.change_password", "POST", 200),
    members("account.change_notifications", "POST", GO),  # fields left out keep their values
    members("account.telegram", "GET", 200),
    members("account.unlink_telegram", "POST", GO),
    members("account.open_telegram_bot", "POST", GO),
    row("feeds.change", "POST", LOGIN, GO, GO, GO, GO, data={"action": "on"}),
    members("feeds.change", "POST", 400, label="no-action"),
    # A calendar app has no session: the signed, revocable address is the key.
    public("feeds.feed", "GET", 200, values={"token": "@feed_token_a"}, label="A", bearer=True),
    public("feeds.feed", "GET", 404, values={"token": "not-a-token"}, label="forged"),
    # An e-mail's one-tap link: the signed, single-use token is the key (no login); the
    # GET only shows the lesson, the POST confirms it (tests/views/test_actions.py).
    public("actions.confirm", "GET", 200, values={"token": "@action_token_a"}, label="A",
           bearer=True),
    public("actions.confirm", "POST", 200, values={"token": "@action_token_a"}, label="A",
           bearer=True),
    public("actions.confirm", "GET", 404, values={"token": "not-a-token"}, label="forged"),
    public("actions.confirm", "POST", 404, values={"token": "not-a-token"}, label="forged"),
    row("account.deactivate", "GET", LOGIN, 200, 200, 200, GO),  # not the teacher's
    row("account.deactivate", "POST", LOGIN, GO, GO, GO, GO),
    # Your devices: only one's own sessions (A's other device; anyone else's is not found).
    row("account.sign_out_device", "POST", LOGIN, GO, 404, 404, 404,
        values={"session_id": "@session_a"}),
    members("account.sign_out_other_devices", "POST", GO),
    # Your data: a student's own; the teacher is sent back to the profile.
    members("account.export_data", "POST", GO),
    row("account.delete_account", "GET", LOGIN, 200, 200, 200, GO),
    row("account.delete_account", "POST", LOGIN, 200, 200, 200, GO),  # no password: the form
    row("account.delete_account", "POST", LOGIN, GO, GO, GO, GO, label="password",
        data={"password": STUDENT_PASSWORD}),
    # --- booking and lessons: A's lesson is pending, B's confirmed -------------------
    row("lessons.new", "GET", LOGIN, 200, 200, 200, GO, query={"start": "@free_slot"}),
    row("lessons.create", "POST", LOGIN, GO, GO, GO, 403, data={"start": "@free_slot"}),
    row("lessons.show", "GET", LOGIN, 200, 404, 404, 200, values=LESSON_A, label="A"),
    row("lessons.show", "GET", LOGIN, 404, 200, 404, 200, values={"lesson_id": "@lesson_b"},
        label="B"),
    row("lessons.mine", "GET", LOGIN, 200, 200, 200, GO),  # the teacher has admin pages
    row("lessons.mine_part", "GET", LOGIN, 200, 200, 200, GO, values={"part": "upcoming"}),
    row("lessons.attendance", "POST", LOGIN, 403, 404, 404, 200, values=LESSON_A),
    row("lessons.leave_feedback", "POST", LOGIN, 200, 404, 404, 403, values=LESSON_A),
    row("lessons.calendar_file", "GET", LOGIN, 200, 404, 404, 200, values=LESSON_A),
    row("lessons.student", "GET", LOGIN, 200, 404, 404, 200, values=LESSON_A),
    row("lessons.confirm", "POST", LOGIN, 403, 404, 404, 200, values=LESSON_A),
    row("lessons.reject", "POST", LOGIN, 403, 404, 404, GO, values=LESSON_A),
    row("lessons.cancel", "POST", LOGIN, GO, 404, 404, GO, values=LESSON_A,
        data={"reason": "Болею"}, label="A"),
    row("lessons.cancel", "POST", LOGIN, 404, GO, 404, GO, values={"lesson_id": "@lesson_b"},
        data={"reason": "Болею"}, label="B"),
    # The teacher must give the student a reason: without one, the form again.
    row("lessons.cancel", "POST", LOGIN, GO, 404, 404, 200, values=LESSON_A, label="A-no-reason"),
    # --- weekly series: A's is pending -------------------------------------------------
    row("series.preview", "GET", LOGIN, 200, 200, 200, 403,
        query={"start": "@free_slot", "times": "3"}),
    # Without the preview's fingerprint the dates are shown first: nothing is booked.
    row("series.create", "POST", LOGIN, 200, 200, 200, 403,
        data={"start": "@free_slot", "times": "3"}),
    row("series.show", "GET", LOGIN, 200, 404, 404, 200, values=SERIES_A),
    row("series.confirm", "POST", LOGIN, 403, 404, 404, GO, values=SERIES_A,
        data={"price": "1500", "people": "1"}),
    row("series.reject", "POST", LOGIN, 403, 404, 404, GO, values=SERIES_A),
    row("series.cancel", "POST", LOGIN, GO, 404, 404, GO, values=SERIES_A,
        data={"cancel-first_day": "2027-03-09", "cancel-reason": "Болею"}),
    # A's lesson is pending: it is confirmed, not changed (the form again, unchanged).
    row("series.change_lesson", "POST", LOGIN, 403, 404, 404, 200, values=LESSON_A),
    # --- the teacher's calendar pages -----------------------------------------------
    teacher_only("profile_edit.edit", "GET", 200),
    teacher_only("profile_edit.edit", "POST", GO, data={"subjects": "Математика",
                                                        "about": "Готовлю к ЕГЭ"}),
    teacher_only("teacher.availability", "GET", 200),
    teacher_only("teacher.update_settings", "POST", 200),
    teacher_only("teacher.add_window", "POST", 200),
    teacher_only("teacher.remove_window", "POST", GO,
                 values={"weekday": "@window_weekday", "start": "@window_start"}),
    # The weekly grid: without the times or days the grid comes back with the reason.
    teacher_only("teacher.change_window", "POST", 200,
                 values={"weekday": "@window_weekday", "start": "@window_start"}),
    teacher_only("teacher.copy_day", "POST", 200),
    teacher_only("teacher.apply_preset", "POST", 200),
    teacher_only("teacher.change_slot_step", "POST", 200),  # no step: the grid says why
    teacher_only("teacher.add_days_off", "POST", 200),
    teacher_only("teacher.day_off", "POST", 400),  # the calendar's button sends the day
    teacher_only("teacher.block_slot", "POST", 400),  # the calendar's button sends the slot
    teacher_only("teacher.remove_unavailable", "POST", GO, values={"interval_id": "@interval"}),
    teacher_only("teacher.dismiss_onboarding", "POST", GO),
    # The teacher's other calendars, whose busy time closes slots.
    teacher_only("calendars.index", "GET", 200),
    teacher_only("calendars.add", "POST", 200),  # empty form: the form again
    teacher_only("calendars.refresh", "POST", GO, values={"subscription_id": "@subscription"}),
    teacher_only("calendars.remove", "POST", GO, values={"subscription_id": "@subscription"}),
    teacher_only("teacher.new_lesson", "GET", 200),
    teacher_only("teacher.new_lesson", "POST", 200),
    teacher_only("teacher.past_lesson", "GET", 200),
    teacher_only("teacher.past_lesson", "POST", 200),
    # --- administration: students ---------------------------------------------------
    teacher_only("admin.students", "GET", 200),
    teacher_only("admin.confirm_deactivation", "GET", 200, query={"ids": "@student_a"}),
    teacher_only("admin.confirm_deactivation", "GET", GO, label="none-ticked"),
    teacher_only("admin.deactivate_students", "POST", GO),
    teacher_only("admin.student", "GET", 200, values=STUDENT_A_ID, label="A"),
    teacher_only("admin.edit_student", "GET", 200, values=STUDENT_A_ID, label="A"),
    teacher_only("admin.edit_student", "POST", 200, values=STUDENT_A_ID, label="A"),
    teacher_only("admin.reset_password", "POST", 200, values=STUDENT_A_ID, label="A"),
    teacher_only("admin.deactivate_student", "POST", GO, values=STUDENT_A_ID, label="A"),
    teacher_only("admin.reactivate_student", "POST", GO, values=STUDENT_A_ID, label="A"),
    teacher_only("admin.delete_student", "GET", 200, values=STUDENT_A_ID, label="A"),
    teacher_only("admin.delete_student", "POST", GO, values=STUDENT_A_ID, label="A"),
    teacher_only("admin.record_payment", "POST", 200, values=STUDENT_A_ID, label="A"),
    teacher_only("admin.delete_payment", "POST", GO,
                 values={"student_id": "@student_a", "payment_id": "@payment_a"}, label="A"),
    # A's payment is not reachable under another student's address.
    teacher_only("admin.delete_payment", "POST", 404,
                 values={"student_id": "@student_b", "payment_id": "@payment_a"}, label="B"),
    # The student pages never reach the teacher's own account.
    teacher_only("admin.student", "GET", 404, values=TEACHER_ID, label="teacher"),
    teacher_only("admin.edit_student", "GET", 404, values=TEACHER_ID, label="teacher"),
    teacher_only("admin.edit_student", "POST", 404, values=TEACHER_ID, label="teacher"),
    teacher_only("admin.reset_password", "POST", 404, values=TEACHER_ID, label="teacher"),
    teacher_only("admin.deactivate_student", "POST", 404, values=TEACHER_ID, label="teacher"),
    teacher_only("admin.reactivate_student", "POST", 404, values=TEACHER_ID, label="teacher"),
    teacher_only("admin.delete_student", "GET", 404, values=TEACHER_ID, label="teacher"),
    teacher_only("admin.delete_student", "POST", 404, values=TEACHER_ID, label="teacher"),
    teacher_only("admin.record_payment", "POST", 404, values=TEACHER_ID, label="teacher"),
    # --- administration: lessons, goals, broadcasts, settings, audit -----------------
    teacher_only("admin.lessons", "GET", 200),
    teacher_only("admin.cancel_lesson", "POST", GO, values=LESSON_A),
    teacher_only("admin.mark_attendance", "POST", GO, values=LESSON_A),
    teacher_only("admin.reject_lesson", "POST", GO, values=LESSON_A),
    teacher_only("admin.confirm_lesson", "POST", GO, values=LESSON_A),
    teacher_only("admin.requests_badge", "GET", 200),
    teacher_only("admin.goals", "GET", 200),
    teacher_only("admin.create_goal", "POST", 200),  # empty name: the form again
    teacher_only("admin.rename_goal", "POST", 200, values={"goal_id": "@goal"}),
    teacher_only("admin.move_goal", "POST", GO, values={"goal_id": "@goal", "direction": "down"}),
    teacher_only("admin.retire_goal", "POST", GO, values={"goal_id": "@goal"}),
    teacher_only("admin.restore_goal", "POST", GO, values={"goal_id": "@goal"}),
    teacher_only("admin.broadcasts", "GET", 200),
    teacher_only("admin.preview_broadcast", "POST", 200),
    teacher_only("admin.edit_broadcast", "POST", 200),
    teacher_only("admin.send_broadcast", "POST", 200),  # empty form: the form again
    teacher_only("admin.settings", "GET", 200),
    teacher_only("admin.audit_log", "GET", 200),
    # --- the inbox: A's item and A's file ----------------------------------------------
    members("inbox.index", "GET", 200),
    members("inbox.bell", "GET", 200),
    members("inbox.read_all", "POST", GO),
    row("inbox.read", "POST", LOGIN, GO, 404, 404, 404, values={"item_id": "@inbox_item_a"}),
    row("inbox.download", "GET", LOGIN, 200, 404, 404, 404, values={"token": "@file_token_a"}),
    # --- outbox, jobs, reports -------------------------------------------------------
    teacher_only("outbox.index", "GET", 200),
    teacher_only("outbox.retry", "POST", GO, values={"message_id": "@message"}),
    teacher_only("jobs.index", "GET", 200),
    teacher_only("jobs.run", "POST", GO, values={"name": "@job"}),
    teacher_only("reports.index", "GET", 200),
    teacher_only("reports.download_csv", "GET", 200, values={"month": "@month"}),
    teacher_only("reports.download_pdf", "GET", 200, values={"month": "@month"}),
]

# GETs allowed to write, each with why. Everything else read by a GET stays untouched.
GET_WRITES = {
    # None now: the Telegram link step's one-time token is made by a POST.
}

SECURITY_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options",
                    "Referrer-Policy")


def resolve(values, objects):
    return {name: getattr(objects, value[1:]) if isinstance(value, str)
            and value.startswith("@") else value for name, value in values.items()}


def url_of(app, entry, objects):
    with app.test_request_context():
        return url_for(entry.endpoint, **resolve(entry.values, objects),
                       **resolve(entry.query, objects))


def url_map_routes(app):
    return {(rule.endpoint, method) for rule in app.url_map.iter_rules()
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def assert_answer(response, expected, what):
    location = urlsplit(response.headers.get("Location", "")).path
    if expected == LOGIN:
        assert (response.status_code, location) == (302, "/login"), what
    elif expected == GO:
        assert response.status_code in (301, 302, 303) and location != "/login", what
    else:
        assert response.status_code == expected, what


def send(browser, entry, url, objects, token=None, headers=None):
    if entry.method == "GET":
        return browser.get(url, headers=headers)
    data = {**resolve(entry.data, objects), **({"csrf_token": token} if token else {})}
    return browser.open(url, method=entry.method, data=data, headers=headers)


def test_every_route_is_declared(app):
    declared = {(entry.endpoint, entry.method) for entry in MATRIX}
    routes = url_map_routes(app)
    assert sorted(routes - declared) == [], "routes without a row in MATRIX: declare them"
    assert sorted(declared - routes) == [], "rows for routes that no longer exist"


def test_every_row_answers_for_every_role():
    for entry in MATRIX:
        assert set(entry.answers) == set(ROLES), entry.id
        assert all(answer in (LOGIN, GO) or isinstance(answer, int)
                   for answer in entry.answers.values()), entry.id
    assert len({(entry.id) for entry in MATRIX}) == len(MATRIX), "two rows share an id"


def probes():
    """The matrix as tests. The roles whose request must change nothing (every GET,
    every refusal) share one fresh database per row, which each request must leave
    as it found it; a POST that may change something gets a database of its own."""
    for entry in MATRIX:
        quiet = tuple(role for role in ROLES
                      if entry.method == "GET" or entry.answers[role] in REFUSALS)
        if quiet:
            yield pytest.param(entry, quiet, id=f"{entry.id}-{'+'.join(quiet)}")
        for role in ROLES:
            if role not in quiet:
                yield pytest.param(entry, (role,), id=f"{entry.id}-{role}")


@pytest.mark.parametrize("entry, roles", list(probes()))
def test_access(app, objects, browser_as, database_fingerprint, entry, roles):
    writes = {table for (endpoint, table) in GET_WRITES if endpoint == entry.endpoint}
    url = url_of(app, entry, objects)
    for role in roles:
        browser = browser_as(role)
        token = browser.csrf_token("/") if entry.method != "GET" else None
        before = database_fingerprint(writes)
        response = send(browser, entry, url, objects, token)

        what = (f"{role} {entry.method} {url}: {response.status_code} "
                f"{response.headers.get('Location')}")
        assert_answer(response, entry.answers[role], what)
        for header in SECURITY_HEADERS:
            assert header in response.headers, f"{what}: no {header}"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"], what
        assert response.headers["X-Content-Type-Options"] == "nosniff", what
        if entry.method == "GET" or entry.answers[role] in REFUSALS:
            assert database_fingerprint(writes) == before, f"{what} changed the database"


def test_htmx_visitors_are_sent_to_log_in_as_a_whole_page(app, objects, browser_as,
                                                          database_fingerprint):
    """An htmx request without a session must not swap the login page into a
    fragment: HX-Redirect makes htmx load it as a page."""
    browser = browser_as(ANONYMOUS)
    token = browser.csrf_token("/")
    before = database_fingerprint()
    guarded = [entry for entry in MATRIX if entry.answers[ANONYMOUS] == LOGIN]
    assert len(guarded) > 40
    for entry in guarded:
        url = url_of(app, entry, objects)
        response = send(browser, entry, url, objects, token, headers={"HX-Request": "true"})
        assert response.status_code == 204, url
        assert urlsplit(response.headers["HX-Redirect"]).path == "/login", url
    assert database_fingerprint() == before


def test_students_see_no_one_elses_lesson_in_any_answer(app, objects, browser_as):
    """Every page student B may open (the calendar weeks and months included) is free of
    student A's name and her lesson's comment, and vice versa."""
    for role, others in ((STUDENT_B, ("Алиса",)), (INACTIVE, ("Алиса", "Борис"))):
        browser = browser_as(role)
        for entry in MATRIX:
            if entry.method != "GET" or entry.answers[role] != 200 or entry.bearer:
                continue
            text = browser.get(url_of(app, entry, objects)).get_data(as_text=True)
            for name in others:
                assert name not in text, f"{role} sees {name} on {entry.id}"


def test_the_matrix_denies_what_it_should(app, objects, browser_as):
    """A control for the probe itself: a student does reach her own lesson, and the
    same URL with B's session is refused — so the answers above come from the
    access checks, not from a broken URL."""
    entry = next(entry for entry in MATRIX if entry.id == "lessons.show[A]-GET")
    url = url_of(app, entry, objects)
    assert "Алиса" in browser_as(STUDENT_A).get(url).get_data(as_text=True)
    assert browser_as(STUDENT_B).get(url).status_code == 404
    assert browser_as(TEACHER).get(url).status_code == 200


@pytest.mark.parametrize("endpoint, table", sorted(GET_WRITES))
def test_each_declared_get_write_is_real_and_the_only_one(app, objects, browser_as,
                                                           database_fingerprint, endpoint,
                                                           table):
    """The exceptions above are needed (student B, Telegram not linked, gets a new
    token on each visit) and cover nothing else: the other tables stay as they were."""
    browser = browser_as(STUDENT_B)
    before = database_fingerprint()
    with app.test_request_context():
        assert browser.get(url_for(endpoint)).status_code == 200
    after = database_fingerprint()
    assert after[table][0] == before[table][0] + 1
    assert {name: value for name, value in after.items() if name != table} == \
        {name: value for name, value in before.items() if name != table}
