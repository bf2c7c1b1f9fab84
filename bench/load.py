"""Load benchmark: the production gunicorn configuration on 127.0.0.1 against a
seeded SQLite database, driven by wrk (or a small Python generator) on loopback.

    make bench                                    # the defaults below
    .venv/bin/python bench/load.py --sizes 10000,100000,1000000 --duration 10

For each size (lessons; the students stay --students) and each database (SQLite,
and PostgreSQL with --postgresql URL) it seeds a database once (instance/bench/, or a
PostgreSQL database tutor_bench_seed_…, kept for a week), copies it, starts
`gunicorn -c deploy/gunicorn.conf.py bench.bare_wsgi:app` with --workers workers and
runs every scenario for --duration seconds at --connections connections:

  bare            GET /bench/bare: a fixed string through the whole stack (the ceiling)
  week-student    GET /?week=<next week> as a logged-in student, the full page
  week-fragment   the same with HX-Request: true (what htmx navigation fetches, taking
                  gzip as a browser does); after the first request the server answers it
                  from its kept weeks
  week-fragment-304  the same with the ETag the browser kept (If-None-Match): answered
                  304 before the week is built or rendered
  week-fragment-new  the same fragment for 2,000 students in turn: a worker sees about
                  1,000 others before one comes back, more than it keeps
                  (WEEK_CACHE_ENTRIES, 512), so every request is built and rendered
  week-teacher    the full week page as the teacher
  students-search GET /teacher/students?q=иван as an htmx fragment, as the teacher
  booking         POST /lessons, each request a different free slot, from students taking
                  turns (as many as the teacher's limit of pending requests needs);
                  when the slots (about 2,600 in the year) run out before --duration,
                  the generator stops and bookings/s is counted over the time they
                  lasted (the output says so)

Per scenario it prints requests/s, p50 and p99 latency, the SQL queries one request
costs (counted in-process through the Flask test client on the same data), and the
ratio to the bare endpoint of the same database; with --postgresql, each scenario on
PostgreSQL beside SQLite; then how the latency grows with the data. After the
booking run it checks the database: every 302 made a lesson, no two lessons of the
teacher overlap. It prints the gunicorn workers' resident memory at the start and
after the scenarios.
"""
import argparse
import json
import logging
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta, timezone
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import quote, urlencode, urljoin

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import seed as seeding  # noqa: E402

DATA = ROOT / "instance" / "bench"
GUNICORN = Path(sys.executable).parent / "gunicorn"
SEARCH = "иван"
BOOKING_STUDENTS = 8  # at least; more when the slots need them (booking_sessions)
BOOKING_COMMENT = "bench-load"
IN_PROCESS_BOOKINGS = 1 + 3 * 20  # the query count, then three rounds of CPU time
NEW_WEEK_VIEWERS = 2_000  # students taking turns in week-fragment-new
SCENARIOS = ("bare", "week-student", "week-fragment", "week-fragment-304", "week-fragment-new",
             "week-teacher", "students-search", "booking")


@dataclass
class Request:
    method: str
    path: str
    headers: dict
    body: str = ""


@dataclass
class Result:
    scenario: str
    size: int
    database: str = "sqlite"
    requests: int = 0
    seconds: float = 0.0
    errors: int = 0  # connection errors, timeouts and statuses other than 2xx/3xx
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    queries: int = 0
    cpu_ms: float = 0.0
    note: str = ""
    statuses: dict = field(default_factory=dict)

    @property
    def rps(self):
        return self.requests / self.seconds if self.seconds else 0.0


# --- the server -------------------------------------------------------------------------

def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn with the production configuration, serving the app plus /bench/bare."""

    def __init__(self, url, workers, workdir, secret, env=None):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / "gunicorn.log"
        env = {**os.environ, "TUTOR_ENV": "production", "SECRET_KEY": secret,
               "SESSION_COOKIE_SECURE": "0", "DATABASE_URL": url, "REDIS_URL": "",
               "RATELIMIT_ENABLED": "0",  # a few logins from one address in a minute
               "HOST": "127.0.0.1", "PORT": str(self.port), "WEB_CONCURRENCY": str(workers),
               "PUBLIC_URL": self.base,
               "INSTANCE_PATH": str(workdir / "instance"),
               "PROMETHEUS_MULTIPROC_DIR": str(workdir / "metrics"), **(env or {})}
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [str(GUNICORN), "-c", "deploy/gunicorn.conf.py", "bench.bare_wsgi:app"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"{self.base}/bench/bare", timeout=5)
                return
            except (requests.ConnectionError, requests.Timeout):
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"gunicorn did not start, see {self.log_path}")
                time.sleep(0.1)

    def worker_rss_mb(self):
        """The resident memory of each gunicorn worker (the master's children), MB."""
        sizes = []
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                fields = dict(line.split(":", 1) for line in status.read_text().splitlines()
                              if ":" in line)
            except OSError:  # the process ended meanwhile
                continue
            if int(fields.get("PPid", "0")) == self.process.pid and "VmRSS" in fields:
                sizes.append(int(fields["VmRSS"].split()[0]) / 1024)
        return sorted(sizes)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=60)
        self.log.close()


def csrf_token(html):
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)[1]


def log_in(base, login):
    session = requests.Session()
    token = csrf_token(session.get(f"{base}/login").text)
    response = session.post(f"{base}/login", data={
        "csrf_token": token, "login": login, "password": seeding.BENCH_PASSWORD},
        allow_redirects=False)
    if response.status_code != 302:
        raise RuntimeError(f"could not log in as {login}: {response.status_code}")
    # Open the page it leads to, as a browser does: that shows (and takes out of the
    # session) the welcome message. A cookie still carrying it would make every
    # request of a scenario show it again and write the session anew.
    session.get(urljoin(f"{base}/", response.headers["Location"]))
    return session


def cookie_header(session):
    return "; ".join(f"{name}={value}" for name, value in session.cookies.items())


def signed_in_cookies(url, secret, count):
    """Session cookies of `count` students, signed with the server's key as logging in
    would make them: thousands of logins through argon2 would take minutes."""
    from tutor import create_app
    from tutor.extensions import db
    from tutor.models import User
    from tutor.services import accounts

    app = create_app({"DATABASE_URL": url, "REDIS_URL": "", "LOG_LEVEL": "WARNING",
                      "SECRET_KEY": secret})
    serializer = app.session_interface.get_signing_serializer(app)
    name = app.config["SESSION_COOKIE_NAME"]
    with app.app_context(), db.database.atomic():
        students = (User.select().where(User.role == User.STUDENT).order_by(User.id)
                    .limit(count))
        # Each a login session of its own (a LoginSession record), as logging in makes.
        keys = [accounts.start_session(s, "bench").get_id() for s in students]
        cookies = [f"{name}={serializer.dumps({'_user_id': key, '_fresh': False})}"
                   for key in keys]
    db.database.close()
    return cookies


# --- what each scenario sends -----------------------------------------------------------

@dataclass
class Plan:
    week: str  # the Monday of next week, ISO
    slots: list  # free slot starts (naive UTC) for the booking run
    reserved: list  # more, booked in-process to count queries and CPU time


def plan(url):
    """Next week's Monday and the free slots from tomorrow on, read in-process."""
    from tutor import create_app
    from tutor.extensions import db
    from tutor.models import User, utcnow
    from tutor.services import availability, schedule

    app = create_app({"DATABASE_URL": url, "REDIS_URL": "", "LOG_LEVEL": "WARNING"})
    with app.app_context():
        teacher = User.teachers().first()
        now = utcnow()
        settings = schedule.settings_for(teacher)
        slots = schedule.free_slots_for(teacher, now + timedelta(days=1),
                                        now + timedelta(days=settings.horizon_days), now)
        db.database.close()
    week = availability.week_start((now + timedelta(days=7)).date()).isoformat()
    starts = [slot.start for slot in slots]
    return Plan(week, starts[:-IN_PROCESS_BOOKINGS], starts[-IN_PROCESS_BOOKINGS:])


def scenario_requests(name, sessions, week, base):
    """The requests of a read scenario, sent in turn (booking builds its own)."""
    student, teacher = sessions["student"], sessions["teacher"]
    # As a browser's htmx request: it takes gzip (the kept weeks are sent so).
    fragment = {"HX-Request": "true", "HX-Current-URL": f"{base}/", "Accept-Encoding": "gzip"}
    if name == "week-fragment-new":
        return [Request("GET", f"/?week={week}", {**fragment, "Cookie": cookie})
                for cookie in sessions["many"]]
    if name == "week-fragment-304":  # the browser asks whether its copy is current
        headers = {**fragment, "Cookie": student}
        tag = requests.get(f"{base}/?week={week}", headers=headers, timeout=30).headers["ETag"]
        return [Request("GET", f"/?week={week}", {**headers, "If-None-Match": tag})]
    path, cookie, extra = {
        "bare": ("/bench/bare", None, {}),
        "week-student": (f"/?week={week}", student, {}),
        "week-fragment": (f"/?week={week}", student, fragment),
        "week-teacher": (f"/?week={week}", teacher, {}),
        "students-search": (f"/teacher/students?q={quote(SEARCH)}", teacher, fragment),
    }[name]
    headers = {**extra, **({"Cookie": cookie} if cookie else {})}
    return [Request("GET", path, headers)]


def booking_sessions(base, slots, students):
    """(cookie, CSRF token) of each student who takes turns to book `slots`: enough
    that none reaches the teacher's limit of pending requests (the seed sets the most
    allowed: 100 each, so 8 students were refused after 800 bookings), at least
    BOOKING_STUDENTS, at most the seeded students but the one the week scenarios use."""
    from tutor.services.schedule import SETTING_LIMITS

    each = SETTING_LIMITS["max_pending_lessons"][1]
    count = min(max(BOOKING_STUDENTS, math.ceil(len(slots) / each) + 1), students - 1)
    bookers = []
    for n in range(2, 2 + count):
        session = log_in(base, f"student{n:05d}")
        page = session.get(f"{base}/lessons/new", params={"start": slots[0].isoformat()})
        bookers.append((cookie_header(session), csrf_token(page.text)))
    return bookers


def booking_requests(bookers, slots):
    """One POST per slot, the students taking turns: (cookie, csrf token) each."""
    for n, start in enumerate(slots):
        cookie, token = bookers[n % len(bookers)]
        body = urlencode({"csrf_token": token, "start": start.isoformat(),
                          "comment": BOOKING_COMMENT})
        yield Request("POST", "/lessons", {
            "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}, body)


# --- counting queries in-process ----------------------------------------------------------

@contextmanager
def counting_queries():
    """The number of SQL statements peewee runs inside the block: counter[0]."""
    counter = [0]

    class Handler(logging.Handler):
        def emit(self, record):
            if record.name == "peewee":  # not "peewee.pool": a connection taken or given back
                counter[0] += 1

    logger, handler = logging.getLogger("peewee"), Handler()
    level, propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    try:
        yield counter
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate


@dataclass
class Cost:
    queries: int
    cpu_ms: float  # CPU time of one request in-process, the best of the rounds


def cpu_ms(call, repeat, rounds):
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(repeat):
            call()
        best = min(best, (time.process_time() - started) / repeat * 1000)
    return best if rounds else 0.0


def in_process_costs(url, week, reserved, rounds=3, scenarios=SCENARIOS):
    """What one request of each scenario costs through the Flask test client on the
    same data: SQL queries, and CPU time, which other processes on a busy machine
    disturb far less than requests/s. Bookings take the reserved slots."""
    from tutor import create_app
    from tutor.extensions import db

    app = create_app({"DATABASE_URL": url, "REDIS_URL": "", "LOG_LEVEL": "WARNING",
                      "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False})
    app.add_url_rule("/bench/bare", "bench_bare", lambda: "ok")  # as bench/bare_wsgi.py
    student, teacher = app.test_client(), app.test_client()
    for client, login in ((student, "student00001"), (teacher, seeding.TEACHER_LOGIN)):
        response = client.post("/login", data={"login": login,
                                                "password": seeding.BENCH_PASSWORD})
        assert response.status_code == 302, f"could not log in as {login}"
    fragment = {"HX-Request": "true", "Accept-Encoding": "gzip"}
    slots = iter(reserved)

    def book():
        return student.post("/lessons", data={"start": next(slots).isoformat(),
                                              "comment": "bench-count"})

    def new_week():
        kept = app.extensions.get("rendered_weeks")  # made by the first week rendered
        if kept is not None:
            kept.clear()
        return student.get(f"/?week={week}", headers=fragment)

    def not_modified():
        if not tag:
            tag.append(student.get(f"/?week={week}", headers=fragment).headers["ETag"])
        return student.get(f"/?week={week}", headers={**fragment, "If-None-Match": tag[0]})
    tag = []

    calls = {
        "bare": lambda: student.get("/bench/bare"),
        "week-student": lambda: student.get(f"/?week={week}"),
        "week-fragment": lambda: student.get(f"/?week={week}", headers=fragment),
        "week-fragment-304": not_modified,
        "week-fragment-new": new_week,
        "week-teacher": lambda: teacher.get(f"/?week={week}"),
        "students-search": lambda: teacher.get(f"/teacher/students?q={quote(SEARCH)}",
                                               headers=fragment),
        "booking": book,
    }
    costs = {}
    try:
        for name, call in calls.items():
            if name not in scenarios:
                continue
            if name != "booking":
                call()  # the first request warms caches
            with counting_queries() as counter:
                status = call().status_code
            expected = {"booking": 302, "week-fragment-304": 304}.get(name, 200)
            assert status == expected, f"{name}: {status}"
            costs[name] = Cost(counter[0], cpu_ms(call, 200 if name == "bare" else 20,
                                                  rounds))
    finally:
        db.database.close()
    return costs


# --- load generators ------------------------------------------------------------------------

WRK_SCRIPT = """
local items = {ITEMS}
local counter = 0
id = id or 0
local threads_count = 1
local threads = {}
statuses = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  threads_count = tonumber(args[1])
end

function request()
  local index = id + counter * threads_count + 1
  counter = counter + 1
  if index > #items then
    if CYCLE then
      index = (index - 1) % #items + 1
    else
      -- every slot is taken: stop, sending a harmless request meanwhile
      wrk.thread:stop()
      return wrk.format("GET", "/bench/bare")
    end
  end
  local item = items[index]
  return wrk.format(item[1], item[2], item[3], item[4])
end
{RESPONSE}
function done(summary, latency, requests)
  local e = summary.errors
  local counts = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses") or {}) do
      counts[status] = (counts[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(counts) do
    table.insert(parts, status .. "=" .. n)
  end
  io.write(string.format(
    "BENCH %d %d %d %d %d %d %d %d %d %s\\n", summary.requests, summary.duration,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), table.concat(parts, ",")))
end
"""
WRK_RESPONSE = """
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
"""


def lua_string(value):
    return "[==[" + value + "]==]"


def run_wrk(base, items, duration, connections, once=False):
    """wrk against `items`: sent in turn over and over, or each once (`once`) until
    they run out."""
    threads = min(2, connections)
    entries = ",\n".join(
        "{%s, %s, {%s}, %s}" % (
            lua_string(item.method), lua_string(item.path),
            ", ".join(f"[ {lua_string(k)} ] = {lua_string(v)}" for k, v in item.headers.items()),
            lua_string(item.body) if item.body else "nil")
        for item in items)
    script = (WRK_SCRIPT
              .replace("{ITEMS}", "{" + entries + "}")
              .replace("CYCLE", "false" if once else "true")
              .replace("{RESPONSE}", WRK_RESPONSE if once else ""))
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        output = subprocess.run(
            ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s",
             "--timeout", "10s", "-s", handle.name, base, "--", str(threads)],
            capture_output=True, text=True, timeout=duration + 60)
    finally:
        os.unlink(handle.name)
    line = next((line for line in output.stdout.splitlines() if line.startswith("BENCH ")),
                None)
    if output.returncode or line is None:
        raise RuntimeError(f"wrk failed: {output.stdout}{output.stderr}")
    fields = line.split()
    done, micros, connect, read, write, status, timeout, p50, p99 = map(int, fields[1:10])
    statuses = dict(part.split("=") for part in (fields[10] if len(fields) > 10 else "")
                    .split(",") if part)
    return {"requests": done, "seconds": micros / 1e6,
            "errors": connect + read + write + status + timeout,
            "p50_ms": p50 / 1000, "p99_ms": p99 / 1000,
            "statuses": {int(k): int(v) for k, v in statuses.items()}}


def run_python(base, items, duration, connections, once=False):
    """A bounded Python generator: one thread per connection, keep-alive, for when wrk
    is not installed. It shares the 2 cores with the server, so it measures lower."""
    host, port = base.removeprefix("http://").split(":")
    deadline = time.monotonic() + duration
    lock, position = threading.Lock(), [0]
    latencies, errors, statuses = [], [0], {}

    def next_item():
        with lock:
            if position[0] >= len(items):
                if once:
                    return None
                position[0] = 0
            position[0] += 1
            return items[position[0] - 1]

    def worker():
        connection = HTTPConnection(host, int(port), timeout=10)
        mine = []
        while time.monotonic() < deadline:
            item = next_item()
            if item is None:
                break
            started = time.perf_counter()
            try:
                connection.request(item.method, item.path, body=item.body.encode() or None,
                                   headers=item.headers)
                response = connection.getresponse()
                response.read()
                ok = response.status < 400
                with lock:
                    statuses[response.status] = statuses.get(response.status, 0) + 1
            except OSError:
                connection.close()
                connection = HTTPConnection(host, int(port), timeout=10)
                ok = False
            mine.append(time.perf_counter() - started)
            if not ok:
                with lock:
                    errors[0] += 1
        with lock:
            latencies.extend(mine)
        connection.close()

    started = time.monotonic()
    workers = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    seconds = time.monotonic() - started
    latencies.sort()
    pick = (lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000) \
        if latencies else (lambda q: 0.0)
    return {"requests": len(latencies), "seconds": seconds, "errors": errors[0],
            "p50_ms": pick(0.50), "p99_ms": pick(0.99), "statuses": statuses}


# --- one size -------------------------------------------------------------------------------

def seeded_copy(size, students, data, workdir, log):
    """A fresh copy of the seeded database for `size` lessons, seeded again when the
    kept one is over a week old (its future part is a year long; its recent past
    should stay recent)."""
    today = datetime.now(timezone.utc).date()
    kept = sorted(data.glob(f"lessons-{size}-students-{students}-*.db"))
    fresh = [path for path in kept
             if today - date.fromisoformat(path.stem[-10:]) <= timedelta(days=7)]
    cached = fresh[-1] if fresh else data / f"lessons-{size}-students-{students}-{today}.db"
    if not cached.exists():
        partial = cached.with_suffix(".partial")
        written = seeding.seed(f"sqlite:///{partial}", students, size, anchor=today,
                               replace=True, log=log)
        log(f"seeded {size} lessons in {written['seconds']} s")
        partial.rename(cached)
    copy = workdir / "run.db"
    for suffix in ("-wal", "-shm"):
        Path(f"{copy}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(cached, copy)
    url = f"sqlite:///{copy}"
    upgrade(url)  # migrations written since the seed
    return url


PG_SEED = "tutor_bench_seed_"
PG_RUN = "tutor_bench_run"


def seeded_postgres(size, students, server_url, log, run_name=PG_RUN):
    """The same for PostgreSQL on the server of `server_url`: the seeded database
    tutor_bench_seed_<size>_<students>_<date> is kept for a week (older ones are
    dropped), and each run gets `run_name`, made from it as a template."""
    import psycopg2

    today = datetime.now(timezone.utc).date()
    prefix = f"{PG_SEED}{size}_{students}_"

    def admin(statement, *params):
        connection = psycopg2.connect(server_url)
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute(statement, params)
                return cursor.fetchall() if cursor.description else None
        finally:
            connection.close()

    names = [row[0] for row in admin("SELECT datname FROM pg_database WHERE datname LIKE %s",
                                     prefix + "%")]
    fresh = []
    for name in sorted(names):
        day = name.removeprefix(prefix)
        if day.isdigit() and today - datetime.strptime(day, "%Y%m%d").date() <= timedelta(days=7):
            fresh.append(name)
        else:
            admin(f"DROP DATABASE {name} WITH (FORCE)")  # old, or a seed cut short
    seeded = fresh[-1] if fresh else None
    if seeded is None:
        seeded = f"{prefix}{today:%Y%m%d}"
        partial = f"{seeded}_partial"
        admin(f"CREATE DATABASE {partial}")
        written = seeding.seed(database_url(server_url, partial), students, size,
                               anchor=today, log=log)
        # The seeding app's pooled connection is still open: a rename needs none.
        admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
              "WHERE datname = %s AND pid <> pg_backend_pid()", partial)
        admin(f"ALTER DATABASE {partial} RENAME TO {seeded}")
        log(f"seeded {size} lessons on PostgreSQL in {written['seconds']} s")
    admin(f"DROP DATABASE IF EXISTS {run_name} WITH (FORCE)")
    admin(f"CREATE DATABASE {run_name} TEMPLATE {seeded}")
    url = database_url(server_url, run_name)
    upgrade(url)
    return url


def database_url(server_url, name):
    """`server_url` (postgresql://…/anything) naming database `name` instead."""
    from urllib.parse import urlsplit
    return urlsplit(server_url)._replace(path=f"/{name}").geturl()


def upgrade(url):
    from tutor import create_app, migrate
    from tutor.extensions import db

    app = create_app({"DATABASE_URL": url, "REDIS_URL": "", "LOG_LEVEL": "WARNING"})
    with app.app_context():
        migrate.upgrade(db.database)
        db.database.close()


def run_size(size, database, args, log):
    workdir = args.data / "run"
    workdir.mkdir(parents=True, exist_ok=True)
    if database == "postgresql":
        url = seeded_postgres(size, args.students, args.postgresql, log)
    else:
        url = seeded_copy(size, args.students, args.data, workdir, log)
    the_plan = plan(url)
    costs = in_process_costs(url, the_plan.week, the_plan.reserved, min(args.cpu_rounds, 3),
                             args.scenarios)
    generator = run_wrk if args.generator == "wrk" else run_python
    secret = os.urandom(32).hex()
    server = Server(url, args.workers, workdir, secret)
    results = []
    log(f"  worker RSS at start: {_megabytes(server.worker_rss_mb())}")
    try:
        sessions = {"student": cookie_header(log_in(server.base, "student00001")),
                    "teacher": cookie_header(log_in(server.base, seeding.TEACHER_LOGIN)),
                    "many": signed_in_cookies(url, secret, NEW_WEEK_VIEWERS)}
        offered = the_plan.slots[:args.booking_slots or None]
        bookers = booking_sessions(server.base, offered, args.students)
        for name in args.scenarios:
            if name == "booking":
                items = list(booking_requests(bookers, offered))
            else:
                items = scenario_requests(name, sessions, the_plan.week, server.base)
                if args.warmup:
                    generator(server.base, items, args.warmup, args.connections)
            load = os.getloadavg()[0]
            figures = generator(server.base, items, args.duration, args.connections,
                                once=name == "booking")
            result = Result(name, size, database, queries=costs[name].queries,
                            cpu_ms=costs[name].cpu_ms, **figures)
            if name == "booking":
                result.note = check_bookings(url, result, len(items), args.connections)
            log(f"  {name:17} {result.rps:8.0f} req/s  p50 {result.p50_ms:6.1f} ms  "
                f"p99 {result.p99_ms:6.1f} ms  {result.queries:3d} queries  "
                f"cpu {result.cpu_ms:5.1f} ms  errors {result.errors}  (load {load:.2f}) "
                f"{result.note}")
            results.append(result)
        log(f"  worker RSS after the run: {_megabytes(server.worker_rss_mb())}")
    finally:
        server.stop()
    return results


def _megabytes(sizes):
    return ", ".join(f"{size:.0f} MB" for size in sizes) or "-"


def check_bookings(url, result, offered, connections):
    """Every booking answered with a redirect made a lesson (and those still in flight
    when the run ended may have made one more each), nothing else was answered, and
    no two lessons of the teacher overlap.

    When every offered slot was taken before the run's time was up, the generator
    stopped sending (wrk still reports the whole --duration): the result is then
    counted over the time the slots lasted, from the first booking's created_at to
    the last one's, and `requests` are the bookings alone (not the generator's last
    harmless GETs), so bookings/s is the real rate. No booking is sent once the slots
    are gone, so the latencies are the bookings' (and one GET per wrk thread)."""
    from peewee import fn

    from tutor import create_app
    from tutor.extensions import db
    from tutor.models import Lesson

    app = create_app({"DATABASE_URL": url, "REDIS_URL": "", "LOG_LEVEL": "WARNING"})
    with app.app_context():
        booked, first, last = (Lesson
                               .select(fn.COUNT(Lesson.id), fn.MIN(Lesson.created_at),
                                       fn.MAX(Lesson.created_at))
                               .where(Lesson.comment == BOOKING_COMMENT)
                               .tuples()
                               .get())
        db.database.close()
    overlapping = seeding.overlaps(url)
    redirects = result.statuses.get(302, 0)
    # wrk stops a thread the moment its share of the slots is sent, dropping what its
    # other connections still have in flight: up to one booking per connection.
    exhausted = booked + connections >= offered
    others = {status: n for status, n in result.statuses.items()
              if status != 302 and not (exhausted and status == 200)}
    if (overlapping or result.errors or others
            or not redirects <= booked <= redirects + connections):
        raise SystemExit(f"booking check failed: {redirects} redirects after booking, "
                         f"{booked} lessons, other answers {others}, {result.errors} "
                         f"errors, {overlapping} overlapping pairs")
    note = f"{booked} lessons booked, none overlapping"
    if exhausted:
        lasted = (_moment(last) - _moment(first)).total_seconds()
        note += (f"; the {offered} free slots offered ran out after {lasted:.1f} s of "
                 f"{result.seconds:.1f} s: bookings/s counted over those {lasted:.1f} s")
        result.requests, result.seconds = booked - 1, lasted  # intervals between bookings
    return note


def _moment(value):
    """A created_at as SQLite returns it from MIN()/MAX() (text) or PostgreSQL does."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


# --- the report -------------------------------------------------------------------------------

def report(results, sizes, log):
    databases = list(dict.fromkeys(r.database for r in results))
    bare = {(r.database, r.size): r for r in results if r.scenario == "bare"}

    def row_of(name, size, database):
        return next((r for r in results if (r.scenario, r.size, r.database) ==
                     (name, size, database)), None)

    log("")
    log(f"{'scenario':17} {'database':>10} {'lessons':>9} {'req/s':>8} {'p50 ms':>7} "
        f"{'p99 ms':>7} {'queries':>7} {'of bare':>7} {'cpu ms':>7} {'cpu/bare':>8} "
        f"{'errors':>6}")
    for name in SCENARIOS:
        for size in sizes:
            for database in databases:
                row = row_of(name, size, database)
                if row is None:
                    continue
                base = bare.get((database, size))
                ratio = f"{row.rps / base.rps:.0%}" if base and base.rps else "-"
                cpu = f"{row.cpu_ms:.1f}" if row.cpu_ms else "-"
                cpu_ratio = f"x{row.cpu_ms / base.cpu_ms:.1f}" if base and base.cpu_ms and \
                    row.cpu_ms else "-"
                log(f"{name:17} {database:>10} {size:9,d} {row.rps:8.0f} {row.p50_ms:7.1f} "
                    f"{row.p99_ms:7.1f} {row.queries:7d} {ratio:>7} {cpu:>7} {cpu_ratio:>8} "
                    f"{row.errors:6d}")
    if len(databases) > 1:
        log("")
        log("PostgreSQL beside SQLite (req/s on PostgreSQL as a share of SQLite's):")
        for name in SCENARIOS:
            for size in sizes:
                lite, pg = row_of(name, size, "sqlite"), row_of(name, size, "postgresql")
                if lite and pg and lite.rps:
                    log(f"  {name:17} {size:9,d}  {pg.rps / lite.rps:5.0%}  "
                        f"p50 {lite.p50_ms:.1f} -> {pg.p50_ms:.1f} ms")
    if len(sizes) > 1:
        for database in databases:
            log("")
            log(f"latency growth from {sizes[0]:,} to {sizes[-1]:,} lessons on {database} "
                f"(p50, p99):")
            for name in SCENARIOS:
                first, last = row_of(name, sizes[0], database), row_of(name, sizes[-1], database)
                if first and last and first.p50_ms and first.p99_ms:
                    cpu = f"x{last.cpu_ms / first.cpu_ms:.2f}" if first.cpu_ms else "-"
                    log(f"  {name:17} p50 x{last.p50_ms / first.p50_ms:.2f}  "
                        f"p99 x{last.p99_ms / first.p99_ms:.2f}  cpu {cpu}  queries "
                        f"{first.queries} -> {last.queries}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000",
                        help="lessons, comma-separated (e.g. 10000,100000,1000000)")
    parser.add_argument("--students", type=int, default=5_000)
    parser.add_argument("--duration", type=int, default=10, help="seconds per scenario")
    parser.add_argument("--warmup", type=int, default=1, help="seconds before each read scenario")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--generator", choices=("wrk", "python"),
                        default="wrk" if shutil.which("wrk") else "python")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--booking-slots", type=int, default=0,
                        help="offer only this many free slots to book (0: all of them)")
    parser.add_argument("--cpu-rounds", type=int, default=3,
                        help="rounds of the in-process CPU measurement, 0 to 3 (0: skip it)")
    parser.add_argument("--data", type=Path, default=DATA,
                        help="where the seeded databases are kept (default: instance/bench)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--postgresql", metavar="URL",
                        default=os.environ.get("BENCH_POSTGRESQL_URL", ""),
                        help="also run every scenario on PostgreSQL: a server URL whose "
                             "user may create databases (default $BENCH_POSTGRESQL_URL)")
    args = parser.parse_args(argv)
    try:
        sizes = [int(size) for size in args.sizes.split(",")]
    except ValueError:
        parser.error("--sizes takes whole numbers separated by commas")
    args.scenarios = [name for name in args.scenarios.split(",") if name]
    unknown = set(args.scenarios) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    if args.duration < 1 or args.connections < 1 or args.workers < 1:
        parser.error("--duration, --connections and --workers must be at least 1")
    os.environ.setdefault("SECRET_KEY", "bench")

    def log(line):
        print(line, flush=True)

    log(f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}, generator {args.generator}, "
        f"{args.workers} gunicorn workers, {args.connections} connections, "
        f"{args.duration} s per scenario")
    databases = ["sqlite"] + (["postgresql"] if args.postgresql else [])
    results = []
    for size in sizes:
        for database in databases:
            log(f"{size:,} lessons, {args.students:,} students, {database}:")
            results += run_size(size, database, args, log)
    report(results, sizes, log)
    if args.json:
        args.json.write_text(json.dumps([{**asdict(r), "rps": r.rps} for r in results],
                                        indent=2))
    return results


if __name__ == "__main__":
    main()
