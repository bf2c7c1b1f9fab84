"""Logging in with Yandex ID (against tests/fake_yandex.py over real HTTP) and with the
Telegram Login Widget's signed payload: sign-up, sign-in, linking from the profile,
and the refusals (a forged or stale state, a code without its verifier, a takeover by
e-mail, a forged or old Telegram payload)."""
import time as clock
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import time_machine

from tests.channels_config import EMAIL
from tests.conftest import STUDENT_PASSWORD
from tests.fake_telegram import TOKEN, telegram  # noqa: F401 (fixture)
from tests.fake_yandex import ANNA, CLIENT_ID, yandex  # noqa: F401 (fixture)
from tutor.models import LinkedIdentity, LoginSession, User
from tutor.services import signin

CALLBACK = "/login/yandex/callback"


def go_to_yandex(client, path="/login/yandex", page="/login"):
    """Press the Yandex button: our POST sends the browser to the fake's authorize page."""
    response = client.submit(path, page=page)
    assert response.status_code == 302
    return response.headers["Location"]


def come_back(client, authorize_url):
    """Yandex approves and sends the browser back; the callback's answer."""
    answer = requests.get(authorize_url, allow_redirects=False, timeout=10)
    assert answer.status_code == 302
    back = urlsplit(answer.headers["Location"])
    assert back.path == CALLBACK
    return client.get(f"{back.path}?{back.query}")


def sign_in_with_yandex(client):
    return come_back(client, go_to_yandex(client))


def register_form(**fields):
    return {"first_name": "Анна", "last_name": "Волкова", "login": "anna.volkova",
            "channel": "none", "timezone": "Europe/Moscow", **fields}


# --- shown only when configured -------------------------------------------------------

def test_nothing_configured_no_buttons_and_the_routes_are_not_found(client):
    client.submit("/language/en")
    page = client.get("/login").text
    assert "Yandex ID" not in page and "Continue with Telegram" not in page
    assert "telegram.org" not in client.get("/login").headers["Content-Security-Policy"]
    assert client.submit("/login/yandex", page="/login").status_code == 404
    assert client.get(CALLBACK + "?code=1&state=x").status_code == 404
    assert client.submit("/login/telegram", page="/login").status_code == 404


def test_configured_the_login_page_offers_both(client, yandex, telegram):
    client.submit("/language/en")
    response = client.get("/login")
    assert "Continue with Yandex ID" in response.text
    assert 'data-telegram-bot-id="123456789"' in response.text
    csp = response.headers["Content-Security-Policy"]
    assert f"form-action 'self' https://t.me {yandex.url}" in csp
    assert "script-src 'self' https://telegram.org" in csp


# --- Yandex ID ----------------------------------------------------------------------

def test_the_authorize_request_carries_state_and_a_pkce_challenge(client, yandex):
    query = parse_qs(urlsplit(go_to_yandex(client)).query)
    assert query["response_type"] == ["code"] and query["client_id"] == [CLIENT_ID]
    assert query["code_challenge_method"] == ["S256"] and len(query["state"][0]) >= 20
    assert query["redirect_uri"] == ["http://localhost" + CALLBACK]


def test_a_first_yandex_sign_in_registers_with_the_names_from_yandex(client, app, yandex):
    client.submit("/language/en")
    response = sign_in_with_yandex(client)
    assert response.headers["Location"] == "/register/yandex"
    page = client.get("/register/yandex").text
    assert 'value="Анна"' in page and 'value="Волкова"' in page
    assert 'value="anna.volkova"' in page and 'name="password"' not in page
    response = client.submit("/register/yandex", register_form(login="anna.v"))
    assert response.status_code == 302
    with app.app_context():
        user = User.by_login("anna.v")
        assert (user.first_name, user.role) == ("Анна", User.STUDENT)
        assert user.password_generated_at is not None
        assert signin.identity_of(user).subject == ANNA["id"]
    # The token request proved the PKCE verifier.
    assert yandex.token_requests[-1]["code_verifier"]
    # Logged in: the profile opens; and next time Yandex signs straight in.
    assert client.get("/account").status_code == 200
    client.submit("/logout")
    response = sign_in_with_yandex(client)
    assert response.headers["Location"] == "/"
    assert 'value="anna.v"' in client.get("/account").text


def test_the_registration_asks_again_for_what_is_wrong(client, app, yandex, create_student):
    create_student(login="anna.volkova")
    client.submit("/language/en")
    sign_in_with_yandex(client)
    page = client.get("/register/yandex").text
    assert 'value="anna.volkova"' not in page  # taken: not suggested
    response = client.submit("/register/yandex", register_form())
    assert response.status_code == 200
    assert "This login is taken" in response.text
    with app.app_context():
        assert LinkedIdentity.select().count() == 0


@pytest.mark.config(**EMAIL)
def test_a_yandex_email_of_an_existing_account_does_not_open_it(client, app, yandex,
                                                                 create_student):
    victim = create_student(login="victim", email=ANNA["default_email"], channel=User.EMAIL)
    client.submit("/language/en")
    response = sign_in_with_yandex(client)
    assert response.headers["Location"] == "/register/yandex"  # not logged in as victim
    assert client.get("/account").status_code == 302
    response = client.submit("/register/yandex", register_form(
        channel="email", email=ANNA["default_email"]))
    assert response.status_code == 200
    assert "An account with this e-mail already exists" in response.text
    with app.app_context():
        assert LoginSession.select().where(LoginSession.user == victim.id).count() == 0
        assert LinkedIdentity.select().count() == 0


@pytest.mark.parametrize("state", ["", "forged-state"])
def test_a_callback_with_a_wrong_state_changes_nothing(client, app, yandex, state):
    authorize = go_to_yandex(client)
    answer = requests.get(authorize, allow_redirects=False, timeout=10)
    code = parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]
    response = client.get(f"{CALLBACK}?code={code}&state={state}")
    assert response.headers["Location"] == "/login"
    assert yandex.token_requests == []  # the code was never even exchanged
    assert client.get("/register/yandex").headers["Location"] == "/login"


def test_a_callback_in_another_browser_is_refused(client, app, yandex):
    """The attacker's own code and state, planted in the victim's browser (login CSRF):
    the victim's session has no pending state, so nothing happens."""
    attacker = app.test_client()
    authorize = go_to_yandex(attacker)
    back = requests.get(authorize, allow_redirects=False, timeout=10).headers["Location"]
    response = client.get(urlsplit(back).path + "?" + urlsplit(back).query)
    assert response.headers["Location"] == "/login"
    assert yandex.token_requests == []


def test_a_code_without_its_verifier_is_refused_by_yandex(client, app, yandex):
    """What PKCE guards: a code intercepted on the way back is useless to anyone who
    does not hold this browser's verifier."""
    authorize = go_to_yandex(client)
    back = requests.get(authorize, allow_redirects=False, timeout=10).headers["Location"]
    code = parse_qs(urlsplit(back).query)["code"][0]
    stolen = requests.post(yandex.url + "/token", data={
        "grant_type": "authorization_code", "code": code, "code_verifier": "x" * 64,
        "client_id": CLIENT_ID, "client_secret": "5e3c9f0a7b2d4c1e8f6a0b9c8d7e6f5a"},
        timeout=10)
    assert stolen.status_code == 400 and stolen.json()["error"] == "invalid_grant"


def test_cancelled_at_yandex(client, yandex):
    yandex.denied = True
    client.submit("/language/en")
    response = sign_in_with_yandex(client)
    assert response.headers["Location"] == "/login"
    assert "access was not allowed" in client.get("/login").text


def test_yandex_down_says_so(client, yandex, httpserver):
    client.submit("/language/en")
    authorize = go_to_yandex(client)
    back = requests.get(authorize, allow_redirects=False, timeout=10).headers["Location"]
    yandex.codes.clear()  # the token endpoint refuses the code
    response = client.get(urlsplit(back).path + "?" + urlsplit(back).query)
    assert response.headers["Location"] == "/login"
    assert "Yandex ID is not answering" in client.get("/login").text


def test_link_and_unlink_from_the_profile(client, app, yandex, auth, create_student):
    maria = create_student(login="maria")
    client.submit("/language/en")
    auth.login("maria", STUDENT_PASSWORD)
    assert "Link Yandex ID" in client.get("/account").text
    response = come_back(client, go_to_yandex(client, "/account/yandex/link", "/account"))
    assert response.headers["Location"] == "/account"
    page = client.get("/account").text
    assert "Yandex ID is linked" in page and "linked as anna.volkova" in page
    # Yandex now opens maria's account.
    client.submit("/logout")
    sign_in_with_yandex(client)
    with app.app_context():
        assert LoginSession.select().where(LoginSession.user == maria.id).count() == 1
    client.submit("/account/yandex/unlink", page="/account")
    with app.app_context():
        assert LinkedIdentity.select().count() == 0


def test_a_yandex_account_linked_to_another_is_not_moved(client, app, yandex, auth,
                                                         create_student):
    owner = create_student(login="owner")
    create_student(login="maria")
    with app.app_context():
        signin.link(User.get_by_id(owner.id), signin.YANDEX, ANNA["id"], "anna.volkova")
    client.submit("/language/en")
    auth.login("maria", STUDENT_PASSWORD)
    come_back(client, go_to_yandex(client, "/account/yandex/link", "/account"))
    assert "already linked to another account" in client.get("/account").text
    with app.app_context():
        assert LinkedIdentity.get().user_id == owner.id


# --- the Telegram Login Widget ---------------------------------------------------------

def signed(fields, token=TOKEN):
    return {**fields, "hash": signin.telegram_signature(fields, token)}


def widget_payload(telegram_id="555000111", **extra):
    return {"id": telegram_id, "first_name": "Мария", "username": "maria_tg",
            "auth_date": str(int(clock.time())), **extra}


def test_telegram_signs_in_the_user_whose_chat_is_linked(client, app, telegram,
                                                          create_student):
    maria = create_student(login="maria", telegram_chat_id="555000111")
    response = client.submit("/login/telegram", signed(widget_payload()), page="/login")
    assert response.headers["Location"] == "/"
    with app.app_context():
        assert LoginSession.select().where(LoginSession.user == maria.id).count() == 1


@pytest.mark.parametrize("tamper", ["forged", "other-id", "no-hash", "wrong-token"])
def test_a_forged_telegram_payload_is_refused(client, app, telegram, create_student, tamper):
    create_student(login="maria", telegram_chat_id="555000111")
    create_student(login="boris", telegram_chat_id="777")
    payload = signed(widget_payload(), token="000:other" if tamper == "wrong-token" else TOKEN)
    if tamper == "forged":
        payload["hash"] = "0" * 64
    elif tamper == "other-id":
        payload["id"] = "777"
    elif tamper == "no-hash":
        del payload["hash"]
    client.submit("/language/en")
    response = client.submit("/login/telegram", payload, page="/login")
    assert response.headers["Location"] == "/login"
    assert "could not be checked" in client.get("/login").text
    with app.app_context():
        assert LoginSession.select().count() == 0


def test_a_telegram_payload_older_than_a_day_is_refused(client, app, telegram,
                                                        create_student):
    create_student(login="maria", telegram_chat_id="555000111")
    payload = signed(widget_payload(auth_date=str(int(clock.time()))))
    with time_machine.travel(clock.time() + 86400 + 60):
        client.submit("/language/en")
        client.submit("/login/telegram", payload, page="/login")
        assert "too old" in client.get("/login").text
    with app.app_context():
        assert LoginSession.select().count() == 0


def test_telegram_without_a_linked_account_opens_nothing(client, app, telegram):
    client.submit("/language/en")
    response = client.submit("/login/telegram", signed(widget_payload()), page="/login")
    assert response.headers["Location"] == "/login"
    assert "No account here is linked to this Telegram" in client.get("/login").text


def test_telegram_links_from_the_profile(client, app, telegram, auth, create_student):
    maria = create_student(login="maria")
    client.submit("/language/en")
    auth.login("maria", STUDENT_PASSWORD)
    assert "Link with Telegram" in client.get("/account").text
    response = client.submit("/account/telegram/login", signed(widget_payload()),
                             page="/account")
    assert response.headers["Location"] == "/account"
    with app.app_context():
        fresh = User.get_by_id(maria.id)
        assert (fresh.telegram_chat_id, fresh.telegram_username) == ("555000111", "maria_tg")


def test_a_yandex_student_sets_a_password_before_unlinking(client, app, yandex):
    client.submit("/language/en")
    sign_in_with_yandex(client)
    client.submit("/register/yandex", register_form())
    page = client.get("/account").text
    assert 'name="current_password"' not in page and "no password here yet" in page
    client.submit("/account/yandex/unlink", page="/account")
    assert "Set a password first" in client.get("/account").text
    with app.app_context():
        assert LinkedIdentity.select().count() == 1
    new = "Ледокол-Красин-1917"
    response = client.submit("/account/password", {"password": new, "confirm": new},
                             page="/account")
    assert response.status_code == 302
    assert 'name="current_password"' in client.get("/account").text
    client.submit("/account/yandex/unlink", page="/account")
    with app.app_context():
        assert LinkedIdentity.select().count() == 0
    client.submit("/logout")
    assert client.submit("/login", {"login": "anna.volkova", "password": new}).status_code == 302
