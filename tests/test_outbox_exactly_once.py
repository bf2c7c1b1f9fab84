"""A real huey consumer process killed in the middle of a batch, and a new one started:
every message reaches the (fake) provider exactly once.

Mailgun: the consumer dies after Mailgun has accepted a message and before the answer
arrives, so the message is left claimed and unmarked. The next consumer asks Mailgun's
events API about its Message-Id and marks it sent instead of sending it again.
Telegram: a long message goes out in parts; the consumer dies between two parts, and
the next one resumes with the part that did not go out. A death after Telegram took a
part but before it was recorded repeats that one part (the Bot API has no idempotency
key): the test pins that window to exactly one part."""
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import datetime, timezone

import pytest
from werkzeug import Response

from tests.fake_mailgun import LOGS, asked_message_id
from tests.processes import CONSUMER, ROOT, waited
from tutor.integrations.telegram import split_message
from tutor.models import Message, User
from tutor.services import notify, outbox_backends

DOMAIN = "mg.example.com"
SENDER = f"Репетитор <no-reply@{DOMAIN}>"
pytestmark = pytest.mark.slow


class Consumers:
    """Starts real `huey_consumer tasks.huey` processes against the test's database,
    and a ticker that does what the every-minute schedule does, every 0.3 s."""

    def __init__(self, env):
        self.env = env
        self.processes = []
        self.ticker = subprocess.Popen([sys.executable, "-c", (
            "import time; from tutor import jobs\n"
            "for _ in range(400):\n    jobs.deliver_outbox(); time.sleep(0.3)")],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def start(self, workers):
        process = subprocess.Popen([str(CONSUMER), "tasks.huey", "-w", str(workers),
                                    "-k", "thread", "-d", "0.05", "-m", "0.5"],
                                   cwd=ROOT, env=self.env, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True)
        self.processes.append(process)
        return process

    def stop(self):
        self.ticker.kill()
        self.ticker.wait(timeout=10)
        outputs = []
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
            output = process.communicate(timeout=30)[0]
            outputs.append((process.returncode, output))
        return outputs


@pytest.fixture
def consumers(test_config, tmp_path, httpserver):
    queue = tmp_path / "queue"
    env = {**os.environ, "DATABASE_URL": test_config["DATABASE_URL"],
           "INSTANCE_PATH": str(queue), "HUEY_SQLITE_PATH": str(queue / "huey.db"),
           "SECRET_KEY": "outbox", "REDIS_URL": "", "EMAIL_BACKEND": "mailgun",
           "EMAIL_FROM": SENDER, "MAILGUN_DOMAIN": DOMAIN, "MAILGUN_API_KEY": "key-1",
           "MAILGUN_URL": httpserver.url_for("").rstrip("/"),
           "TELEGRAM_BOT_TOKEN": "123:ABC",
           "TELEGRAM_API_URL": httpserver.url_for("").rstrip("/"),
           "OUTBOX_RETRY_SECONDS": "1", "OUTBOX_LEASE_SECONDS": "2",
           "MAILGUN_EVENTS_DELAY_SECONDS": "3"}
    started = Consumers(env)
    yield started
    for returncode, output in started.stop():
        assert returncode in (0, -signal.SIGKILL), output


@pytest.fixture
def mail_settings(app):
    app.config.update(EMAIL_BACKEND="mailgun", EMAIL_FROM=SENDER, MAILGUN_DOMAIN=DOMAIN)


def wait_until_all_sent(app, expected, seconds=90):
    def all_sent():
        with app.app_context():
            return Message.select().where(Message.status == Message.SENT).count() == expected

    if waited(all_sent, timeout=seconds):
        return
    with app.app_context():
        left = [(m.id, m.status, m.attempts, m.last_error) for m in
                Message.select().where(Message.status != Message.SENT)]
    pytest.fail(f"not everything was sent within {seconds} s: {left[:10]}")


def wait_for(event, what, seconds=60):
    assert event.wait(seconds), f"{what} did not happen within {seconds} s"


# --- Mailgun ------------------------------------------------------------------------

class FakeMailgun:
    """Mailgun's messages and Logs APIs as the outbox uses them. Each message takes
    `delay` seconds; after accepting the `kill_at`-th one, and before answering, it
    SIGKILLs the consumer (`victim`), as if the consumer had died at that instant."""

    def __init__(self, delay, kill_at):
        self.delay = delay
        self.kill_at = kill_at
        self.victim = None
        self.killed = threading.Event()
        self.killed_message_id = None
        self.received = []  # Message-Ids, as accepted
        self.events = {}  # bare Message-Id -> the "accepted" event
        self.lookups = []
        self.lock = threading.Lock()

    def messages(self, request):
        if request.mimetype != "multipart/form-data" or request.authorization is None:
            return Response("bad request", status=400)
        message_id = request.form["h:Message-Id"]
        time.sleep(self.delay)  # a slow provider, so that the batch takes seconds
        with self.lock:
            self.received.append(message_id)
            bare = message_id.strip("<>")
            self.events[bare] = {
                "event": "accepted", "id": f"ev{len(self.received)}",
                "@timestamp": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
                "domain": {"name": DOMAIN}, "recipient": request.form["to"],
                "message": {"headers": {"message-id": bare, "from": request.form["from"],
                                        "to": request.form["to"],
                                        "subject": request.form["subject"]},
                            "size": len(request.form["text"])}}
            if len(self.received) == self.kill_at:
                self.killed_message_id = message_id
                self.victim.kill()  # accepted, but the consumer never hears of it
                self.victim.wait()
                self.killed.set()
        return Response(json.dumps({"id": message_id, "message": "Queued. Thank you."}),
                        content_type="application/json")

    def logs_api(self, request):
        query = request.get_json()
        wanted = asked_message_id(request)
        with self.lock:
            self.lookups.append(wanted)
            event = self.events.get(wanted)
        items = [event] if event and "accepted" in query.get("events", ["accepted"]) else []
        return Response(json.dumps({"start": query["start"], "end": query["end"],
                                    "items": items, "pagination": {"total": len(items)},
                                    "aggregates": {}}), content_type="application/json")


def test_a_consumer_killed_mid_batch_sends_every_email_exactly_once(
        app, mail_settings, consumers, httpserver, create_student):
    provider = FakeMailgun(delay=0.015, kill_at=80)
    httpserver.expect_request(f"/v3/{DOMAIN}/messages", method="POST"
                              ).respond_with_handler(provider.messages)
    httpserver.expect_request(LOGS, method="POST").respond_with_handler(provider.logs_api)
    students = [create_student(login=f"s{n}", channel=User.EMAIL, email=f"s{n}@example.org")
                for n in range(20)]
    with app.app_context():
        for round_ in range(10):
            for student in students:
                notify.enqueue(student, "welcome", key=f"welcome:{student.id}:{round_}")
        expected = {outbox_backends.email_message_id(m) for m in Message.select()}
    assert len(expected) == 200

    provider.victim = consumers.start(workers=2)
    wait_for(provider.killed, "the kill")
    with app.app_context():
        in_doubt = next(m for m in Message.select()
                        if outbox_backends.email_message_id(m) == provider.killed_message_id)
        assert in_doubt.status == Message.SENDING  # accepted by Mailgun, not marked sent
        assert Message.select().where(Message.status != Message.SENT).count() > 100
    consumers.start(workers=2)
    wait_until_all_sent(app, 200)

    counts = Counter(provider.received)
    assert set(counts) == expected
    assert [i for i, n in counts.items() if n > 1] == []  # exactly once, by Message-Id
    # The message accepted at the moment of the kill was found in Mailgun's logs.
    assert provider.killed_message_id.strip("<>") in provider.lookups
    with app.app_context():
        assert Message.get_by_id(in_doubt.id).status == Message.SENT
        assert not Message.select().where(Message.attempt_started_at.is_null(False)).exists()
        assert {m.provider_ids for m in Message.select()} == expected


# --- Telegram -----------------------------------------------------------------------

class FakeTelegram:
    """The Bot API's sendMessage. It SIGKILLs the consumer when the `before`-th request
    arrives (before taking it), and after taking the `after`-th (before answering)."""

    def __init__(self, before, after):
        self.before, self.after = before, after
        self.victim = None
        self.requests = 0
        self.died = {before: threading.Event(), after: threading.Event()}
        self.received = []  # (chat_id, text) as taken
        self.repeated_on_kill = None
        self.lock = threading.Lock()

    def send_message(self, request):
        payload = request.get_json()
        with self.lock:
            self.requests += 1
            if self.requests == self.before:
                self._kill(self.before)
                return Response("gone", status=502)
            self.received.append((payload["chat_id"], payload["text"]))
            message_id = len(self.received)
            if self.requests == self.after:
                self.repeated_on_kill = (payload["chat_id"], payload["text"])
                self._kill(self.after)
        return Response(json.dumps({"ok": True, "result": {
            "message_id": message_id, "date": int(time.time()),
            "chat": {"id": int(payload["chat_id"]), "type": "private"},
            "text": payload["text"]}}), content_type="application/json")

    def _kill(self, at):
        self.victim.kill()
        self.victim.wait()
        self.died[at].set()


def long_text(n):
    # About 10,000 characters in lines: three parts of at most 4096.
    return "\n".join(f"Сообщение {n}, строка {line}: " + "текст " * 12 for line in range(120))


def test_a_consumer_killed_between_telegram_parts_resumes_with_the_next_part(
        app, consumers, httpserver, create_student):
    # 6 messages of 3 parts: the 5th request is the 2nd part of the 2nd message.
    provider = FakeTelegram(before=5, after=12)
    httpserver.expect_request("/bot123:ABC/sendMessage", method="POST"
                              ).respond_with_handler(provider.send_message)
    students = [create_student(login=f"t{n}", channel=User.TELEGRAM,
                               telegram_chat_id=str(1000 + n)) for n in range(6)]
    with app.app_context():
        for n, student in enumerate(students):
            message = notify.enqueue(student, "welcome", key=f"welcome:{student.id}")
            Message.update(body_text=long_text(n)).where(Message.id == message.id).execute()
        parts = {m.address: split_message(outbox_backends.telegram_text(m)) for m in Message.select()}
    assert {len(p) for p in parts.values()} == {3}

    # One worker: no second request is on its way when the consumer dies.
    provider.victim = consumers.start(workers=1)
    wait_for(provider.died[provider.before], "the kill before a part")
    provider.victim = consumers.start(workers=1)
    wait_for(provider.died[provider.after], "the kill after a part")
    consumers.start(workers=1)
    wait_until_all_sent(app, 6)

    received = {chat: [text for c, text in provider.received if c == chat] for chat in parts}
    repeated_chat, repeated_text = provider.repeated_on_kill
    for chat, expected in parts.items():
        got = received[chat]
        if chat == repeated_chat:  # the part Telegram took as the consumer died
            at = expected.index(repeated_text)
            expected = expected[:at + 1] + expected[at:]
        assert got == expected, chat
    with app.app_context():
        assert {m.parts_sent for m in Message.select()} == {3}
        assert all(len(m.provider_ids.split(",")) == 3 for m in Message.select())
