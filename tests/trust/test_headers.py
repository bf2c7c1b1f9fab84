"""Cookie flags and HTTPS-only headers with the production settings themselves
(TUTOR_ENV=production, nothing overridden), served over HTTPS as behind the proxy.
The development-mode headers and the session cookie there are checked in
tests/views/test_ops.py and tests/views/test_layout.py; the matrix checks that every
answer of every route carries the security headers."""
import re
from http.cookies import SimpleCookie

import pytest

from tests.conftest import TEACHER_PASSWORD

HTTPS = "https://tutor.example.org"


@pytest.fixture
def test_config(test_config, monkeypatch):
    """The production settings as load_config() makes them from the environment."""
    monkeypatch.setenv("TUTOR_ENV", "production")
    monkeypatch.setenv("PUBLIC_URL", f"{HTTPS}/")
    monkeypatch.setenv("LOG_FORMAT", "text")
    return test_config


def cookies(response):
    jar = {}
    for header in response.headers.getlist("Set-Cookie"):
        parsed = SimpleCookie()
        parsed.load(header)
        for name, morsel in parsed.items():
            jar[name] = (morsel, header)
    return jar


def log_in(client, remember):
    page = client.get("/login", base_url=HTTPS)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
    data = {"csrf_token": token, "login": "teacher", "password": TEACHER_PASSWORD}
    if remember:
        data["remember"] = "y"
    return client.post("/login", data=data, base_url=HTTPS,
                       headers={"Referer": f"{HTTPS}/login"})


def test_production_is_what_is_tested_here(app):
    assert app.config["ENV_NAME"] == "production"
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]


@pytest.mark.parametrize("remember", [False, True], ids=["session", "remember-me"])
def test_every_login_cookie_is_secure_httponly_and_lax(app, client, teacher, remember):
    response = log_in(client, remember)
    assert response.status_code == 302
    jar = cookies(response)
    expected = {"session", "remember_token"} if remember else {"session"}
    assert expected <= set(jar)
    for name in expected:
        morsel, header = jar[name]
        assert morsel["secure"] and morsel["httponly"], header
        assert morsel["samesite"] == "Lax", header


def test_hsts_and_the_strict_headers_over_https(client):
    headers = client.get("/login", base_url=HTTPS).headers
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    policy = dict(part.strip().split(" ", 1) for part in
                  headers["Content-Security-Policy"].split(";"))
    # The trust tests configure the bot: Telegram's login widget is the one other source.
    assert policy["script-src"] == "'self' https://telegram.org"
    assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
    assert "unsafe" not in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"


def test_over_https_a_post_from_another_site_is_refused(client, teacher):
    """Flask-WTF checks the Referer over HTTPS: a valid token posted from another
    site's page is refused, from our own page it passes."""
    page = client.get("/login", base_url=HTTPS)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
    data = {"csrf_token": token, "login": "teacher", "password": TEACHER_PASSWORD}
    for referer in ({"Referer": "https://evil.example.net/login"}, {}):
        refused = client.post("/login", data=data, base_url=HTTPS, headers=referer)
        assert refused.status_code == 400
    accepted = client.post("/login", data=data, base_url=HTTPS,
                           headers={"Referer": f"{HTTPS}/login"})
    assert accepted.status_code == 302
