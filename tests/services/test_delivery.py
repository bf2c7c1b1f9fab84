"""Delivering the outbox through real HTTP to local fakes of Mailgun and the
Telegram Bot API: sent once, retried with backoff, given up, held until linked."""
import json
import logging
from datetime import datetime, timedelta

import pytest

from tutor.models import Message, User
from tutor.services import delivery, notify, outbox, outbox_faults

NOW = datetime(2026, 11, 24, 12, 0)
QUEUED = {"id": "<1@mg.example.com>", "message": "Queued. Thank you."}


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def telegram(app, httpserver):
    app.config.update(TELEGRAM_BOT_TOKEN="123:ABC",
                      TELEGRAM_API_URL=httpserver.url_for("").rstrip("/"))
    return httpserver


def welcome(user):
    return notify.enqueue(user, "welcome", key=f"welcome:{user.id}")


def status(message):
    return Message.get_by_id(message.id)


def test_console_backend_marks_sent_once(app_ctx, maria, caplog):
    message = welcome(maria)
    with caplog.at_level(logging.INFO, logger="tutor.outbox"):
        report = delivery.deliver_due()
    assert (report.sent, report.failed) == (1, 0)
    fresh = status(message)
    assert fresh.status == Message.SENT and fresh.sent_at == NOW and fresh.attempts == 1
    assert "maria@example.org" in caplog.text
    assert delivery.deliver_due().sent == 0


def test_mailgun_gets_the_message(app_ctx, maria, mailgun):
    mailgun.expect_oneshot_request("/v3/mg.example.com/messages",
                                   method="POST").respond_with_json(QUEUED)
    message = welcome(maria)
    assert delivery.deliver_due().sent == 1
    request = mailgun.log[0][0]
    assert request.form["to"] == "maria@example.org"
    assert request.form["subject"] == message.subject
    assert "maria" in request.form["text"]
    assert request.authorization.password == "key-1"
    assert status(message).status == Message.SENT


def test_an_outage_is_retried_with_backoff_and_then_given_up(app, app_ctx, maria, mailgun,
                                                             time_machine):
    app.config["OUTBOX_MAX_ATTEMPTS"] = 3
    mailgun.expect_request("/v3/mg.example.com/messages").respond_with_data("down", status=503)
    message = welcome(maria)
    waits = []
    for _ in range(3):
        report = delivery.deliver_due()
        fresh = status(message)
        if fresh.status == Message.PENDING:
            waits.append(fresh.next_attempt_at - datetime.now().replace(tzinfo=None))
            assert delivery.deliver_due().retried == 0  # not before its time
            time_machine.move_to(fresh.next_attempt_at, tick=False)
    assert waits == [timedelta(seconds=60), timedelta(seconds=120)]
    final = status(message)
    assert final.status == Message.FAILED and final.attempts == 3
    assert "gave up" in final.last_error
    assert report.failed == 1


def test_a_permanent_refusal_fails_at_once(app_ctx, maria, mailgun):
    mailgun.expect_request("/v3/mg.example.com/messages").respond_with_json(
        {"message": "'to' parameter is not a valid address"}, status=400)
    message = welcome(maria)
    assert delivery.deliver_due().failed == 1
    assert status(message).status == Message.FAILED
    assert status(message).attempts == 1


def test_attachments_travel_with_the_email(app, app_ctx, maria, mailgun, tmp_path):
    mailgun.expect_request("/v3/mg.example.com/messages").respond_with_json(QUEUED)
    (tmp_path / "instance" / "reports").mkdir(parents=True)
    (tmp_path / "instance" / "reports" / "report-2026-10.csv").write_bytes("дата;цена\n".encode())
    message = welcome(maria)
    Message.update(attachments=json.dumps([{"filename": "report-2026-10.csv",
                                            "content_type": "text/csv",
                                            "path": "reports/report-2026-10.csv"}])).execute()
    assert delivery.deliver_due().sent == 1
    upload = mailgun.log[0][0].files["attachment"]
    assert upload.filename == "report-2026-10.csv"
    assert upload.read().decode() == "дата;цена\n"


def test_telegram_gets_escaped_html(app_ctx, create_student, telegram):
    student = create_student(login="tg", first_name="<Вася>", channel=User.TELEGRAM,
                             telegram_chat_id="4242")
    telegram.expect_request("/bot123:ABC/sendMessage", method="POST").respond_with_json(
        {"ok": True, "result": {"message_id": 7, "chat": {"id": 4242}, "date": 0}})
    welcome(student)
    assert delivery.deliver_due().sent == 1
    payload = telegram.log[0][0].get_json()
    assert payload["chat_id"] == "4242" and payload["parse_mode"] == "HTML"
    assert payload["text"].startswith("<b>")
    assert "&lt;Вася&gt;" in payload["text"] and "&amp;" not in payload["text"]


def test_a_blocked_bot_stops_and_flood_control_waits(app_ctx, create_student, telegram):
    blocked = create_student(login="blocked", channel=User.TELEGRAM, telegram_chat_id="1")
    flooded = create_student(login="flooded", channel=User.TELEGRAM, telegram_chat_id="2")

    def answer(request):
        from werkzeug import Response
        if request.get_json()["chat_id"] == "1":
            body = {"ok": False, "error_code": 403,
                    "description": "Forbidden: bot was blocked by the user"}
            return Response(json.dumps(body), status=403, content_type="application/json")
        body = {"ok": False, "error_code": 429, "description": "Too Many Requests",
                "parameters": {"retry_after": 900}}
        return Response(json.dumps(body), status=429, content_type="application/json")

    telegram.expect_request("/bot123:ABC/sendMessage").respond_with_handler(answer)
    first, second = welcome(blocked), welcome(flooded)
    report = delivery.deliver_due()
    assert (report.failed, report.held, report.retried) == (0, 1, 1)
    # Not retried into the void: kept for the app, the chat unlinked.
    assert status(first).status == Message.HELD and status(first).fault == outbox_faults.BLOCKED
    assert User.get_by_id(blocked.id).telegram_chat_id is None
    assert status(second).next_attempt_at == NOW + timedelta(seconds=900)


def test_unlinked_telegram_messages_wait_for_the_chat(app_ctx, create_student, telegram):
    student = create_student(login="later", channel=User.TELEGRAM)
    message = welcome(student)
    assert delivery.deliver_due().held == 1
    assert status(message).status == Message.HELD and status(message).attempts == 0
    assert delivery.deliver_due().held == 0

    User.update(telegram_chat_id="555").where(User.id == student.id).execute()
    telegram.expect_request("/bot123:ABC/sendMessage").respond_with_json(
        {"ok": True, "result": {"message_id": 1, "chat": {"id": 555}, "date": 0}})
    assert outbox.release_held(User.get_by_id(student.id)) == 1
    assert delivery.deliver_due().sent == 1
    assert telegram.log[0][0].get_json()["chat_id"] == "555"


def test_a_claimed_message_is_not_sent_by_another_worker(app_ctx, maria, time_machine):
    message = welcome(maria)
    assert delivery._claim(message, NOW)
    assert delivery.deliver_due().sent == 0  # the other worker holds the lease
    time_machine.move_to(NOW + delivery.lease(), tick=False)  # it died mid-send
    assert delivery.deliver_due().sent == 1
    assert status(message).attempts == 2
