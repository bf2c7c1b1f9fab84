"""Where the monthly PDF's CPU goes, stage by stage.

    .venv/bin/python bench/report_profile.py --lessons 1000
    .venv/bin/python bench/report_profile.py --lessons 1000 --profile 30

Builds the report bench's month (bench/report_bench.py: a temporary SQLite database,
40 students, N lessons over October 2026), renders its PDF once to load the fonts,
then again with WeasyPrint's stages timed apart (CPU seconds): laying out each part
(`HTML.render`), writing it (`Document.write_pdf`), the collections after each part,
the join (pypdf) and the rest (templates, footers). With --profile N, the render runs
under cProfile instead and its N costliest functions (own time) are printed: slower
several times over, so read the shares, not the seconds. A sampling profiler gives
truer shares: `py-spy record --native -- .venv/bin/python bench/report_profile.py`."""
import argparse
import cProfile
import gc
import os
import pstats
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def timed(spent, key, function):
    def wrapper(*args, **kwargs):
        started = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            spent[key] = spent.get(key, 0.0) + time.process_time() - started
    return wrapper


def main(lessons, profile):
    workdir = tempfile.mkdtemp(prefix="tutor-report-profile-")
    os.environ.update(INSTANCE_PATH=workdir, SECRET_KEY="bench", REDIS_URL="")
    import weasyprint
    from report_bench import fill

    from tutor import create_app, migrate
    from tutor.extensions import db
    from tutor.models import User
    from tutor.services.reports import figures
    from tutor.services.reports import pdf as report_pdf

    app = create_app({"DATABASE_URL": f"sqlite:///{workdir}/profile.db", "TESTING": True})
    with app.app_context():
        migrate.upgrade(db.database)
        teacher = User.create(login="teacher", password_hash="-", role=User.TEACHER)
        fill(teacher, lessons)
        report = figures.monthly_report(teacher, date(2026, 10, 1), datetime(2026, 11, 5))
        report_pdf.monthly_pdf(replace(report, lines=report.lines[:20]), "ru")  # fonts
        if profile:
            profiler = cProfile.Profile()
            profiler.runcall(report_pdf.monthly_pdf, report, "ru")
            pstats.Stats(profiler).sort_stats("tottime").print_stats(profile)
            return
        spent = {}
        weasyprint.HTML.render = timed(spent, "lay out", weasyprint.HTML.render)
        weasyprint.Document.write_pdf = timed(spent, "write", weasyprint.Document.write_pdf)
        gc.collect = timed(spent, "collect", gc.collect)
        report_pdf._join = timed(spent, "join", report_pdf._join)
        started = time.process_time()
        report_pdf.monthly_pdf(report, "ru")
        total = time.process_time() - started
    spent["the rest"] = total - sum(spent.values())
    print(f"{lessons} lessons: {total:.2f} s CPU, {1000 * total / lessons:.1f} ms a lesson")
    for key, seconds in spent.items():
        print(f"  {key:>9}: {seconds:6.2f} s  {100 * seconds / total:3.0f} %")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lessons", type=int, default=1000)
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="print the N costliest functions under cProfile instead")
    args = parser.parse_args()
    if args.lessons < 1:
        parser.error("--lessons: 1 or more")
    main(args.lessons, args.profile)
