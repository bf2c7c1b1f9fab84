"""The access-control matrix: every route of the URL map × every kind of visitor,
with the answer each one gets declared in tests/trust/routes.py (ROUTES, whose probes
are MATRIX).

- A route missing from ROUTES fails `test_every_route_is_declared`: whoever adds a
  route declares who may use it (and, for a POST, its form) there, once.
- Routes with ids are probed with student A's records (her lessons, her profile, her
  outbox message), so student B and the inactive student probe someone else's: they
  must get 403/404 and change nothing (no IDOR). The teacher's student pages are
  probed with the teacher's own id too.
- Each probe runs on a fresh database. A refusal (log in, 400, 403, 404) must leave
  every table exactly as it was, and so must every GET, for every role.
- POSTs carry a valid CSRF token here (the CSRF guard is test_csrf.py's subject)."""
from urllib.parse import urlsplit

import pytest
from flask import url_for

from tests.trust.conftest import ANONYMOUS, INACTIVE, ROLES, STUDENT_A, STUDENT_B, TEACHER
from tests.trust.routes import GO, MATRIX, resolve, undeclared, url_of
from tests.trust.routes import LOG_IN as LOGIN

REFUSALS = {LOGIN, 400, 403, 404}

# GETs allowed to write, each with why. Everything else read by a GET stays untouched.
GET_WRITES = {
    # None now: the Telegram link step's one-time token is made by a POST.
}

SECURITY_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options",
                    "Referrer-Policy")


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
    missing, gone = undeclared(app)
    assert missing == [], "routes missing from tests/trust/routes.py ROUTES: declare them"
    assert gone == [], "declared routes that no longer exist"


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
