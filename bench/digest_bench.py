"""How fast the daily digest is built and the outbox delivered.

    .venv/bin/python bench/digest_bench.py --students 10000

Fills a temporary SQLite database with N students, each with one lesson today and a
digest due now, then measures (1) building all digests into the outbox and (2)
delivering them through the Mailgun backend to a fake Mailgun on 127.0.0.1 (a
threaded local HTTP server that accepts every message). Prints the figures."""
import argparse
import json
import os
import sys
import tempfile
import threading
import time
from datetime import datetime, time as clock, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


class FakeMailgun(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        body = json.dumps({"id": "<bench@mg>", "message": "Queued. Thank you."}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def run(students, deliver_limit):
    workdir = tempfile.mkdtemp(prefix="tutor-bench-")
    os.environ.update(INSTANCE_PATH=workdir, SECRET_KEY="bench", REDIS_URL="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeMailgun)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    from tutor import create_app, migrate
    from tutor.extensions import db
    from tutor.models import Lesson, Message, User
    from tutor.services import delivery, digest

    app = create_app({"DATABASE_URL": f"sqlite:///{workdir}/bench.db", "TESTING": True,
                      "EMAIL_BACKEND": "mailgun", "MAILGUN_DOMAIN": "mg.example.com",
                      "MAILGUN_API_KEY": "key",
                      "MAILGUN_URL": f"http://127.0.0.1:{server.server_port}"})
    with app.app_context():
        migrate.upgrade(db.database)
        now = datetime(2026, 11, 24, 9, 0)  # 12:00 in Moscow: every 08:00 digest is due
        with db.database.atomic():
            teacher = User.create(login="teacher", password_hash="-", role=User.TEACHER)
            rows = [{"login": f"s{n}", "password_hash": "-", "role": User.STUDENT,
                     "first_name": "Ученик", "last_name": str(n), "channel": User.EMAIL,
                     "email": f"s{n}@example.org", "digest_time": clock(8, 0)}
                    for n in range(students)]
            for chunk in range(0, len(rows), 500):
                User.insert_many(rows[chunk:chunk + 500]).execute()
            ids = [u.id for u in User.select(User.id).where(User.role == User.STUDENT)]
            lessons = [{"teacher": teacher.id, "student": sid, "status": Lesson.CONFIRMED,
                        "start": now + timedelta(hours=2, minutes=n % 600),
                        "end": now + timedelta(hours=3, minutes=n % 600),
                        "created_at": now} for n, sid in enumerate(ids)]
            for chunk in range(0, len(lessons), 500):
                Lesson.insert_many(lessons[chunk:chunk + 500]).execute()

        started = time.perf_counter()
        written = digest.send_due_digests(now)
        built = time.perf_counter() - started
        print(f"digests built: {written} in {built:.2f} s ({written / built:,.0f} per second)")

        sent, started = 0, time.perf_counter()
        while sent < min(written, deliver_limit):
            report = delivery.deliver_due(limit=200)
            if not report.sent:
                break
            sent += report.sent
        spent = time.perf_counter() - started
        print(f"delivered to the local fake Mailgun: {sent} in {spent:.2f} s "
              f"({sent / spent:,.0f} messages per second, one HTTP request each)")
        assert Message.select().where(Message.status == Message.SENT).count() == sent
    server.shutdown()
    return written, sent


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=10_000)
    parser.add_argument("--deliver", type=int, default=10_000,
                        help="deliver at most this many of the digests")
    args = parser.parse_args()
    run(args.students, args.deliver)
