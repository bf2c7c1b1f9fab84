"""Where a page's time goes in SQL: the student search and the teacher's week page
(with the teacher's home over it), in-process on the benchmark's data, on SQLite and
(with --postgresql) on PostgreSQL. For each page it prints the CPU per request, the
rendered size, and the statements sorted by their time (process CPU while the
statement runs: on SQLite the query itself; on PostgreSQL the wait for the server is
the wall time, printed beside it).

    .venv/bin/python bench/profile_queries.py --lessons 100000 --requests 50
    .venv/bin/python bench/profile_queries.py --postgresql postgresql://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/profile_queries.py --only students-search --search б
    .venv/bin/python bench/profile_queries.py --marked   # a teacher who marks and is paid

The seed marks no attendance and records no payments, so nobody owes; --marked marks
the copy's past lessons (one in fifty cancelled late, one in fifty missed, the rest
attended) and records each student's payment of what they were charged, 1,500 short
for one student in ten: the teacher's home then lists 500 debtors out of ~97,000
charged lessons.

The seeded databases are the ones bench/load.py keeps (instance/bench/, and
tutor_bench_seed_… on the PostgreSQL server), copied for the run.
"""
import argparse
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import load  # noqa: E402
import seed as seeding  # noqa: E402

PG_RUN = "tutor_bench_queries"  # not load.py's database: both may run at once


def pages(week, search=load.SEARCH):
    return {
        "students-search": (f"/teacher/students?q={quote(search)}", {"HX-Request": "true"}),
        "week-teacher": (f"/?week={week}", {}),
    }


@contextmanager
def timed_statements(database):
    """Each statement's SQL → [count, cpu s, wall s] while the block runs."""
    spent = defaultdict(lambda: [0, 0.0, 0.0])
    original = type(database).execute_sql

    def execute_sql(self, sql, params=None, *args, **kwargs):
        cpu, wall = time.process_time(), time.perf_counter()
        try:
            cursor = original(self, sql, params, *args, **kwargs)
            if getattr(cursor, "description", None) and hasattr(cursor, "fetchall"):
                # peewee reads rows lazily: fetch them here so the time is the query's
                rows = cursor.fetchall()
                cursor = _Replay(cursor, rows)
            return cursor
        finally:
            entry = spent[sql]
            entry[0] += 1
            entry[1] += time.process_time() - cpu
            entry[2] += time.perf_counter() - wall

    type(database).execute_sql = execute_sql
    try:
        yield spent
    finally:
        type(database).execute_sql = original


class _Replay:
    """A cursor whose rows were read already."""

    def __init__(self, cursor, rows):
        self.description, self.rowcount = cursor.description, cursor.rowcount
        self.lastrowid = getattr(cursor, "lastrowid", None)
        self._rows = iter(rows)

    def fetchone(self):
        return next(self._rows, None)

    def fetchall(self):
        return list(self._rows)

    def fetchmany(self, size=100):
        return [row for _, row in zip(range(size), self._rows)]

    def __iter__(self):
        return self._rows

    def close(self):
        pass


def mark_and_pay(url, log):
    """--marked: attendance on every past confirmed lesson and the payments (see the
    top of this file), written into the run's copy."""
    from peewee import Case, Value, fn

    from tutor import create_app
    from tutor.database import backend
    from tutor.extensions import db
    from tutor.models import Lesson, Payment, utcnow
    from tutor.services import balances

    app = create_app({"DATABASE_URL": url, "REDIS_URL": "", "LOG_LEVEL": "WARNING"})
    with app.app_context(), db.database.atomic():
        now = utcnow()
        def remainder(column, divisor):  # % itself: LIKE in peewee, a placeholder in psycopg2
            return column - column / divisor * divisor
        marks = Case(None, [(remainder(Lesson.id, 50) == 0, Lesson.LATE_CANCEL),
                            (remainder(Lesson.id, 50) == 1, Lesson.MISSED)], Lesson.ATTENDED)
        marked = (Lesson
                  .update(attendance=marks)
                  .where((Lesson.status == Lesson.CONFIRMED) & (Lesson.start < now))
                  .execute())
        short = Case(None, [(remainder(Lesson.student, 10) == 0, 1500)], 0)
        paid = (Payment
                .insert_from(Lesson
                             .select(Lesson.student, Lesson.teacher,
                                     fn.SUM(Lesson.price) - short, Value(now.date()),
                                     Value(""), Value(now), Lesson.teacher)
                             .where(balances.charged_lessons())
                             .group_by(Lesson.student, Lesson.teacher),
                             [Payment.student, Payment.teacher, Payment.amount,
                              Payment.paid_on, Payment.note, Payment.created_at,
                              Payment.created_by])
                .execute())
    with app.app_context():
        if backend(db.database) == "postgresql":
            db.database.execute_sql("ANALYZE")  # what autovacuum would do soon
        db.database.close()
    log(f"marked {marked} past lessons; {paid if isinstance(paid, int) else 'the'} payments")


def signed_in_teacher(url):
    """The app on the bench's database, and a test client signed in as its teacher."""
    from tutor import create_app

    app = create_app({"DATABASE_URL": url, "REDIS_URL": "", "LOG_LEVEL": "WARNING",
                      "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False})
    teacher = app.test_client()
    response = teacher.post("/login", data={"login": seeding.TEACHER_LOGIN,
                                            "password": seeding.BENCH_PASSWORD})
    assert response.status_code == 302, "could not log in as the teacher"
    return app, teacher


def profile(url, label, requests, log, search=load.SEARCH, only=None):
    from tutor.extensions import db

    week = load.plan(url).week
    app, teacher = signed_in_teacher(url)
    for name, (path, headers) in pages(week, search).items():
        if only and name not in only:
            continue
        teacher.get(path, headers=headers)  # warm: templates, prepared queries
        started, wall_started = time.process_time(), time.perf_counter()
        for _ in range(requests):
            size = len(teacher.get(path, headers=headers).data)
        cpu = (time.process_time() - started) / requests * 1000
        wall = (time.perf_counter() - wall_started) / requests * 1000
        with timed_statements(db.database.obj) as spent:
            for _ in range(requests):
                teacher.get(path, headers=headers)
        log(f"\n{label} {name}: {cpu:.2f} ms CPU ({wall:.2f} ms wall) per request, "
            f"{size / 1024:.1f} KB, "
            f"{sum(n for n, _, _ in spent.values()) // requests} statements")
        for sql, (count, cpu_s, wall_s) in sorted(spent.items(), key=lambda kv: -kv[1][2]):
            text = " ".join(sql.split())
            log(f"  {cpu_s / count * 1000:7.2f} cpu {wall_s / count * 1000:7.2f} wall ms "
                f"x{count // requests}  {text[:150]}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lessons", type=int, default=100_000)
    parser.add_argument("--students", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--postgresql", metavar="URL",
                        help="also on this PostgreSQL server (its database is replaced)")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--search", default=load.SEARCH, help="what the search page looks for")
    parser.add_argument("--only", action="append", choices=list(pages("")),
                        help="this page only (repeatable)")
    parser.add_argument("--pg-database", default=PG_RUN,
                        help=f"the run's database on that server, replaced (default {PG_RUN})")
    parser.add_argument("--marked", action="store_true",
                        help="mark the past lessons and record payments first (see above)")
    args = parser.parse_args(argv)

    load.DATA.mkdir(parents=True, exist_ok=True)
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory(prefix="tutor-queries-") as workdir:
            url = load.seeded_copy(args.lessons, args.students, load.DATA, Path(workdir), print)
            if args.marked:
                mark_and_pay(url, print)
            profile(url, "sqlite", args.requests, print, args.search, args.only)
    if args.postgresql:
        url = load.seeded_postgres(args.lessons, args.students, args.postgresql, print,
                                   run_name=args.pg_database + ("_marked" if args.marked else ""))
        if args.marked:
            mark_and_pay(url, print)
        profile(url, "postgresql", args.requests, print, args.search, args.only)


if __name__ == "__main__":
    main()
