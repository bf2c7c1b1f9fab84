"""Sessions that end. Cookies copied from a browser (the session cookie, the
remember-me cookie, each alone) open the account until the login they name ends:
after a logout, a deactivation by the student or by the teacher, a password reset
request, or, for the other devices, a password change. Replayed through Flask's test
client and over real HTTP against the live server."""
import re
from datetime import timedelta, timezone

import pytest
import requests
import time_machine

from tests.conftest import CSRF_FIELD, STUDENT_PASSWORD, TEACHER_PASSWORD, Client
from tutor.models import LoginSession, User, utcnow

COOKIES = ("session", "remember_token")
NEW_PASSWORD = "Северное-сияние-2031"


class FlaskClientDevice:
    """A browser played by Flask's test client."""

    def __init__(self, app, cookies=None):
        app.test_client_class = Client
        self.client = app.test_client()
        self.app = app
        for name, value in (cookies or {}).items():
            self.client.set_cookie(name, value)

    def get(self, path):
        return self.client.get(path)

    def submit(self, path, data=None, page=None):
        return self.client.submit(path, data, page=page)

    def cookies(self):
        return {name: cookie.value for name in COOKIES
                if (cookie := self.client.get_cookie(name)) is not None}

    def copy(self, cookies):
        return FlaskClientDevice(self.app, cookies)


class HttpDevice:
    """A browser played by `requests` against the live server."""

    def __init__(self, base, cookies=None):
        self.base = base
        self.http = requests.Session()
        for name, value in (cookies or {}).items():
            self.http.cookies.set(name, value)

    def get(self, path):
        return self.http.get(self.base + path, allow_redirects=False, timeout=10)

    def submit(self, path, data=None, page=None):
        token = CSRF_FIELD.search(self.get(page or path).text).group(1)
        return self.http.post(self.base + path, data={"csrf_token": token, **(data or {})},
                              allow_redirects=False, timeout=10)

    def cookies(self):
        return {name: value for name, value in self.http.cookies.items() if name in COOKIES}

    def copy(self, cookies):
        return HttpDevice(self.base, cookies)


@pytest.fixture(params=["test-client", "http"])
def new_device(request, app):
    """Makes browsers of one kind: `new_device()`, or one holding copied cookies."""
    if request.param == "http":
        base = request.getfixturevalue("live_server")
        return lambda: HttpDevice(base)
    return lambda: FlaskClientDevice(app)


def opens_account(device):
    response = device.get("/account")
    if response.status_code == 200:
        return True
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    return False


def log_in(device, login="maria", password=STUDENT_PASSWORD, remember=True):
    data = {"login": login, "password": password}
    if remember:
        data["remember"] = "y"
    response = device.submit("/login", data)
    assert response.status_code == 302, response.text
    assert opens_account(device)
    return device


def replays(device, cookies):
    """Does each copied cookie, alone, still open the account? Copies made fresh."""
    assert set(cookies) == set(COOKIES)
    return {name: opens_account(device.copy({name: value})) for name, value in cookies.items()}


OPEN = {"session": True, "remember_token": True}
ENDED = {"session": False, "remember_token": False}


@pytest.fixture
def maria(create_student):
    return create_student(login="maria", first_name="Мария", last_name="Смирнова",
                          channel=User.EMAIL, email="maria@example.org")


def test_copied_cookies_open_nothing_after_logout(new_device, maria):
    phone = log_in(new_device())
    copied = phone.cookies()
    assert replays(phone, copied) == OPEN
    assert phone.submit("/logout", page="/").status_code == 302
    assert not opens_account(phone)
    assert replays(phone, copied) == ENDED
    # Logging in again on the same browser is a new session; the old copies stay dead.
    log_in(phone)
    assert phone.cookies()["session"] != copied["session"]
    assert replays(phone, copied) == ENDED


def test_copied_cookies_open_nothing_after_the_student_deactivates(new_device, app, maria):
    phone, laptop = log_in(new_device()), log_in(new_device())
    copied = phone.cookies()
    assert phone.submit("/account/deactivate").status_code == 302
    assert not opens_account(phone) and not opens_account(laptop)
    assert replays(phone, copied) == ENDED
    with app.app_context():
        assert not LoginSession.of(maria).exists()


def test_copied_cookies_open_nothing_after_the_teacher_deactivates(new_device, app, maria,
                                                                   teacher):
    phone = log_in(new_device())
    copied = phone.cookies()
    desk = log_in(new_device(), "teacher", TEACHER_PASSWORD, remember=False)
    page = f"/teacher/students/{maria.id}"
    assert desk.submit(f"/teacher/students/{maria.id}/deactivate", page=page).status_code == 302
    assert not opens_account(phone)
    assert replays(phone, copied) == ENDED
    assert opens_account(desk)  # the teacher's own session is untouched


def test_a_password_change_ends_the_other_devices_and_keeps_this_one(new_device, maria):
    phone, laptop = log_in(new_device()), log_in(new_device())
    on_phone, on_laptop = phone.cookies(), laptop.cookies()
    response = laptop.submit("/account/password", {
        "current_password": STUDENT_PASSWORD, "password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD}, page="/account")
    assert response.status_code in (200, 302)
    assert opens_account(laptop) and not opens_account(phone)
    assert replays(laptop, on_laptop) == OPEN  # this device, and its copies, stay
    assert replays(phone, on_phone) == ENDED


def test_a_reset_request_ends_every_session(new_device, maria):
    phone = log_in(new_device())
    copied = phone.cookies()
    anybody = new_device()
    assert anybody.submit("/forgot", {"identifier": "maria"}).status_code == 302
    assert not opens_account(phone)
    assert replays(phone, copied) == ENDED


def test_last_seen_is_written_at_most_hourly(app, client, auth, teacher):
    auth.login()
    with app.app_context():
        [record] = LoginSession.select()
    seen = record.last_seen_at.replace(tzinfo=timezone.utc)
    with time_machine.travel(seen + timedelta(minutes=59), tick=False):
        assert client.get("/account").status_code == 200
        with app.app_context():
            assert LoginSession.get().last_seen_at == record.last_seen_at
    later = seen + timedelta(hours=1, minutes=1)
    with time_machine.travel(later, tick=False):
        assert client.get("/account").status_code == 200
        with app.app_context():
            assert LoginSession.get().last_seen_at == later.replace(tzinfo=None)


def test_a_login_records_the_device(app, client, teacher):
    client.submit("/login", {"login": "teacher", "password": TEACHER_PASSWORD},
                  headers={"User-Agent": "Mozilla/5.0 (Android 14) Firefox/133.0"})
    with app.app_context():
        [record] = LoginSession.of(User.get(User.login == "teacher"))
        assert record.device == "Mozilla/5.0 (Android 14) Firefox/133.0"
        assert record.ip == "127.0.0.1" and record.created_at <= utcnow()
        assert re.fullmatch(r"[0-9a-f]{64}", record.key_hash)


def test_a_session_unseen_for_a_year_has_ended(app, client, auth, teacher):
    auth.login(remember="y")
    copied = {name: client.get_cookie(name).value for name in COOKIES}
    with app.app_context():
        [record] = LoginSession.select()
    seen = record.last_seen_at.replace(tzinfo=timezone.utc)
    with time_machine.travel(seen + LoginSession.IDLE_LIMIT - timedelta(minutes=1), tick=False):
        # The session cookie's signature is past Flask's 31 days; remember-me still works.
        assert replays(FlaskClientDevice(app), copied) == {"session": False,
                                                           "remember_token": True}
    with app.app_context():
        record = LoginSession.get()
    seen = record.last_seen_at.replace(tzinfo=timezone.utc)
    with time_machine.travel(seen + LoginSession.IDLE_LIMIT, tick=False):
        assert replays(FlaskClientDevice(app), copied) == ENDED
        # The next login clears the ended record away.
        log_in(FlaskClientDevice(app), "teacher", TEACHER_PASSWORD)
        with app.app_context():
            assert LoginSession.select().count() == 1
            assert LoginSession.get().key_hash != record.key_hash
