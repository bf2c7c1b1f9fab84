"""Fuzzing everything of a request but its form body (tests/trust/test_fuzz_forms.py
does the bodies): the query string, the path's variables, and the headers a browser and
htmx send (HX-Request, HX-Current-URL, HX-Boosted, HX-History-Restore-Request,
Referer, Accept-Language), for EVERY route of the URL map and each of its methods, as a
visitor, a student and the teacher; and the raw bytes of the Telegram webhook's JSON.

Every route gets the values of the classes found by probing (dates beyond 1900–2199,
page numbers and ids beyond the database's integers, URLs urlsplit refuses, control
characters), with htmx and without, and then random requests that hypothesis draws
over all routes at once. The answer is never a 5xx. A POST carries a valid CSRF token
so the view itself runs; when one changes the database it is put back, so every
example starts from the same records (tests/trust/conftest.py `objects`).

The routes and the plausible values of their variables come from the access matrix
(tests/trust/routes.py MATRIX, which tests/trust/test_access_matrix.py fails for a
route it lacks); the hostile values and putting the database back, from
tests/trust/fuzzing.py."""
import json
import re
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.trust.conftest import ANONYMOUS, STUDENT_A, TEACHER, TELEGRAM
from tests.trust.fuzzing import hostile, restore, snapshot
from tests.trust.routes import MATRIX, app_routes, resolve
from tutor.models import TelegramUpdate
from tutor.services import bounds

ROLES = (ANONYMOUS, STUDENT_A, TEACHER)
HUGE = "9" * 31

# The query names the views read, and a few they do not.
QUERY_NAMES = ["week", "month", "start", "page", "next", "q", "sort", "order", "status",
               "action", "separator", "first_day", "last_day", "ids", "times", "until",
               "student", "scope", "lang", "token", "field", "id", "x" * 50]
# Values beyond the bounds of tutor/services/bounds.py, one of each class.
BEYOND = ["9999-12-31", "0001-01-01", "2200-01-01", "1899-12-31", "9999-12", "0000-00",
          "9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00", "2199-12-31T23:59:59-14:00",
          HUGE, f"-{HUGE}", str(2**31), str(2**63), str(2**70), "-1", "0", "1e309", "sNaN",
          "NaN", "Infinity", "http://[", "http://[::1", "//evil.example", "/\\evil.example",
          "http://evil.example/", "javascript:alert(1)", "/%0d%0aX:%20y", "\x00", "Иван\x00"]
BAD_QUERY = {"week": "9999-12-31", "month": "9999-12", "start": "9999-12-31T23:59:59-01:00",
             "page": HUGE, "next": "http://[", "first_day": "0001-01-01",
             "last_day": "9999-12-31", "until": "9999-12-31", "times": HUGE, "ids": HUGE,
             "q": "\x00", "sort": "\x00", "status": "9999-12-31", "separator": "\x00"}
BAD_HEADERS = {"HX-Current-URL": "http://[", "Referer": "http://[",
               "Accept-Language": "\x7f;q=sNaN"}
HEADER_NAMES = ["HX-Request", "HX-Current-URL", "HX-Boosted", "HX-History-Restore-Request",
                "HX-Target", "HX-Trigger", "Referer", "Accept-Language", "X-Request-Id"]

# Random requests per role, besides the explicit ones every route gets: the SQLite
# pass explores, the PostgreSQL pass (three times slower here) repeats the first of
# them (derandomized).
EXAMPLES = {"sqlite": 120, "postgresql": 30}


def routes(app):
    """(endpoint, method, rule, plausible path values) for every route of the URL map."""
    rules = {rule.endpoint: rule for rule in app.url_map.iter_rules()}
    declared = {}
    for entry in MATRIX:
        declared.setdefault((entry.endpoint, entry.method), entry)
    assert sorted(app_routes(app) - set(declared)) == [], "routes not in the matrix"
    return [(endpoint, method, rules[endpoint], entry)
            for (endpoint, method), entry in sorted(declared.items())]


RULE_PART = re.compile(r"<(?:([^:>(]+)(?:\([^)]*\))?:)?([^>]+)>")


def address(rule, values):
    """The rule's path with the values put in as they are: url_for would refuse a
    hostile one, and the app must answer it all the same."""
    return RULE_PART.sub(lambda match: quote(str(values[match.group(2)]), safe=""), rule.rule)


def header_value(text):
    """`text` as it arrives in a header: bytes read as Latin-1, without the line breaks
    and NULs an HTTP client cannot send."""
    return re.sub(r"[\r\n\x00]", "", text.encode("utf-8", "replace").decode("latin-1"))


def url_values(draw, rule, entry, objects):
    values = resolve(entry.values, objects) if entry else {}
    for name in rule.arguments:
        if name not in values or draw(st.integers(0, 3)) == 0:
            values[name] = draw(st.one_of(st.sampled_from(BEYOND), hostile).filter(
                lambda text: text and len(text) < 300))
    return values


@st.composite
def requests_for(draw, table, objects):
    """(method, url, query, headers) anywhere in the URL map."""
    endpoint, method, rule, entry = draw(st.sampled_from(table))
    values = url_values(draw, rule, entry, objects)
    query = dict(resolve(entry.query, objects)) if entry else {}
    names = st.one_of(st.sampled_from(QUERY_NAMES), st.text(min_size=1, max_size=10))
    query.update(draw(st.dictionaries(names, st.one_of(st.sampled_from(BEYOND), hostile),
                                      max_size=4)))
    headers = {name: header_value(value) for name, value in draw(st.dictionaries(
        st.sampled_from(HEADER_NAMES),
        st.one_of(st.sampled_from(["true", "false", "", "http://localhost/", "/",
                                   *BEYOND]), hostile.filter(lambda text: len(text) < 2000)),
        max_size=4)).items()}
    if draw(st.booleans()):
        headers["HX-Request"] = "true"
    return method, address(rule, values), query, headers


def explicit_requests(table, objects, both=True):
    """Every route with the known classes of bad values, plain and over htmx (or, not
    `both`, each route one of the two in turn); and every route with an id beyond the
    database's integers in each <int:> part."""
    for number, (endpoint, method, rule, entry) in enumerate(table):
        values = resolve(entry.values, objects) if entry else {}
        query = {**resolve(entry.query, objects), **BAD_QUERY} if entry else BAD_QUERY
        url = address(rule, values)
        if both or number % 2:
            yield method, url, query, BAD_HEADERS
        if both or not number % 2:
            yield method, url, query, {**BAD_HEADERS, "HX-Request": "true"}
        integers = [name for name, converter in rule._converters.items()
                    if type(converter).__name__ == "IdConverter"]
        if integers:
            yield method, address(rule, {**values, **{name: HUGE for name in integers}}), {}, {}


@pytest.fixture
def send_as(app, objects, browser_as, database_fingerprint):
    """send(role, method, url, query, headers) -> response, the database put back
    after a POST that changed it."""
    baseline = snapshot(app)
    start = database_fingerprint()
    cookies, tokens = {}, {}
    for role in ROLES:
        browser = browser_as(role)
        tokens[role] = browser.csrf_token("/")
        cookies[role] = browser.get_cookie("session")

    def send(role, method, url, query, headers):
        browser = app.test_client()
        if cookies[role] is not None:
            browser.set_cookie("session", cookies[role].value)
        data = {"csrf_token": tokens[role]} if method == "POST" else None
        extra = ({"X-Telegram-Bot-Api-Secret-Token": TELEGRAM["TELEGRAM_WEBHOOK_SECRET"]}
                 if url == "/telegram/webhook" else {})
        response = browser.open(url, method=method, query_string=query, data=data,
                                headers={**headers, **extra})
        # A refused POST writes nothing (test_fuzz_forms.py checks that): only an
        # accepted one can have changed what the next example starts from.
        if method == "POST" and response.status_code < 400 and database_fingerprint() != start:
            restore(app, baseline)
            assert database_fingerprint() == start, "the database could not be put back"
        return response
    return send


def what(role, method, url, query, headers, response):
    return f"{role} {method} {url} ?{query!r:.300} {headers!r:.300}: {response.status_code}"


@pytest.mark.parametrize("role", ROLES)
def test_every_route_with_values_beyond_bounds(app, objects, send_as, request, role):
    both = request.node.callspec.params["backend"] == "sqlite"
    for method, url, query, headers in explicit_requests(routes(app), objects, both):
        response = send_as(role, method, url, query, headers)
        assert response.status_code < 500, what(role, method, url, query, headers, response)


@pytest.mark.parametrize("role", ROLES)
def test_fuzz_query_strings_and_headers(app, objects, send_as, request, role):
    @given(requests_for(routes(app), objects))
    def one(drawn):
        method, url, query, headers = drawn
        response = send_as(role, method, url, query, headers)
        assert response.status_code < 500, what(role, method, url, query, headers, response)

    backend_name = request.node.callspec.params["backend"]
    settings(max_examples=EXAMPLES[backend_name], deadline=None, derandomize=True,
             database=None, suppress_health_check=list(HealthCheck))(one)()


# --- the webhook's raw JSON ---------------------------------------------------------------

def nested(depth, inner="[]"):
    return "[" * depth + inner + "]" * depth


json_bodies = st.one_of(
    # nesting from harmless to far beyond the decoder's recursion
    st.builds(nested, st.integers(1, 300_000)),
    st.builds(lambda depth: '{"update_id": 1, "message": ' + nested(depth) + "}",
              st.integers(1, 300_000)),
    st.builds(lambda depth: '{"a":' * depth + "1" + "}" * depth, st.integers(1, 100_000)),
    # numbers beyond every integer column, and beyond Python's int-from-text limit
    st.builds(lambda number: json.dumps({"update_id": number, "message": {
        "message_id": number, "date": 0, "text": "/today",
        "chat": {"id": number, "type": "private"}, "from": {"id": number}}}),
        st.one_of(st.integers(), st.sampled_from([2**63, 2**70, -(2**70), 10**4000]))),
    st.builds(lambda digits: '{"update_id": ' + "9" * digits + "}", st.integers(1, 10_000)),
    # not JSON, or not UTF-8
    st.binary(max_size=200), st.sampled_from([b"", b"\xff\xfe", b'{"update_id": 1', b"NaN",
                                             b'{"update_id": NaN}', b"\x00" * 10]),
)


def test_fuzz_the_webhooks_raw_json(app, objects, request):
    """Whatever bytes come with the right secret: a 200 or a 400, never a 5xx; a
    refused update stores nothing."""
    baseline = snapshot(app)

    @given(json_bodies)
    def one(body):
        response = app.test_client().post(
            "/telegram/webhook", data=body, content_type="application/json",
            headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM["TELEGRAM_WEBHOOK_SECRET"]})
        shown = body[:200]
        assert response.status_code in (200, 400), f"{shown!r}: {response.status_code}"
        update = bounds.parse_json(body)
        update_id = update.get("update_id") if isinstance(update, dict) else None
        if isinstance(update_id, int) and not 0 <= update_id < 2**63:
            # Else the consumer's task fails on the bigint column, and is retried.
            assert response.status_code == 400, f"{shown!r}: {response.status_code}"
        if response.status_code == 200:
            restore(app, baseline)  # the update was handled: its id and answer stored
        else:
            with app.app_context():
                assert TelegramUpdate.select().count() == 0, f"{shown!r} refused but stored"

    backend_name = request.node.callspec.params["backend"]
    settings(max_examples=EXAMPLES[backend_name] // 4, deadline=None, derandomize=True,
             database=None, suppress_health_check=list(HealthCheck))(one)()


def test_the_bounds_the_fuzzing_aims_beyond():
    """The explicit values above really are beyond the bounds they test."""
    assert bounds.parse_date("9999-12-31") is None and bounds.parse_date("0001-01-01") is None
    assert bounds.parse_moment("9999-12-31T23:59:59-01:00") is None
    assert bounds.parse_page(HUGE) is None and bounds.parse_id(HUGE) is None
    assert bounds.local_path("http://[") is None
    assert bounds.parse_json(nested(200_000)) is None
