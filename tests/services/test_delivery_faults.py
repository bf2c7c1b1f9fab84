"""Faults of the outside providers are held, not dropped: a configuration the provider
refuses (Mailgun key or domain, SMTP login, Telegram token) holds the channel's
messages until a probe goes out; a user who blocked the bot is moved to the app; a
message refused for good is told to the teacher. Over real HTTP/SMTP to local fakes."""
from datetime import datetime, timedelta

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.fake_telegram import FakeTelegram
from tutor.models import InboxItem, Message, ProviderFault, User
from tutor.services import delivery, notify, outbox, outbox_backends, outbox_faults

NOW = datetime(2026, 11, 24, 12, 0)
PROBE = timedelta(seconds=300)


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def telegram(app, httpserver):
    fake = FakeTelegram(httpserver)
    app.config.update(TELEGRAM_BOT_TOKEN=fake.token, TELEGRAM_API_URL=fake.url)
    return fake


def welcome(user, n=0):
    return notify.enqueue(user, "welcome", key=f"welcome:{user.id}:{n}")


def fresh(message):
    return Message.get_by_id(message.id)


def statuses():
    return sorted(m.status for m in Message.select())


# --- configuration faults -----------------------------------------------------------

@pytest.mark.parametrize("break_it, reason", [
    (lambda fake: setattr(fake, "api_key", "key-other"), outbox_faults.MAILGUN_KEY),
    (lambda fake: setattr(fake, "domains", {"other.example.com"}), outbox_faults.MAILGUN_DOMAIN),
])
def test_a_refused_mailgun_configuration_holds_and_resumes(app_ctx, maria, fake_mailgun,
                                                           time_machine, break_it, reason):
    good_key, good_domains = fake_mailgun.api_key, set(fake_mailgun.domains)
    break_it(fake_mailgun)
    first = welcome(maria)

    report = delivery.deliver_due()
    held = fresh(first)
    assert (report.waiting, report.failed, report.retried) == (1, 0, 0)
    assert held.status == Message.CONFIG and held.attempts == 0 and held.fault == reason
    fault = ProviderFault.get(ProviderFault.channel == User.EMAIL)
    assert fault.code == reason and fault.since == NOW and fault.probe_at == NOW + PROBE
    assert ("Forbidden" if reason == outbox_faults.MAILGUN_KEY else "Domain not found") in fault.detail

    # What comes meanwhile waits with it, without asking Mailgun again.
    second = welcome(maria, 1)
    calls = fake_mailgun.calls
    assert delivery.deliver_due().sent == 0
    assert fake_mailgun.calls == calls
    assert fresh(second).status == Message.CONFIG and fresh(second).attempts == 0

    # A probe a few minutes later, one message: still refused.
    time_machine.move_to(NOW + PROBE, tick=False)
    assert delivery.deliver_due().waiting == 1
    assert fake_mailgun.calls == calls + 1
    assert statuses() == [Message.CONFIG] * 2
    assert fresh(first).attempts == 0  # attempts not burnt

    # Fixed: the next probe goes out, and every waiting message with it.
    fake_mailgun.api_key, fake_mailgun.domains = good_key, good_domains
    time_machine.move_to(NOW + 2 * PROBE, tick=False)
    report = delivery.deliver_due()
    assert report.sent == 2
    assert statuses() == [Message.SENT] * 2
    assert not ProviderFault.select().exists()
    assert sorted(fake_mailgun.delivered_to()) == ["maria@example.org"] * 2
    assert {fresh(first).fault, fresh(second).fault} == {""}


def test_a_probe_is_not_tried_before_its_time(app_ctx, maria, fake_mailgun, time_machine):
    fake_mailgun.api_key = "revoked"
    welcome(maria)
    delivery.deliver_due()
    for seconds in (60, 120, 299):
        time_machine.move_to(NOW + timedelta(seconds=seconds), tick=False)
        delivery.deliver_due()
    assert fake_mailgun.calls == 1


def test_a_password_reset_is_held_not_lost(app_ctx, maria, fake_mailgun, time_machine):
    fake_mailgun.api_key = "revoked"
    reset = notify.enqueue(maria, "password_reset", {"link": "https://t.example/r/x",
                                                     "hours": 2}, key="reset:1")
    delivery.deliver_due()
    assert fresh(reset).status == Message.CONFIG
    fake_mailgun.api_key = "key-1"
    time_machine.move_to(NOW + PROBE, tick=False)
    assert delivery.deliver_due().sent == 1
    assert fresh(reset).status == Message.SENT


def test_the_probe_clears_the_fault_when_only_the_address_is_refused(app_ctx, create_student,
                                                                    fake_mailgun, time_machine):
    bad = create_student(login="bad", channel=User.EMAIL, email="nobody@example.org")
    good = create_student(login="good", channel=User.EMAIL, email="good@example.org")
    fake_mailgun.api_key = "revoked"
    first, second = welcome(bad), welcome(good)
    delivery.deliver_due()
    fake_mailgun.api_key, fake_mailgun.bounce = "key-1", {"nobody@example.org"}
    time_machine.move_to(NOW + PROBE, tick=False)
    delivery.deliver_due()
    assert fresh(first).status == Message.FAILED  # the key works: the address is wrong
    assert fresh(second).status == Message.SENT


class LoginRefused:
    def __init__(self):
        self.messages = 0

    async def handle_DATA(self, server, session, envelope):
        self.messages += 1
        return "250 Message accepted for delivery"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        return AuthResult(success=auth_data == LoginPassword(b"tutor", b"right"),
                          handled=False)


class LocalController(Controller):
    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


def test_an_smtp_login_refused_holds_and_resumes(app, app_ctx, maria, time_machine):
    server = LoginRefused()
    controller = LocalController(server, hostname="127.0.0.1", port=0,
                                 server_hostname="smtp.test", auth_require_tls=False,
                                 authenticator=server.authenticate)
    controller.start()
    try:
        app.config.update(EMAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1",
                          SMTP_PORT=controller.port, SMTP_SECURITY="none",
                          SMTP_USERNAME="tutor", SMTP_PASSWORD="wrong")
        message = welcome(maria)
        assert delivery.deliver_due().waiting == 1
        held = fresh(message)
        assert (held.status, held.fault, held.attempts) == (Message.CONFIG, outbox_faults.SMTP_AUTH, 0)
        assert "535" in held.last_error
        app.config["SMTP_PASSWORD"] = "right"  # the teacher fixed the setting
        time_machine.move_to(NOW + PROBE, tick=False)
        assert delivery.deliver_due().sent == 1
    finally:
        controller.stop()
    assert server.messages == 1
    assert not ProviderFault.select().exists()


def test_a_refused_bot_token_holds_telegram_only(app_ctx, create_student, maria, fake_mailgun,
                                                 telegram, time_machine):
    student = create_student(login="tg", channel=User.TELEGRAM, telegram_chat_id="4242")
    telegram.token = "123456789:revoked"
    by_telegram, by_email = welcome(student), welcome(maria)
    delivery.deliver_due()
    assert fresh(by_telegram).status == Message.CONFIG
    assert fresh(by_telegram).fault == outbox_faults.TELEGRAM_TOKEN
    assert fresh(by_email).status == Message.SENT  # e-mail is not affected
    assert [f.channel for f in ProviderFault.select()] == [User.TELEGRAM]
    telegram.token = outbox_backends.bot().token
    time_machine.move_to(NOW + PROBE, tick=False)
    assert delivery.deliver_due().sent == 1
    assert telegram.texts("4242")


# --- the recipient is gone ----------------------------------------------------------

@pytest.mark.parametrize("where, reason", [("blocked", outbox_faults.BLOCKED),
                                           ("deactivated", outbox_faults.DEACTIVATED)])
def test_a_blocked_bot_unlinks_the_chat_and_stops_sending(app_ctx, create_student, telegram,
                                                          where, reason):
    student = create_student(login="tg", channel=User.TELEGRAM, telegram_chat_id="4242",
                             locale="ru")
    getattr(telegram, where).add("4242")
    first, second = welcome(student), welcome(student, 1)

    delivery.deliver_due()

    user = User.get_by_id(student.id)
    assert user.telegram_chat_id is None and user.channel == User.NO_CHANNEL
    assert user.telegram_lost_at == NOW
    for message in (first, second):
        kept = fresh(message)
        assert kept.status == Message.HELD and kept.fault == reason
        assert kept.channel == User.NO_CHANNEL and kept.address is None
    # Nothing more goes to that chat: one request, for the first message.
    assert len([r for r in telegram.sent]) == 0
    assert delivery.deliver_due().sent == 0
    # The user is told in the app, in their language.
    notice = InboxItem.get((InboxItem.user == student.id)
                           & (InboxItem.kind == "telegram_unlinked"))
    assert "Telegram" in notice.subject and "уведомления" in notice.subject.lower()


def test_a_chat_that_was_linked_again_meanwhile_stays_linked(app_ctx, create_student,
                                                             telegram):
    student = create_student(login="tg", channel=User.TELEGRAM, telegram_chat_id="4242")
    telegram.blocked.add("4242")
    message = welcome(student)
    User.update(telegram_chat_id="5555").where(User.id == student.id).execute()
    delivery.deliver_due()
    assert fresh(message).status == Message.HELD
    user = User.get_by_id(student.id)
    assert user.telegram_chat_id == "5555" and user.channel == User.TELEGRAM


# --- refused for good ---------------------------------------------------------------

def test_a_refused_address_is_told_to_the_teacher_once(app_ctx, teacher, maria, fake_mailgun,
                                                       time_machine):
    User.update(locale="ru", channel=User.NO_CHANNEL).where(User.id == teacher.id).execute()
    fake_mailgun.bounce.add("maria@example.org")
    message = welcome(maria)

    assert delivery.deliver_due().failed == 1
    failed = fresh(message)
    assert (failed.status, failed.fault) == (Message.FAILED, outbox_faults.ADDRESS_REFUSED)
    assert "not a valid address" in failed.last_error

    notices = list(InboxItem.select().where(InboxItem.kind == outbox_faults.FAILURE_NOTICE))
    assert len(notices) == 1 and notices[0].user_id == teacher.id
    assert "Мария" in notices[0].subject
    assert "адрес получателя отклонён" in notices[0].body_text.lower()
    assert notices[0].link == "/teacher/outbox?status=failed"

    # Sent again and refused again: still one notice for that message.
    assert outbox.retry(message.id)
    delivery.deliver_due()
    assert InboxItem.select().where(InboxItem.kind == outbox_faults.FAILURE_NOTICE).count() == 1


def test_giving_up_is_told_to_the_teacher(app, app_ctx, teacher, maria, fake_mailgun, time_machine):
    app.config["OUTBOX_MAX_ATTEMPTS"] = 1
    fake_mailgun.outage = 5
    welcome(maria)
    assert delivery.deliver_due().failed == 1
    notice = InboxItem.get(InboxItem.kind == outbox_faults.FAILURE_NOTICE)
    assert notice.user_id == teacher.id


def test_a_failed_failure_notice_is_not_reported_again(app_ctx, teacher, maria, fake_mailgun):
    User.update(channel=User.EMAIL, email="teacher@broken.example").where(
        User.id == teacher.id).execute()
    fake_mailgun.bounce.update({"maria@example.org", "teacher@broken.example"})
    welcome(maria)
    delivery.deliver_due()  # maria's fails; the teacher's notice is written
    delivery.deliver_due()  # the notice fails too
    kinds = [m.kind for m in Message.select().order_by(Message.id)]
    assert kinds == ["welcome", outbox_faults.FAILURE_NOTICE]
    assert statuses() == [Message.FAILED] * 2
