"""Every route of the app, declared once: who may use it and, if it takes a form, the
fields of that form. Two tests read this one table:

- tests/trust/test_access_matrix.py probes each route as each kind of visitor and
  expects the answers declared here (MATRIX is derived from ROUTES);
- tests/trust/test_fuzz_forms.py fills each form's fields with random and hostile
  values (FORMS is derived from ROUTES).

Both fail for a route of the app (app.url_map) that is missing here, so a new route is
declared in one place, once:

    route("lessons.homework", "POST",
          row(LOG_IN, 200, 404, 404, 200, values=LESSON_A),   # who may use it
          form=form(TEACHER, {"note": TEXT}, values=LESSON_A)),  # what it takes

A GET needs its probes only. A POST needs `form=` (one form, or a list of them probed
as different roles) or `takes=` saying what it takes instead of a form and which test
fuzzes that. A route with several probes (its own record and someone else's) lists
each, labelled.

A probe's values name records as "@name" (an attribute of tests/trust/conftest.py
`objects`): resolve() puts in their ids, url_of() makes the probe's address, for every
test that sends the probes (the access matrix, CSRF, the request fuzzer).

Over 400 lines on purpose: a row for every route of the app, which reads best as one
table."""
from dataclasses import dataclass, field, replace

from flask import url_for

from tests.conftest import STUDENT_PASSWORD
from tests.trust.conftest import ANONYMOUS, ROLES, STUDENT_A, TEACHER

# --- who may use a route: the answer each kind of visitor gets -----------------------

LOG_IN = "log in"  # 302 to the login page
GO = "redirect"  # 302 (or 301) anywhere else: done, or nothing to do here


@dataclass(frozen=True)
class Row:
    """One probe of the access matrix: the route at these URL variables, and the
    answer each role gets."""

    endpoint: str
    method: str
    answers: dict  # role -> status code, LOG_IN or GO
    values: dict = field(default_factory=dict)  # URL variables; "@name" is an Objects field
    data: dict = field(default_factory=dict)  # form fields besides the CSRF token
    query: dict = field(default_factory=dict)
    label: str = ""
    bearer: bool = False  # the address itself is the key: whoever holds it is let in

    @property
    def id(self):
        return f"{self.endpoint}{f'[{self.label}]' if self.label else ''}-{self.method}"


def row(anonymous, student_a, student_b, inactive, teacher, **options):
    """The answers in the order of ROLES: anonymous, student A, student B, the
    inactive student, the teacher."""
    answers = dict(zip(ROLES, (anonymous, student_a, student_b, inactive, teacher)))
    return Row("", "", answers, **options)


def public(answer, **options):
    return row(answer, answer, answer, answer, answer, **options)


def members(answer, **options):
    """Anyone logged in; visitors are sent to log in."""
    return row(LOG_IN, answer, answer, answer, answer, **options)


def teacher_only(answer, **options):
    return row(LOG_IN, 403, 403, 403, answer, **options)


# --- what a form takes: each field's kind --------------------------------------------

TEXT, NAME, LOGIN, EMAIL, PASSWORD, DECIMAL, DATE, TIME, MOMENT, BOOL = (
    "text", "name", "login", "email", "password", "decimal", "date", "time", "moment", "bool")


@dataclass(frozen=True)
class Ints:
    low: int
    high: int


@dataclass(frozen=True)
class Choice:
    values: tuple  # plain strings, or "@name" for an Objects field


@dataclass(frozen=True)
class Form:
    endpoint: str
    role: str  # who posts it while fuzzing
    fields: dict  # name -> kind
    values: dict = field(default_factory=dict)  # URL variables: fixed, "@name", or a Choice
    label: str = ""

    @property
    def id(self):
        return f"{self.endpoint}{f'[{self.label}]' if self.label else ''}"


def form(role, fields, **options):
    return Form("", role, fields, **options)


# --- the declaration -----------------------------------------------------------------

@dataclass(frozen=True)
class Route:
    endpoint: str
    method: str
    probes: tuple  # Rows
    forms: tuple  # Forms
    takes: str  # for a POST without a form: what it takes, and which test fuzzes that


def route(endpoint, method, *probes, form=None, takes=""):
    assert probes, f"{endpoint} {method}: say who may use it (row, public, members...)"
    forms = () if form is None else tuple(form) if isinstance(form, list) else (form,)
    assert method != "POST" or bool(forms) != bool(takes), \
        f"{endpoint} POST: declare its form (form=...) or what it takes instead (takes=...)"
    return Route(endpoint, method,
                 tuple(replace(probe, endpoint=endpoint, method=method) for probe in probes),
                 tuple(replace(each, endpoint=endpoint) for each in forms), takes)


LESSON_A = {"lesson_id": "@lesson_a"}
PAST_LESSON = {"lesson_id": "@past_lesson"}  # tests/trust/test_fuzz_forms.py fuzz_objects
SERIES_A = {"series_id": "@series_a"}
STUDENT_A_ID = {"student_id": "@student_a"}
TEACHER_ID = {"student_id": "@teacher"}
ATTENDANCE = Choice(("", "attended", "missed", "late_cancel"))
PERSON = {"first_name": NAME, "last_name": NAME, "login": LOGIN}
LESSON_TERMS = {"price": DECIMAL, "people": Ints(1, 50), "comment": TEXT}
# The Telegram Login Widget's signed answer (views/signin.py).
TELEGRAM_WIDGET = {"id": TEXT, "first_name": NAME, "last_name": NAME, "username": LOGIN,
                   "photo_url": TEXT, "auth_date": TEXT, "hash": TEXT}

ROUTES = [
    # --- the calendar and odds and ends ---------------------------------------------
    route("calendar.week", "GET", public(200)),
    route("calendar.month", "GET", public(200)),
    route("profile.public", "GET", public(200)),
    # Only the current version of a photo is served; this teacher has none.
    route("profile.photo", "GET", public(404, values={"teacher_id": "@teacher", "version": "0"})),
    route("main.favicon", "GET", public(301)),
    route("static", "GET", public(200, values={"filename": "css/tutor.css"})),
    route("ops.healthz", "GET", public(200)),
    route("ops.readyz", "GET", public(200)),
    # From 127.0.0.1 (METRICS_ALLOW); strangers get 403 (tests/views/test_ops.py).
    route("ops.metrics_endpoint", "GET", public(200)),
    # No session: the secret header is the proof (tests/integrations/test_telegram_webhook.py).
    route("telegram.webhook", "POST",
          public(403, data={"update_id": 1}),
          takes="JSON from Telegram behind a secret header: test_fuzz_telegram_webhook"),
    # --- logging in, registering, recovering ----------------------------------------
    route("auth.login", "GET", row(200, GO, GO, GO, GO)),
    route("auth.login", "POST",
          row(200, GO, GO, GO, GO),
          form=form(ANONYMOUS,
                    {"login": LOGIN, "password": PASSWORD, "remember": BOOL, "next": TEXT})),
    route("auth.logout", "POST", members(GO), form=form(STUDENT_A, {})),
    route("auth.register", "GET", row(200, GO, GO, GO, GO)),
    route("auth.register", "POST",
          row(200, GO, GO, GO, GO),
          form=form(ANONYMOUS,
                    {**PERSON, "password": PASSWORD, "channel": Choice(("email", "telegram")),
                     "email": EMAIL, "digest_time": TIME, "goal": Choice(("", "@goal")),
                     "timezone": Choice(("Europe/Moscow", "Asia/Tokyo")), "opt_out": BOOL})),
    route("auth.suggest_name", "GET",
          public(200, values={"field": "first_name"}, query={"first_name": "Ал"})),
    route("auth.password_strength", "POST",
          public(200, data={"password": "correct horse"}),
          form=form(ANONYMOUS,
                    {"password": PASSWORD, "login": LOGIN, "first_name": NAME, "email": EMAIL})),
    route("auth.set_language", "POST",
          public(GO, values={"lang": "en"}),
          form=form(ANONYMOUS, {"next": TEXT}, values={"lang": Choice(("ru", "en"))})),
    route("auth.forgot_password", "GET", public(200)),
    route("auth.forgot_password", "POST",
          public(200),  # empty form: the field is required
          form=form(ANONYMOUS, {"identifier": LOGIN})),
    route("auth.reset_password", "GET",
          public(400, values={"token": "not-a-token"}, label="forged"),
          # The link itself is the proof, whoever holds it (it works once, for an hour).
          public(200, values={"token": "@reset_token_a"}, label="A", bearer=True)),
    route("auth.reset_password", "POST",
          public(400, values={"token": "not-a-token"}, label="forged"),
          public(200, values={"token": "@reset_token_a"}, label="A", bearer=True),
          form=form(ANONYMOUS, {"password": PASSWORD, "confirm": PASSWORD},
                    values={"token": Choice(("@reset_token_a", "not-a-token"))})),
    # Other ways to log in (views/signin.py). Off to Yandex (whose answer no probe has:
    # the callback without this browser's pending state goes back to log in).
    route("signin.yandex_start", "POST",
          row(GO, GO, GO, GO, GO),
          form=form(ANONYMOUS, {"next": TEXT})),
    route("signin.yandex_callback", "GET", public(LOG_IN, query={"code": "1", "state": "forged"})),
    route("signin.yandex_register", "GET", public(LOG_IN)),  # no Yandex user waiting to register
    route("signin.yandex_register", "POST",
          public(LOG_IN),
          form=form(ANONYMOUS,
                    {**PERSON, "channel": Choice(("email", "telegram", "none")), "email": EMAIL,
                     "digest_time": TIME, "goal": Choice(("", "@goal")),
                     "timezone": Choice(("Europe/Moscow", "Asia/Tokyo"))})),
    route("signin.yandex_link", "POST", members(GO), form=form(STUDENT_A, {})),
    route("signin.yandex_unlink", "POST", members(GO), form=form(STUDENT_A, {})),
    # An unsigned Telegram payload: refused, back to log in (or the profile).
    route("signin.telegram_login", "POST",
          row(LOG_IN, GO, GO, GO, GO, data={"id": "1", "hash": "0"}),
          form=form(ANONYMOUS, TELEGRAM_WIDGET)),
    route("signin.telegram_link", "POST",
          members(GO, data={"id": "1", "hash": "0"}),
          form=form(STUDENT_A, TELEGRAM_WIDGET)),
    # Trial lesson requests: visitors ask (an empty form: its errors), the teacher answers.
    route("trials.ask", "GET", public(200)),
    route("trials.ask", "POST",
          public(200),
          form=form(ANONYMOUS,
                    {"name": NAME, "contact": TEXT, "goal": TEXT, "preferred_times": TEXT,
                     "website": TEXT})),
    route("trials.index", "GET", teacher_only(200)),
    route("trials.show", "GET", teacher_only(200, values={"trial_id": "@trial"})),
    route("trials.decline", "POST",
          teacher_only(GO, values={"trial_id": "@trial"}),
          form=form(TEACHER, {}, values={"trial_id": "@trial"})),
    # --- the user's own account -----------------------------------------------------
    route("account.profile", "GET", members(200)),
    route("account.update_profile", "POST",
          members(200),  # empty form: errors, nothing saved
          form=form(STUDENT_A,
                    {**PERSON, "goal": Choice(("", "@goal")),
                     "timezone": Choice(("Europe/Moscow", "")), "locale": Choice(("ru", "en"))})),
    route("account.change_password", "POST",
          members(200),
          form=form(STUDENT_A,
                    {"current_password": Choice((STUDENT_PASSWORD,)), "password": PASSWORD,
                     "confirm": PASSWORD})),
    route("account.change_notifications", "POST",
          members(GO),  # fields left out keep their values
          form=form(STUDENT_A,
                    {"channel": Choice(("email", "telegram", "none")), "email": EMAIL,
                     "digest_time": TIME, "reminder_hours": Choice(("0", "2", "24"))})),
    route("account.telegram", "GET", members(200)),
    route("account.unlink_telegram", "POST", members(GO), form=form(STUDENT_A, {})),
    route("account.open_telegram_bot", "POST", members(GO), form=form(STUDENT_A, {})),
    route("feeds.change", "POST",
          row(LOG_IN, GO, GO, GO, GO, data={"action": "on"}),
          members(400, label="no-action"),
          form=form(STUDENT_A, {"action": Choice(("on", "off")), "renew": BOOL})),
    # A calendar app has no session: the signed, revocable address is the key.
    route("feeds.feed", "GET",
          public(200, values={"token": "@feed_token_a"}, label="A", bearer=True),
          public(404, values={"token": "not-a-token"}, label="forged")),
    # An e-mail's one-tap link: the signed, single-use token is the key (no login); the
    # GET only shows the lesson, the POST confirms it (tests/views/test_actions.py).
    route("actions.confirm", "GET",
          public(200, values={"token": "@action_token_a"}, label="A", bearer=True),
          public(404, values={"token": "not-a-token"}, label="forged")),
    route("actions.confirm", "POST",
          public(200, values={"token": "@action_token_a"}, label="A", bearer=True),
          public(404, values={"token": "not-a-token"}, label="forged"),
          form=form(ANONYMOUS, {}, values={"token": Choice(("@action_token_a", "not-a-token"))})),
    route("account.deactivate", "GET", row(LOG_IN, 200, 200, 200, GO)),  # not the teacher's
    route("account.deactivate", "POST", row(LOG_IN, GO, GO, GO, GO), form=form(STUDENT_A, {})),
    # Your devices: only one's own sessions (A's other device; anyone else's is not found).
    route("account.sign_out_device", "POST",
          row(LOG_IN, GO, 404, 404, 404, values={"session_id": "@session_a"}),
          form=form(STUDENT_A, {}, values={"session_id": "@session_a"})),
    route("account.sign_out_other_devices", "POST", members(GO), form=form(STUDENT_A, {})),
    # Your data: a student's own; the teacher is sent back to the profile.
    route("account.export_data", "POST", members(GO), form=form(STUDENT_A, {})),
    route("account.delete_account", "GET", row(LOG_IN, 200, 200, 200, GO)),
    route("account.delete_account", "POST",
          row(LOG_IN, 200, 200, 200, GO),  # no password: the form
          row(LOG_IN, GO, GO, GO, GO, label="password", data={"password": STUDENT_PASSWORD}),
          form=form(STUDENT_A, {"password": PASSWORD})),
    # --- booking and lessons: A's lesson is pending, B's confirmed -------------------
    route("lessons.new", "GET", row(LOG_IN, 200, 200, 200, GO, query={"start": "@free_slot"})),
    route("lessons.create", "POST",
          row(LOG_IN, GO, GO, GO, 403, data={"start": "@free_slot"}),
          form=form(STUDENT_A, {"start": MOMENT, "comment": TEXT})),
    route("lessons.show", "GET",
          row(LOG_IN, 200, 404, 404, 200, values=LESSON_A, label="A"),
          row(LOG_IN, 404, 200, 404, 200, values={"lesson_id": "@lesson_b"}, label="B")),
    route("lessons.mine", "GET", row(LOG_IN, 200, 200, 200, GO)),  # the teacher has admin pages
    route("lessons.mine_part", "GET", row(LOG_IN, 200, 200, 200, GO, values={"part": "upcoming"})),
    route("lessons.attendance", "POST",
          row(LOG_IN, 403, 404, 404, 200, values=LESSON_A),
          form=form(TEACHER, {"attendance": ATTENDANCE, "next": TEXT}, values=PAST_LESSON)),
    route("lessons.leave_feedback", "POST",
          row(LOG_IN, 200, 404, 404, 403, values=LESSON_A),
          form=form(STUDENT_A, {"rating": Ints(1, 5), "comment": TEXT}, values=PAST_LESSON)),
    route("lessons.calendar_file", "GET", row(LOG_IN, 200, 404, 404, 200, values=LESSON_A)),
    route("lessons.student", "GET", row(LOG_IN, 200, 404, 404, 200, values=LESSON_A)),
    route("lessons.confirm", "POST",
          row(LOG_IN, 403, 404, 404, 200, values=LESSON_A),
          form=form(TEACHER, {**LESSON_TERMS, "day": DATE, "time": TIME}, values=LESSON_A)),
    route("lessons.reject", "POST",
          row(LOG_IN, 403, 404, 404, GO, values=LESSON_A),
          form=form(TEACHER, {"reason": TEXT}, values=LESSON_A)),
    route("lessons.cancel", "POST",
          row(LOG_IN, GO, 404, 404, GO, values=LESSON_A, data={"reason": "Болею"}, label="A"),
          row(LOG_IN, 404, GO, 404, GO, values={"lesson_id": "@lesson_b"},
              data={"reason": "Болею"}, label="B"),
          # The teacher must give the student a reason: without one, the form again.
          row(LOG_IN, GO, 404, 404, 200, values=LESSON_A, label="A-no-reason"),
          form=[form(STUDENT_A, {"reason": TEXT}, values=LESSON_A),
                form(TEACHER, {"reason": TEXT}, values={"lesson_id": "@lesson_b"},
                     label="teacher")]),
    # --- weekly series: A's is pending -------------------------------------------------
    route("series.preview", "GET",
          row(LOG_IN, 200, 200, 200, 403, query={"start": "@free_slot", "times": "3"})),
    # Without the preview's fingerprint the dates are shown first: nothing is booked.
    route("series.create", "POST",
          row(LOG_IN, 200, 200, 200, 403, data={"start": "@free_slot", "times": "3"}),
          form=form(STUDENT_A,
                    {"start": MOMENT, "comment": TEXT, "until": DATE, "times": Ints(2, 52),
                     "previewed": TEXT})),
    route("series.show", "GET", row(LOG_IN, 200, 404, 404, 200, values=SERIES_A)),
    route("series.confirm", "POST",
          row(LOG_IN, 403, 404, 404, GO, values=SERIES_A, data={"price": "1500", "people": "1"}),
          form=form(TEACHER, LESSON_TERMS, values={"series_id": "@series_a"})),
    route("series.reject", "POST",
          row(LOG_IN, 403, 404, 404, GO, values=SERIES_A),
          form=form(TEACHER, {"reason": TEXT}, values={"series_id": "@series_a"})),
    route("series.cancel", "POST",
          row(LOG_IN, GO, 404, 404, GO, values=SERIES_A,
              data={"cancel-first_day": "2027-03-09", "cancel-reason": "Болею"}),
          form=form(STUDENT_A, {"cancel-first_day": DATE, "cancel-reason": TEXT},
                    values={"series_id": "@series_a"})),
    # A's lesson is pending: it is confirmed, not changed (the form again, unchanged).
    route("series.change_lesson", "POST",
          row(LOG_IN, 403, 404, 404, 200, values=LESSON_A),
          form=form(TEACHER, {**LESSON_TERMS, "day": DATE, "time": TIME},
                    values={"lesson_id": "@lesson_b"})),
    # --- the teacher's calendar pages -----------------------------------------------
    route("profile_edit.edit", "GET", teacher_only(200)),
    # The photo comes as a file (tests/views/test_public_page.py); posted as text it is
    # no file at all, and the words are saved alone.
    route("profile_edit.edit", "POST",
          teacher_only(GO, data={"subjects": "Математика", "about": "Готовлю к ЕГЭ"}),
          form=form(TEACHER,
                    {"subjects": TEXT, "about": TEXT, "remove_photo": BOOL, "photo": TEXT})),
    route("teacher.availability", "GET", teacher_only(200)),
    route("teacher.update_settings", "POST",
          teacher_only(200),
          form=form(TEACHER,
                    {"lesson_length_minutes": Ints(10, 480), "buffer_minutes": Ints(0, 240),
                     "min_notice_hours": Ints(0, 720), "horizon_days": Ints(1, 366),
                     "cancellation_notice_hours": Ints(0, 720), "default_price": DECIMAL,
                     "timezone": Choice(("Europe/Moscow", "Asia/Tokyo"))})),
    route("teacher.add_window", "POST",
          teacher_only(200),
          form=form(TEACHER, {"weekday": Ints(0, 6), "start": TIME, "end": TIME})),
    route("teacher.remove_window", "POST",
          teacher_only(GO, values={"weekday": "@window_weekday", "start": "@window_start"}),
          form=form(TEACHER, {},
                    values={"weekday": Choice(("0", "1")), "start": Choice(("08:00", "09:00"))})),
    # The weekly grid: without the times or days the grid comes back with the reason.
    route("teacher.change_window", "POST",
          teacher_only(200, values={"weekday": "@window_weekday", "start": "@window_start"}),
          form=form(TEACHER, {"start": TIME, "end": TIME},
                    values={"weekday": Choice(("0", "1")), "start": Choice(("08:00", "09:00"))})),
    route("teacher.copy_day", "POST",
          teacher_only(200),
          form=form(TEACHER, {"weekday": Ints(0, 6), "days": Ints(0, 6)})),
    route("teacher.apply_preset", "POST",
          teacher_only(200),
          form=form(TEACHER,
                    {"preset": Choice(("weekdays", "evenings", "weekends", "holidays"))})),
    route("teacher.change_slot_step", "POST",
          teacher_only(200),  # no step: the grid says why
          form=form(TEACHER, {"slot_step_minutes": Choice(("0", "15", "30", "60"))})),
    route("teacher.add_days_off", "POST",
          teacher_only(200),
          form=form(TEACHER, {"first_day": DATE, "last_day": DATE, "reason": TEXT})),
    route("teacher.day_off", "POST",
          teacher_only(400),  # the calendar's button sends the day
          form=form(TEACHER, {"day": DATE})),
    route("teacher.block_slot", "POST",
          teacher_only(400),  # the calendar's button sends the slot
          form=form(TEACHER, {"slot": TEXT})),
    route("teacher.remove_unavailable", "POST",
          teacher_only(GO, values={"interval_id": "@interval"}),
          form=form(TEACHER, {}, values={"interval_id": "@interval"})),
    route("teacher.dismiss_onboarding", "POST", teacher_only(GO), form=form(TEACHER, {})),
    # The teacher's other calendars, whose busy time closes slots.
    route("calendars.index", "GET", teacher_only(200)),
    route("calendars.add", "POST",
          teacher_only(200),  # empty form: the form again
          form=form(TEACHER, {"url": TEXT})),
    route("calendars.refresh", "POST",
          teacher_only(GO, values={"subscription_id": "@subscription"}),
          form=form(TEACHER, {}, values={"subscription_id": "@subscription"})),
    route("calendars.remove", "POST",
          teacher_only(GO, values={"subscription_id": "@subscription"}),
          form=form(TEACHER, {}, values={"subscription_id": "@subscription"})),
    route("teacher.new_lesson", "GET", teacher_only(200)),
    route("teacher.new_lesson", "POST",
          teacher_only(200),
          form=form(TEACHER,
                    {"student": Choice(("", "@student_a", "@student_b")), "first_name": NAME,
                     "last_name": NAME, "day": DATE, "time": TIME, "minutes": Ints(10, 720),
                     "price": DECIMAL, "people": Ints(1, 50), "comment": TEXT, "until": DATE,
                     "times": Ints(2, 52), "previewed": TEXT})),
    route("teacher.past_lesson", "GET", teacher_only(200)),
    route("teacher.past_lesson", "POST",
          teacher_only(200),
          form=form(TEACHER,
                    {"student": Choice(("", "@student_a", "@student_b")), "first_name": NAME,
                     "last_name": NAME, "day": DATE, "time": TIME, "minutes": Ints(10, 720),
                     "price": DECIMAL, "people": Ints(1, 50), "comment": TEXT,
                     "attendance": ATTENDANCE})),
    # --- administration: students ---------------------------------------------------
    route("admin.students", "GET", teacher_only(200)),
    route("admin.confirm_deactivation", "GET",
          teacher_only(200, query={"ids": "@student_a"}),
          teacher_only(GO, label="none-ticked")),
    route("admin.deactivate_students", "POST",
          teacher_only(GO),
          form=form(TEACHER,
                    {"scope": Choice(("selected", "all")),
                     "ids": Choice(("@student_a", "@student_b")), "q": TEXT,
                     "status": Choice(("all", "active", "inactive"))})),
    route("admin.student", "GET",
          teacher_only(200, values=STUDENT_A_ID, label="A"),
          # The student pages never reach the teacher's own account.
          teacher_only(404, values=TEACHER_ID, label="teacher")),
    route("admin.edit_student", "GET",
          teacher_only(200, values=STUDENT_A_ID, label="A"),
          teacher_only(404, values=TEACHER_ID, label="teacher")),
    route("admin.edit_student", "POST",
          teacher_only(200, values=STUDENT_A_ID, label="A"),
          teacher_only(404, values=TEACHER_ID, label="teacher"),
          form=form(TEACHER,
                    {**PERSON, "email": EMAIL, "channel": Choice(("email", "telegram", "none")),
                     "goal": Choice(("", "@goal")), "timezone": Choice(("", "Europe/Moscow"))},
                    values=STUDENT_A_ID)),
    route("admin.reset_password", "POST",
          teacher_only(200, values=STUDENT_A_ID, label="A"),
          teacher_only(404, values=TEACHER_ID, label="teacher"),
          form=form(TEACHER, {}, values=STUDENT_A_ID)),
    route("admin.deactivate_student", "POST",
          teacher_only(GO, values=STUDENT_A_ID, label="A"),
          teacher_only(404, values=TEACHER_ID, label="teacher"),
          form=form(TEACHER, {}, values=STUDENT_A_ID)),
    route("admin.reactivate_student", "POST",
          teacher_only(GO, values=STUDENT_A_ID, label="A"),
          teacher_only(404, values=TEACHER_ID, label="teacher"),
          form=form(TEACHER, {}, values={"student_id": "@inactive"})),
    route("admin.delete_student", "GET",
          teacher_only(200, values=STUDENT_A_ID, label="A"),
          teacher_only(404, values=TEACHER_ID, label="teacher")),
    route("admin.delete_student", "POST",
          teacher_only(GO, values=STUDENT_A_ID, label="A"),
          teacher_only(404, values=TEACHER_ID, label="teacher"),
          form=form(TEACHER, {}, values=STUDENT_A_ID)),
    route("admin.record_payment", "POST",
          teacher_only(200, values=STUDENT_A_ID, label="A"),
          teacher_only(404, values=TEACHER_ID, label="teacher"),
          form=form(TEACHER, {"amount": DECIMAL, "paid_on": DATE, "note": TEXT},
                    values=STUDENT_A_ID)),
    route("admin.delete_payment", "POST",
          teacher_only(GO, values={"student_id": "@student_a", "payment_id": "@payment_a"},
                       label="A"),
          # A's payment is not reachable under another student's address.
          teacher_only(404, values={"student_id": "@student_b", "payment_id": "@payment_a"},
                       label="B"),
          form=form(TEACHER, {}, values={"student_id": "@student_a", "payment_id": "@payment_a"})),
    # --- administration: lessons, goals, broadcasts, settings, audit -----------------
    route("admin.lessons", "GET", teacher_only(200)),
    route("admin.cancel_lesson", "POST",
          teacher_only(GO, values=LESSON_A),
          form=form(TEACHER, {"reason": TEXT, "next": TEXT}, values={"lesson_id": "@lesson_b"})),
    route("admin.mark_attendance", "POST",
          teacher_only(GO, values=LESSON_A),
          form=form(TEACHER, {"attendance": ATTENDANCE, "next": TEXT}, values=PAST_LESSON)),
    route("admin.reject_lesson", "POST",
          teacher_only(GO, values=LESSON_A),
          form=form(TEACHER, {"reason": TEXT, "next": TEXT}, values=LESSON_A)),
    route("admin.confirm_lesson", "POST",
          teacher_only(GO, values=LESSON_A),
          form=form(TEACHER, {"next": TEXT}, values=LESSON_A)),
    route("admin.requests_badge", "GET", teacher_only(200)),
    route("admin.goals", "GET", teacher_only(200)),
    route("admin.create_goal", "POST",
          teacher_only(200),  # empty name: the form again
          form=form(TEACHER, {"name": TEXT})),
    route("admin.rename_goal", "POST",
          teacher_only(200, values={"goal_id": "@goal"}),
          form=form(TEACHER, {"name": TEXT}, values={"goal_id": "@goal"})),
    route("admin.move_goal", "POST",
          teacher_only(GO, values={"goal_id": "@goal", "direction": "down"}),
          form=form(TEACHER, {},
                    values={"goal_id": "@goal", "direction": Choice(("up", "down"))})),
    route("admin.retire_goal", "POST",
          teacher_only(GO, values={"goal_id": "@goal"}),
          form=form(TEACHER, {}, values={"goal_id": "@goal"})),
    route("admin.restore_goal", "POST",
          teacher_only(GO, values={"goal_id": "@goal"}),
          form=form(TEACHER, {}, values={"goal_id": "@goal"})),
    route("admin.broadcasts", "GET", teacher_only(200)),
    route("admin.preview_broadcast", "POST",
          teacher_only(200),
          form=form(TEACHER, {"subject": TEXT, "body": TEXT})),
    route("admin.edit_broadcast", "POST",
          teacher_only(200),
          form=form(TEACHER, {"subject": TEXT, "body": TEXT})),
    route("admin.send_broadcast", "POST",
          teacher_only(200),  # empty form: the form again
          form=form(TEACHER, {"subject": TEXT, "body": TEXT})),
    route("admin.settings", "GET", teacher_only(200)),
    route("admin.audit_log", "GET", teacher_only(200)),
    # --- the inbox: A's item and A's file ----------------------------------------------
    route("inbox.index", "GET", members(200)),
    route("inbox.bell", "GET", members(200)),
    route("inbox.read_all", "POST", members(GO), form=form(STUDENT_A, {})),
    route("inbox.read", "POST",
          row(LOG_IN, GO, 404, 404, 404, values={"item_id": "@inbox_item_a"}),
          form=form(STUDENT_A, {}, values={"item_id": "@inbox_item_a"})),
    route("inbox.download", "GET",
          row(LOG_IN, 200, 404, 404, 404, values={"token": "@file_token_a"})),
    # --- outbox, jobs, reports -------------------------------------------------------
    route("outbox.index", "GET", teacher_only(200)),
    route("outbox.retry", "POST",
          teacher_only(GO, values={"message_id": "@message"}),
          form=form(TEACHER, {}, values={"message_id": "@message"})),
    route("jobs.index", "GET", teacher_only(200)),
    route("jobs.run", "POST",
          teacher_only(GO, values={"name": "@job"}),
          form=form(TEACHER, {}, values={"name": Choice(("@job",))})),
    route("reports.index", "GET", teacher_only(200)),
    route("reports.download_csv", "GET", teacher_only(200, values={"month": "@month"})),
    route("reports.download_pdf", "GET", teacher_only(200, values={"month": "@month"})),
]

MATRIX = [probe for each in ROUTES for probe in each.probes]
FORMS = [each_form for each in ROUTES for each_form in each.forms]
NOT_FORMS = {each.endpoint: each.takes for each in ROUTES if each.takes}


def app_routes(app):
    """(endpoint, method) of every route the app serves."""
    return {(rule.endpoint, method) for rule in app.url_map.iter_rules()
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def undeclared(app):
    """Routes of the app missing from ROUTES, and declarations of routes that no
    longer exist."""
    declared = {(each.endpoint, each.method) for each in ROUTES}
    served = app_routes(app)
    return sorted(served - declared), sorted(declared - served)


def resolve(values, objects):
    return {name: getattr(objects, value[1:]) if isinstance(value, str)
            and value.startswith("@") else value for name, value in values.items()}


def url_of(app, entry, objects):
    with app.test_request_context():
        return url_for(entry.endpoint, **resolve(entry.values, objects),
                       **resolve(entry.query, objects))
