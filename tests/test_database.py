import threading

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
