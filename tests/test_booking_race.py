"""Fifty students press "Book" on the same slot at the same instant, each from a
process of its own, against the production server (gunicorn, several worker
processes) on SQLite and on PostgreSQL: one lesson, forty-nine clear refusals."""
import os
import signal
import subprocess
import sys
from datetime import time as clock, timedelta
from pathlib import Path

import pytest

from tests.conftest import STUDENT_PASSWORD
from tests.processes import answering, free_port
from tutor.models import Lesson, utcnow
from tutor.services import schedule

ROOT = Path(__file__).resolve().parent.parent
PROBE = ROOT / "tests" / "probes" / "book_once.py"
GUNICORN = Path(sys.executable).parent / "gunicorn"
RACERS = 50
pytestmark = [pytest.mark.slow, pytest.mark.serial]  # timing or load: runs alone (make test's serial phase)


@pytest.fixture
def server(app, test_config, tmp_path):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": test_config["DATABASE_URL"], "SECRET_KEY": "race",
           "INSTANCE_PATH": str(tmp_path / "instance"), "RATELIMIT_ENABLED": "0",
           "ARGON2_TIME_COST": "1", "ARGON2_MEMORY_COST": "1024", "REDIS_URL": ""}
    process = subprocess.Popen(
        [str(GUNICORN), "--workers", "4", "--threads", "4", "--bind", f"127.0.0.1:{port}",
         "wsgi:app"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        text=True)
    base = f"http://127.0.0.1:{port}"
    answering(f"{base}/favicon.ico", process)
    yield base
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)


def test_fifty_simultaneous_bookings_make_one_lesson(app, server, teacher, create_student,
                                                     tmp_path):
    with app.app_context():
        schedule.set_windows(teacher, [(day, clock(8), clock(20)) for day in range(7)])
        now = utcnow()
        slot = schedule.free_slots_for(teacher, now + timedelta(days=2),
                                       now + timedelta(days=9), now)[0]
    logins = [create_student(login=f"racer{n}").login for n in range(RACERS)]
    go = tmp_path / "go"

    racers = [subprocess.Popen([sys.executable, str(PROBE), server, login, STUDENT_PASSWORD,
                                slot.start.isoformat(), str(go)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
              for login in logins]
    for racer in racers:  # everyone logged in and holding the form
        assert racer.stdout.readline().strip() == "ready", racer.stderr.read()
    go.touch()
    results = [racer.communicate(timeout=120) for racer in racers]

    answers = sorted(out.split()[0] + ("-taken" if out.split()[1] == "True" else "")
                     for out, _ in results)
    assert answers == ["302"] + ["409-taken"] * (RACERS - 1), results
    with app.app_context():
        assert Lesson.select().count() == 1
        assert Lesson.get().start == slot.start
