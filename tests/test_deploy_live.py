"""deploy/ run for real: the app under the repository's gunicorn config (production
settings, a SQLite database of its own), scraped by Debian's Prometheus with the
shipped prometheus.yml and alerts.yml, and served over TLS by Debian's nginx with the
shipped site config. Only what cannot hold on this machine is rewritten: the scrape
target and the secret's path, the listen ports, the certificate, the log and temp
paths. `make test` installs both tools (make ops-tools); a missing one fails here.

The processes are started once for the module and shared by its tests."""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
import yaml

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
VENV_BIN = Path(sys.executable).parent
PROMETHEUS = "/usr/bin/prometheus"
METRICS_TOKEN = "metrics-token-for-prometheus"
PUBLIC_URL = "https://tutor.example.org/"
TEACHER_PASSWORD = "Tutor-live-password-1"
pytestmark = pytest.mark.slow


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def until(check, what, timeout=30, process=None):
    """Poll `check` (bounded): its first truthy result, or fail saying `what`."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if process is not None and process.poll() is not None:
            pytest.fail(f"{what}: the process exited:\n{process.stdout.read()}")
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout} s")
        time.sleep(0.1)


def required(path, package):
    if not (Path(path).is_file() and os.access(path, os.X_OK)):
        pytest.fail(f"{path} is missing: `make test` installs it (apt-get install {package})")
    return path


# --- the app under gunicorn ------------------------------------------------------------

def seed(database_url, instance):
    """A teacher, a student who gets e-mail, a lesson waiting for confirmation, a
    message the outbox gave up on, and one real run of a periodic job."""
    from tutor import create_app, migrate
    from tutor.extensions import db
    from tutor.models import Lesson, Message, User, utcnow
    from tutor.services import periodic
    from tutor.services.passwords import hash_password

    app = create_app({"TESTING": True, "SECRET_KEY": "deploy-live", "DATABASE_URL": database_url,
                      "INSTANCE_PATH": str(instance), "REDIS_URL": ""})
    with app.app_context():
        migrate.upgrade(db.database)
        teacher = User.create(login="teacher", password_hash=hash_password(TEACHER_PASSWORD),
                              role=User.TEACHER, first_name="Анна", last_name="Петрова")
        student = User.create(login="anna", password_hash=hash_password(TEACHER_PASSWORD),
                              role=User.STUDENT, first_name="Анна", last_name="Смирнова",
                              email="anna@example.org", channel=User.EMAIL)
        start = utcnow().replace(microsecond=0) + timedelta(days=3)
        Lesson.create(teacher=teacher, student=student, start=start,
                      end=start + timedelta(hours=1))
        Message.create(user=student, channel=User.EMAIL, address=student.email,
                       kind="lesson_requested", locale="ru", subject="Заявка",
                       body_text="Заявка", status=Message.FAILED, attempts=8,
                       idempotency_key="live:failed")
        periodic.run("expire_lessons")
    db.database.close()


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory):
    """The app as deploy/ runs it: gunicorn -c deploy/gunicorn.conf.py, two workers,
    production settings, behind one proxy (PROXY_COUNT=1)."""
    home = tmp_path_factory.mktemp("app")
    database_url = f"sqlite:///{home / 'tutor.db'}"
    seed(database_url, home / "instance")
    (home / "not-a-folder").write_text("")  # BACKUP_DIR: the backup job fails
    port = free_port()
    env = {**os.environ, "TUTOR_ENV": "production", "SECRET_KEY": "l" * 64,
           "PUBLIC_URL": PUBLIC_URL, "PROXY_COUNT": "1", "DATABASE_URL": database_url,
           "REDIS_URL": "", "INSTANCE_PATH": str(home / "instance"), "PORT": str(port),
           "HOST": "127.0.0.1", "WEB_CONCURRENCY": "2", "LOG_FORMAT": "json",
           "PROMETHEUS_MULTIPROC_DIR": str(home / "metrics"), "METRICS_TOKEN": METRICS_TOKEN,
           "BACKUP_DIR": str(home / "not-a-folder"), "EMAIL_BACKEND": "console",
           "LOGIN_RATE_LIMIT": "3 per minute", "ARGON2_TIME_COST": "1",
           "ARGON2_MEMORY_COST": "1024"}
    env.pop("RATELIMIT_STORAGE_URI", None)
    process = subprocess.Popen([str(VENV_BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py",
                                "wsgi:app"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"

    def answers():
        try:
            return requests.get(f"{base}/healthz", timeout=5).ok
        except (requests.ConnectionError, requests.Timeout):
            return False

    until(answers, "gunicorn answering /healthz", timeout=60, process=process)
    yield {"base": base, "port": port, "env": env, "database_url": database_url}
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)


# --- Prometheus --------------------------------------------------------------------------

def prometheus_config(directory, app_port, own_port):
    """The shipped prometheus.yml, rules included, with the app's address for the
    compose DNS name, a token file of the test's, and a 1 s scrape and evaluation
    interval so an alert's state changes within the test."""
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    config["global"].update(scrape_interval="1s", evaluation_interval="1s")
    config["rule_files"] = [str(DEPLOY / "prometheus" / "alerts.yml")]
    (directory / "metrics_token").write_text(METRICS_TOKEN + "\n")
    for job in config["scrape_configs"]:
        if job["job_name"] == "tutor":
            assert job.pop("dns_sd_configs")[0]["port"] == 8000
            job["static_configs"] = [{"targets": [f"127.0.0.1:{app_port}"]}]
            job["authorization"]["credentials_file"] = str(directory / "metrics_token")
        else:
            assert job["static_configs"] == [{"targets": ["localhost:9090"]}]
            job["static_configs"] = [{"targets": [f"127.0.0.1:{own_port}"]}]
    path = directory / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.fixture(scope="module")
def prometheus(gunicorn, tmp_path_factory):
    binary = required(PROMETHEUS, "prometheus")
    home = tmp_path_factory.mktemp("prometheus")
    port = free_port()
    config = prometheus_config(home, gunicorn["port"], port)
    process = subprocess.Popen([binary, f"--config.file={config}",
                                f"--storage.tsdb.path={home / 'data'}",
                                f"--web.listen-address=127.0.0.1:{port}"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"

    def ready():
        try:
            return requests.get(f"{base}/-/ready", timeout=5).ok
        except requests.ConnectionError:
            return False

    until(ready, "Prometheus ready", process=process)
    yield base
    process.terminate()
    process.wait(timeout=30)


def api(base, path, **params):
    answer = requests.get(f"{base}/api/v1/{path}", params=params, timeout=10)
    assert answer.ok, answer.text
    body = answer.json()
    assert body["status"] == "success", body
    return body["data"]


def query(base, expr):
    """{frozenset of labels (no __name__, job, instance): value} of an instant query."""
    return {frozenset((k, v) for k, v in sample["metric"].items()
                      if k not in ("__name__", "job", "instance")): float(sample["value"][1])
            for sample in api(base, "query", query=expr)["result"]}


def scraped(base, expr):
    """The query's samples once a scrape has brought some."""
    return until(lambda: query(base, expr), f"{expr} in Prometheus")


def test_prometheus_scrapes_the_app_with_the_shipped_config(gunicorn, prometheus):
    assert requests.get(f"{gunicorn['base']}/login", timeout=10).status_code == 200

    def tutor_target():
        targets = api(prometheus, "targets")["activeTargets"]
        return [t for t in targets if t["labels"]["job"] == "tutor" and t["health"] == "up"]

    (target,) = until(tutor_target, "the app's target up")
    assert target["scrapeUrl"] == f"{gunicorn['base']}/metrics"  # with the token: else 403

    requests_served = scraped(prometheus, 'tutor_http_requests_total{endpoint="auth.login"}')
    assert requests_served[frozenset({("endpoint", "auth.login"), ("method", "GET"),
                                      ("status", "200")})] >= 1
    latency = scraped(prometheus, 'tutor_http_request_duration_seconds_count'
                                  '{endpoint="auth.login"}')
    assert sum(latency.values()) >= 1
    lessons = scraped(prometheus, "tutor_lessons")
    assert lessons[frozenset({("status", "pending")})] == 1
    assert lessons[frozenset({("status", "confirmed")})] == 0
    outbox = scraped(prometheus, "tutor_outbox_messages")
    assert outbox[frozenset({("status", "failed")})] == 1
    assert outbox[frozenset({("status", "sent")})] == 0
    jobs = scraped(prometheus, "tutor_job_last_run_failed")
    assert jobs[frozenset({("job_name", "expire_lessons")})] == 0
    success = scraped(prometheus, "tutor_job_last_success_timestamp_seconds")
    assert abs(success[frozenset({("job_name", "expire_lessons")})] - time.time()) < 600


def test_prometheus_loads_the_shipped_rules(prometheus):
    (group,) = api(prometheus, "rules")["groups"]
    assert group["file"] == str(DEPLOY / "prometheus" / "alerts.yml")
    names = {rule["name"] for rule in group["rules"]}
    assert {"TutorAppDown", "TutorHighErrorRate", "TutorOutboxFailed", "TutorSlowRequests",
            "TutorJobFailing"} <= names
    until(lambda: all(rule.get("health") == "ok" for rule in
                      api(prometheus, "rules")["groups"][0]["rules"]),
          "every rule evaluated without error")


def alerts(base, name):
    return [alert for alert in api(base, "alerts")["alerts"]
            if alert["labels"]["alertname"] == name]


def test_a_failing_job_makes_its_alert_pending(gunicorn, prometheus):
    """The backup job run as an operator would (flask jobs run), into a BACKUP_DIR that
    is a file: the run fails, /metrics says so, TutorJobFailing goes pending (it fires
    after 15 minutes of that, as alerts.test.yml checks)."""
    assert alerts(prometheus, "TutorJobFailing") == []
    run = subprocess.run([str(VENV_BIN / "flask"), "--app", "wsgi", "jobs", "run", "backup"],
                         cwd=ROOT, env=gunicorn["env"], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode != 0, run.stdout + run.stderr
    assert "FileExistsError" in run.stdout + run.stderr

    (alert,) = until(lambda: alerts(prometheus, "TutorJobFailing"), "TutorJobFailing")
    assert alert["state"] == "pending"
    assert alert["labels"] == {"alertname": "TutorJobFailing", "job_name": "backup",
                               "severity": "warning"}
    assert alert["annotations"]["summary"] == "The periodic job backup is failing"
    # The seeded message the outbox gave up on is pending too; nothing fires yet.
    assert [a["state"] for a in alerts(prometheus, "TutorOutboxFailed")] == ["pending"]
    assert alerts(prometheus, "TutorAppDown") == []
