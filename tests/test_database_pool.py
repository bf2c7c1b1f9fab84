"""PostgreSQL connections live across requests in a pool of each process's: requests
reuse one connection instead of opening their own, a connection the server dropped
(as a restart drops them all) is replaced before a request gets it, and no pooled
connection keeps the restore gate's shared lock once its request is over."""
import threading

import psycopg2
import pytest

from tests.conftest import POSTGRES_URL
from tutor.database import maintenance
from tutor.extensions import db

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="PostgreSQL's pool")


@pytest.fixture
def backend():
    return "postgresql"


def server_side(database_url, sql):
    """`sql` run on the test's database by a connection of its own."""
    connection = psycopg2.connect(database_url)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall()
    finally:
        connection.close()


def app_backends(database_url):
    """The process ids of the server's backends serving the app (not this query)."""
    return {pid for (pid,) in server_side(database_url, (
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid()"))}


def test_requests_share_one_connection(client, teacher, database_url):
    assert client.get("/").status_code == 200
    first = app_backends(database_url)
    for _ in range(20):
        assert client.get("/login").status_code == 200
    assert app_backends(database_url) == first and len(first) == 1


def test_a_dropped_connection_is_replaced_before_a_request_gets_it(client, teacher,
                                                                   database_url):
    assert client.get("/").status_code == 200
    (before,) = app_backends(database_url)
    server_side(database_url, f"SELECT pg_terminate_backend({before})")  # as a restart does
    assert [client.get("/").status_code for _ in range(3)] == [200, 200, 200]
    (after,) = app_backends(database_url)
    assert after != before


def test_no_pooled_connection_keeps_the_restore_gate(app, client, teacher, database_url):
    for _ in range(5):
        assert client.get("/login").status_code == 200
    # pg_locks lists the whole server's locks: only this database's count (tests on
    # other xdist workers hold gates of their own databases meanwhile).
    held = server_side(database_url, "SELECT count(*) FROM pg_locks WHERE locktype = "
                                     "'advisory' AND granted AND database = (SELECT oid "
                                     "FROM pg_database WHERE datname = current_database())")
    assert held == [(0,)]
    # A restore gets the gate at once (it would wait forever for a kept shared lock).
    entered = threading.Event()

    def restore():
        with app.app_context(), maintenance(db.database):
            entered.set()
        db.database.close()

    worker = threading.Thread(target=restore)
    worker.start()
    worker.join(timeout=10)
    assert entered.is_set()


@pytest.mark.config(DATABASE_POOL_SIZE=0)
def test_without_a_pool_a_request_closes_its_connection(client, teacher, database_url):
    db.database.close()  # the fixtures' own
    assert client.get("/login").status_code == 200
    assert app_backends(database_url) == set()


def test_a_static_file_gives_back_a_connection_a_hook_opened(client, auth, teacher):
    """FlaskDB leaves static files alone; a before_request hook that read the user
    opened a connection anyway, which the pool never got back (a browser journey ran
    out of connections). No hook reads the database for a static file now, and the
    teardown gives back whatever a request opened."""
    auth.login()
    for _ in range(10):
        assert client.get("/static/css/tutor.css").status_code == 200
        assert db.database.is_closed()
