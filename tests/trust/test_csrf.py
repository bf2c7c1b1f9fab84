"""CSRF, generated from the URL map: every route that answers POST, PUT, PATCH or
DELETE refuses a request without a valid token — missing, forged, or taken from
another session — before the view runs, for visitors, students and the teacher
alike, and the refused requests change nothing. The one exception is declared with
its reason. (That no GET changes anything is proved per role in test_access_matrix.)"""
import logging

import pytest
from flask import url_for
from itsdangerous import URLSafeTimedSerializer

from tests.trust.conftest import ANONYMOUS, STUDENT_A, STUDENT_B, TEACHER
from tests.trust.routes import MATRIX, resolve, url_of

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}

EXEMPT = {
    # Telegram POSTs updates with no cookies and no token; the secret header it was
    # given in setWebhook proves the sender (a wrong one gets 403, see the matrix).
    ("telegram.webhook", "POST"): "Telegram: the X-Telegram-Bot-Api-Secret-Token header",
    # Rates the password typed and changes nothing (POST keeps the password out of
    # URLs); a check still in flight when its page logs the user in must not fail.
    ("auth.password_strength", "POST"): "changes nothing",
}


def state_changing_routes(app):
    return sorted({(rule.endpoint, method) for rule in app.url_map.iter_rules()
                   for method in rule.methods & STATE_CHANGING})


def probe_of(app, objects, rule, method):
    """The URL and form of the matrix's first row for the route (student A's records);
    for a route the matrix does not declare yet (its own test fails for that), any
    values the URL's converters accept: the token is checked before the view runs."""
    for entry in MATRIX:
        if (entry.endpoint, entry.method) == (rule.endpoint, method):
            return url_of(app, entry, objects), resolve(entry.data, objects)
    values = {}
    for name, converter in rule._converters.items():
        values[name] = (sorted(converter.items)[0] if hasattr(converter, "items")
                        else 1 if converter.regex == r"\d+" else "x")
    with app.test_request_context():
        return url_for(rule.endpoint, **values), {}


@pytest.fixture
def csrf_refusals(caplog):
    """The reasons Flask-WTF gave for refusing requests (it logs each one)."""
    caplog.set_level(logging.INFO, logger="flask_wtf.csrf")

    def reasons():
        found = [record.getMessage() for record in caplog.records
                 if record.name == "flask_wtf.csrf"]
        caplog.clear()
        return found
    return reasons


def send_to_every_route(app, objects, browser, csrf_refusals, token, headers=None):
    """Each state-changing request of the URL map with `token`; returns the routes
    that were not refused for CSRF."""
    passed = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods & STATE_CHANGING):
            url, data = probe_of(app, objects, rule, method)
            if token is not None:
                data["csrf_token"] = token
            response = browser.open(url, method=method, data=data, headers=headers)
            reasons = csrf_refusals()
            if not (response.status_code == 400 and reasons):
                passed.append((rule.endpoint, method))
    return sorted(passed)


def test_csrf_protection_is_on_for_every_state_changing_method(app):
    assert app.config.get("WTF_CSRF_ENABLED", True)
    assert app.config.get("WTF_CSRF_CHECK_DEFAULT", True)
    assert STATE_CHANGING <= set(app.config.get("WTF_CSRF_METHODS")
                                 or {"POST", "PUT", "PATCH", "DELETE"})
    assert len(state_changing_routes(app)) > 40


@pytest.mark.parametrize("role", [ANONYMOUS, STUDENT_A, TEACHER])
@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
def test_no_token_no_change(app, objects, browser_as, database_fingerprint, csrf_refusals,
                            role, htmx):
    browser = browser_as(role)
    csrf_refusals()
    before = database_fingerprint()
    passed = send_to_every_route(app, objects, browser, csrf_refusals, token=None,
                                 headers={"HX-Request": "true"} if htmx else None)
    assert passed == sorted(EXEMPT)
    assert database_fingerprint() == before


def test_a_token_from_another_session_is_refused(app, objects, browser_as,
                                                 database_fingerprint, csrf_refusals):
    """Student B's valid token does not work in the teacher's session."""
    stolen = browser_as(STUDENT_B).csrf_token("/")
    teacher = browser_as(TEACHER)
    csrf_refusals()
    before = database_fingerprint()
    passed = send_to_every_route(app, objects, teacher, csrf_refusals, token=stolen)
    assert passed == sorted(EXEMPT)
    assert database_fingerprint() == before


def test_forged_tokens_are_refused(app, objects, browser_as, database_fingerprint,
                                   csrf_refusals):
    """A token signed with another key, and the page's own token with its signature
    cut off, get nowhere either."""
    teacher = browser_as(TEACHER)
    real = teacher.csrf_token("/")
    forged = URLSafeTimedSerializer("not-the-secret-key", salt="wtf-csrf-token").dumps("x" * 40)
    before = database_fingerprint()
    for token in (forged, real.rsplit(".", 1)[0], "", "null"):
        csrf_refusals()
        passed = send_to_every_route(app, objects, teacher, csrf_refusals, token=token)
        assert passed == sorted(EXEMPT)
    assert database_fingerprint() == before


def test_the_page_token_passes_in_the_form_and_in_the_htmx_header(app, objects, browser_as,
                                                                  csrf_refusals):
    """A control for the tests above: the same requests with the page's own token are
    not refused for CSRF, so the refusals come from the token alone."""
    teacher = browser_as(TEACHER)
    token = teacher.csrf_token("/")
    csrf_refusals()
    response = teacher.post("/teacher/goals", data={"csrf_token": token, "name": "Олимпиада"})
    assert response.status_code == 302 and csrf_refusals() == []
    response = teacher.post("/teacher/goals", data={"name": "Разговорный"},
                            headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert response.status_code == 200 and csrf_refusals() == []
    assert "Разговорный" in response.get_data(as_text=True)
