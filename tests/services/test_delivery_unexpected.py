"""One message going wrong in a way nobody planned for (a file that is not there, an
address the mail library refuses, anything a client raises that it should not) is
recorded on that message, counted toward its attempt limit, and never stops the run:
the messages after it go out in the same run."""
import json
from datetime import datetime, timedelta

import pytest
from aiosmtpd.controller import Controller

from tests.fake_telegram import telegram  # noqa: F401 (fixture)
from tutor.database import backend
from tutor.models import Message, User
from tutor.services import delivery, notify, outbox_faults

NOW = datetime(2026, 11, 24, 12, 0)
# A file another host wrote under its own instance folder, before files were stored.
GONE = json.dumps([{"filename": "backup.zip", "path": "backups/backup-2026-11.zip"}])


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)


def five(students):
    return [notify.enqueue(student, "welcome", key=f"welcome:{student.id}")
            for student in students]


def fresh(message):
    return Message.get_by_id(message.id)


class LocalController(Controller):
    """aiosmtpd's Controller on a port the system picks."""

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class Inbox:
    def __init__(self):
        self.recipients = []

    async def handle_DATA(self, server, session, envelope):
        self.recipients.extend(envelope.rcpt_tos)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(app):
    handler = Inbox()
    controller = LocalController(handler, hostname="127.0.0.1", port=0,
                                 server_hostname="smtp.test")
    controller.start()
    app.config.update(EMAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port,
                      SMTP_SECURITY="none", EMAIL_FROM="Репетитор <no-reply@tutor.example.com>")
    yield handler
    controller.stop()


def test_a_bad_address_is_recorded_and_the_batch_goes_on(app, app_ctx, create_student,
                                                         teacher, smtp_server, time_machine):
    app.config["OUTBOX_MAX_ATTEMPTS"] = 2
    students = [create_student(channel=User.EMAIL, email=f"s{n}@example.org")
                for n in range(1, 6)]
    messages = five(students)
    # An address the mail library refuses to put in a header (a line break in it).
    Message.update(address="s2@example.org\r\nBcc: x@example.org").where(
        Message.id == messages[1].id).execute()

    report = delivery.deliver_due()

    assert sorted(smtp_server.recipients) == ["s1@example.org", "s3@example.org",
                                              "s4@example.org", "s5@example.org"]
    assert (report.sent, report.retried, report.failed) == (4, 1, 0)
    broken = fresh(messages[1])
    assert (broken.status, broken.attempts, broken.fault) == (
        Message.PENDING, 1, outbox_faults.BROKEN)
    assert "ValueError" in broken.last_error
    assert broken.next_attempt_at == NOW + timedelta(seconds=60)

    time_machine.move_to(broken.next_attempt_at, tick=False)
    report = delivery.deliver_due()
    failed = fresh(messages[1])
    assert (failed.status, failed.attempts, failed.fault) == (
        Message.FAILED, 2, outbox_faults.BROKEN)
    assert failed.last_error.startswith("gave up: ValueError")
    notice = Message.get(Message.kind == outbox_faults.FAILURE_NOTICE)
    assert notice.user_id == teacher.id and str(failed.id) in notice.idempotency_key
    assert smtp_server.recipients.count("s2@example.org") == 0


def test_a_missing_file_stops_one_telegram_message_not_the_others(app, app_ctx,
                                                                  create_student, telegram):
    students = [create_student(channel=User.TELEGRAM, telegram_chat_id=str(1000 + n))
                for n in range(1, 6)]
    messages = five(students)
    Message.update(attachments=GONE).where(Message.id == messages[1].id).execute()

    report = delivery.deliver_due()

    chats = [body["chat_id"] for body in telegram.sent]
    assert sorted(chats, key=str) == ["1001", "1002", "1003", "1004", "1005"]
    assert [fresh(m).status for m in messages] == [
        Message.SENT, Message.PENDING, Message.SENT, Message.SENT, Message.SENT]
    assert report.sent == 4 and report.retried == 1
    broken = fresh(messages[1])
    assert (broken.attempts, broken.fault, broken.parts_sent) == (1, outbox_faults.BROKEN, 1)
    assert "FileNotFoundError" in broken.last_error
    assert "message" in report.errors[0] and "FileNotFoundError" in report.errors[0]


def test_an_unexpected_error_is_said_on_the_outbox_page(app, client, auth, teacher,
                                                        create_student):
    student = create_student(channel=User.EMAIL, email="anna@example.org")
    with app.app_context():
        message = notify.enqueue(student, "welcome")
        Message.update(attachments=GONE).where(Message.id == message.id).execute()
        app.config["OUTBOX_MAX_ATTEMPTS"] = 1
        assert delivery.deliver_due().failed == 1
    auth.login()
    page = client.get("/teacher/outbox?status=failed").text  # Russian, a new user's default
    assert "Сообщение не ушло из-за ошибки в приложении" in page
    assert "FileNotFoundError" in page and "anna@example.org" in page
    client.submit("/language/en")
    page = client.get("/teacher/outbox?status=failed").text
    assert "An error in the app stopped this message" in page


def test_a_worker_dying_on_the_last_attempt_does_not_loop_forever(app, app_ctx, maria,
                                                                   teacher, time_machine):
    app.config["OUTBOX_MAX_ATTEMPTS"] = 3
    message = notify.enqueue(maria, "welcome")
    # Its third attempt was claimed and its worker killed: the lease has run out.
    Message.update(status=Message.SENDING, attempts=3, attempt_started_at=NOW,
                   next_attempt_at=NOW + timedelta(seconds=300)).execute()
    time_machine.move_to(NOW + timedelta(seconds=301), tick=False)

    report = delivery.deliver_due()

    final = fresh(message)
    assert (final.status, final.fault, report.sent, report.failed) == (
        Message.FAILED, outbox_faults.BROKEN, 0, 1)
    assert "interrupted" in final.last_error
    assert Message.get(Message.kind == outbox_faults.FAILURE_NOTICE).user_id == teacher.id


def refuse_claims_of(message_id):
    """A trigger that makes the database itself refuse to claim one message (as a lock
    timeout or a serialization failure would), on SQLite and on PostgreSQL alike."""
    database = Message._meta.database
    if backend(database) == "sqlite":
        database.execute_sql(
            "CREATE TRIGGER refuse_claim BEFORE UPDATE OF status ON outbox "
            f"WHEN NEW.id = {int(message_id)} AND NEW.status = 'sending' "
            "BEGIN SELECT RAISE(ABORT, 'claim refused'); END")
    else:
        database.execute_sql(
            "CREATE FUNCTION refuse_claim() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'claim refused'; END $$ LANGUAGE plpgsql")
        database.execute_sql(
            "CREATE TRIGGER refuse_claim BEFORE UPDATE ON outbox FOR EACH ROW "
            f"WHEN (NEW.id = {int(message_id)} AND NEW.status = 'sending') "
            "EXECUTE FUNCTION refuse_claim()")


def test_a_database_error_while_claiming_one_message_does_not_end_the_run(
        app, app_ctx, create_student, smtp_server):
    students = [create_student(channel=User.EMAIL, email=f"s{n}@example.org")
                for n in range(1, 6)]
    messages = five(students)
    refuse_claims_of(messages[1].id)

    report = delivery.deliver_due()

    assert sorted(smtp_server.recipients) == ["s1@example.org", "s3@example.org",
                                              "s4@example.org", "s5@example.org"]
    assert (report.sent, report.unclaimed) == (4, 1)
    assert "message" in report.errors[0] and "claim refused" in report.errors[0]
    waiting = fresh(messages[1])
    assert (waiting.status, waiting.attempts) == (Message.PENDING, 0)  # nothing was tried
    assert "not claimed" in waiting.last_error and "claim refused" in waiting.last_error

    database = Message._meta.database
    database.execute_sql("DROP TRIGGER refuse_claim"
                         + ("" if backend(database) == "sqlite" else " ON outbox"))
    assert delivery.deliver_due().sent == 1  # the next run takes it
    assert smtp_server.recipients.count("s2@example.org") == 1
