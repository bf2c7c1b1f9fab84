"""The outbox delivered by a real huey consumer process to a local fake Mailgun: an
outage is ridden out and every message arrives once it recovers, none twice."""
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from werkzeug import Response

from tutor.models import Message, User
from tutor.services import notify

ROOT = Path(__file__).resolve().parent.parent
CONSUMER = Path(sys.executable).parent / "huey_consumer"
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
           "OUTBOX_LEASE_SECONDS": "2"}
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

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with app.app_context():
            if not Message.select().where(Message.status != Message.SENT).exists():
                break
        time.sleep(0.2)  # the consumer works in another process; bounded by the deadline

    with app.app_context():
        statuses = [m.status for m in Message.select()]
        retried = Message.select().where(Message.attempts > 1).count()
    assert statuses == [Message.SENT] * 20
    assert retried >= 1, "the outage should have forced retries"
    assert sorted(provider.delivered) == sorted(f"s{n}@example.org" for n in range(20))
