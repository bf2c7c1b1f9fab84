import statistics
import threading
import time

import pytest

from tutor.database import backend, exclusive, open_database


@pytest.fixture
def database(database_url):
    db = open_database(database_url)
    db.execute_sql("CREATE TABLE counter (name VARCHAR(20) PRIMARY KEY, n INTEGER)")
    yield db
    db.close()


def test_sqlite_runs_in_wal_with_foreign_keys(tmp_path):
    db = open_database(f"sqlite:///{tmp_path / 'sub' / 'x.db'}")
    assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute_sql("PRAGMA busy_timeout").fetchone()[0] == 10000
    assert backend(db) == "sqlite"


def test_exclusive_serialises_check_then_insert(database_url, database):
    """Eight threads, each with its own connection, check for a row and insert it when
    missing. Without the lock several would insert (or crash on the primary key)."""
    created, errors = [], []
    barrier = threading.Barrier(8)

    def worker():
        db = open_database(database_url)
        try:
            barrier.wait()
            with exclusive(db, "counter"):
                row = db.execute_sql("SELECT n FROM counter WHERE name = 'x'").fetchone()
                if row is None:
                    db.execute_sql("INSERT INTO counter (name, n) VALUES ('x', 1)")
                    created.append(1)
        except Exception as error:  # noqa: BLE001 (collected and asserted below)
            errors.append(error)
        finally:
            db.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert created == [1]


def test_exclusive_rolls_back_on_error(database):
    with pytest.raises(ZeroDivisionError):
        with exclusive(database, "counter"):
            database.execute_sql("INSERT INTO counter (name, n) VALUES ('y', 1)")
            1 / 0
    assert database.execute_sql("SELECT COUNT(*) FROM counter").fetchone()[0] == 0


def test_sqlite_writers_wait_in_the_kernel_and_go_in_turn(tmp_path):
    """While one writer holds exclusive(), the lock file beside the database is
    locked (others wait on it, not in SQLite's sleeping busy handler), a second writer
    does not get in, and it gets in once the first commits."""
    import fcntl

    url = f"sqlite:///{tmp_path / 'w.db'}"
    first, second = open_database(url), open_database(url)
    first.execute_sql("CREATE TABLE log (who VARCHAR(10))")
    entered = threading.Event()

    def later_writer():
        with exclusive(second, "log"):
            second.execute_sql("INSERT INTO log VALUES ('second')")
        entered.set()

    with exclusive(first, "log"):
        first.execute_sql("INSERT INTO log VALUES ('first')")
        with open(tmp_path / "w.db-writers.lock", "ab") as probe, pytest.raises(BlockingIOError):
            fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
        thread = threading.Thread(target=later_writer)
        thread.start()
        assert not entered.wait(0.3)
        with exclusive(first, "nested"):  # the same thread again: no deadlock
            first.execute_sql("INSERT INTO log VALUES ('nested')")
    thread.join(timeout=30)
    assert entered.is_set()
    rows = [row[0] for row in first.execute_sql("SELECT who FROM log").fetchall()]
    assert rows == ["first", "nested", "second"]
    first.close()
    second.close()


def start_delays(url, queued, tries=7, held=0.3):
    """How long after a writer commits another, which has waited `held` seconds for
    it, starts its own transaction: in exclusive() (`queued`: in the writers' queue)
    or in a bare BEGIN IMMEDIATE (SQLite's busy handler alone). Seconds, per try."""
    holder, waiter = open_database(url), open_database(url)
    holder.execute_sql("CREATE TABLE IF NOT EXISTS log (n INTEGER)")
    delays = []
    for n in range(tries):
        moments, waiting = {}, threading.Event()

        def wait_and_write():
            waiting.set()
            with exclusive(waiter, "log") if queued else waiter.atomic("IMMEDIATE"):
                moments["started"] = time.monotonic()
                waiter.execute_sql("INSERT INTO log VALUES (2)")
        with exclusive(holder, "log") if queued else holder.atomic("IMMEDIATE"):
            holder.execute_sql("INSERT INTO log VALUES (1)")
            thread = threading.Thread(target=wait_and_write)
            thread.start()
            waiting.wait(10)
            threading.Event().wait(held)  # the writer waits meanwhile, in its own way
            moments["committed"] = time.monotonic()
        thread.join(timeout=30)
        delays.append(moments["started"] - moments["committed"])
    holder.close()
    waiter.close()
    return delays


@pytest.mark.serial  # measures time
def test_a_writer_waiting_in_sqlites_busy_handler_starts_late_and_one_in_the_queue_at_once(
        tmp_path):
    """The assumption the writers' queue rests on: SQLite's busy handler sleeps between
    tries (after 0.3 s of waiting, 100 ms at a time), so a writer it holds starts tens
    of milliseconds after the lock is free, and others can take the lock first; a
    writer waiting on the lock file starts the moment the one before commits. If
    SQLite woke its waiting writers at once, the lock file would buy nothing (the
    bookings' p99, bench/RESULTS.md) and this would fail."""
    url = f"sqlite:///{tmp_path / 'w.db'}"
    polled, queued = (statistics.median(start_delays(url, q)) for q in (False, True))
    assert polled > 0.010, f"SQLite's busy handler woke its writer {polled * 1000:.1f} ms late"
    assert queued < polled / 2, (queued, polled)


def test_a_prepared_query_is_built_once_and_runs_with_new_values(database):
    from peewee import CharField, IntegerField, Model

    from tutor.database import Prepared

    class Counter(Model):
        name = CharField(primary_key=True)
        n = IntegerField()

    built = []

    def build(name, n):
        built.append((name, n))
        return Counter.select(Counter.name).where((Counter.name == name) & (Counter.n > n))

    by_name = Prepared(build)
    with database.bind_ctx([Counter]):
        Counter.insert_many([("a", 1), ("b", 2)]).execute()
        assert database.execute_sql(*by_name.sql(database, "a", 0)).fetchall() == [("a",)]
        assert database.execute_sql(*by_name.sql(database, "b", 1)).fetchall() == [("b",)]
        assert database.execute_sql(*by_name.sql(database, "b", 2)).fetchall() == []
        assert built == [("a", 0)]
        # Constants before the values are kept.
        above = Prepared(lambda n: Counter.select(Counter.name)
                         .where((Counter.name != "z") & (Counter.n > n)))
        assert database.execute_sql(*above.sql(database, 0)).fetchall() == [("a",), ("b",)]
        assert database.execute_sql(*above.sql(database, 1)).fetchall() == [("b",)]
        # Values the query does not take as its last parameters, in order, are refused.
        swapped = Prepared(lambda name, n: Counter.select().where((Counter.n > n)
                                                                  & (Counter.name == name)))
        with pytest.raises(ValueError):
            swapped.sql(database, "a", 0)


def test_a_prepared_row_is_the_row_peewee_reads(app_ctx, teacher, create_student):
    """Every kind of column (dates with microseconds, times, decimals, a foreign key,
    NULLs) comes back as a plain select gives it, with nothing marked changed."""
    from datetime import datetime, time
    from decimal import Decimal

    from tutor.models import Goal, TeacherSettings, User
    from tutor.services import accounts

    goal = Goal.create(name="ЕГЭ", position=1)
    student = create_student(goal=goal, digest_time=time(8, 30), timezone="Asia/Tokyo",
                             last_login_at=datetime(2026, 11, 30, 12, 0, 0, 123456))
    key = accounts.start_session(student).session_key
    for loaded, read in [
        (User.from_session_id(key), User.get_by_id(student.id)),
        (User.first_teacher(), User.get_by_id(teacher.id)),
    ]:
        assert loaded.__data__ == read.__data__ and loaded._dirty == set()
    assert User.from_session_id(key[:-1]) is None
    TeacherSettings.create(teacher=teacher, default_price=Decimal("1500.50"))
    settings = TeacherSettings.for_teacher(teacher)
    assert settings.default_price == Decimal("1500.50") and settings.teacher_id == teacher.id
