"""The e-mail verifier client against a local fake of verifier.meetchopra.com."""
import threading

import pytest
import requests
from werkzeug import Response

from tutor.integrations.email_verifier import (
    DISPOSABLE,
    NO_MAIL,
    SYNTAX,
    UNDELIVERABLE,
    Verdict,
    VerifierUnavailable,
    verify_email,
)


@pytest.fixture
def base_url(httpserver):
    return httpserver.url_for("").rstrip("/")


def test_deliverable_address_is_valid(httpserver, base_url):
    httpserver.expect_request(
        "/verify/иван@почта.рф", method="GET", query_string={"token": "t"},
    ).respond_with_json({"status": True, "email": "иван@почта.рф", "domain": "почта.рф"})

    assert verify_email("иван@почта.рф", token="t", base_url=base_url) == Verdict(valid=True)


@pytest.mark.parametrize("message", ["Disposable email address", "Адрес не существует"])
def test_rejected_address_is_invalid_with_the_reason(httpserver, base_url, message):
    httpserver.expect_request("/verify/temp@mailinator.com", method="GET").respond_with_json(
        {"status": False, "error": {"code": 2, "message": message}})

    verdict = verify_email("temp@mailinator.com", token="t", base_url=base_url)

    assert verdict == Verdict(valid=False, reason=message, code=2)
    assert verdict.kind == DISPOSABLE  # code 2, whatever the words


@pytest.mark.parametrize("error, kind", [
    ({"code": 2, "message": "Disposable mailbox"}, DISPOSABLE),
    ({"code": 5, "message": "Invalid email syntax"}, SYNTAX),
    ({"code": 3, "message": "No MX records found for domain"}, NO_MAIL),
    ({"message": "Mailbox does not exist"}, NO_MAIL),
    ({"code": "x", "message": "Temporary address"}, DISPOSABLE),
    ({"code": 9, "message": "Rejected"}, UNDELIVERABLE),
])
def test_the_reason_is_named_in_our_terms(httpserver, base_url, error, kind):
    httpserver.expect_request("/verify/a@example.com", method="GET").respond_with_json(
        {"status": False, "error": error})

    assert verify_email("a@example.com", token="t", base_url=base_url).kind == kind


@pytest.mark.parametrize("email, raw_path", [
    ("anna@example.com", "/verify/anna@example.com"),
    ("иван@почта.рф",
     "/verify/%D0%B8%D0%B2%D0%B0%D0%BD@%D0%BF%D0%BE%D1%87%D1%82%D0%B0.%D1%80%D1%84"),
    ("a+b/c?d#e@example.com", "/verify/a%2Bb%2Fc%3Fd%23e@example.com"),
])
def test_address_is_quoted_in_the_path(httpserver, base_url, email, raw_path):
    httpserver.expect_request(f"/verify/{email}", method="GET").respond_with_json(
        {"status": True, "email": email, "domain": email.rsplit("@", 1)[1]})

    verify_email(email, token="t", base_url=base_url)

    request, _ = httpserver.log[0]
    assert request.environ["REQUEST_URI"] == f"{raw_path}?token=t"


def test_token_goes_in_the_query_string(httpserver, base_url):
    httpserver.expect_request(
        "/verify/anna@example.com", method="GET", query_string={"token": "a b&c=d"},
    ).respond_with_json({"status": True, "email": "anna@example.com", "domain": "example.com"})

    assert verify_email("anna@example.com", token="a b&c=d", base_url=base_url).valid


def test_uses_the_given_session(httpserver, base_url):
    session = requests.Session()
    session.headers["User-Agent"] = "tutor-tests"
    httpserver.expect_request(
        "/verify/anna@example.com", headers={"User-Agent": "tutor-tests"},
    ).respond_with_json({"status": True})

    assert verify_email("anna@example.com", token="t", base_url=base_url,
                        session=session).valid


@pytest.mark.parametrize("status", [400, 401, 403, 404, 429, 500, 502, 503])
def test_error_status_means_unavailable(httpserver, base_url, status):
    httpserver.expect_request("/verify/anna@example.com").respond_with_json(
        {"status": False, "error": {"code": 0, "message": "Invalid token"}}, status=status)

    with pytest.raises(VerifierUnavailable):
        verify_email("anna@example.com", token="t", base_url=base_url)


@pytest.mark.parametrize("body, content_type", [
    ("not json", "application/json"),
    ("<html><body>Service Unavailable</body></html>", "text/html"),
    ("", "application/json"),
])
def test_invalid_json_means_unavailable(httpserver, base_url, body, content_type):
    httpserver.expect_request("/verify/anna@example.com").respond_with_data(
        body, content_type=content_type)

    with pytest.raises(VerifierUnavailable):
        verify_email("anna@example.com", token="t", base_url=base_url)


@pytest.mark.parametrize("payload", [
    [],
    {},
    {"status": "true"},
    {"status": 1},
    {"status": None},
    {"status": False},
    {"status": False, "error": "Disposable email address"},
    {"status": False, "error": {"code": 2}},
])
def test_unknown_shape_means_unavailable(httpserver, base_url, payload):
    httpserver.expect_request("/verify/anna@example.com").respond_with_json(payload)

    with pytest.raises(VerifierUnavailable):
        verify_email("anna@example.com", token="t", base_url=base_url)


def test_slow_service_means_unavailable(httpserver, base_url):
    release, finished = threading.Event(), threading.Event()

    def slow(request):
        release.wait(0.5)
        response = Response('{"status": true}', content_type="application/json")
        response.call_on_close(finished.set)
        return response

    httpserver.expect_request("/verify/anna@example.com").respond_with_handler(slow)

    with pytest.raises(VerifierUnavailable):
        verify_email("anna@example.com", token="t", base_url=base_url, timeout=0.1)
    # The fake server answers one request at a time: let it finish this one, or its log
    # entry could land in the next test's.
    release.set()
    assert finished.wait(5)


def test_refused_connection_means_unavailable(closed_port_url):
    with pytest.raises(VerifierUnavailable):
        verify_email("anna@example.com", token="t", base_url=closed_port_url)
