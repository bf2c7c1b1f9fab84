"""The outbox delivered by a real huey consumer process to a local fake Mailgun: an
outage is ridden out and every message arrives once it recovers, none twice; a key
Mailgun refuses holds every message until it takes it again, and then they go out by
themselves."""
import json
import os
import signal
import subprocess
import sys
import threading

import pytest
from werkzeug import Response

from tests.fake_mailgun import FakeMailgun
from tests.processes import CONSUMER, ROOT, until, waited
from tutor.models import Message, ProviderFault, User
from tutor.services import notify

pytestmark = pytest.mark.slow


class FlakyMailgun:
    """Refuses the first `outage` requests with 503, then accepts and records."""

    def __init__(self, outage):
        self.outage = outage
        self.calls = 0
        self.delivered = []
        self.lock = threading.Lock()

    def __call__(self, request):
        with self.lock:
            self.calls += 1
            if self.calls <= self.outage:
                return Response("upstream down", status=503)
            self.delivered.append(request.form["to"])
        return Response(json.dumps({"id": f"<{self.calls}@mg>", "message": "Queued."}),
                        content_type="application/json")


@pytest.fixture
def consumer(test_config, tmp_path, httpserver):
    queue_file = tmp_path / "queue" / "huey.db"
    env = {**os.environ, "DATABASE_URL": test_config["DATABASE_URL"],
           "INSTANCE_PATH": str(tmp_path / "queue"), "HUEY_SQLITE_PATH": str(queue_file),
           "SECRET_KEY": "outbox", "REDIS_URL": "", "EMAIL_BACKEND": "mailgun",
           "MAILGUN_DOMAIN": "mg.example.com", "MAILGUN_API_KEY": "key",
           "MAILGUN_URL": httpserver.url_for("").rstrip("/"), "OUTBOX_RETRY_SECONDS": "1",
           "OUTBOX_LEASE_SECONDS": "2", "PROVIDER_PROBE_SECONDS": "1"}
    process = subprocess.Popen([str(CONSUMER), "tasks.huey", "-w", "2", "-k", "thread",
                                "-d", "0.05", "-m", "0.5"], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    # What the every-minute schedule does, every 0.3 s: enqueue a delivery run.
    ticker = subprocess.Popen([sys.executable, "-c", (
        "import time; from tutor import jobs\n"
        "for _ in range(200):\n    jobs.deliver_outbox(); time.sleep(0.3)")],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    yield
    ticker.kill()
    ticker.wait(timeout=10)
    process.send_signal(signal.SIGINT)
    output = process.communicate(timeout=30)[0]
    assert process.returncode == 0, output


def test_an_outage_delays_but_loses_and_doubles_nothing(app, consumer, httpserver,
                                                        create_student):
    provider = FlakyMailgun(outage=8)
    httpserver.expect_request("/v3/mg.example.com/messages").respond_with_handler(provider)
    students = [create_student(login=f"s{n}", channel=User.EMAIL, email=f"s{n}@example.org")
                for n in range(20)]
    with app.app_context():
        for student in students:
            notify.enqueue(student, "welcome", key=f"welcome:{student.id}")

    waited(lambda: in_app(app, all_sent))  # what is not sent then, the asserts say

    with app.app_context():
        statuses = [m.status for m in Message.select()]
        retried = Message.select().where(Message.attempts > 1).count()
    assert statuses == [Message.SENT] * 20
    assert retried >= 1, "the outage should have forced retries"
    assert sorted(provider.delivered) == sorted(f"s{n}@example.org" for n in range(20))


def all_sent():
    return not Message.select().where(Message.status != Message.SENT).exists()


def in_app(app, condition):
    with app.app_context():
        return condition()


def wait_until(app, condition, what, seconds=60):
    """`condition()` (in the app's context) true within `seconds`, or the test fails."""
    until(lambda: in_app(app, condition), what, timeout=seconds)


def test_an_outage_and_a_wrong_key_lose_nothing_and_resume_by_themselves(
        app, consumer, httpserver, create_student):
    provider = FakeMailgun(httpserver, api_key="key")
    provider.outage = 6  # down first...
    provider.api_key = "key-revoked"  # ...and then it refuses our key
    students = [create_student(login=f"s{n}", channel=User.EMAIL, email=f"s{n}@example.org")
                for n in range(12)]
    with app.app_context():
        for student in students[:10]:
            notify.enqueue(student, "welcome", key=f"welcome:{student.id}")
        for student in students[10:]:
            notify.enqueue(student, "password_reset", {"link": "https://t.example/r/x",
                                                       "hours": 2}, key=f"reset:{student.id}")

    # Every message waits for the configuration; none failed, none lost.
    wait_until(app, lambda: Message.select().where(Message.status == Message.CONFIG).count()
               == 12, "holding every message")
    with app.app_context():
        fault = ProviderFault.get(ProviderFault.channel == User.EMAIL)
        assert fault.code == "mailgun_key" and "Forbidden" in fault.detail
        assert not Message.select().where(Message.status == Message.FAILED).exists()
    assert provider.accepted == []
    refused = provider.calls

    provider.api_key = "key"  # the key works again: nobody touches the outbox
    wait_until(app, all_sent, "sending every message")
    with app.app_context():
        assert not ProviderFault.select().exists()
        kinds = sorted(m.kind for m in Message.select())
    assert kinds == ["password_reset"] * 2 + ["welcome"] * 10
    assert sorted(provider.delivered_to()) == sorted(f"s{n}@example.org" for n in range(12))
    # Held messages were probed one at a time, not each sent into the refusal.
    assert provider.calls - refused <= 12 + 5
