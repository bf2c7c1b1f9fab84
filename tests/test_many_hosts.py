"""The README's way past one machine, run whole ("PostgreSQL and Redis", the runbook):
one PostgreSQL, a Redis of the test's own, two hosts A and B each with an app server
(gunicorn, as deploy/ runs it) and a consumer, and their own instance folders; one
SECRET_KEY, PUBLIC_URL, DATABASE_URL, REDIS_URL and backup folder shared, as the README
says must match. Mail goes to the Mailgun fake.

It checks, in turn: a session and a CSRF token from A work on B; a booking on A is
gone from B's week at once; students racing for one slot through both hosts make one
lesson; a backup and a monthly report made on host A go out
through B's consumer, and B lists the backup; the scheduling consumer killed mid-batch
loses nothing, sends nothing twice, and the other consumer takes over the schedule;
Redis stopped and started again while bookings, logins and a password reset go on
loses nothing. At the end every message is sent, each exactly once.

The consumers' "minute" is SCHEDULER_TICK seconds (tests/probes/quick_consumer.py),
and the leases are seconds long, so the whole runs in one to two minutes."""
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from datetime import time as clock, timedelta
from pathlib import Path

import psycopg2
import pytest
import redis
import requests

from tests.conftest import POSTGRES_URL, postgres_schema_url
from tests.fake_mailgun import API_KEY, DOMAIN, FakeMailgun
from tests.processes import answer, free_port, until

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
QUICK_CONSUMER = ROOT / "tests" / "probes" / "quick_consumer.py"
BOOK_ONCE = ROOT / "tests" / "probes" / "book_once.py"
PASSWORD = "Many-hosts-password-1"
TICK = 2  # seconds: the consumers' scheduler "minute"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
RACERS = 8  # half on each host
STUDENTS = ("anna", "boris", "vera", *(f"pupil{n}" for n in range(12)),
            *(f"racer{n}" for n in range(RACERS)))

pytestmark = [pytest.mark.slow, pytest.mark.serial,  # timing or load: runs alone (make test's serial phase)
              pytest.mark.skipif(not POSTGRES_URL, reason="needs TEST_DATABASE_URL (PostgreSQL)")]


# --- the shared parts ------------------------------------------------------------------

class Redis:
    """A redis-server of the test's own on a free port, stopped and started at will."""

    def __init__(self, folder):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.folder = folder
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder)], stdout=subprocess.DEVNULL)
        until(self.answers, "redis-server answering", timeout=10)

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)

    def answers(self):
        try:
            return redis.Redis.from_url(self.url, socket_connect_timeout=0.5).ping()
        except redis.ConnectionError:
            return False


class SlowMailgun(FakeMailgun):
    """The Mailgun fake taking `delay` seconds over each message, so a batch is long
    enough to be interrupted."""

    delay = 0.0

    def _messages(self, request):
        time.sleep(self.delay)
        return super()._messages(request)

    def sent(self, address):
        return [form for form in self.accepted if address in form["to"]]


@pytest.fixture
def postgres_url():
    schema = f"hosts_{uuid.uuid4().hex[:10]}"
    with psycopg2.connect(POSTGRES_URL) as conn, conn.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA {schema}")
    yield postgres_schema_url(schema)
    with psycopg2.connect(POSTGRES_URL) as conn, conn.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def data(postgres_url, tmp_path):
    """The database migrated, with a teacher and students who get e-mail, weekly hours,
    and last month's lesson for the monthly report. Returns the app to read it with."""
    from tutor import create_app, migrate
    from tutor.extensions import db
    from tutor.models import Lesson, User, utcnow
    from tutor.services import schedule, zones
    from tutor.services.passwords import hash_password

    app = create_app({"TESTING": True, "SECRET_KEY": "seed", "DATABASE_URL": postgres_url,
                      "INSTANCE_PATH": str(tmp_path / "seed"), "REDIS_URL": "",
                      "DATABASE_POOL_SIZE": 0})
    with app.app_context():
        migrate.upgrade(db.database)
        hashed = hash_password(PASSWORD)
        teacher = User.create(login="teacher", password_hash=hashed, role=User.TEACHER,
                              first_name="Анна", last_name="Петрова", channel=User.EMAIL,
                              email="teacher@example.org",
                              created_at=utcnow() - timedelta(days=120))
        for login in STUDENTS:
            User.create(login=login, password_hash=hashed, role=User.STUDENT,
                        first_name=login.title(), last_name="Ученик", channel=User.EMAIL,
                        email=f"{login}@example.org")
        schedule.set_windows(teacher, [(day, clock(8), clock(20)) for day in range(7)])
        month = zones.month_start(zones.teacher_today(teacher).replace(day=1)
                                  - timedelta(days=1), zones.teacher_zone())
        Lesson.create(teacher=teacher, student=User.get(User.login == "anna"),
                      start=month + timedelta(days=3, hours=10),
                      end=month + timedelta(days=3, hours=11), status=Lesson.CONFIRMED,
                      price=1500)
    db.database.close()
    return app


# --- the hosts ---------------------------------------------------------------------------

class Host:
    """One machine: an app server and a consumer with their own instance folder."""

    def __init__(self, name, home, shared):
        self.name = name
        self.home = home / name
        self.home.mkdir()
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **shared, "INSTANCE_PATH": str(self.home / "instance"),
                    "PROMETHEUS_MULTIPROC_DIR": str(self.home / "metrics"),
                    "HOST": "127.0.0.1", "PORT": str(self.port), "WEB_CONCURRENCY": "2"}
        self.env.pop("RATELIMIT_STORAGE_URI", None)
        self.web = self.consumer = None

    def _start(self, command, log):
        with open(self.home / log, "a") as output:
            return subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=output,
                                    stderr=subprocess.STDOUT)

    def start_web(self):
        self.web = self._start([str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py",
                                "wsgi:app"], "web.log")

        def ready():
            assert self.web.poll() is None, (self.home / "web.log").read_text()[-3000:]
            return getattr(answer(f"{self.base}/healthz"), "ok", False)  # None: still booting
        until(ready, f"host {self.name}'s app server", timeout=60)

    def start_consumer(self):
        log = self.home / "consumer.log"
        before = log.read_text() if log.exists() else ""
        self.consumer = self._start([sys.executable, str(QUICK_CONSUMER), "tasks.huey",
                                     "-w", "2", "-k", "thread", "-d", "0.05", "-m", "0.5"],
                                    "consumer.log")
        started = f"PID {self.consumer.pid}"

        def running():
            assert self.consumer.poll() is None, log.read_text()[-3000:]
            return started in log.read_text()[len(before):]
        until(running, f"host {self.name}'s consumer", timeout=60)

    def stop_consumer(self, sig=signal.SIGINT):
        self.consumer.send_signal(sig)
        self.consumer.wait(timeout=30)

    def flask(self, *args):
        done = subprocess.run([str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT,
                              env=self.env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def stop(self):
        for process in (self.consumer, self.web):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGINT if process is self.consumer
                                    else signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()


class Person:
    """A browser: cookies kept across hosts, as behind one proxy's address."""

    def __init__(self):
        self.session = requests.Session()

    def token(self, url):
        page = self.session.get(url, timeout=30)
        assert page.status_code == 200, (url, page.status_code)
        return CSRF.search(page.text)[1]

    def login(self, host, login):
        token = self.token(f"{host.base}/login")
        answer = self.session.post(f"{host.base}/login", allow_redirects=False, timeout=30,
                                   data={"csrf_token": token, "login": login,
                                         "password": PASSWORD})
        assert answer.status_code == 302, answer.text[-2000:]

    def signed_in_on(self, host):
        answer = self.session.get(f"{host.base}/account", allow_redirects=False, timeout=30)
        return answer.status_code == 200

    def book(self, host, start, token_from=None):
        token = self.token(f"{(token_from or host).base}/lessons/new?start={start}")
        return self.session.post(f"{host.base}/lessons", allow_redirects=False, timeout=30,
                                 data={"csrf_token": token, "start": start}).status_code


def week_offers(host, slot):
    """Whether `host` offers `slot` to a visitor on its week page."""
    page = requests.get(f"{host.base}/?week={slot:%Y-%m-%d}", timeout=30).text
    return f"?start={slot:%Y-%m-%dT%H:%M}" in page  # booking links are to the minute


@pytest.fixture
def shape(data, postgres_url, httpserver, tmp_path):
    own_redis = Redis(tmp_path)
    own_redis.start()
    mailgun = SlowMailgun(httpserver)
    shared = {  # what every host must be given alike (README, "PostgreSQL and Redis")
        "TUTOR_ENV": "production", "SECRET_KEY": "s" * 64,
        "PUBLIC_URL": "https://tutor.example.org/", "DATABASE_URL": postgres_url,
        "REDIS_URL": own_redis.url, "BACKUP_DIR": str(tmp_path / "shared-backups"),
        # plain HTTP on loopback here, where a proxy would end TLS
        "SESSION_COOKIE_SECURE": "0", "DATABASE_POOL_SIZE": "3",
        "EMAIL_BACKEND": "mailgun", "MAILGUN_DOMAIN": DOMAIN, "MAILGUN_API_KEY": API_KEY,
        "MAILGUN_URL": mailgun.url, "EMAIL_FROM": "Tutor <no-reply@mg.example.com>",
        "MAILGUN_EVENTS_DELAY_SECONDS": "2", "OUTBOX_LEASE_SECONDS": "4",
        "OUTBOX_RETRY_SECONDS": "1", "SCHEDULER_LEASE_SECONDS": "5",
        "SCHEDULER_TICK": str(TICK), "ARGON2_TIME_COST": "1", "ARGON2_MEMORY_COST": "1024",
        "LOG_LEVEL": "INFO",
        "LOGIN_RATE_LIMIT": "100 per minute"}  # every person here comes from 127.0.0.1
    hosts = [Host(name, tmp_path, shared) for name in ("a", "b")]
    try:
        for host in hosts:
            host.start_web()
        for host in hosts:
            host.start_consumer()
        yield (*hosts, own_redis, mailgun)
    finally:
        for host in hosts:
            host.stop()
        if own_redis.process.poll() is None:
            own_redis.stop()


def lease_holder(app):
    from tutor.services import scheduler
    with app.app_context():
        lease = scheduler.current()
        return int(lease.holder.split(":")[1]) if lease else None


def messages(app, **where):
    from tutor.models import Message
    with app.app_context():
        query = Message.select()
        for name, value in where.items():
            query = query.where(getattr(Message, name) == value)
        return list(query)


def test_two_hosts_share_sessions_work_files_and_the_schedule(data, shape):
    from tutor.models import Lesson, Message, User, WorkRequest, utcnow
    from tutor.services import notify, schedule

    a, b, own_redis, mailgun = shape
    app = data
    started = time.monotonic()
    until(lambda: lease_holder(app) in (a.consumer.pid, b.consumer.pid),
          "a consumer scheduling", timeout=30)

    # A session and a CSRF token from A work on B; a booking on A is gone from B's week.
    with app.app_context():
        teacher = User.get(User.login == "teacher")
        now = utcnow()
        slots = [s.start for s in schedule.free_slots_for(
            teacher, now + timedelta(days=2), now + timedelta(days=9), now)]
    anna = Person()
    anna.login(a, "anna")
    assert anna.signed_in_on(b)
    assert week_offers(b, slots[0])
    assert anna.book(a, slots[0].isoformat()) == 302
    assert not week_offers(b, slots[0])
    assert anna.book(b, slots[1].isoformat(), token_from=a) == 302  # A's token, on B

    # Students booking one slot at the same instant, half through each host: one lesson.
    go = a.home / "go"
    racers = [subprocess.Popen([sys.executable, str(BOOK_ONCE), (a, b)[n % 2].base,
                                f"racer{n}", PASSWORD, slots[3].isoformat(), str(go)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
              for n in range(RACERS)]
    for racer in racers:  # everyone logged in and holding the form
        assert racer.stdout.readline().strip() == "ready", racer.stderr.read()
    go.touch()
    answers = sorted(racer.communicate(timeout=120)[0].split()[0] for racer in racers)
    assert answers == ["302"] + ["409"] * (RACERS - 1), answers
    with app.app_context():
        assert Lesson.select().where(Lesson.start == slots[3]).count() == 1

    # A backup and the monthly report made on host A go out through B's consumer (A's
    # is stopped, and hands the schedule over as it stops); B lists the backup.
    a.stop_consumer()
    until(lambda: lease_holder(app) == b.consumer.pid, "B scheduling", timeout=15)
    a.flask("jobs", "run", "backup")
    a.flask("jobs", "run", "monthly_report")
    backup_name = until(lambda: next((f["attachments"][0] for f in mailgun.accepted
                                      if "tutor-backup-" in str(f["attachments"])), None),
                        "the backup e-mailed")
    until(lambda: any(name.endswith(".pdf") for f in mailgun.accepted
                      for name in f["attachments"]), "the monthly report e-mailed")
    assert backup_name in b.flask("backups")
    assert not list((a.home / "instance").glob("**/tutor-backup-*"))  # in the shared folder

    # The scheduling consumer (B's, the only one now) killed mid-batch: nothing lost,
    # nothing twice, and A's consumer, started again, takes the schedule over.
    mailgun.delay = 0.3
    batch = [f"pupil{n}@example.org" for n in range(12)]
    with app.app_context():
        for login in (f"pupil{n}" for n in range(12)):
            notify.enqueue(User.get(User.login == login), "welcome", key=f"welcome:{login}")
    until(lambda: sum(bool(mailgun.sent(to)) for to in batch) >= 3, "the batch begun")
    b.stop_consumer(signal.SIGKILL)
    assert len([to for to in batch if mailgun.sent(to)]) < len(batch)  # cut short
    a.start_consumer()
    until(lambda: lease_holder(app) == a.consumer.pid, "A scheduling after B died",
          timeout=30)
    until(lambda: all(mailgun.sent(to) for to in batch), "the batch finished", timeout=60)
    mailgun.delay = 0.0
    b.start_consumer()

    # Redis stopped and started again while people log in, book and reset a password.
    own_redis.stop()
    assert requests.get(f"{a.base}/readyz", timeout=30).json()["status"] == "degraded"
    vera = Person()
    vera.login(b, "vera")
    assert vera.book(a, slots[2].isoformat()) == 302
    forgot = Person()
    token = forgot.token(f"{b.base}/forgot")
    assert forgot.session.post(f"{b.base}/forgot", data={"csrf_token": token,
                                                         "identifier": "boris"},
                               allow_redirects=False, timeout=30).status_code == 302
    with app.app_context():
        assert WorkRequest.select().count() == 1  # saved, waiting for the queue
    own_redis.start()  # empty: the database kept what matters
    until(lambda: mailgun.sent("boris@example.org"), "the reset link e-mailed", timeout=60)

    # Everything sent, each message exactly once.
    def all_sent():
        return not messages(app, status=Message.PENDING) and not messages(
            app, status=Message.SENDING)
    until(all_sent, "the outbox empty", timeout=60)
    with app.app_context():
        assert Lesson.select().count() == 5  # last month's, three bookings and the race's
        statuses = {m.status for m in Message.select().where(Message.channel == User.EMAIL)}
        assert statuses == {Message.SENT}, statuses
        sent_ids = [form["h:Message-Id"] for form in mailgun.accepted]
        assert len(sent_ids) == len(set(sent_ids))  # nothing twice
        assert Message.select().where(Message.channel == User.EMAIL).count() == len(sent_ids)
    assert len(mailgun.sent("boris@example.org")) == 1
    print(f"the whole shape ran in {time.monotonic() - started:.0f} s")
