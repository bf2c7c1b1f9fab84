"""What each piece of the performance machinery is worth: every scenario it speeds up,
run with the piece and without it (bench/without.py) side by side in one run, on the
benchmark's data (bench/seed.py), SQLite and, with --postgresql, PostgreSQL.

    .venv/bin/python bench/machinery.py --lessons 100000 --rounds 3 --duration 5 \\
        --postgresql postgresql://postgres@127.0.0.1:5432/test

For each piece and database, two copies of the seeded database (the piece's own
"without" may change its copy: kept-weeks drops the change counters' triggers), then:
- in-process, one process per side (the database binding is global), CPU ms of one
  request through the Flask test client, the sides taking turns, --cpu-rounds rounds
  of --cpu-requests requests each: the best and the median round;
- over HTTP, two gunicorn servers of the production configuration (the second with
  BENCH_WITHOUT=<piece>), wrk for --duration seconds per scenario and side, the sides
  taking turns (with first in even rounds, without first in odd), --rounds rounds:
  the median requests/s, p50 and p99, and the load average before each run.
Bookings are deleted after each booking run, so every round books the same free slots.
The PostgreSQL databases are bench_machinery (the seed) and bench_machinery_<side>,
dropped at the end unless --keep-postgresql.
"""
import argparse
import contextlib
import multiprocessing
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import load  # noqa: E402
import seed as seeding  # noqa: E402
import without  # noqa: E402

SCENARIOS = {
    "kept-weeks": ("week-fragment", "week-visitor", "week-fragment-new", "booking"),
    "prepared": ("week-fragment", "week-fragment-new", "week-student", "booking"),
    "flock": ("booking",),
}
SQLITE_ONLY = {"flock"}  # PostgreSQL writers take an advisory lock instead
PG_SEED = "bench_machinery"
IN_PROCESS_SLOTS = 200  # the last free slots, booked in-process; the rest over HTTP
BOOKING_MARGIN = timedelta(days=3)  # HTTP books no slot sooner than this
SIDES = ("with", "without")


# --- in-process: one process per side ------------------------------------------------------

def _side_process(url, pieces, week, reserved, pipe):
    """Serve measurements for one side: (scenario, requests) -> (CPU ms, bytes)."""
    from tutor import create_app
    from tutor.extensions import db

    app = create_app({"DATABASE_URL": url, "REDIS_URL": "", "LOG_LEVEL": "WARNING",
                      "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False})
    without.switch_off(pieces)
    student, teacher, visitor = app.test_client(), app.test_client(), app.test_client()
    for client, login in ((student, "student00001"), (teacher, seeding.TEACHER_LOGIN)):
        response = client.post("/login", data={"login": login,
                                                "password": seeding.BENCH_PASSWORD},
                               follow_redirects=True)
        assert response.status_code == 200, f"could not log in as {login}"
    fragment, slots = {"HX-Request": "true"}, iter(reserved)

    def new_week():
        kept = app.extensions.get("rendered_weeks")
        if kept is not None:
            kept.clear()
        return student.get(f"/?week={week}", headers=fragment)

    calls = {
        "week-fragment": lambda: student.get(f"/?week={week}", headers=fragment),
        "week-visitor": lambda: visitor.get(f"/?week={week}", headers=fragment),
        "week-fragment-new": new_week,
        "week-student": lambda: student.get(f"/?week={week}"),
        "week-teacher": lambda: teacher.get(f"/?week={week}"),
        "booking": lambda: student.post("/lessons", data={"start": next(slots).isoformat(),
                                                          "comment": "bench-count"}),
    }
    while (job := pipe.recv()) is not None:
        name, repeat = job
        call = calls[name]
        if name != "booking":
            call()  # warm
        started = time.process_time()
        for _ in range(repeat):
            response = call()
        spent = (time.process_time() - started) / repeat * 1000
        expected = 302 if name == "booking" else 200
        assert response.status_code == expected, f"{name}: {response.status_code}"
        pipe.send((spent, len(response.data)))
    db.database.close()


def in_process(urls, pieces, week, reserved, scenarios, rounds, repeat):
    """{scenario: {side: ([CPU ms per round], bytes)}}, the sides taking turns."""
    context = multiprocessing.get_context("spawn")
    sides = {}
    for side in SIDES:
        mine, theirs = context.Pipe()
        process = context.Process(target=_side_process, args=(
            urls[side], pieces if side == "without" else [], week, reserved, theirs))
        process.start()
        theirs.close()  # so that a side that dies ends recv() with EOFError, not a wait
        sides[side] = (process, mine)
    figures = {name: {side: ([], 0) for side in SIDES} for name in scenarios}
    try:
        for n in range(rounds):
            for name in scenarios:
                for side in SIDES if n % 2 == 0 else SIDES[::-1]:
                    sides[side][1].send((name, repeat))
                    spent, size = sides[side][1].recv()
                    figures[name][side][0].append(spent)
                    figures[name][side] = (figures[name][side][0], size)
    finally:
        for process, pipe in sides.values():
            with contextlib.suppress(OSError):  # a side that died has closed its end
                pipe.send(None)
            process.join(timeout=60)
    return figures


# --- over HTTP -------------------------------------------------------------------------------

def http_side(url, piece, side, workdir, args, secret):
    """A gunicorn server for one side and what its scenarios send."""
    server = load.Server(url, args.workers, workdir, secret,
                         env={"BENCH_WITHOUT": piece if side == "without" else ""})
    sessions = {"student": load.cookie_header(load.log_in(server.base, "student00001")),
                "teacher": load.cookie_header(load.log_in(server.base, seeding.TEACHER_LOGIN)),
                "many": load.signed_in_cookies(url, secret, load.NEW_WEEK_VIEWERS)}
    the_plan = load.plan(url)
    # Slots well beyond the notice: the rounds of a loaded machine take a while.
    soon = datetime.now(timezone.utc).replace(tzinfo=None) + BOOKING_MARGIN
    the_plan.slots = [start for start in the_plan.slots if start >= soon]
    bookers = load.booking_sessions(server.base, the_plan.slots[:-IN_PROCESS_SLOTS],
                                    args.students)
    return server, sessions, bookers, the_plan


def requests_of(name, sessions, bookers, the_plan, base):
    if name == "booking":
        return list(load.booking_requests(bookers, the_plan.slots[:-IN_PROCESS_SLOTS]))
    if name == "week-visitor":
        return [load.Request("GET", f"/?week={the_plan.week}",
                             {"HX-Request": "true", "HX-Current-URL": f"{base}/"})]
    return load.scenario_requests(name, sessions, the_plan.week, base)


def over_http(urls, piece, scenarios, args, workdir):
    """{scenario: {side: [Result per round]}}, with the load average in each note."""
    generator = load.run_wrk if args.generator == "wrk" else load.run_python
    secret = os.urandom(32).hex()
    sides = {}
    try:
        for side in SIDES:
            (workdir / side).mkdir(exist_ok=True)
            sides[side] = http_side(urls[side], piece, side, workdir / side, args, secret)
        figures = {name: {side: [] for side in SIDES} for name in scenarios}
        for n in range(args.rounds):
            for name in scenarios:
                for side in SIDES if n % 2 == 0 else SIDES[::-1]:
                    server, sessions, bookers, the_plan = sides[side]
                    items = requests_of(name, sessions, bookers, the_plan, server.base)
                    if name != "booking" and args.warmup:
                        generator(server.base, items, args.warmup, args.connections)
                    load_average = os.getloadavg()[0]
                    result = load.Result(name, args.lessons, **generator(
                        server.base, items, args.duration, args.connections,
                        once=name == "booking"))
                    if name == "booking":
                        settle(urls[side], load.BOOKING_COMMENT)
                        checked(urls[side], result, len(items), args.connections)
                        delete_bookings(urls[side], load.BOOKING_COMMENT)
                    result.note = f"{load_average:.1f}"
                    figures[name][side].append(result)
                    print(f"  {piece} {name} {side:7} round {n + 1}: {result.rps:6.0f} req/s "
                          f"p50 {result.p50_ms:6.1f} ms p99 {result.p99_ms:6.1f} ms, "
                          f"errors {result.errors}, load {load_average:.1f}", flush=True)
    finally:
        for server, *_ in sides.values():
            server.stop()
    return figures


def settle(url, comment, quiet=1.0, limit=30.0):
    """Until the bookings still in flight when the generator stopped are written: else
    one written after delete_bookings() takes its slot from the next round (a 409)."""
    from tutor.database import open_database

    database = open_database(url)
    count, changed, deadline = None, time.monotonic(), time.monotonic() + limit
    while time.monotonic() < deadline:
        now_count = database.execute_sql(
            f"SELECT COUNT(*) FROM lessons WHERE comment = {database.param}",
            (comment,)).fetchone()[0]
        if now_count != count:
            count, changed = now_count, time.monotonic()
        elif time.monotonic() - changed >= quiet:
            break
        time.sleep(0.2)
    database.close()


def checked(url, result, offered, connections):
    """load.check_bookings, but a run with errors (timeouts on a loaded machine) is
    reported, not fatal; two lessons overlapping still are."""
    try:
        load.check_bookings(url, result, offered, connections)
    except SystemExit as failure:
        if " 0 overlapping pairs" not in str(failure):
            raise
        print(f"  booking run with errors, counted as they are: {failure}", flush=True)


def delete_bookings(url, comment):
    from tutor.database import open_database

    database = open_database(url)
    with database.atomic():
        database.execute_sql(f"DELETE FROM lessons WHERE comment = {database.param}",
                             (comment,))
    database.close()


# --- the databases ---------------------------------------------------------------------------

def sqlite_copies(args, workdir, piece):
    seeded = load.seeded_copy(args.lessons, args.students, args.data, workdir, print)
    urls = {}
    for side in SIDES:
        path = workdir / f"{piece}-{side}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(seeded.removeprefix("sqlite:///"), path)
        urls[side] = f"sqlite:///{path}"
    return urls


def postgres_admin(server_url, statement):
    import psycopg2

    connection = psycopg2.connect(server_url)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement)
            return cursor.fetchall() if cursor.description else None
    finally:
        connection.close()


def postgres_copies(args, piece):
    """bench_machinery seeded once, bench_machinery_<side> made from it."""
    present = {row[0] for row in postgres_admin(args.postgresql,
                                                "SELECT datname FROM pg_database")}
    if PG_SEED not in present:
        postgres_admin(args.postgresql, f"CREATE DATABASE {PG_SEED}")
        written = seeding.seed(load.database_url(args.postgresql, PG_SEED), args.students,
                               args.lessons, log=print)
        print(f"seeded {args.lessons} lessons on PostgreSQL in {written['seconds']} s")
    load.upgrade(load.database_url(args.postgresql, PG_SEED))
    postgres_admin(args.postgresql,  # the seeding's pooled connection blocks TEMPLATE
                   "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                   f"WHERE datname = '{PG_SEED}' AND pid <> pg_backend_pid()")
    urls = {}
    for side in SIDES:
        name = f"{PG_SEED}_{side}"
        postgres_admin(args.postgresql, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        postgres_admin(args.postgresql, f"CREATE DATABASE {name} TEMPLATE {PG_SEED}")
        urls[side] = load.database_url(args.postgresql, name)
    return urls


def drop_postgres(args):
    for name in (PG_SEED, *(f"{PG_SEED}_{side}" for side in SIDES)):
        postgres_admin(args.postgresql, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def prepare_without(url, piece):
    """What the database of the side without `piece` lacks."""
    if piece != "kept-weeks":
        return
    from tutor.database import open_database

    database = open_database(url)
    without.drop_change_counters(database)
    database.close()


# --- the report ------------------------------------------------------------------------------

def change(with_value, without_value, lower_is_better):
    """How much better with the piece than without it, as a share of without."""
    if not without_value:
        return "-"
    gain = (without_value - with_value) if lower_is_better else (with_value - without_value)
    return f"{gain / without_value:+.0%}"


def report(piece, database, cpu, http):
    print(f"\n{piece} on {database}: with / without the piece; 'gain' is how much better "
          "with it (CPU: less per request; req/s: more)")
    print(f"  {'scenario':18} {'cpu ms best':>17} {'gain':>5} {'cpu ms median':>17} "
          f"{'gain':>5} {'req/s median':>15} {'gain':>5} {'p99 ms median':>15} "
          f"{'bytes':>15} {'load':>9}")
    for name in cpu:
        (w_cpu, w_size), (o_cpu, o_size) = cpu[name]["with"], cpu[name]["without"]
        runs = http[name]
        rps = {side: statistics.median(r.rps for r in runs[side]) for side in SIDES}
        p99 = {side: statistics.median(r.p99_ms for r in runs[side]) for side in SIDES}
        loads = [float(r.note) for side in SIDES for r in runs[side]]
        best = (min(w_cpu), min(o_cpu))
        median = (statistics.median(w_cpu), statistics.median(o_cpu))
        print(f"  {name:18} {best[0]:7.2f} / {best[1]:7.2f} {change(*best, True):>5} "
              f"{median[0]:7.2f} / {median[1]:7.2f} {change(*median, True):>5} "
              f"{rps['with']:6.0f} / {rps['without']:6.0f} "
              f"{change(rps['with'], rps['without'], False):>5} "
              f"{p99['with']:6.1f} / {p99['without']:6.1f} {w_size:6d} / {o_size:6d} "
              f"{min(loads):4.1f}-{max(loads):<4.1f}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pieces", default=",".join(without.PIECES))
    parser.add_argument("--lessons", type=int, default=100_000)
    parser.add_argument("--students", type=int, default=5_000)
    parser.add_argument("--rounds", type=int, default=3, help="HTTP rounds per side")
    parser.add_argument("--duration", type=int, default=5, help="seconds per HTTP run")
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cpu-rounds", type=int, default=5)
    parser.add_argument("--cpu-requests", type=int, default=20)
    parser.add_argument("--generator", choices=("wrk", "python"),
                        default="wrk" if shutil.which("wrk") else "python")
    parser.add_argument("--data", type=Path, default=load.DATA)
    parser.add_argument("--postgresql", metavar="URL", default="",
                        help="also on PostgreSQL: a server URL whose user may create databases")
    parser.add_argument("--keep-postgresql", action="store_true",
                        help="keep the seeded bench_machinery database for the next run")
    args = parser.parse_args(argv)
    pieces = without.parse(args.pieces)
    os.environ.setdefault("SECRET_KEY", "bench")
    args.data.mkdir(parents=True, exist_ok=True)
    print(f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}, {args.lessons:,} lessons, "
          f"{args.workers} gunicorn workers, {args.connections} connections, "
          f"{args.rounds} x {args.duration} s per side and scenario, "
          f"{args.cpu_rounds} x {args.cpu_requests} requests in-process", flush=True)
    databases = ["sqlite"] + (["postgresql"] if args.postgresql else [])
    try:
        with tempfile.TemporaryDirectory(prefix="tutor-machinery-") as folder:
            for database in databases:
                for piece in pieces:
                    if database != "sqlite" and piece in SQLITE_ONLY:
                        continue
                    workdir = Path(folder) / database / piece
                    workdir.mkdir(parents=True)
                    urls = (sqlite_copies(args, workdir, piece) if database == "sqlite"
                            else postgres_copies(args, piece))
                    prepare_without(urls["without"], piece)
                    the_plan = load.plan(urls["with"])
                    cpu = in_process(urls, [piece], the_plan.week,
                                     (the_plan.slots + the_plan.reserved)[-IN_PROCESS_SLOTS:],
                                     SCENARIOS[piece], args.cpu_rounds, args.cpu_requests)
                    http = over_http(urls, piece, SCENARIOS[piece], args, workdir)
                    report(piece, database, cpu, http)
    finally:
        if args.postgresql:
            for side in SIDES:
                postgres_admin(args.postgresql,
                               f"DROP DATABASE IF EXISTS {PG_SEED}_{side} WITH (FORCE)")
            if not args.keep_postgresql:
                drop_postgres(args)


if __name__ == "__main__":
    main()
