"""Password recovery, profile changes and deactivation, without the web layer."""
from datetime import time

import pytest

from tutor.models import LoginSession, Message, User
from tutor.services import accounts, recovery
from tutor.services.passwords import verify_password

NEW_PASSWORD = "Северное-сияние-2031"


def link_for(token):
    return f"http://tutor.test/reset/{token}"


@pytest.fixture
def maria(app, create_student):
    """Maria, logged in on one device (the object carries that session's key)."""
    student = create_student(login="maria", first_name="Мария", last_name="Смирнова",
                             channel=User.EMAIL, email="maria@example.org",
                             telegram_username="maria_tg", digest_time=time(8, 0))
    with app.app_context():
        return accounts.start_session(student, "Firefox")


@pytest.mark.parametrize("identifier", ["maria", " MARIA ", "maria@example.org",
                                        "Maria@Example.org", "maria_tg", "@maria_tg"])
def test_a_reset_link_goes_to_the_users_channel(app_ctx, maria, identifier):
    recovery.request_password_reset(identifier, link_for)
    message = Message.get(Message.kind == "password_reset")
    assert message.address == "maria@example.org"
    assert "http://tutor.test/reset/" in message.body_text
    assert not LoginSession.of(maria).exists()


@pytest.mark.parametrize("identifier", ["nobody", "", "someone@example.org"])
def test_unknown_identifiers_change_nothing(app_ctx, maria, identifier):
    recovery.request_password_reset(identifier, link_for)
    assert Message.select().count() == 0
    assert LoginSession.of(maria).count() == 1


def test_a_user_without_notifications_gets_nothing(app_ctx, create_student):
    quiet = create_student(login="quiet", channel=User.NO_CHANNEL)
    accounts.start_session(quiet)
    recovery.request_password_reset("quiet", link_for)
    assert Message.select().count() == 0
    assert LoginSession.of(quiet).count() == 1


def _token_from_outbox():
    body = Message.select().where(Message.kind == "password_reset").order_by(
        Message.id.desc()).get().body_text
    return body.split("http://tutor.test/reset/")[1].split()[0]


def test_the_link_sets_the_password_once(app_ctx, maria):
    recovery.request_password_reset("maria", link_for)
    token = _token_from_outbox()
    user = recovery.reset_password(token, NEW_PASSWORD)
    assert verify_password(user.password_hash, NEW_PASSWORD)
    with pytest.raises(recovery.InvalidResetLink):
        recovery.reset_password(token, "Другой-пароль-на-завтра-7")


def test_the_link_expires_after_an_hour(app_ctx, maria, time_machine):
    time_machine.move_to("2026-11-24 10:00:00+00:00", tick=False)
    recovery.request_password_reset("maria", link_for)
    token = _token_from_outbox()
    time_machine.move_to("2026-11-24 10:59:00+00:00", tick=False)
    assert recovery.user_for_reset_token(token).id == maria.id
    time_machine.move_to("2026-11-24 11:00:02+00:00", tick=False)
    with pytest.raises(recovery.InvalidResetLink):
        recovery.reset_password(token, NEW_PASSWORD)


def test_only_the_newest_link_works(app_ctx, maria):
    recovery.request_password_reset("maria", link_for)
    older = _token_from_outbox()
    recovery.request_password_reset("maria", link_for)
    newer = _token_from_outbox()
    assert older != newer
    with pytest.raises(recovery.InvalidResetLink):
        recovery.user_for_reset_token(older)
    assert recovery.user_for_reset_token(newer).id == maria.id


@pytest.mark.parametrize("token", ["", "garbage", "eyJpZCI6MX0.bad.sig"])
def test_forged_links_are_refused(app_ctx, maria, token):
    with pytest.raises(recovery.InvalidResetLink):
        recovery.user_for_reset_token(token)


def test_a_weak_new_password_keeps_the_link_usable(app_ctx, maria):
    recovery.request_password_reset("maria", link_for)
    token = _token_from_outbox()
    with pytest.raises(accounts.WeakPassword):
        recovery.reset_password(token, "maria123")
    assert recovery.reset_password(token, NEW_PASSWORD).id == maria.id


def test_changing_the_login_tells_the_user(app_ctx, maria):
    user = accounts.update_profile(maria, first_name="Мария", last_name="Иванова",
                                   login="Maria.I", goal_id=None, timezone="Europe/Samara",
                                   locale="en")
    assert (user.login, user.last_name, user.timezone, user.locale) == (
        "maria.i", "Иванова", "Europe/Samara", "en")
    notice = Message.get(Message.kind == "login_changed")
    assert "maria" in notice.body_text and "maria.i" in notice.body_text
    assert notice.locale == "en"


def test_a_taken_login_is_refused(app_ctx, maria, create_student):
    create_student(login="taken")
    with pytest.raises(accounts.LoginTaken):
        accounts.update_profile(maria, first_name="М", last_name="С", login="taken",
                                goal_id=None, timezone=None, locale="ru")
    assert User.get_by_id(maria.id).login == "maria"


def test_changing_the_password_needs_the_current_one(app_ctx, maria):
    here = maria.session_key
    elsewhere = accounts.start_session(User.get_by_id(maria.id)).session_key
    with pytest.raises(accounts.WrongCurrentPassword):
        accounts.change_password(maria, "wrong", NEW_PASSWORD)
    assert LoginSession.of(maria).count() == 2
    user = accounts.change_password(maria, "Student-test-password-1", NEW_PASSWORD)
    assert verify_password(user.password_hash, NEW_PASSWORD)
    # This session stays, the other one ends.
    assert User.from_session_id(here) == maria and User.from_session_id(elsewhere) is None
    assert Message.get(Message.kind == "password_changed").address == "maria@example.org"


def test_a_new_channel_is_announced_on_the_old_one(app_ctx, maria):
    accounts.change_notifications(maria, channel=User.TELEGRAM, email=None,
                                  digest_time=time(9, 0))
    notice = Message.get(Message.kind == "channel_changed")
    assert (notice.channel, notice.address) == (User.EMAIL, "maria@example.org")
    user = User.get_by_id(maria.id)
    assert (user.channel, user.email, user.digest_time) == (User.TELEGRAM, None, time(9, 0))


def test_turning_notifications_off(app_ctx, maria):
    user = accounts.change_notifications(maria, channel=User.NO_CHANNEL, email=None,
                                         digest_time=time(9, 0))
    assert (user.channel, user.digest_time) == (User.NO_CHANNEL, None)
    assert Message.get(Message.kind == "channel_changed").address == "maria@example.org"


def test_an_email_of_another_account_is_refused(app_ctx, maria, create_student):
    other = create_student(login="other", channel=User.NO_CHANNEL)
    with pytest.raises(accounts.EmailTaken):
        accounts.change_notifications(other, channel=User.EMAIL, email="maria@example.org",
                                      digest_time=None)


def test_deactivation_and_reactivation(app_ctx, maria):
    accounts.start_session(User.get_by_id(maria.id), "phone")
    accounts.deactivate(maria)
    assert User.get_by_id(maria.id).inactive_since is not None
    assert not LoginSession.of(maria).exists()  # logged out on every device
    user = accounts.authenticate("maria", "Student-test-password-1")
    assert user.inactive_since is None
