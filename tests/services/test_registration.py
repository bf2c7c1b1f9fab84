"""Registration and the checks it shares with the profile, without the web layer."""
import logging
from datetime import time

import pytest

from tutor.models import Goal, InboxItem, Message, User
from tutor.services import accounts, email_addresses
from tutor.services.passwords import verify_password

GOOD_PASSWORD = "Ледокол-Красин-1917"


def registration(**changes):
    fields = dict(first_name="Мария", last_name="Смирнова", login="Maria.S",
                  password=GOOD_PASSWORD, channel=User.EMAIL, email="maria@example.org",
                  digest_time=time(7, 30), timezone="Asia/Yekaterinburg", locale="ru")
    fields.update(changes)
    return accounts.Registration(**fields)


def test_a_student_is_created_with_everything_given(app_ctx):
    goal = Goal.create(name="ЕГЭ по математике")
    user = accounts.register_student(registration(goal_id=goal.id))
    assert user.role == User.STUDENT
    assert user.login == "maria.s"
    assert verify_password(user.password_hash, GOOD_PASSWORD)
    assert (user.channel, user.email, user.digest_time) == (User.EMAIL, "maria@example.org",
                                                            time(7, 30))
    assert user.goal_id == goal.id
    assert user.timezone == "Asia/Yekaterinburg"
    assert user.last_login_at is not None


def test_the_welcome_message_is_written_once_in_the_users_language(app_ctx):
    user = accounts.register_student(registration(locale="en"))
    message = Message.get(Message.user == user)
    assert (message.kind, message.channel, message.address) == ("welcome", "email",
                                                                 "maria@example.org")
    assert message.locale == "en"
    assert message.subject == "Your account has been created"
    assert "maria.s" in message.body_text and "maria.s" in message.body_html
    assert message.status == Message.PENDING
    assert Message.select().count() == 1


def test_opting_out_keeps_messages_in_the_app_and_no_address(app_ctx):
    user = accounts.register_student(registration(channel=User.NO_CHANNEL))
    assert user.channel == User.NO_CHANNEL
    assert user.email is None and user.digest_time is None
    # The welcome waits in the inbox; nothing is addressed outside.
    [welcome] = Message.select()
    assert (welcome.kind, welcome.status, welcome.address) == ("welcome", Message.HELD, None)
    assert InboxItem.get(InboxItem.user == user).kind == "welcome"


def test_telegram_students_wait_for_the_chat_link(app_ctx):
    user = accounts.register_student(registration(channel=User.TELEGRAM))
    assert user.email is None
    message = Message.get(Message.user == user)
    assert message.channel == User.TELEGRAM and message.address is None


def test_a_duplicate_login_is_refused_and_nothing_is_written(app_ctx, create_student):
    create_student(login="maria.s")
    with pytest.raises(accounts.LoginTaken):
        accounts.register_student(registration(login=" MARIA.S "))
    assert User.select().count() == 1
    assert Message.select().count() == 0


def test_a_duplicate_email_is_refused(app_ctx, create_student):
    create_student(email="maria@example.org", channel=User.EMAIL)
    with pytest.raises(accounts.EmailTaken):
        accounts.register_student(registration())
    assert User.select().count() == 1


@pytest.mark.parametrize("login", ["ab", "-maria", "мария", "maria smirnova", "a" * 33, ""])
def test_malformed_logins_are_refused(app_ctx, login):
    with pytest.raises(accounts.InvalidLogin):
        accounts.register_student(registration(login=login))


@pytest.mark.parametrize("password", ["qwerty123", "maria.s2024", "Smirnova1", "password"])
def test_weak_and_personal_passwords_are_refused_with_advice(app_ctx, password):
    with pytest.raises(accounts.WeakPassword) as caught:
        accounts.register_student(registration(password=password))
    assert caught.value.strength.score < 3
    assert caught.value.strength.advice
    assert User.select().count() == 0


def test_long_passwords_are_kept_whole(app_ctx):
    long_password = "горы " * 20 + "и море"  # 106 characters
    user = accounts.register_student(registration(password=long_password))
    assert verify_password(user.password_hash, long_password)
    assert not verify_password(user.password_hash, long_password[:-1] + "Е")


def test_a_retired_goal_cannot_be_picked(app_ctx):
    retired = Goal.create(name="Старый курс", retired=True)
    user = accounts.register_student(registration(goal_id=retired.id))
    assert user.goal_id is None


def test_an_unknown_time_zone_falls_back_to_the_teachers(app_ctx):
    user = accounts.register_student(registration(timezone="Mars/Olympus"))
    assert user.timezone is None


# --- e-mail checks against a fake verifier speaking the real format ------------------

@pytest.fixture
def verifier(app, httpserver):
    app.config["EMAIL_VERIFIER_TOKEN"] = "verifier-token"
    app.config["EMAIL_VERIFIER_URL"] = httpserver.url_for("").rstrip("/")
    return httpserver


def test_without_a_token_only_the_syntax_is_checked(app_ctx):
    assert email_addresses.check_email_address("  Maria@Example.ORG ") == "maria@example.org"
    with pytest.raises(email_addresses.EmailMalformed):
        email_addresses.check_email_address("maria@")


def test_the_verifier_accepts_an_address(app_ctx, verifier):
    verifier.expect_request("/verify/maria@example.org",
                            query_string={"token": "verifier-token"}).respond_with_json(
        {"status": True, "email": "maria@example.org", "domain": "example.org"})
    assert email_addresses.check_email_address("maria@example.org") == "maria@example.org"


def test_the_verifier_refuses_an_address_with_its_reason(app_ctx, verifier):
    verifier.expect_request("/verify/temp@mailinator.com").respond_with_json(
        {"status": False, "error": {"code": 2, "message": "Disposable email address"}})
    with pytest.raises(email_addresses.EmailRejected) as caught:
        email_addresses.check_email_address("temp@mailinator.com")
    assert caught.value.reason == "Disposable email address"
    assert caught.value.kind == "disposable"  # the page says it in our words


def test_a_verifier_outage_falls_back_to_syntax_and_is_logged(app_ctx, verifier, caplog):
    verifier.expect_request("/verify/maria@example.org").respond_with_data("down", status=503)
    with caplog.at_level(logging.WARNING):
        assert email_addresses.check_email_address("maria@example.org") == "maria@example.org"
    assert "verifier unavailable" in caplog.text


def test_a_malformed_address_never_reaches_the_verifier(app_ctx, verifier):
    with pytest.raises(email_addresses.EmailMalformed):
        email_addresses.check_email_address("not an address")
    assert verifier.log == []
