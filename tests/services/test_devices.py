"""Your devices: sessions named in plain words, the current one first, signing out
only one's own, and a password change or reset reflected in the list."""
import pytest
from flask_babel import force_locale

from tests.conftest import STUDENT_PASSWORD
from tutor.models import LoginSession, User
from tutor.services import accounts, devices, recovery

ANDROID_CHROME = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like "
                  "Gecko) Chrome/131.0.0.0 Mobile Safari/537.36")
IPHONE_SAFARI = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
                 "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")
WINDOWS_EDGE = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like "
                "Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0")
MAC_FIREFOX = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:133.0) Gecko/20100101 Firefox/133.0"
YANDEX = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/128.0.0.0 YaBrowser/24.10.0.0 Safari/537.36")
LINUX_CHROMIUM = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "Chrome/131.0.0.0 Safari/537.36")


@pytest.mark.parametrize("agent, english, russian", [
    (ANDROID_CHROME, "Chrome on Android", "Chrome на Android"),
    (IPHONE_SAFARI, "Safari on iPhone", "Safari на iPhone"),
    (WINDOWS_EDGE, "Edge on Windows", "Edge на Windows"),
    (MAC_FIREFOX, "Firefox on macOS", "Firefox на macOS"),
    (YANDEX, "Yandex Browser on Windows", "Yandex Browser на Windows"),
    (LINUX_CHROMIUM, "Chrome on Linux", "Chrome на Linux"),
    ("curl/8.5.0", "curl", "curl"),
    ("", "Unknown device", "Неизвестное устройство"),
    ("\x00<script>", "Unknown device", "Неизвестное устройство"),
])
def test_a_device_in_plain_words(app_ctx, agent, english, russian):
    with force_locale("en"):
        assert devices.describe(agent) == english
    with force_locale("ru"):
        assert devices.describe(agent) == russian


@pytest.fixture
def alisa(app_ctx, create_student):
    student = create_student(login="alisa", channel=User.EMAIL, email="alisa@example.org")
    laptop = accounts.start_session(User.get_by_id(student.id), device=MAC_FIREFOX)
    phone = accounts.start_session(User.get_by_id(student.id), device=ANDROID_CHROME)
    return {"laptop": laptop, "phone": phone}


def test_the_current_session_comes_first_and_is_marked(alisa):
    listed = devices.devices_of(alisa["laptop"])
    assert [(d.name, d.current) for d in listed] == [
        ("Firefox на macOS", True), ("Chrome на Android", False)]
    assert [d.current for d in devices.devices_of(alisa["phone"])] == [True, False]


def test_signing_out_one_of_ones_own(alisa):
    other = next(d for d in devices.devices_of(alisa["phone"]) if not d.current)
    devices.sign_out(alisa["phone"], other.id)
    assert User.from_session_id(alisa["laptop"].session_key) is None
    assert User.from_session_id(alisa["phone"].session_key) is not None


def test_another_users_session_is_not_yours(alisa, create_student):
    boris = accounts.start_session(create_student(login="boris"), device=IPHONE_SAFARI)
    [borises] = devices.devices_of(boris)
    with pytest.raises(devices.NotYours):
        devices.sign_out(alisa["phone"], borises.id)
    with pytest.raises(devices.NotYours):
        devices.sign_out(alisa["phone"], 10**9)
    assert User.from_session_id(boris.session_key) is not None
    assert not devices.is_current(alisa["phone"], borises.id)


def test_signing_out_everywhere_else(alisa):
    assert devices.sign_out_others(alisa["phone"]) == 1
    assert [d.name for d in devices.devices_of(alisa["phone"])] == ["Chrome на Android"]
    assert devices.sign_out_others(alisa["phone"]) == 0


def test_a_password_change_or_reset_shows_in_the_list(alisa):
    accounts.change_password(alisa["phone"], STUDENT_PASSWORD, "Новый-пароль-Алисы-2027")
    assert [d.current for d in devices.devices_of(alisa["phone"])] == [True]
    recovery.request_password_reset("alisa", lambda token: f"http://localhost/reset/{token}")
    assert devices.devices_of(alisa["phone"]) == []
    assert not LoginSession.select().exists()
