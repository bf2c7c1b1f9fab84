"""Attempts whose outcome is unknown — the worker died after calling the provider, or
no answer came — against local fakes speaking Mailgun's, Telegram's and SMTP's real
formats: the attempt is on record before the provider is called, Mailgun is asked
before a message goes again, Telegram resumes after the last part it confirmed, and
the same Message-Id goes out on every attempt."""
import email
import json
import threading
from datetime import datetime, timedelta
from email.policy import default

import pytest
from aiosmtpd.controller import Controller
from werkzeug import Response

from tests.fake_mailgun import LOGS, asked_message_id, logs_page
from tutor.integrations.telegram import split_message
from tutor.models import Message, User
from tutor.services import delivery, notify, outbox_backends

NOW = datetime(2026, 11, 24, 12, 0)
DOMAIN = "mg.example.com"
MESSAGES = f"/v3/{DOMAIN}/messages"
EVENTS = LOGS  # Mailgun's Logs API, which replaced its events API
SETTLE = timedelta(seconds=1800)


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)


def welcome(user):
    return notify.enqueue(user, "welcome", key=f"welcome:{user.id}")


def fresh(message):
    return Message.get_by_id(message.id)


def queued(request):
    return Response(json.dumps({"id": request.form["h:Message-Id"],
                                "message": "Queued. Thank you."}),
                    content_type="application/json")


def events(*message_ids):
    """Mailgun's Logs API answering with an "accepted" event for each id."""
    return logs_page(*message_ids, domain=DOMAIN)


def requests_to(server, path):
    return [request for request, _ in server.log if request.path == path]


def crash_mid_send(message, time_machine):
    """What a worker killed after calling the provider leaves: a claim, and nothing
    else. Then its lease runs out."""
    assert delivery._claim(message, NOW)
    time_machine.move_to(NOW + delivery.lease(), tick=False)


def test_the_attempt_is_on_record_before_mailgun_is_called(app, app_ctx, maria, mailgun):
    seen = {}

    def look_then_queue(request):
        # Another connection, as another process would see it: committed rows only.
        with app.app_context():
            row = Message.get(Message.idempotency_key == f"welcome:{maria.id}")
            seen.update(status=row.status, started=row.attempt_started_at,
                        attempts=row.attempts)
            Message._meta.database.close()
        return queued(request)

    mailgun.expect_request(MESSAGES, method="POST").respond_with_handler(look_then_queue)
    message = welcome(maria)
    assert delivery.deliver_due().sent == 1
    assert seen == {"status": Message.SENDING, "started": NOW, "attempts": 1}
    after = fresh(message)
    assert after.attempt_started_at is None
    assert after.provider_ids == outbox_backends.email_message_id(message)


def test_every_attempt_carries_the_same_message_id(app_ctx, maria, mailgun, time_machine):
    answers = iter([Response("upstream down", status=503), None])
    mailgun.expect_request(MESSAGES, method="POST").respond_with_handler(
        lambda request: next(answers) or queued(request))
    message = welcome(maria)
    assert delivery.deliver_due().retried == 1
    assert fresh(message).attempt_started_at is None  # a 503: Mailgun did not take it
    time_machine.move_to(fresh(message).next_attempt_at, tick=False)
    assert delivery.deliver_due().sent == 1

    ids = [request.form["h:Message-Id"] for request in requests_to(mailgun, MESSAGES)]
    expected = outbox_backends.email_message_id(message)
    assert ids == [expected, expected]
    assert expected.startswith(f"<outbox.{message.id}.") and expected.endswith(f"@{DOMAIN}>")
    assert requests_to(mailgun, EVENTS) == []  # nothing was in doubt


def test_message_ids_differ_between_messages_and_databases(app_ctx, maria, create_student):
    other = create_student(login="other", channel=User.EMAIL, email="other@example.org")
    first, second = welcome(maria), welcome(other)
    assert outbox_backends.email_message_id(first) != outbox_backends.email_message_id(second)
    # Another database's row with the same id, written at another moment.
    Message.update(created_at=NOW - timedelta(days=3)).where(Message.id == first.id).execute()
    assert outbox_backends.email_message_id(fresh(first)) != outbox_backends.email_message_id(first)


def test_an_attempt_in_doubt_that_mailgun_accepted_is_not_sent_again(app_ctx, maria, mailgun,
                                                                     time_machine):
    message = welcome(maria)
    message_id = outbox_backends.email_message_id(message)
    mailgun.expect_request(EVENTS, method="POST").respond_with_json(events(message_id))
    crash_mid_send(message, time_machine)

    report = delivery.deliver_due()

    assert (report.sent, report.recovered) == (1, 1)
    assert requests_to(mailgun, MESSAGES) == []
    lookup = requests_to(mailgun, EVENTS)[0]
    assert asked_message_id(lookup) == message_id.strip("<>")
    assert lookup.get_json()["events"] == ["accepted"]
    # From a little before the attempt in doubt began.
    assert lookup.get_json()["start"] == "Tue, 24 Nov 2026 11:55:00 -0000"
    assert lookup.authorization.username == "api" and lookup.authorization.password == "key-1"
    after = fresh(message)
    assert after.status == Message.SENT and after.provider_ids == message_id
    assert after.attempt_started_at is None


def test_an_event_about_another_message_does_not_count(app_ctx, maria, mailgun, time_machine):
    message = welcome(maria)
    mailgun.expect_request(EVENTS, method="POST").respond_with_json(
        events("<outbox.999.abc@mg.example.com>"))
    crash_mid_send(message, time_machine)
    assert delivery.deliver_due().recovered == 0
    assert fresh(message).status == Message.PENDING


def test_an_attempt_in_doubt_waits_for_mailguns_events_and_then_goes_once(
        app_ctx, maria, mailgun, time_machine):
    mailgun.expect_request(EVENTS, method="POST").respond_with_json(events())
    mailgun.expect_request(MESSAGES, method="POST").respond_with_handler(queued)
    message = welcome(maria)
    crash_mid_send(message, time_machine)

    report = delivery.deliver_due()
    waiting = fresh(message)
    assert (report.sent, report.retried) == (0, 1)
    assert requests_to(mailgun, MESSAGES) == []
    assert waiting.status == Message.PENDING
    assert waiting.next_attempt_at == NOW + SETTLE  # events are indexed late
    assert waiting.attempt_started_at == NOW and waiting.attempts == 1
    assert "earlier attempt" in waiting.last_error
    assert delivery.deliver_due().retried == 0  # not before then

    time_machine.move_to(NOW + SETTLE, tick=False)
    assert delivery.deliver_due().sent == 1
    assert len(requests_to(mailgun, MESSAGES)) == 1
    assert len(requests_to(mailgun, EVENTS)) == 2
    assert fresh(message).attempts == 2


def test_a_gateway_timeout_leaves_the_attempt_in_doubt(app_ctx, maria, mailgun, time_machine):
    answers = iter([Response("<html>504 Gateway Time-out</html>", status=504), None])
    mailgun.expect_request(MESSAGES, method="POST").respond_with_handler(
        lambda request: next(answers) or queued(request))
    message = welcome(maria)
    assert delivery.deliver_due().retried == 1
    assert fresh(message).attempt_started_at == NOW

    # Mailgun had taken it after all: the retry finds it and sends nothing.
    mailgun.expect_request(EVENTS, method="POST").respond_with_json(
        events(outbox_backends.email_message_id(message)))
    time_machine.move_to(fresh(message).next_attempt_at, tick=False)
    assert delivery.deliver_due().recovered == 1
    assert len(requests_to(mailgun, MESSAGES)) == 1


def test_mailgun_events_unreachable_keeps_the_doubt(app_ctx, maria, mailgun, time_machine):
    mailgun.expect_request(EVENTS, method="POST").respond_with_json(
        {"message": "Internal Server Error"}, status=500)
    message = welcome(maria)
    crash_mid_send(message, time_machine)

    assert delivery.deliver_due().retried == 1
    after = fresh(message)
    assert after.status == Message.PENDING
    assert after.attempt_started_at == NOW  # the attempt in doubt, not the look
    assert "could not ask Mailgun" in after.last_error
    assert requests_to(mailgun, MESSAGES) == []


def test_two_workers_never_claim_the_same_message(app, app_ctx, maria):
    message = welcome(maria)
    start = threading.Barrier(6)
    won = []

    def worker():
        with app.app_context():
            start.wait(10)
            if delivery._claim(message, NOW):
                won.append(threading.get_ident())
            Message._meta.database.close()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(won) == 1
    assert fresh(message).attempts == 1


def test_a_worker_that_lost_its_lease_does_not_undo_a_send(app_ctx, maria, time_machine):
    message = welcome(maria)
    slow, _ = delivery._claim(message, NOW)  # this worker stalls past its lease
    time_machine.move_to(NOW + delivery.lease(), tick=False)
    assert delivery.deliver_due().sent == 1  # another worker (console backend) sends it
    delivery._finish(slow, Message.PENDING, error="timed out", next_attempt_at=NOW)
    assert fresh(message).status == Message.SENT


# --- Telegram -----------------------------------------------------------------------

@pytest.fixture
def telegram(app, httpserver):
    app.config.update(TELEGRAM_BOT_TOKEN="123:ABC",
                      TELEGRAM_API_URL=httpserver.url_for("").rstrip("/"))
    return httpserver


def test_telegram_resumes_after_the_last_part_it_confirmed(app_ctx, create_student, telegram,
                                                           time_machine):
    student = create_student(login="tg", channel=User.TELEGRAM, telegram_chat_id="4242")
    message = welcome(student)
    Message.update(body_text="\n".join(f"Строка {n}: " + "текст " * 15 for n in range(100))
                   ).where(Message.id == message.id).execute()
    parts = split_message(outbox_backends.telegram_text(fresh(message)))
    assert len(parts) == 3
    texts, answers = [], iter([None, "flood", None, None])

    def send_message(request):
        text = request.get_json()["text"]
        if next(answers) == "flood":
            return Response(json.dumps({"ok": False, "error_code": 429,
                                        "description": "Too Many Requests: retry after 5",
                                        "parameters": {"retry_after": 5}}),
                            status=429, content_type="application/json")
        texts.append(text)
        return Response(json.dumps({"ok": True, "result": {
            "message_id": 100 + len(texts), "date": 0, "chat": {"id": 4242}, "text": text}}),
            content_type="application/json")

    telegram.expect_request("/bot123:ABC/sendMessage").respond_with_handler(send_message)
    assert delivery.deliver_due().retried == 1
    halfway = fresh(message)
    assert (halfway.parts_sent, halfway.provider_ids) == (1, "101")

    time_machine.move_to(halfway.next_attempt_at, tick=False)
    assert delivery.deliver_due().sent == 1
    assert texts == parts  # each part once, in order
    done = fresh(message)
    assert (done.parts_sent, done.provider_ids) == (3, "101,102,103")


# --- SMTP ---------------------------------------------------------------------------

class LocalController(Controller):
    """aiosmtpd's Controller on a port the system picks."""

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class FirstRefused:
    """Refuses the first message with 451 and takes the rest; keeps every Message-ID."""

    def __init__(self):
        self.message_ids = []

    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.content, policy=default)
        self.message_ids.append(parsed["Message-ID"])
        if len(self.message_ids) == 1:
            return "451 Try again later"
        return "250 Message accepted for delivery"


def test_smtp_sends_the_same_message_id_again(app, app_ctx, maria, time_machine):
    handler = FirstRefused()
    controller = LocalController(handler, hostname="127.0.0.1", port=0,
                                 server_hostname="smtp.test")
    controller.start()
    try:
        app.config.update(EMAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1",
                          SMTP_PORT=controller.port, SMTP_SECURITY="none",
                          EMAIL_FROM="Репетитор <no-reply@tutor.example.com>")
        message = welcome(maria)
        assert delivery.deliver_due().retried == 1
        time_machine.move_to(fresh(message).next_attempt_at, tick=False)
        assert delivery.deliver_due().sent == 1
    finally:
        controller.stop()
    expected = outbox_backends.email_message_id(message)
    assert handler.message_ids == [expected, expected]
    assert expected.endswith("@tutor.example.com>")
    assert fresh(message).provider_ids == expected
