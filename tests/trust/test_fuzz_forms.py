"""Fuzzing every form: hypothesis fills each POST route's fields (and a few it does
not expect) with random and hostile values — unicode of every kind, control
characters, 10k–100k characters, numbers for text and text for numbers, dates and
times, missing, empty and duplicated fields — always with a valid CSRF token, as the
role that may use the form, in Russian for about half the examples and in English for
the rest. For every example:

- the answer is never a 5xx;
- a refused request (4xx, an error beside a field, an error toast) leaves every
  table exactly as it was — no partial writes;
- the errors are in the viewer's language: Cyrillic in each Russian error, none of
  WTForms' English defaults in a Russian page, no Cyrillic in an English error
  (unless the input had some).

An accepted request may change things; the database is then put back as it was, so
each example starts from the same records (tests/trust/conftest.py `objects`).
Every POST route declares its form (or, like the Telegram webhook, which takes JSON
and is fuzzed with JSON, what it takes instead) in tests/trust/routes.py, whose forms
are FORMS; `test_every_post_route_is_fuzzed` fails for a route missing there, so a new
form is fuzzed from the day it is added. Each form also gets four explicit examples: its text
fields full of NUL and control characters (in Russian and in English), 60,000 Cyrillic
letters, and every field at once hostile over htmx."""
import html
import re
from datetime import datetime
from urllib.parse import quote, urlsplit

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.conftest import STUDENT_PASSWORD
from tests.trust.conftest import ANONYMOUS, STUDENT_A, TEACHER, TELEGRAM
from tests.trust.fuzzing import hostile, restore, snapshot
from tests.trust.routes import (
    BOOL,
    DATE,
    DECIMAL,
    EMAIL,
    FORMS,
    LOGIN,
    MOMENT,
    NAME,
    NOT_FORMS,
    PASSWORD,
    ROUTES,
    TEXT,
    TIME,
    Choice,
    Ints,
    undeclared,
)
from tutor.models import Lesson, User

# --- values ------------------------------------------------------------------------

# The values of the explicit examples every form gets (besides the random ones).
NUL = "Иван\x00\x1b[0m\r\n\t"
HUGE = "Я" * 60_000


def typical(kind, objects):
    """One value that a form accepts for this kind of field, for the explicit examples."""
    if isinstance(kind, Ints):
        return str(max(kind.low, min(kind.high, 2)))
    if isinstance(kind, Choice):
        return resolve(kind.values[0], objects)
    return {TEXT: "Нужна помощь", NAME: "Мария", LOGIN: "new.student",
            EMAIL: "new@example.org", PASSWORD: "Fuzz-Сложный-пароль-42",
            DECIMAL: "1500", DATE: "2027-03-04", TIME: "10:00",
            MOMENT: "2027-03-04T10:00:00+00:00", BOOL: "y"}[kind]


def explicit_examples(form, objects):
    """Every field plausible but the text ones, which carry NUL and other control
    characters, or 60,000 Cyrillic letters; and every field at once hostile."""
    values = {name: resolve(value.values[0] if isinstance(value, Choice) else value, objects)
              for name, value in form.values.items()}
    base = {name: typical(kind, objects) for name, kind in form.fields.items()}
    texts = [name for name, kind in form.fields.items() if kind in (TEXT, NAME, LOGIN, EMAIL)]
    for lang, poison in (("ru", NUL), ("en", NUL), ("ru", HUGE)):
        yield values, {**base, **{name: poison for name in texts}}, lang, False
    yield values, {name: NUL for name in form.fields}, "ru", True


def plausible(kind, objects):
    """Values a person could have meant for this kind of field."""
    if isinstance(kind, Ints):
        return st.integers(kind.low - 1, kind.high + 1).map(str)
    if isinstance(kind, Choice):
        return st.sampled_from([resolve(value, objects) for value in kind.values])
    return {
        TEXT: st.sampled_from(["Нужна помощь с задачей 19", "Homework, chapter 3", ""]),
        NAME: st.sampled_from(["Мария", "Анна-Мария", "O'Neil", "Смит"]),
        LOGIN: st.sampled_from(["student-a", "new.student", "teacher", "Мария"]),
        EMAIL: st.sampled_from(["new@example.org", "alisa@example.org", "not-an-email"]),
        PASSWORD: st.sampled_from([STUDENT_PASSWORD, "Fuzz-Сложный-пароль-42", "12345"]),
        DECIMAL: st.sampled_from(["1500", "1500.50", "0", "-1", "1000001"]),
        DATE: st.sampled_from(["2027-03-04", "2027-03-16", "2027-02-20", "2027-03-01"]),
        TIME: st.sampled_from(["10:00", "13:00", "23:30", "08:15"]),
        MOMENT: st.sampled_from(["2027-03-04T10:00:00+00:00", "2027-03-04T11:00:00+00:00",
                                 "2027-03-04T10:00", "2026-01-01T00:00:00+00:00"]),
        BOOL: st.sampled_from(["y", "on", "1"]),
    }[kind]


EXTRA_NAMES = ["role", "is_teacher", "id", "teacher_id", "student_id", "user_id", "status",
               "price", "password_hash", "__proto__", "field[]", "x" * 300, "Имя"]


def resolve(value, objects):
    return str(getattr(objects, value[1:])) if value.startswith("@") else value


@st.composite
def submissions(draw, form, objects):
    """(URL variables, form data, language, htmx?) for one request."""
    values = {}
    for name, value in form.values.items():
        if isinstance(value, Choice):
            values[name] = draw(st.one_of(plausible(value, objects), hostile.filter(
                lambda text: text and "/" not in text and len(text) < 300)))
        else:
            values[name] = resolve(value, objects)
    data = {}
    # Half the examples spoil one field of an otherwise plausible form (so hostile values
    # reach the services and the database), the rest spoil any number of fields.
    spoiled = draw(st.sampled_from(sorted(form.fields) or [None]))
    ways = ["hostile", "hostile", "missing", "empty", "twice"]
    one_field = draw(st.booleans())
    for name, kind in form.fields.items():
        if one_field:
            how = draw(st.sampled_from(ways)) if name == spoiled else "plausible"
        else:
            how = draw(st.sampled_from(["plausible", "plausible", *ways]))
        if how == "plausible":
            data[name] = draw(plausible(kind, objects))
        elif how == "hostile":
            data[name] = draw(hostile)
        elif how == "empty":
            data[name] = ""
        elif how == "twice":
            data[name] = [draw(st.one_of(plausible(kind, objects), hostile)),
                          draw(st.one_of(plausible(kind, objects), hostile))]
    extras = draw(st.dictionaries(st.sampled_from(EXTRA_NAMES), hostile, max_size=2))
    data.update({name: value for name, value in extras.items() if name not in data})
    return values, data, draw(st.sampled_from(["ru", "en"])), draw(st.booleans())


# --- looking at answers ----------------------------------------------------------------

ERROR_AREAS = [
    re.compile(r'<p class="error"[^>]*>(.*?)</p>', re.S),
    re.compile(r'<div class="form-errors"[^>]*>(.*?)</div>', re.S),
    re.compile(r'<div class="toast toast-error">\s*<span>(.*?)</span>', re.S),
]
ERROR_PAGE = re.compile(r'<section class="card narrow">\s*<h1>(.*?)</h1>', re.S)
CYRILLIC = re.compile("[а-яё]", re.I)
# WTForms' own messages, which must never reach a Russian page in English.
WTFORMS_ENGLISH = ("This field is required", "Not a valid", "Invalid input", "Invalid Choice",
                   "Field must be", "Number must be", "Invalid email", "Invalid value",
                   "Invalid CSRF", "CSRF token")


def error_texts(response):
    if not response.mimetype == "text/html":
        return []
    page = response.get_data(as_text=True)
    texts = [match for pattern in ERROR_AREAS for match in pattern.findall(page)]
    if response.status_code >= 400:
        texts += ERROR_PAGE.findall(page)
    return [html.unescape(re.sub(r"<[^>]+>", " ", text)).strip() for text in texts]


def check_language(response, lang, data, what):
    texts = [text for text in error_texts(response) if text]
    submitted = repr(data)
    for text in texts:
        if lang == "ru":
            assert CYRILLIC.search(text), f"{what}: an error in English on a Russian page: {text!r}"
        elif not CYRILLIC.search(submitted):
            assert not CYRILLIC.search(text), f"{what}: Russian in an English error: {text!r}"
    if lang == "ru" and response.mimetype == "text/html":
        page = response.get_data(as_text=True)
        for message in WTFORMS_ENGLISH:
            assert message not in page, f"{what}: WTForms' English {message!r} on a Russian page"
    return texts


# --- the tests -------------------------------------------------------------------------

def test_every_post_route_is_fuzzed(app):
    missing, gone = undeclared(app)
    assert [route for route in missing if route[1] == "POST"] == [], \
        "POST routes missing from tests/trust/routes.py ROUTES: declare them with their form"
    assert gone == [], "declared routes that no longer exist"
    # route() refuses a POST without form= or takes=, so each declared POST is fuzzed.
    posts = {each.endpoint for each in ROUTES if each.method == "POST"}
    assert posts == {form.endpoint for form in FORMS} | set(NOT_FORMS)
    assert len({form.id for form in FORMS}) == len(FORMS), "two forms share an id"


@pytest.fixture
def fuzz_objects(app, objects, teacher):
    """`objects`, plus a confirmed lesson of student A's that has ended (the one that
    takes attendance marks and feedback)."""
    with app.app_context():
        past = Lesson.create(teacher=teacher, student=objects.student_a, comment="Алиса",
                             start=datetime(2027, 2, 22, 10), end=datetime(2027, 2, 22, 11),
                             status=Lesson.CONFIRMED, price=1500)
    objects.past_lesson = past.id
    return objects


# Random examples per form, besides the four explicit ones: the SQLite pass explores,
# the PostgreSQL pass repeats the first of them (derandomized, so the same ones).
EXAMPLES = {"sqlite": 25, "postgresql": 10}


def address(rule, values):
    """The rule's path with the values put in as they are (url_for would refuse a
    hostile value for an <int:...> part; the app must answer it all the same)."""
    return RULE_PART.sub(lambda match: quote(values[match.group(1)], safe=""), rule.rule)


RULE_PART = re.compile(r"<(?:[^:>]+:)?([^>]+)>")


@pytest.mark.parametrize("form", FORMS, ids=[form.id for form in FORMS])
def test_fuzz(app, fuzz_objects, browser_as, database_fingerprint, request, form):
    objects = fuzz_objects
    user_id = {ANONYMOUS: None, STUDENT_A: objects.student_a, TEACHER: objects.teacher}[form.role]
    template = browser_as(form.role)
    token = template.csrf_token("/")
    cookie = template.get_cookie("session")
    rule = next(rule for rule in app.url_map.iter_rules()
                if rule.endpoint == form.endpoint and "POST" in rule.methods)
    baseline = snapshot(app)
    start = database_fingerprint()

    def one(submission):
        values, data, lang, htmx = submission
        browser = app.test_client()
        if cookie is not None:
            browser.set_cookie("session", cookie.value)
        with browser.session_transaction() as session:
            session["lang"] = lang
        if user_id is not None:
            with app.app_context():
                User.update(locale=lang).where(User.id == user_id).execute()
        url = address(rule, values)
        before = database_fingerprint()
        headers = {"HX-Request": "true"} if htmx else {}
        response = browser.post(url, data={**data, "csrf_token": token}, headers=headers)
        what = f"{form.role} POST {url} {lang} htmx={htmx} {data!r:.300}: {response.status_code}"

        assert response.status_code < 500, what
        after = database_fingerprint()
        texts = check_language(response, lang, data, what)
        followed = None
        location = urlsplit(response.headers.get("Location") or
                            response.headers.get("HX-Redirect") or "")
        # A refusal may be a redirect to a page with an error toast: look at it too.
        if (response.status_code in (301, 302, 303) and after == before and location.path
                and location.netloc in ("", "localhost")):
            followed = browser.get(location.path, query_string=location.query)
            assert followed.status_code < 500, what
            texts += check_language(followed, lang, data, f"{what} → {location.geturl()}")
        refused = response.status_code >= 400 or bool(texts)
        if refused:
            assert after == before, f"{what} refused ({texts!r:.200}) but wrote to the database"
        if (database_fingerprint() if followed is not None else after) != before:
            restore(app, baseline)
            assert database_fingerprint() == start, "the database could not be put back"

    test = given(submissions(form, objects))(one)
    for submission in explicit_examples(form, objects):
        test = example(submission)(test)
    backend_name = request.node.callspec.params["backend"]
    settings(max_examples=EXAMPLES[backend_name], deadline=None, derandomize=True,
             database=None, suppress_health_check=list(HealthCheck))(test)()


# --- the one POST that takes JSON -------------------------------------------------------

def updates():
    """Telegram Updates, well-formed or not, with hostile texts and ids."""
    json_values = st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | hostile,
        lambda children: st.lists(children, max_size=3) | st.dictionaries(
            st.text(max_size=10), children, max_size=3),
        max_leaves=8)
    chat_id = st.one_of(st.integers(), hostile, st.none())
    message = st.fixed_dictionaries({
        "message_id": st.integers(), "date": st.integers(),
        "chat": st.fixed_dictionaries({"id": chat_id, "type": st.just("private")}),
        "from": st.fixed_dictionaries({"id": chat_id, "username": hostile}),
        "text": st.one_of(hostile, st.sampled_from(["/start", "/today", "/stop", "/start x"]),
                          hostile.map(lambda text: f"/start {text}")),
    })
    return st.one_of(
        st.fixed_dictionaries({"update_id": st.integers(1, 2**31), "message": message}),
        st.fixed_dictionaries({"update_id": st.one_of(st.integers(), hostile, st.none())},
                              optional={"message": json_values, "edited_message": message}),
        json_values)


def test_fuzz_telegram_webhook(app, objects, database_fingerprint, request):
    """Whatever JSON comes with the right secret: never a 5xx; a refused update (400)
    changes nothing."""
    baseline = snapshot(app)
    start = database_fingerprint()

    @given(updates())
    def one(update):
        before = database_fingerprint()
        response = app.test_client().post(
            "/telegram/webhook", json=update,
            headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM["TELEGRAM_WEBHOOK_SECRET"]})
        what = f"webhook {update!r:.300}: {response.status_code}"
        assert response.status_code < 500, what
        after = database_fingerprint()
        if response.status_code >= 400:
            assert after == before, what
        if after != before:
            restore(app, baseline)
            assert database_fingerprint() == start, "the database could not be put back"

    one = example({"update_id": 7, "message": {"message_id": 1, "date": 0, "text": "/start \x00",
                                                "chat": {"id": 5, "type": "private"},
                                                "from": {"id": 5, "username": "a\x00b"}}})(one)
    backend_name = request.node.callspec.params["backend"]
    settings(max_examples=EXAMPLES[backend_name], deadline=None, derandomize=True,
             database=None, suppress_health_check=list(HealthCheck))(one)()
