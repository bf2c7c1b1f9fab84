"""The worker's PostgreSQL database is handed to the next test as the migrated template
left it: no row a test wrote, the migrations' own rows and sequences as they were, and
anew when a test changed the schema."""
import os

import psycopg2
import pytest

from tests.conftest import (POSTGRES_URL, TEST_DATABASE_PREFIX, _admin,
                            _postgres_database_url)
from tests.postgres_databases import ReusedDatabase, _children_first

needs_postgres = pytest.mark.skipif(not POSTGRES_URL, reason="PostgreSQL's databases")


@pytest.fixture
def reused(migrated):
    database = ReusedDatabase(_admin, _postgres_database_url,
                              f"{TEST_DATABASE_PREFIX}{os.getpid()}_reuse_check")
    yield database, migrated("postgresql")
    database.drop()


def query(url, statement, *params):
    with psycopg2.connect(url) as connection, connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else None


def seen_as_fresh(url):
    return {
        "users": query(url, "SELECT count(*) FROM users"),
        "lessons": query(url, "SELECT count(*) FROM lessons"),
        "migrations": query(url, "SELECT * FROM schema_migrations ORDER BY 1"),
        "counters": query(url, "SELECT * FROM change_counters ORDER BY 1"),
        "next user": add_users(url, 1),
    }


def add_users(url, count, role="student"):
    return query(url, "INSERT INTO users (login, password_hash, role, first_name, last_name, "
                      "channel, created_at, reset_version) SELECT 'u' || n, '-', %s, 'U', 'V', "
                      "'email', now(), 0 FROM generate_series(1, %s) AS n RETURNING id",
                 role, count)


@needs_postgres
def test_a_database_handed_back_reads_as_the_template_did(reused):
    database, template = reused
    url = database.take(template)
    fresh = seen_as_fresh(url)
    database.give_back()

    url = database.take(template)
    add_users(url, 5)
    query(url, "UPDATE change_counters SET value = value + 7")
    query(url, "DELETE FROM schema_migrations WHERE name = (SELECT max(name) "
               "FROM schema_migrations)")
    database.give_back()

    assert seen_as_fresh(database.take(template)) == fresh


@needs_postgres
def test_a_lesson_written_does_not_leave_the_calendar_counted(reused):
    """The calendar's counter is bumped by a deferred trigger when lessons are deleted:
    emptying must not leave it one ahead of the template."""
    database, template = reused
    url = database.take(template)
    counters = query(url, "SELECT * FROM change_counters ORDER BY 1")
    [(teacher, ), (student, )] = add_users(url, 2)
    query(url, "INSERT INTO lessons (teacher_id, student_id, start, \"end\", status, comment, "
               "people, created_at) VALUES (%s, %s, now(), now() + interval '1 hour', "
               "'confirmed', '', 1, now())", teacher, student)
    database.give_back()

    assert query(database.take(template), "SELECT * FROM change_counters ORDER BY 1") == counters


@needs_postgres
def test_a_database_whose_schema_a_test_changed_is_made_anew(reused):
    database, template = reused
    url = database.take(template)
    query(url, "ALTER TABLE users ADD COLUMN nickname text")
    database.give_back()

    columns = query(database.take(template), "SELECT column_name FROM "
                    "information_schema.columns WHERE table_name = 'users'")
    assert ("nickname",) not in columns


def test_tables_are_emptied_children_first():
    refers_to = {"lessons": {"users"}, "users": set(), "charges": {"lessons", "users"},
                 "schema_migrations": set()}

    order = _children_first(refers_to)

    assert order.index("charges") < order.index("lessons") < order.index("users")
    assert sorted(order) == sorted(refers_to)


def test_foreign_keys_in_a_circle_are_named():
    with pytest.raises(ValueError, match="circle"):
        _children_first({"a": {"b"}, "b": {"a"}})
