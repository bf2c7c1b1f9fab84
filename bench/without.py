"""The app without one piece of its performance machinery, for bench/machinery.py to
measure each piece against the same code without it. Nothing in tutor/ knows these
switches: they patch it from outside, in the bench's processes only (bench/bare_wsgi.py
reads BENCH_WITHOUT in the gunicorn workers).

  kept-weeks  every week is built and rendered on every request, the teacher's too
              (no calendar version read, no kept copy, no ETag), and the
              change counters' triggers are dropped from the bench's copy of the
              database (drop_change_counters), so writes stop paying for them
  prepared    database.Prepared runs its query through peewee every time: the SQL
              built for each call, the rows made by peewee's own cursor wrapper
  flock       SQLite writers in exclusive() wait in BEGIN IMMEDIATE's busy handler
              alone, not first for the writers' lock file
"""
from contextlib import ExitStack, contextmanager
from unittest import mock

PIECES = ("kept-weeks", "prepared", "flock")


def parse(names):
    """The pieces named in a comma-separated list (BENCH_WITHOUT, --pieces)."""
    pieces = [name for name in (names or "").split(",") if name]
    unknown = set(pieces) - set(PIECES)
    if unknown:
        raise ValueError(f"unknown pieces: {', '.join(sorted(unknown))}")
    return pieces


@contextmanager
def switched_off(pieces):
    """Inside the block, the app's modules run without `pieces`."""
    with ExitStack() as stack:
        for piece in pieces:
            for target, name, value in _PATCHES[piece]():
                stack.enter_context(mock.patch.object(target, name, value))
        yield


def switch_off(pieces):
    """For good, in this process (a gunicorn worker)."""
    for piece in pieces:
        for target, name, value in _PATCHES[piece]():
            mock.patch.object(target, name, value).start()


def _without_kept_weeks():
    from flask import render_template
    from markupsafe import Markup

    from tutor.htmx import with_toasts
    from tutor.services import accounts, calendar
    from tutor.views import calendar as view

    def rendered(who, day, now):
        week = calendar.build_week(accounts.the_teacher(), who, day, now)
        return render_template("calendar/partials/_week.html", week=week)

    def week_fragment(who, day, now):
        return with_toasts(rendered(who, day, now))

    def teacher_week(who, day, now):
        return Markup(rendered(who, day, now))  # nosec B704 (Jinja escaped its values)
    return [(view, "_kept_week", week_fragment), (view, "_teacher_week", teacher_week)]


def _without_prepared():
    from tutor.database import Prepared

    def sql(self, database, *values):
        return database.get_sql_context().sql(self.build(*values)).query()

    def first(self, model, *values):
        return self.build(*values).objects().first()

    def all_rows(self, model, *values):
        return list(self.build(*values).objects())

    def scalar(self, database, *values):
        return self.build(*values).scalar(database)
    return [(Prepared, "sql", sql), (Prepared, "first", first), (Prepared, "all", all_rows),
            (Prepared, "scalar", scalar)]


def _without_flock():
    from tutor import database

    @contextmanager
    def no_queue(_database):
        yield
    return [(database, "_sqlite_writers_queue", no_queue)]


_PATCHES = {"kept-weeks": _without_kept_weeks, "prepared": _without_prepared,
            "flock": _without_flock}

CALENDAR_TABLES = ("lessons", "unavailable_intervals", "availability_windows",
                   "teacher_settings", "imported_busy")


def drop_change_counters(database):
    """The change counters' triggers (migrations 0013 and 0026) dropped from `database`,
    a peewee Database: what a write costs without them."""
    from tutor.database import backend

    if backend(database) == "postgresql":
        for table in CALENDAR_TABLES:
            database.execute_sql(f"DROP TRIGGER {table}_calendar_change ON {table}")
            database.execute_sql(f"DROP TRIGGER {table}_calendar_truncate ON {table}")
        return
    names = [row[0] for row in database.execute_sql(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' "
        "AND name LIKE '%calendar_change'")]
    if len(names) != 3 * len(CALENDAR_TABLES):
        raise RuntimeError(f"the change counters' triggers are not as named: {names}")
    for name in names:
        database.execute_sql(f"DROP TRIGGER {name}")
