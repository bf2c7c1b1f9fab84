"""What people see of the outside providers' faults: the teacher's red banner and the
outbox's reasons, a one-time notice to a user whose Telegram was unlinked, and the
e-mail verifier's refusal in the user's own language, asked only for a new address."""
from datetime import datetime

import pytest

from tests.channels_config import EMAIL
from tests.conftest import STUDENT_PASSWORD
from tutor.models import Message, ProviderFault, User
from tutor.services import notify, outbox_faults


@pytest.fixture
def key_refused(app, maria):
    """Mailgun refuses the key: a fault on record and Maria's message waiting on it."""
    with app.app_context():
        message = notify.enqueue(maria, "welcome", key="welcome:maria")
        Message.update(status=Message.CONFIG, fault=outbox_faults.MAILGUN_KEY,
                       last_error="Mailgun answered 401: Forbidden").execute()
        ProviderFault.create(channel=User.EMAIL, code=outbox_faults.MAILGUN_KEY,
                             detail="Mailgun answered 401: Forbidden",
                             since=datetime(2026, 11, 24, 12, 0),
                             probe_at=datetime(2026, 11, 24, 12, 5))
    return message


def test_the_teacher_sees_the_banner_in_their_language(client, auth, teacher, key_refused):
    auth.login()
    page = client.get("/teacher/outbox").text  # Russian, the default
    assert 'class="banner provider-fault' in page and 'role="alert"' in page
    assert "Mailgun отклонил API-ключ: проверьте MAILGUN_API_KEY." in page
    assert "Ответ сервиса: Mailgun answered 401: Forbidden" in page
    assert 'href="/teacher/outbox?status=config"' in page

    client.submit("/language/en")
    page = client.get("/").text
    assert "Messages by e-mail are waiting: the provider refuses the site" in page
    assert "Mailgun refused the API key: check MAILGUN_API_KEY." in page


def test_students_never_see_the_banner(client, auth, teacher, maria, key_refused):
    auth.login("maria", STUDENT_PASSWORD)
    page = client.get("/").text
    assert "provider-fault" not in page and "MAILGUN_API_KEY" not in page


def test_no_fault_no_banner(client, auth, teacher):
    auth.login()
    assert "provider-fault" not in client.get("/teacher/outbox").text


def test_the_outbox_lists_what_waits_for_configuration_and_why(client, auth, teacher,
                                                                key_refused):
    auth.login()
    client.submit("/language/en")
    page = client.get("/teacher/outbox?status=config").text
    assert "waiting for configuration (1)" in page
    assert "maria@example.org" in page
    assert "<strong>Mailgun refused the API key: check MAILGUN_API_KEY.</strong>" in page
    assert "Send again" not in page  # it goes by itself


def test_a_failed_message_shows_its_reason(client, auth, teacher, app, maria):
    with app.app_context():
        notify.enqueue(maria, "welcome", key="welcome:maria")
        Message.update(status=Message.FAILED, fault=outbox_faults.ADDRESS_REFUSED,
                       last_error="Mailgun answered 400: 'to' parameter is not a valid "
                                  "address").execute()
    auth.login()
    page = client.get("/teacher/outbox?status=failed").text
    assert "Адрес получателя отклонён: вероятно, его не существует." in page


def test_an_unlinked_user_is_told_once_on_their_next_page(client, auth, app, create_student):
    create_student(login="tg", channel=User.NO_CHANNEL,
                   telegram_lost_at=datetime(2026, 11, 24, 12, 0))
    client.submit("/language/en")
    auth.login("tg", STUDENT_PASSWORD)
    # A fragment does not use it up: the notice is for a page.
    client.get("/", headers={"HX-Request": "true"})
    page = client.get("/").text
    assert "Telegram notifications are off" in page
    assert "Telegram notifications are off" not in client.get("/").text
    with app.app_context():
        assert User.by_login("tg").telegram_lost_at is None


# --- the e-mail verifier ------------------------------------------------------------

@pytest.fixture
def verifier(app, httpserver):
    app.config.update(EMAIL_VERIFIER_TOKEN="t",
                      EMAIL_VERIFIER_URL=httpserver.url_for("").rstrip("/"))
    return httpserver


def registration(**fields):
    return {"login": "maria", "password": "Северное-сияние-2031",
            "password_confirm": "Северное-сияние-2031", "first_name": "Мария",
            "last_name": "Смирнова", "channel": "email", "email": "maria@mailinator.com",
            "timezone": "Europe/Moscow", "consent": "y", **fields}


@pytest.mark.config(**EMAIL)
@pytest.mark.parametrize("error, text", [
    ({"code": 2, "message": "Disposable mailbox"},
     "Адреса одноразовых почтовых ящиков не принимаются"),
    ({"code": 7, "message": "MX record not found for domain"},
     "На этот адрес нельзя доставить почту: ящика или его домена не существует"),
    ({"code": 99, "message": "Rejected"}, "На этот адрес невозможно доставить почту. Проверьте его."),
])
def test_the_verifiers_refusal_is_in_our_words(client, verifier, error, text):
    verifier.expect_request("/verify/maria@mailinator.com").respond_with_json(
        {"status": False, "error": error})
    response = client.submit("/register", registration(), page="/register")
    assert text in response.text
    assert error["message"] not in response.text  # the service's English stays out


@pytest.mark.config(**EMAIL)
def test_saving_notifications_does_not_verify_an_unchanged_address(client, auth, maria, app,
                                                                   verifier):
    auth.login("maria", STUDENT_PASSWORD)
    response = client.submit("/account/notifications", {
        "channel": "email", "email": "Maria@Example.org", "digest_time": "08:00",
        "reminder_hours": "24"}, page="/account")
    assert response.status_code == 302
    assert verifier.log == []  # not asked
    with app.app_context():
        assert User.by_login("maria").reminder_hours == 24

    verifier.expect_request("/verify/new@example.org").respond_with_json(
        {"status": True, "email": "new@example.org", "domain": "example.org"})
    client.submit("/account/notifications", {"channel": "email", "email": "new@example.org",
                                             "reminder_hours": "24"}, page="/account")
    assert [request.path for request, _ in verifier.log] == ["/verify/new@example.org"]
