"""What the tests of the SQL a page or a service runs share: the statements counted
while a block runs (counting_queries), a write as another process makes it
(written_elsewhere), and bulks of lessons that make a count or a plan mean something
(add_lessons, this week's and beyond; history, past lessons waiting for a mark or
attended)."""
import logging
import sqlite3
from contextlib import contextmanager
from datetime import timedelta

import psycopg2
from peewee import chunked

from tests.factories import MONDAY_MORNING
from tutor.database import backend
from tutor.extensions import db
from tutor.models import Lesson

# The restore gate's shared lock and its release (tutor/database.py, PostgreSQL only):
# a fixed pair around every request, whatever it reads; bench/ measures what it costs.
GATE = ("pg_try_advisory_lock_shared", "pg_advisory_unlock_shared")


def written_elsewhere(app, sql):
    """Run `sql` on the app's database over a connection of its own, as another
    process would write: not through this app at all."""
    url = app.config["DATABASE_URL"]
    if backend(db.database) == "sqlite":
        connection = sqlite3.connect(url.removeprefix("sqlite:///"))
    else:
        connection = psycopg2.connect(url)
    with connection:
        connection.cursor().execute(sql)
    connection.close()


@contextmanager
def counting_queries():
    """The SQL statements run meanwhile, but for the restore gate's."""
    queries = []

    class Handler(logging.Handler):
        def emit(self, record):
            message = record.getMessage()
            # peewee logs each statement as "peewee"; its pool's own lines are
            # "peewee.pool" (a connection taken or given back), not queries.
            if record.name == "peewee" and not any(statement in message
                                                   for statement in GATE):
                queries.append(message)

    logger = logging.getLogger("peewee")
    handler, level = Handler(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield queries
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def add_lessons(teacher, students, count, first):
    """`count` one-hour lessons, two a day from `first` on, in all statuses."""
    rows = []
    for n in range(count):
        start = first + timedelta(days=n // 2, hours=9 + 2 * (n % 2))
        rows.append({"teacher": teacher.id, "student": students[n % len(students)].id,
                     "start": start, "end": start + timedelta(hours=1),
                     "status": Lesson.CONFIRMED if n % 3 else Lesson.PENDING,
                     "comment": f"урок {n}", "price": 1000, "people": 1,
                     "created_at": first})
    Lesson.insert_many(rows).execute()


def history(teacher, students, count, unmarked_every=1,
            now=MONDAY_MORNING.replace(tzinfo=None)):
    """`count` past confirmed lessons over the students and the hours before `now`
    (naive UTC): one in `unmarked_every` without a mark, the others attended."""
    rows = [{"teacher": teacher.id, "student": students[n % len(students)].id,
             "start": now - timedelta(hours=n + 1), "end": now - timedelta(hours=n, minutes=15),
             "status": Lesson.CONFIRMED, "price": 1000, "created_at": now,
             "attendance": None if n % unmarked_every == 0 else "attended"}
            for n in range(count)]
    for batch in chunked(rows, 500):
        Lesson.insert_many(batch).execute()
    if backend(db.database) == "postgresql":
        db.database.execute_sql("VACUUM ANALYZE lessons")
