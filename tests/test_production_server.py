"""The repository's gunicorn configuration, against PostgreSQL and Redis: a student
logs in and books through it, and /metrics merges the workers' counters."""
import os
import re
import signal
import subprocess
import sys
from datetime import time as clock, timedelta
from pathlib import Path

import pytest
import redis
import requests

from tests.conftest import STUDENT_PASSWORD
from tests.processes import answering, free_port
from tutor.models import Lesson, utcnow
from tutor.services import schedule

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"
REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
# Its limits and queue live in the test Redis database that test_queue.py and
# test_rate_limits.py flush: under xdist those run on one worker, one at a time.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("redis_db")]


def csrf(html):
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)[1]


@pytest.fixture
def production(test_config, tmp_path):
    if not test_config["DATABASE_URL"].startswith("postgresql"):
        pytest.skip("the production path runs on PostgreSQL (it runs in the postgresql pass)")
    try:
        redis.Redis.from_url(REDIS, socket_connect_timeout=1).ping()
    except redis.RedisError:
        if os.environ.get("CI"):
            raise
        pytest.skip("no Redis on 127.0.0.1:6379")
    port = free_port()
    env = {**os.environ, "TUTOR_ENV": "production", "SECRET_KEY": "p" * 64,
           "SESSION_COOKIE_SECURE": "0", "DATABASE_URL": test_config["DATABASE_URL"],
           "PUBLIC_URL": f"http://127.0.0.1:{port}/",
           "REDIS_URL": REDIS, "RATELIMIT_STORAGE_URI": REDIS, "PORT": str(port),
           "HOST": "127.0.0.1", "WEB_CONCURRENCY": "2", "INSTANCE_PATH": str(tmp_path),
           "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"), "LOG_FORMAT": "json",
           "ARGON2_TIME_COST": "1", "ARGON2_MEMORY_COST": "1024"}
    process = subprocess.Popen([str(GUNICORN), "-c", "deploy/gunicorn.conf.py", "wsgi:app"],
                               cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    answering(f"{base}/healthz", process)
    yield base, process
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)


def test_booking_through_gunicorn_on_postgresql_and_redis(app, production, teacher,
                                                          create_student):
    base, process = production
    with app.app_context():
        schedule.set_windows(teacher, [(day, clock(8), clock(20)) for day in range(7)])
        now = utcnow()
        slot = schedule.free_slots_for(teacher, now + timedelta(days=2),
                                       now + timedelta(days=9), now)[0]
    create_student(login="anna")

    browser = requests.Session()
    assert browser.get(f"{base}/readyz").json() == {"status": "ok", "database": "ok",
                                                    "queue": "ok"}
    token = csrf(browser.get(f"{base}/login").text)
    login = browser.post(f"{base}/login", data={"csrf_token": token, "login": "anna",
                                               "password": STUDENT_PASSWORD},
                         allow_redirects=False)
    assert login.status_code == 302
    form = browser.get(f"{base}/lessons/new", params={"start": slot.start.isoformat()})
    booked = browser.post(f"{base}/lessons", data={"csrf_token": csrf(form.text),
                                                   "start": slot.start.isoformat(),
                                                   "comment": "через gunicorn"},
                          allow_redirects=False)
    assert booked.status_code == 302
    assert "Content-Security-Policy" in booked.headers
    with app.app_context():
        lesson = Lesson.get()
        assert (lesson.start, lesson.comment) == (slot.start, "через gunicorn")

    metrics = browser.get(f"{base}/metrics").text
    assert re.search(r'tutor_http_requests_total\{endpoint="lessons.create",method="POST",'
                     r'status="302"\} 1\.0', metrics), metrics[:2000]
    assert 'tutor_lessons{status="pending"} 1.0' in metrics
