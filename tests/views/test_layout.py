"""The base layout: vendored htmx, CSRF on every htmx request, the toast area, the
language switch, and fragments that are told apart from pages."""
import re

import pytest
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def test_htmx_is_vendored_with_its_version(client):
    page = client.get("/").text
    src = re.search(r'<script src="(/static/vendor/htmx-(\d+\.\d+\.\d+)\.min\.js)"', page)
    assert src, "htmx must be loaded from static/, never a CDN"
    asset = client.get(src.group(1))
    assert asset.status_code == 200
    assert b"htmx" in asset.data[:200]
    assert (ROOT / "static/vendor" / f"htmx-{src.group(2)}.min.js").exists()
    assert not re.search(r'(?:src|href)="(?:https?:)?//', page), "nothing from other hosts"


def test_no_inline_scripts(client):
    page = client.get("/").text
    for script in re.findall(r"<script[^>]*>(.*?)</script>", page, re.S):
        assert script.strip() == ""
    assert not re.search(r"<[^>]+\son[a-z]+=", page), "no inline event handlers"


def test_every_htmx_request_carries_the_csrf_token(client):
    page = client.get("/").text
    headers = re.search(r"<body hx-headers='(\{[^']+\})'>", page)
    assert headers and '"X-CSRFToken": "' in headers.group(1)
    token = re.search(r'"X-CSRFToken": "([^"]+)"', headers.group(1)).group(1)
    response = client.post("/language/en", headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert response.status_code == 204
    assert client.post("/language/en", headers={"HX-Request": "true"}).status_code == 400


def test_htmx_config_is_safe(client):
    page = client.get("/").text
    assert '"historyRestoreAsHxRequest": false' in page
    assert '"allowEval": false' in page


def test_pages_vary_on_hx_request(client):
    assert "HX-Request" in client.get("/").headers["Vary"]


def test_toast_area_and_language_switch_are_on_every_page(client):
    for path in ["/", "/login", "/no-such-page"]:
        page = client.get(path).text
        assert 'id="toasts"' in page and 'aria-live="polite"' in page
        assert 'action="/language/en"' in page or 'formaction="/language/en"' in page


def test_flash_messages_show_as_toasts(client, auth, teacher):
    auth.login()
    page = client.get("/").text
    assert 'class="toast toast-success"' in page
    assert "Вы вошли." in page


def test_fragment_errors_come_back_as_an_out_of_band_toast(client):
    response = client.post("/language/en", headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert 'hx-swap-oob="true"' in response.text
    assert "<html" not in response.text
    assert "Форма устарела" in response.text


def test_error_pages_are_translated(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Такой страницы нет." in response.text
    client.submit("/language/en")
    assert "This page does not exist." in client.get("/no-such-page").text


def test_an_unexpected_error_is_a_friendly_500(app, client):
    @app.get("/boom")
    def boom():
        raise RuntimeError("boom")

    response = client.get("/boom")
    assert response.status_code == 500
    assert "Всё сохранённое цело" in response.text


def test_expired_session_on_htmx_request_redirects_to_login(app, client):
    from flask_login import login_required

    @app.get("/private")
    @login_required
    def private():
        return "secret"

    response = client.get("/private", headers={"HX-Request": "true",
                                               "HX-Current-URL": "http://localhost/?week=2"})
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == "/login?next=/?week%3D2"
    plain = client.get("/private")
    assert plain.status_code == 302
    assert plain.headers["Location"] == "/login?next=/private"


def test_revoked_session_is_logged_out(app, client, auth, teacher):
    from tutor.models import LoginSession

    auth.login()
    assert "Выйти" in client.get("/").text
    with app.app_context():
        LoginSession.delete().execute()
    assert "Выйти" not in client.get("/").text


def test_css_keeps_a_phone_layout():
    css = (ROOT / "static/css/tutor.css").read_text()
    assert "box-sizing: border-box" in css
    assert "@media (min-width:" in css


def test_session_cookie_flags(client, auth, teacher):
    response = auth.login()
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # development over plain http on 127.0.0.1


@pytest.mark.config(SESSION_COOKIE_SECURE=True)
def test_secure_cookies_outside_development(client, auth, teacher):
    assert "Secure" in auth.login().headers["Set-Cookie"]


def test_login_starts_a_fresh_session(client, auth, teacher):
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    auth.login()
    with client.session_transaction() as session:
        assert "planted" not in session


def test_a_post_with_an_expired_session_comes_back_to_the_page_it_was_sent_from(client):
    token = client.csrf_token("/login")
    response = client.post("/account/profile", data={"csrf_token": token},
                           headers={"Referer": "http://localhost/account?tab=1"})
    assert response.headers["Location"] == "/login?next=/account?tab%3D1"
    foreign = client.post("/account/profile", data={"csrf_token": token},
                          headers={"Referer": "https://evil.example/account"})
    assert foreign.headers["Location"] == "/login"


def test_one_csrf_field_id_per_page(client, auth, teacher):
    auth.login()
    page = client.get("/teacher/availability").text
    assert page.count('name="csrf_token"') > 2
    assert 'id="csrf_token"' not in page
