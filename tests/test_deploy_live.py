"""deploy/ run for real: the app under the repository's gunicorn config (production
settings, a SQLite database of its own), scraped by Debian's Prometheus with the
shipped prometheus.yml and alerts.yml, and served over TLS by Debian's nginx with the
shipped site config. Only what cannot hold on this machine is rewritten: the scrape
target and the secret's path, the listen ports, the certificate, the log and temp
paths. `make test` installs both tools (make ops-tools); a missing one fails here.

The processes are started once for the module and shared by its tests."""
import gzip
import http.client
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import ssl
import subprocess
import tempfile
import time
from contextlib import closing
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
import requests
import yaml

from tests.deploy import (
    DEBIAN_NGINX,
    DEPLOY,
    METRICS_TOKEN,
    PUBLIC_URL,
    ROOT,
    SERVER_NAME,
    TEACHER_PASSWORD,
    VENV_BIN,
    nginx_site,
    required,
    seed,
    start,
    start_nginx,
)
from tests.processes import answer, free_port, until

PROMETHEUS = "/usr/bin/prometheus"
# One worker starts the module's gunicorn, Prometheus and nginx once (xdist's loadgroup).
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("deploy_live")]


# --- the app under gunicorn ------------------------------------------------------------

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
    process = start([str(VENV_BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "wsgi:app"],
                    home / "gunicorn.log", cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"

    until(lambda: getattr(answer(f"{base}/healthz"), "ok", False),
          "gunicorn answering /healthz", timeout=60, process=process)
    yield {"base": base, "port": port, "env": env, "database_url": database_url, "home": home}
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
    process = start([binary, f"--config.file={config}", f"--storage.tsdb.path={home / 'data'}",
                     f"--web.listen-address=127.0.0.1:{port}"], home / "prometheus.log")
    base = f"http://127.0.0.1:{port}"

    until(lambda: getattr(answer(f"{base}/-/ready"), "ok", False), "Prometheus ready",
          process=process)
    yield base
    process.terminate()
    process.wait(timeout=30)


def api(base, path, **params):
    response = requests.get(f"{base}/api/v1/{path}", params=params, timeout=10)
    assert response.ok, response.text
    body = response.json()
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


# --- nginx -------------------------------------------------------------------------------

SECURITY_HEADERS = ("content-security-policy", "x-content-type-options", "x-frame-options",
                    "referrer-policy", "strict-transport-security")


@pytest.fixture(scope="module")
def nginx(gunicorn):
    """tutor.conf (tests/deploy.py's nginx_site: loopback ports, a certificate made
    with openssl, the repository's static files) in front of the app, run as nobody
    when the tests run as root, everything in a temp prefix."""
    required(DEBIAN_NGINX, "nginx")
    required("/usr/bin/openssl", "openssl")
    home = Path(tempfile.mkdtemp(prefix="tutor-nginx-"))
    http_port, https_port = free_port(), free_port()
    command = nginx_site(home, gunicorn["port"], http_port, https_port)
    process = start_nginx(command, home, https_port)
    yield {"http": http_port, "https": https_port, "pid": process.pid,
           "log": home / "access.log"}
    process.terminate()
    process.wait(timeout=15)
    shutil.rmtree(home, ignore_errors=True)


class Browser:
    """HTTPS to nginx on 127.0.0.1 from a loopback address of its own (127.0.0.N: the
    client's address nginx sees), with the site's name in SNI and Host, keeping cookies."""

    def __init__(self, port, source="127.0.0.1"):
        self.port, self.source, self.cookies = port, source, {}

    def request(self, method, path, *, headers=None, body=None):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        raw = socket.create_connection(("127.0.0.1", self.port), timeout=30,
                                       source_address=(self.source, 0))
        with context.wrap_socket(raw, server_hostname=SERVER_NAME) as tls:
            connection = http.client.HTTPConnection("127.0.0.1")
            connection.sock = tls
            sent = {"Host": SERVER_NAME, **(headers or {})}
            if self.cookies:
                sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            content = response.read()
            pairs = [(name.lower(), value) for name, value in response.getheaders()]
        for name, value in pairs:
            if name == "set-cookie":
                for morsel in SimpleCookie(value).values():
                    self.cookies[morsel.key] = morsel.value
        return Answer(response.status, pairs, content)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def submit(self, path, fields, page=None, headers=None):
        """A form post as a browser sends it: the CSRF token of the page the form is
        on, and that page as the Referer (Flask-WTF checks it on HTTPS, which the app
        knows of from X-Forwarded-Proto)."""
        page = page or path
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', self.get(page).text)[1]
        return self.request("POST", path, body=urlencode({"csrf_token": token, **fields}),
                            headers={"Content-Type": "application/x-www-form-urlencoded",
                                     "Referer": f"https://{SERVER_NAME}{page}",
                                     **(headers or {})})


class Answer:
    def __init__(self, status, pairs, content):
        self.status, self.pairs, self.content = status, pairs, content
        self.headers = dict(pairs)
        self.text = content.decode("utf-8", "replace")

    def all(self, name):
        return [value for key, value in self.pairs if key == name]


def sqlite_rows(gunicorn, sql, *params):
    path = gunicorn["database_url"].removeprefix("sqlite:///")
    with closing(sqlite3.connect(path)) as connection:
        return connection.execute(sql, params).fetchall()


def test_nginx_runs_unprivileged(nginx):
    if os.geteuid() == 0:
        status = Path(f"/proc/{nginx['pid']}/status").read_text()
        assert re.search(r"^Uid:\s+65534\s", status, re.M), status


def test_the_app_answers_over_tls_with_its_own_security_headers(gunicorn, nginx):
    through = Browser(nginx["https"]).get("/login")
    direct = requests.get(f"{gunicorn['base']}/login", timeout=10)
    assert through.status == direct.status_code == 200
    assert 'name="csrf_token"' in through.text
    for name in SECURITY_HEADERS:
        assert through.all(name) == [direct.headers[name]], name  # once, as the app says
    assert "max-age=31536000" in through.headers["strict-transport-security"]
    (session,) = through.all("set-cookie")
    assert "Secure" in session and "HttpOnly" in session
    assert "content-encoding" not in through.headers  # no gzip on pages (BREACH)
    assert "server" not in through.headers or through.headers["server"] == "nginx"


def test_the_pages_static_files_come_from_nginx_cached_and_compressed(nginx):
    browser = Browser(nginx["https"])
    page = browser.get("/login")
    assets = sorted(set(re.findall(r'(?:src|href)="(/static/[^"?]+)', page.text)))
    assert any(a.endswith(".css") for a in assets) and any(a.endswith(".js") for a in assets)
    for path in assets:
        answer = browser.get(path, headers={"Accept-Encoding": "gzip"})
        assert answer.status == 200, path
        content = answer.content
        if path.endswith((".css", ".js")) and len(content) > 512:
            assert answer.headers["content-encoding"] == "gzip", path
            content = gzip.decompress(content)
        assert content == (ROOT / path.lstrip("/")).read_bytes(), path
        if path.startswith("/static/vendor/"):
            assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"
        else:
            assert answer.headers["cache-control"] == "public, max-age=3600", path


def test_the_reset_link_names_the_public_address_and_opens_through_nginx(gunicorn, nginx):
    browser = Browser(nginx["https"], source="127.0.0.5")
    asked = browser.submit("/forgot", {"identifier": "anna@example.org"})
    assert asked.status == 302
    assert asked.headers["location"] in ("/login", f"{PUBLIC_URL}login")
    # The consumer sends the link: the one deploy/ runs, for as long as this takes.
    consumer = start([str(VENV_BIN / "huey_consumer"), "tasks.huey", "--no-periodic",
                      "--workers", "1", "--worker-type", "thread"], gunicorn["home"] / "huey.log",
                     cwd=ROOT, env=gunicorn["env"])
    try:
        ((body,),) = until(lambda: sqlite_rows(gunicorn, "SELECT body_text FROM outbox "
                                                         "WHERE kind = 'password_reset'"),
                           "the reset message in the outbox", process=consumer)
    finally:
        consumer.send_signal(signal.SIGINT)
        consumer.wait(timeout=30)
    link = re.search(r"https?://\S+/reset/[\w.-]+", body)[0]
    assert link.startswith(f"{PUBLIC_URL}reset/"), link
    token = link.rsplit("/", 1)[1]
    opened = browser.get(f"/reset/{token}")
    assert opened.status == 200 and 'name="password"' in opened.text

    def logged():
        return [json.loads(line) for line in nginx["log"].read_text().splitlines()
                if '"/reset/' in line]

    (entry,) = until(logged, "the reset page in nginx's access log", timeout=5)
    assert entry["path"] == "/reset/[redacted]" and entry["remote_addr"] == "127.0.0.5"
    assert token not in nginx["log"].read_text()


def test_the_clients_address_reaches_the_rate_limits(gunicorn, nginx):
    """PROXY_COUNT=1: the app counts login attempts by the address nginx saw, never
    by one the client claims, and not all clients as the proxy's 127.0.0.1."""
    guesser = Browser(nginx["https"], source="127.0.0.2")
    for n in range(3):  # LOGIN_RATE_LIMIT=3 per minute
        answer = guesser.submit("/login", {"login": "teacher", "password": f"guess-{n}"})
        assert answer.status == 200, answer.status  # the form again, with its error
    forged = guesser.submit("/login", {"login": "teacher", "password": TEACHER_PASSWORD},
                            headers={"X-Forwarded-For": "203.0.113.7"})
    assert forged.status == 429
    teacher = Browser(nginx["https"], source="127.0.0.3")
    logged_in = teacher.submit("/login", {"login": "teacher", "password": TEACHER_PASSWORD})
    assert logged_in.status == 302
    assert sqlite_rows(gunicorn, "SELECT ip FROM login_sessions") == [("127.0.0.3",)]


def test_nginx_limits_request_bodies_before_the_app(nginx):
    browser = Browser(nginx["https"], source="127.0.0.4")
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    small = browser.request("POST", "/password-strength", headers=form,
                            body="password=" + "x" * (900 << 10))
    assert small.status == 200  # the app's answer: under client_max_body_size 1m
    large = browser.request("POST", "/password-strength", headers=form,
                            body="password=" + "x" * (1100 << 10))
    assert large.status == 413


# --- the log lines, through Promtail's pipeline ------------------------------------------

RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$")


def promtail(line):
    """One log line through the shipped pipeline's stages, as Promtail documents
    them: replace, json (top-level keys), labels, structured_metadata, timestamp
    (RFC3339Nano). Returns (the line as stored, labels, metadata, timestamp or None)."""
    config = yaml.safe_load((DEPLOY / "promtail" / "promtail.yaml").read_text())
    stages = [stage for stage in config["scrape_configs"][0]["pipeline_stages"]]
    assert [next(iter(stage)) for stage in stages] == [
        "replace", "json", "labels", "structured_metadata", "timestamp"]
    replace, parse, labels, metadata, timestamp = (next(iter(s.values())) for s in stages)
    line = re.sub(replace["expression"],
                  lambda match: match[0].replace(match[1], replace["replace"]), line)
    try:
        entry = json.loads(line)
    except ValueError:
        return line, {}, {}, None  # passes through unparsed
    extracted = {name: entry[key] for name, key in parse["expressions"].items() if key in entry}
    moment = extracted.get(timestamp["source"])
    return (line, {name: extracted[name] for name in labels if name in extracted},
            {name: extracted[name] for name in metadata if name in extracted},
            moment if moment and RFC3339.match(moment) else None)


def test_the_real_log_lines_go_through_promtails_pipeline(gunicorn, nginx):
    browser = Browser(nginx["https"], source="127.0.0.6")
    assert browser.get("/login").status == 200
    token = "Zm9vYmFy.token-in-a-link"
    assert browser.get(f"/reset/{token}").status == 400  # a bad link, said so
    student = Browser(nginx["https"], source="127.0.0.7")
    assert student.submit("/login", {"login": "anna", "password": TEACHER_PASSWORD}).status == 302
    assert student.get("/").status in (200, 302)  # the start page, or a student's own
    ((student_id,),) = sqlite_rows(gunicorn, "SELECT id FROM users WHERE login = 'anna'")

    def ours():
        app = (gunicorn["home"] / "gunicorn.log").read_text().splitlines()
        proxy = nginx["log"].read_text().splitlines()
        return (app, proxy) if any("/reset/" in line for line in app) and any(
            '"/reset/[redacted]"' in line for line in proxy) and any(
            '"path": "/"' in line and '"user_id"' in line for line in app) else None

    app_lines, proxy_lines = until(ours, "the app's and nginx's lines of these requests")
    assert not any(token in line for line in app_lines + proxy_lines)  # blanked at the source
    assert any(not line.startswith("{") for line in app_lines)  # gunicorn's own, unparsed
    parsed = [promtail(line) for line in app_lines + proxy_lines if line.startswith("{")]
    for line, labels, metadata, moment in parsed:
        assert token not in line
        assert labels["level"] in ("debug", "info", "warning", "error", "critical"), line
        assert moment is not None, line  # Promtail would fall back to the time it read it
    # Every request line, the app's and nginx's, gives Loki the fields a query finds
    # it by; a signed-in person's lines carry their id.
    request_lines = [(line, metadata) for line, _, metadata, _ in parsed if '"method"' in line]
    assert len(request_lines) >= 6
    for line, metadata in request_lines:
        assert {"request_id", "path", "status"} <= set(metadata), line
    signed_in = [metadata for _, metadata in request_lines
                 if metadata["path"] == "/" and "user_id" in metadata]
    assert signed_in and all(m["user_id"] == student_id for m in signed_in), signed_in
    # One request, one id: nginx's line and the app's carry the same request_id.
    login = [metadata for line, _, metadata, _ in parsed
             if metadata.get("path") == "/login" and metadata.get("status") == 200]
    ids = [m["request_id"] for m in login]
    assert len(ids) >= 2 and any(ids.count(i) == 2 for i in ids), login
