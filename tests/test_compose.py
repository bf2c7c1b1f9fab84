"""deploy/compose.yaml started for real, with Debian's podman-compose, the way its
header tells an operator: a copy of deploy/ with tutor.env made from env.example (every
"change-me" filled), secrets/ and tls/ (a certificate made by openssl here).

The images compose.yaml pulls cannot be pulled here: postgres:15, redis:7, nginx and
prom/prometheus are stand-ins built from Debian's packages on the debootstrap base
(tests/stand_ins/Containerfile) and tagged with the names compose.yaml uses, in the
test's own podman storage; the app's image is the Containerfile's
(tests/containers.py) tagged as compose.yaml names it. Grafana, Loki and Promtail are
served by no registry reachable here: every other service is started.

An operator's checks: `logs migrate` shows the teacher's login and password once;
https through nginx answers /healthz, /readyz and the login page with the app's
security headers; a booking made over HTTPS reaches the consumer (the teacher's
e-mail about it is attempted); Prometheus scrapes the app (up == 1 in its API);
`down` and `up` keep the data (the teacher signs in again); every container stops
with exit code 0."""
import json
import re
import secrets
import shutil
import subprocess
import time

import pytest
import requests
import yaml

from tests.containers import base_image, required
from tests.containers import image, package_index, podman  # noqa: F401 (fixtures)
from tests.processes import ROOT, free_port, until

pytestmark = [pytest.mark.slow, pytest.mark.serial]  # podman: runs alone
PROJECT = "tutor"
SERVICES = ["db", "redis", "migrate", "static", "app", "consumer", "nginx", "prometheus"]
# compose.yaml's service: the stand-in's target in tests/stand_ins/Containerfile.
STAND_INS = {"db": "postgres", "redis": "redis", "nginx": "nginx", "prometheus": "prometheus"}
STUDENT_PASSWORD = "Ученица-пароль-2026"
SECURITY_HEADERS = ("content-security-policy", "x-content-type-options", "x-frame-options",
                    "referrer-policy", "strict-transport-security")


@pytest.fixture(scope="module")
def images(podman, image):
    """Every image compose.yaml names, in the test's storage, under that name."""
    services = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())["services"]
    base = base_image(podman)
    for service, target in STAND_INS.items():
        podman("build", "--pull=never", "--network", "host", "--build-arg", f"BASE={base}",
               "--target", target, "-t", services[service]["image"],
               str(ROOT / "tests" / "stand_ins"), timeout=3600)
    podman("tag", image, services["app"]["image"])
    return services


def prepare(deploy):
    """What compose.yaml's header asks of an operator, in a copy of deploy/."""
    shutil.copytree(ROOT / "deploy", deploy)
    values = {"SECRET_KEY": secrets.token_hex(32), "POSTGRES_PASSWORD": secrets.token_hex(24),
              "METRICS_TOKEN": secrets.token_hex(32), "MAILGUN_API_KEY": "key-" + "0" * 32}
    lines = []
    for line in (deploy / "env.example").read_text().splitlines():
        key = line.split("=", 1)[0]
        if key in values:
            line = f"{key}={values[key]}"
        elif key == "DATABASE_URL":
            line = line.replace("change-me", values["POSTGRES_PASSWORD"])
        elif key == "PUBLIC_URL":
            line = "PUBLIC_URL=https://localhost/"
        lines.append(line)
    env = "\n".join(lines) + "\n"
    assert not [line for line in lines if "change-me" in line and not line.startswith("#")]
    (deploy / "tutor.env").write_text(env)
    (deploy / "secrets").mkdir(mode=0o700)
    (deploy / "secrets" / "metrics_token").write_text(values["METRICS_TOKEN"] + "\n")
    (deploy / "secrets" / "grafana_admin_password").write_text(secrets.token_hex(24) + "\n")
    for secret in (deploy / "secrets").iterdir():
        secret.chmod(0o644)
    (deploy / "tls").mkdir()
    required("/usr/bin/openssl", "openssl")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
                    "-keyout", str(deploy / "tls" / "privkey.pem"),
                    "-out", str(deploy / "tls" / "fullchain.pem")],
                   check=True, capture_output=True)
    site = deploy / "nginx" / "tutor.conf"  # the operator's domain: localhost here
    site.write_text(site.read_text().replace("tutor.example.org", "localhost"))


class Compose:
    """podman-compose in the prepared directory, on the test's podman storage."""

    def __init__(self, podman, deploy, ports):
        required("/usr/bin/podman-compose", "podman-compose")
        self.podman, self.deploy = podman, deploy
        self.env = {**podman.env, **ports, "ACME_WEBROOT": str(deploy / "acme")}
        (deploy / "acme").mkdir()

    def __call__(self, *arguments, timeout=900):
        result = subprocess.run(["podman-compose", "--podman-path", str(self.podman.wrapper),
                                 "-p", PROJECT, *arguments], cwd=self.deploy, env=self.env,
                                capture_output=True, text=True, timeout=timeout)
        assert result.returncode == 0, (arguments, result.stdout[-3000:], result.stderr[-3000:])
        return result.stdout + result.stderr

    def container(self, service):
        return f"{PROJECT}_{service}_1"

    def state(self, service):
        found = self.podman("inspect", self.container(service), "--format",
                            "{{.State.Status}} {{.State.ExitCode}}", check=False)
        return found.stdout.split() if found.returncode == 0 else None

    def python(self, code):
        """Python in the app's container, with the app's settings; its JSON answer."""
        result = self.podman("exec", "-i", self.container("app"), "python", "-",
                             input=code, timeout=120)
        return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def stack(podman, images, tmp_path_factory):
    deploy = tmp_path_factory.mktemp("operator") / "deploy"
    ports = {"HTTP_PORT": str(free_port()), "HTTPS_PORT": str(free_port()),
             "PROMETHEUS_PORT": str(free_port())}
    prepare(deploy)
    compose = Compose(podman, deploy, ports)
    compose.https = f"https://localhost:{ports['HTTPS_PORT']}"
    compose.prometheus = f"http://127.0.0.1:{ports['PROMETHEUS_PORT']}"
    compose.tls = str(deploy / "tls" / "fullchain.pem")
    try:
        yield compose
    finally:
        subprocess.run(["podman-compose", "--podman-path", str(podman.wrapper), "-p", PROJECT,
                        "down", "-v", "-t", "5"], cwd=deploy, env=compose.env,
                       capture_output=True, timeout=300)
        for volume in podman("volume", "ls", "-q", "--filter",
                             f"label=io.podman.compose.project={PROJECT}").stdout.split():
            podman("volume", "rm", "-f", volume, check=False)
        podman("network", "rm", "-f", f"{PROJECT}_default", check=False)


def migrated(compose):
    """migrate has run and exited 0; its log."""
    until(lambda: (compose.state("migrate") or [""])[0] == "exited", "migrate finishing",
          timeout=300)
    logs = compose("logs", "migrate")
    assert compose.state("migrate") == ["exited", "0"], logs[-3000:]
    return logs


# What a browser sends to the site on port 443, the test's port being another one:
# nginx hands the app $host, without a port, and Flask-WTF compares the Referer with it.
HOST = {"Host": "localhost"}


def https(compose, path, session=None, **kwargs):
    return (session or requests).get(f"{compose.https}{path}", verify=compose.tls,
                                     timeout=30, headers=HOST, **kwargs)


def answering(compose):
    def healthy():
        try:
            return https(compose, "/healthz").status_code == 200
        except requests.RequestException:
            return False

    until(healthy, "the app answering /healthz through nginx", timeout=300)


def csrf(html):
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)[1]


def post(compose, session, path, page, data):
    """A form sent as a browser sends it: over https, with the page as its Referer
    (Flask-WTF's check on https)."""
    return session.post(f"{compose.https}{path}", data=data, verify=compose.tls, timeout=60,
                        allow_redirects=False,
                        headers={**HOST, "Referer": f"https://localhost{page}"})


def sign_in(compose, login, password):
    browser = requests.Session()
    token = csrf(https(compose, "/login", browser).text)
    answer = post(compose, browser, "/login", "/login",
                  {"csrf_token": token, "login": login, "password": password})
    assert answer.status_code == 302, answer.text[:2000]
    return browser


SEED = """
import json
from datetime import time as clock, timedelta
from wsgi import app
from tutor.models import User, utcnow
from tutor.services import schedule
from tutor.services.passwords import hash_password
with app.app_context():
    teacher = User.teachers()[0]
    teacher.channel, teacher.email = User.EMAIL, "teacher@example.org"
    teacher.save()
    schedule.set_windows(teacher, [(day, clock(8), clock(20)) for day in range(7)])
    User.create(login="anna", password_hash=hash_password(%r), role=User.STUDENT,
                first_name="Анна", last_name="Смирнова", channel=User.EMAIL,
                email="anna@example.org")
    now = utcnow()
    slot = schedule.free_slots_for(teacher, now + timedelta(days=2), now + timedelta(days=9),
                                   now)[0]
    print(json.dumps(slot.start.isoformat()))
"""

OUTBOX = """
import json
from wsgi import app
from tutor.models import Message
with app.app_context():
    print(json.dumps([[m.id, m.kind, m.status, m.attempts, m.last_error[:200]]
                      for m in Message.select().order_by(Message.id)]))
"""


def test_the_compose_file_runs_as_its_header_tells(stack):
    compose = stack
    started = compose("up", "-d", *SERVICES)
    assert not re.search(rf"--name={PROJECT}_(grafana|loki|promtail)_1", started)

    # The teacher's credentials, once, in migrate's log.
    logs = migrated(compose)
    assert logs.count("login:") == 1, logs[-3000:]
    login, password = re.search(r"login:\s+(\S+)\s+password:\s+(\S+)", logs).groups()

    # https through nginx: the probes and the login page with the app's headers.
    answering(compose)
    assert https(compose, "/readyz").json() == {"status": "ok", "database": "ok",
                                                "queue": "ok"}
    page = https(compose, "/login")
    assert page.status_code == 200 and 'name="csrf_token"' in page.text
    for name in SECURITY_HEADERS:
        assert len(page.raw.headers.getlist(name)) == 1, name
    assert "max-age=31536000" in page.headers["strict-transport-security"]
    assert https(compose, "/metrics").status_code == 403
    stylesheet = https(compose, "/static/css/tutor.css")
    assert stylesheet.status_code == 200 and "max-age=3600" in stylesheet.headers["cache-control"]

    # A booking over HTTPS reaches the consumer: the teacher's e-mail about it is tried
    # (Mailgun cannot be reached from here: an attempt, not a delivery).
    start = compose.python(SEED % STUDENT_PASSWORD)
    before = {message[0] for message in compose.python(OUTBOX)}  # e.g. the first backup's
    student = sign_in(compose, "anna", STUDENT_PASSWORD)
    form = https(compose, "/lessons/new", student, params={"start": start})
    booked = post(compose, student, "/lessons", form.url.removeprefix(compose.https),
                  {"csrf_token": csrf(form.text), "start": start, "comment": "через compose"})
    assert booked.status_code == 302, booked.text[:2000]

    def attempted():
        new = [m for m in compose.python(OUTBOX) if m[0] not in before]
        return [m for m in new if m[3] > 0 or m[2] != "pending"]

    until(attempted, "the consumer attempting the booking's messages", timeout=240)

    # Prometheus scrapes the app (every replica found by DNS, with the token).
    def scraped():
        try:
            answer = requests.get(f"{compose.prometheus}/api/v1/query",
                                  params={"query": 'up{job="tutor"}'}, timeout=10).json()
        except (requests.RequestException, ValueError):
            return None
        return [sample["value"][1] for sample in answer["data"]["result"]] == ["1"]

    until(scraped, "Prometheus scraping the app", timeout=240)

    # down, then up: the data is in the volumes, the password is not shown again.
    compose("down")
    assert compose.state("app") is None
    compose("up", "-d", *SERVICES)
    assert "login:" not in migrated(compose)
    answering(compose)
    teacher = sign_in(compose, login, password)
    assert https(compose, "/teacher/outbox", teacher).status_code == 200

    # Everything stops, and stops cleanly: each container exits 0, none is killed.
    stopping = time.monotonic()
    compose("stop", "-t", "60", *SERVICES)
    took = time.monotonic() - stopping
    for service in SERVICES:
        assert compose.state(service) == ["exited", "0"], (service, compose("logs", service))
    print(f"\nstopped in {took:.0f} s")
    compose("down")
