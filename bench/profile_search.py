"""Where the student search's time goes: the teacher's search fragment in-process on
the benchmark's data, its CPU per request split into the search (student_list: of it
the SQL statements, run and read), rendering the partial, and the rest of the request
(session, login, form, hooks, response), then the functions that take the most time
under cProfile.

    .venv/bin/python bench/profile_search.py --requests 200
    .venv/bin/python bench/profile_search.py --search б --top 40
    .venv/bin/python bench/profile_search.py --postgresql postgresql://postgres@127.0.0.1:5432/test

The seeded databases are the ones bench/load.py keeps, copied for the run (on
PostgreSQL, bench/profile_queries.py's run database). On PostgreSQL the statements'
CPU is this process's only: the server's time is in profile_queries' wall column.
"""
import argparse
import cProfile
import io
import pstats
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import load  # noqa: E402
import profile_queries  # noqa: E402


class Timed:
    """Wraps `owner.name` so that the CPU its calls take adds up in `spent`."""

    def __init__(self, owner, name):
        self.owner, self.name, self.spent = owner, name, 0.0
        self.original = getattr(owner, name)

    def __enter__(self):
        def timed(*args, **kwargs):
            started = time.process_time()
            try:
                return self.original(*args, **kwargs)
            finally:
                self.spent += time.process_time() - started
        setattr(self.owner, self.name, timed)
        return self

    def __exit__(self, *exc):
        setattr(self.owner, self.name, self.original)


def phases(url, search, requests, top, log):
    from tutor.extensions import db
    from tutor.services import students
    from tutor.views.admin import students as view

    app, teacher = profile_queries.signed_in_teacher(url)
    path, headers = f"/teacher/students?q={quote(search)}", {"HX-Request": "true"}
    for _ in range(5):  # warm: templates, caches
        size = len(teacher.get(path, headers=headers).data)
    with (Timed(students, "student_list") as search_part, Timed(view, "render") as render,
          profile_queries.timed_statements(db.database.obj) as statements):
        started = time.process_time()
        for _ in range(requests):
            teacher.get(path, headers=headers)
        total = time.process_time() - started
    sql = sum(cpu for _, cpu, _ in statements.values())
    per = 1000 / requests
    log(f"q={search}: {total * per:.2f} ms CPU per request, {size / 1024:.1f} KB")
    log(f"  search (student_list)  {search_part.spent * per:6.2f} ms")
    log(f"  rendering the partial  {render.spent * per:6.2f} ms")
    log(f"  the rest               {(total - search_part.spent - render.spent) * per:6.2f} ms")
    log(f"  of all this, SQL run and read {sql * per:.2f} ms:")
    for text, (count, cpu, _) in sorted(statements.items(), key=lambda kv: -kv[1][1]):
        statement = " ".join(text.split())[:100]
        log(f"    {cpu / count * 1000:6.2f} ms x{count // requests}  {statement}")
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(requests):
        teacher.get(path, headers=headers)
    profile.disable()
    out = io.StringIO()
    pstats.Stats(profile, stream=out).strip_dirs().sort_stats("tottime").print_stats(top)
    log(f"\n=== {requests} requests under cProfile, by own time ===")
    log(out.getvalue().split("\n", 6)[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lessons", type=int, default=100_000)
    parser.add_argument("--students", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--search", default=load.SEARCH)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--postgresql", metavar="URL",
                        help="on this PostgreSQL server instead (its database is replaced)")
    args = parser.parse_args(argv)

    load.DATA.mkdir(parents=True, exist_ok=True)
    if args.postgresql:
        url = load.seeded_postgres(args.lessons, args.students, args.postgresql, print,
                                   run_name=profile_queries.PG_RUN)
        phases(url, args.search, args.requests, args.top, print)
        return
    with tempfile.TemporaryDirectory(prefix="tutor-search-") as workdir:
        url = load.seeded_copy(args.lessons, args.students, load.DATA, Path(workdir), print)
        phases(url, args.search, args.requests, args.top, print)


if __name__ == "__main__":
    main()
