"""A late answer to the page before cannot break the session of the page after.

The browser keeps the cookie of whichever response arrives last. Registering logs the
user in while the registration page may still have a password-strength check in
flight; its answer can arrive after the next page's. Here that interleaving is played
step by step with one test client as the browser's cookie jar (tutor/sessions.py
explains the cause: the check failed its CSRF check, and the toast it answered with
rewrote the session cookie)."""
import re

import pytest

from tutor.models import User

HX_TOKEN = re.compile(r'hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}\'')
PASSWORD = "Ледокол-Красин-1917"


def page_token(html):
    return HX_TOKEN.search(html).group(1)


def session_cookie(client):
    cookie = client.get_cookie("session")
    return cookie.value if cookie else None


def late(app, browser, cookie, path, token, method="post", **data):
    """An htmx request the old page sent while the browser held `cookie`; its answer
    lands in the browser's jar only now, as a late response does."""
    sender = app.test_client()
    sender.set_cookie("session", cookie)
    response = sender.open(path, method=method, data=data,
                           headers={"HX-Request": "true", "X-CSRFToken": token})
    answered = session_cookie(sender)
    if answered != cookie:  # the response set (or deleted) the session cookie
        if answered is None:
            browser.delete_cookie("session")
        else:
            browser.set_cookie("session", answered)
    return response


@pytest.mark.parametrize("sent", ["before the registration answered",
                                  "after the registration answered"])
def test_a_late_strength_check_leaves_the_new_session_alone(app, client, teacher, sent):
    register = client.get("/register")
    old_token = page_token(register.text)
    before_registration = session_cookie(client)

    response = client.post("/register", data={
        "csrf_token": old_token, "first_name": "Мария", "last_name": "Смирнова",
        "login": "maria.s", "password": PASSWORD, "channel": User.NO_CHANNEL,
        "timezone": "Europe/Samara"})
    assert response.status_code == 302, response.text
    after_registration = session_cookie(client)
    next_page = client.get(response.headers["Location"])
    assert next_page.status_code == 200 and "Мария Смирнова" in next_page.text
    new_token = page_token(next_page.text)

    cookie = before_registration if sent.startswith("before") else after_registration
    strength = late(app, client, cookie, "/password-strength", old_token,
                    password=PASSWORD, login="maria.s")
    # It changes nothing, so it needs no token (the old one is over with the old
    # session), and sends no cookie.
    assert strength.status_code == 200 and 'id="password-strength"' in strength.text
    assert "Set-Cookie" not in strength.headers

    # The next page's first form works, and the user is still logged in.
    opened = client.post("/account/telegram/open", data={"csrf_token": new_token})
    assert opened.status_code == 302
    assert client.get("/account").status_code == 200


def test_a_request_that_leaves_the_session_as_it_was_sends_no_cookie(client, auth, teacher):
    auth.login()
    client.get("/")
    # A fragment's failed CSRF check answers with a toast, leaving the session alone.
    failed = client.post("/logout", headers={"HX-Request": "true", "X-CSRFToken": "stale"})
    assert failed.status_code == 400 and "toast" in failed.text
    assert "Set-Cookie" not in failed.headers
    # A change is still written: the language picked.
    token = page_token(client.get("/").text)
    changed = client.post("/language/en", data={"csrf_token": token})
    assert "session=" in changed.headers["Set-Cookie"]


def test_a_login_gives_a_new_csrf_token_at_once_a_logout_keeps_it(app, client, auth,
                                                                  teacher):
    def raw_token():
        return app.session_interface.get_signing_serializer(app).loads(
            client.get_cookie("session").value).get("csrf_token")

    anonymous = page_token(client.get("/login").text)
    before = raw_token()
    auth.login()
    at_login = raw_token()  # made by the login's own response
    assert at_login and at_login != before
    token = page_token(client.get("/").text)
    assert raw_token() == at_login
    assert client.post("/logout", data={"csrf_token": anonymous}).status_code == 400
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert raw_token() == at_login


def test_a_late_answer_to_the_page_left_at_logout_leaves_the_login_form_working(
        app, client, auth, teacher):
    """The page open before the logout polls a fragment; the answer, arriving after the
    logout's, writes the old session back with a "please log in" notice. The login page
    shown meanwhile still logs in."""
    auth.login()
    page = client.get("/account")
    before_logout = session_cookie(client)
    assert client.post("/logout", data={"csrf_token": page_token(page.text)}).status_code == 302
    login_page = client.get("/login")
    polled = late(app, client, before_logout, "/account/telegram", page_token(page.text),
                  method="get")
    assert polled.headers["HX-Redirect"].startswith("/login")
    assert "session=" in polled.headers["Set-Cookie"]  # the notice, in the old session
    response = client.post("/login", data={"csrf_token": page_token(login_page.text),
                                           "login": "teacher",
                                           "password": "Tutor-test-password-1"})
    assert response.status_code == 302 and client.get("/account").status_code == 200
