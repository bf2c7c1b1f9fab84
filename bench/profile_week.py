"""Where a week's cache miss goes: builds and renders next week's fragment for a
student and for the teacher (the kept weeks cleared before each: as after a write),
and the teacher's full week (their home around the kept week), in-process on the
benchmark's data, under cProfile, and prints the CPU per request split into building
the week and rendering it, the rendered size, then the functions that take the most
time.

    .venv/bin/python bench/profile_week.py --lessons 100000 --requests 200

The seeded database is the one bench/load.py keeps (instance/bench/), copied.
"""
import argparse
import cProfile
import io
import pstats
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import load  # noqa: E402
import seed as seeding  # noqa: E402


def clients(url):
    from tutor import create_app

    app = create_app({"DATABASE_URL": url, "REDIS_URL": "", "LOG_LEVEL": "WARNING",
                      "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False})
    student, teacher = app.test_client(), app.test_client()
    for client, login in ((student, "student00001"), (teacher, seeding.TEACHER_LOGIN)):
        response = client.post("/login", data={"login": login,
                                                "password": seeding.BENCH_PASSWORD},
                               follow_redirects=True)
        assert response.status_code == 200, f"could not log in as {login}"
    return app, student, teacher


def phases(calls, requests):
    """CPU ms per request: the whole request, build_week and the templates within
    it; the size."""
    from tutor import htmx
    from tutor.services import calendar
    from tutor.views import calendar as week_views

    spent = {"build": 0.0, "render": 0.0}
    patched = [(calendar, "build_week", "build"), (week_views, "render_template", "render"),
               (htmx, "render_template", "render")]
    originals = [getattr(module, name) for module, name, _ in patched]

    def timed(function, phase):
        def call(*args, **kwargs):
            started = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                spent[phase] += time.process_time() - started
        return call
    for (module, name, phase), function in zip(patched, originals):
        setattr(module, name, timed(function, phase))
    timings = {}
    try:
        for name, call in calls.items():
            call()
            spent.update(build=0.0, render=0.0)
            started = time.process_time()
            sizes = [len(call().data) for _ in range(requests)]
            total = (time.process_time() - started) / requests * 1000
            timings[name] = (total, spent["build"] / requests * 1000,
                             spent["render"] / requests * 1000, sizes[-1])
    finally:
        for (module, name, _), function in zip(patched, originals):
            setattr(module, name, function)
    return timings


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lessons", type=int, default=100_000)
    parser.add_argument("--students", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)

    load.DATA.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="tutor-profile-") as workdir:
        url = load.seeded_copy(args.lessons, args.students, load.DATA, Path(workdir), print)
        week = load.plan(url).week
        app, student, teacher = clients(url)
        fragment = {"HX-Request": "true"}

        def missed(browser):
            app.extensions.pop("rendered_weeks", None)
            return browser.get(f"/?week={week}", headers=fragment)

        calls = {"student fragment, not kept": lambda: missed(student),
                 "teacher's fragment, not kept": lambda: missed(teacher),
                 "teacher's week, full page": lambda: teacher.get(f"/?week={week}")}
        for name, (total, build, render, size) in phases(calls, args.requests).items():
            print(f"{name:28} {total:5.2f} ms CPU per request, of it build_week "
                  f"{build:4.2f} ms, templates {render:4.2f} ms; {size / 1024:5.1f} KB "
                  f"({size:,} bytes)")
        for name, call in calls.items():
            profile = cProfile.Profile()
            profile.enable()
            for _ in range(args.requests):
                call()
            profile.disable()
            out = io.StringIO()
            stats = pstats.Stats(profile, stream=out).strip_dirs().sort_stats("tottime")
            stats.print_stats(args.top)
            print(f"\n=== {name}: {args.requests} requests, by own time ===")
            print(out.getvalue().split("\n", 6)[-1])


if __name__ == "__main__":
    main()
