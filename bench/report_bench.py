"""How long the monthly report takes to build, and how much memory it needs.

    .venv/bin/python bench/report_bench.py --sizes 100,1000,5000

For each size N: a temporary SQLite database with one teacher, 40 students and N
confirmed lessons spread over October 2026; then, measured apart, (1) the figures
(the query and the sums), (2) the CSV and (3) the PDF (WeasyPrint). Prints wall
time (and the PDF's CPU time, which other load on the machine does not inflate), the
peak memory Python allocated during each step (tracemalloc, in a second run of the
step), the PDF's size and page count, and the process's peak resident size at the
end (resource). The first PDF of a process also loads WeasyPrint's fonts: that
one (the first size's first 20 lessons) is timed apart and left out of the table.

    .venv/bin/python bench/report_bench.py --sizes 20000 --no-trace

renders each PDF once, without the tracemalloc run (which costs several times the
render at large sizes); one size per process, the peak resident size is then that
size's."""
import argparse
import io
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

STUDENTS = 40


def measure(step, trace=True):
    """(result, (wall seconds, CPU seconds), peak bytes): timed on its own first, as tracemalloc slows
    Python down several times over, then run again under tracemalloc for the peak
    (unless not `trace`: the peak is then NaN, and the process's peak resident size
    at the end is the memory figure)."""
    started, cpu = time.perf_counter(), time.process_time()
    result = step()
    spent, cpu = time.perf_counter() - started, time.process_time() - cpu
    if not trace:
        return result, (spent, cpu), float("nan")
    tracemalloc.start()
    step()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return result, (spent, cpu), peak


def page_count(pdf):
    from pypdf import PdfReader  # a test requirement (requirements-dev.txt)

    return len(PdfReader(io.BytesIO(pdf)).pages)


def fill(teacher, lessons):
    from tutor.extensions import db
    from tutor.models import Lesson, User

    with db.database.atomic():
        User.insert_many([{"login": f"s{n}", "password_hash": "-", "role": User.STUDENT,
                           "first_name": "Ученица", "last_name": f"Фамилия-{n}"}
                          for n in range(STUDENTS)]).execute()
        ids = [u.id for u in User.select(User.id).where(User.role == User.STUDENT)]
        # October 2026 is 31 days: spread the lessons evenly over it, 60 minutes each.
        step = timedelta(minutes=31 * 24 * 60 / max(lessons, 1))
        first = datetime(2026, 9, 30, 21, 0)  # 1 Oct 00:00 in Moscow
        rows = [{"teacher": teacher.id, "student": ids[n % len(ids)],
                 "status": Lesson.CONFIRMED, "start": first + step * n,
                 "end": first + step * n + timedelta(minutes=60), "people": 1 + n % 3,
                 "price": Decimal(1000 + 50 * (n % 11)), "created_at": first}
                for n in range(lessons)]
        for chunk in range(0, len(rows), 500):
            Lesson.insert_many(rows[chunk:chunk + 500]).execute()


def run(sizes, trace=True):
    workdir = tempfile.mkdtemp(prefix="tutor-report-bench-")
    os.environ.update(INSTANCE_PATH=workdir, SECRET_KEY="bench", REDIS_URL="")

    from tutor import create_app, migrate
    from tutor.extensions import db
    from tutor.models import Lesson, User
    from tutor.services.reports import csv as report_csv
    from tutor.services.reports import figures
    from tutor.services.reports import pdf as report_pdf

    month, now = date(2026, 10, 1), datetime(2026, 11, 5)
    warmed = False
    for size in sizes:
        app = create_app({"DATABASE_URL": f"sqlite:///{workdir}/bench-{size}.db",
                          "TESTING": True})
        with app.app_context():
            migrate.upgrade(db.database)
            teacher = User.create(login="teacher", password_hash="-", role=User.TEACHER)
            fill(teacher, size)
            if not warmed:  # WeasyPrint loads its fonts and stylesheets once per process
                started = time.perf_counter()
                whole = figures.monthly_report(teacher, month, now)  # its first lessons only:
                report_pdf.monthly_pdf(replace(whole, lines=whole.lines[:20]), "ru")
                print(f"first PDF in a fresh process (fonts loaded): "
                      f"{time.perf_counter() - started:.2f} s")
                warmed = True
                print(f"{'lessons':>8} {'pages':>6} {'figures s':>10} {'CSV s':>7} "
                      f"{'CSV KiB':>8} {'CSV peak MiB':>13} {'PDF s':>7} {'PDF CPU s':>10} "
                      f"{'PDF KiB':>8} {'PDF peak MiB':>13}")
            report, figures_s, _ = measure(lambda: figures.monthly_report(teacher, month, now))
            assert report.totals.lessons == Lesson.select().count() == size
            csv_bytes, csv_s, csv_peak = measure(lambda: report_csv.monthly_csv(report, "ru"))
            pdf_bytes, pdf_s, pdf_peak = measure(lambda: report_pdf.monthly_pdf(report, "ru"), trace)
            pages = page_count(pdf_bytes)
            print(f"{size:>8} {pages:>6} {figures_s[0]:>10.2f} {csv_s[0]:>7.3f} "
                  f"{len(csv_bytes) / 1024:>8.0f} {csv_peak / 2**20:>13.1f} {pdf_s[0]:>7.2f} "
                  f"{pdf_s[1]:>10.2f} {len(pdf_bytes) / 1024:>8.0f} {pdf_peak / 2**20:>13.1f}")
        db.database.close()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident size of the process: {rss:.0f} MiB")


def sizes_option(text):
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError("comma-separated whole numbers, e.g. 100,1000") from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError("at least one size, each 1 or more")
    return sizes


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=sizes_option, default=[100, 1000, 5000],
                        help="lessons per month to try, comma-separated (default 100,1000,5000)")
    parser.add_argument("--no-trace", action="store_true",
                        help="render each PDF once, without tracemalloc's second run (a size "
                             "per process then gives its peak resident size)")
    args = parser.parse_args()
    run(args.sizes, trace=not args.no_trace)
