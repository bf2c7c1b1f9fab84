"""The ordered migrations build exactly the schema the models describe, whether the
database is new or upgraded from any earlier version, and concurrent upgraders
apply each migration once."""
import subprocess
import sys
import uuid

import psycopg2
import pytest

from tutor import migrate
from tutor.database import open_database
from tutor.models import MODELS

from tests.conftest import POSTGRES_URL, postgres_schema_url

IGNORED_TABLES = {migrate.SchemaMigration._meta.table_name}


def schema(database):
    """Tables with their columns, indexes and foreign keys, as comparable data."""
    snapshot = {}
    for table in sorted(set(database.get_tables()) - IGNORED_TABLES):
        snapshot[table] = {
            "columns": sorted((c.name, c.data_type.lower(), c.null, c.primary_key)
                              for c in database.get_columns(table)),
            "indexes": sorted((i.name, tuple(i.columns), i.unique)
                              for i in database.get_indexes(table)),
            "foreign_keys": sorted((f.column, f.dest_table, f.dest_column)
                                   for f in database.get_foreign_keys(table)),
        }
    return snapshot


@pytest.fixture
def new_database(empty_database_url, tmp_path):
    """Makes further empty databases of the test's backend (SQLite files or
    PostgreSQL schemas), all removed afterwards."""
    made, schemas = [], []

    def make():
        if empty_database_url.startswith("sqlite"):
            db = open_database(f"sqlite:///{tmp_path / f'extra{len(made)}.db'}")
        else:
            schema_name = f"m_{uuid.uuid4().hex[:12]}"
            with psycopg2.connect(POSTGRES_URL) as conn, conn.cursor() as cursor:
                cursor.execute(f"CREATE SCHEMA {schema_name}")
            schemas.append(schema_name)
            db = open_database(postgres_schema_url(schema_name))
        made.append(db)
        return db

    yield make
    for db in made:
        db.close()
    if schemas:
        conn = psycopg2.connect(POSTGRES_URL)
        conn.autocommit = True
        with conn.cursor() as cursor:
            for schema_name in schemas:
                cursor.execute(f"DROP SCHEMA {schema_name} CASCADE")
        conn.close()


@pytest.fixture
def database(new_database):
    return new_database()


def test_migrations_are_numbered_and_unique():
    names = [m.name for m in migrate.available()]
    assert names, "there must be at least the initial migration"
    assert names == sorted(names)
    assert [int(n[:4]) for n in names] == list(range(1, len(names) + 1))


def test_fresh_database_matches_the_models(database, new_database):
    migrate.upgrade(database)
    from_models = new_database()
    with from_models.bind_ctx(MODELS):
        from_models.create_tables(MODELS)
    # What no model describes: the search's trigram index (an FTS5 table on SQLite, an
    # index of an extension's operator class on PostgreSQL), made as 0033 makes it.
    migration("0033_search_trigrams").upgrade(from_models)
    assert schema(database) == schema(from_models)


def migration(name):
    return next(m for m in migrate.available() if m.name == name).load()


# A fresh database's schema, per backend: the same for every starting point below, so
# it is made once per process instead of once for each of them.
FRESH_SCHEMA = {}


@pytest.mark.parametrize("stop_at", [m.name for m in migrate.available()[:-1]])
def test_upgrade_from_an_earlier_version_matches_a_fresh_one(database, new_database, backend,
                                                             stop_at):
    if backend not in FRESH_SCHEMA:
        migrate.upgrade(database)
        FRESH_SCHEMA[backend] = schema(database)
    older = new_database()
    migrate.upgrade(older, target=stop_at)
    assert migrate.applied(older)[-1] == stop_at
    assert migrate.upgrade(older)
    assert schema(older) == FRESH_SCHEMA[backend]


def test_upgrade_is_idempotent_and_recorded(database):
    first = migrate.upgrade(database)
    assert first == [m.name for m in migrate.available()]
    assert migrate.upgrade(database) == []
    assert migrate.applied(database) == first


def test_a_failing_migration_leaves_nothing_behind(database, tmp_path):
    directory = tmp_path / "migrations"
    directory.mkdir()
    (directory / "0001_good.py").write_text(
        "def upgrade(db):\n    db.execute_sql('CREATE TABLE good (id INTEGER PRIMARY KEY)')\n")
    (directory / "0002_bad.py").write_text(
        "def upgrade(db):\n"
        "    db.execute_sql('CREATE TABLE half (id INTEGER PRIMARY KEY)')\n"
        "    raise RuntimeError('boom')\n")
    with pytest.raises(RuntimeError, match="boom"):
        migrate.upgrade(database, directory=directory)
    assert "half" not in database.get_tables()
    assert "good" not in database.get_tables()
    assert migrate.applied(database) == []


def test_concurrent_upgrades_apply_each_migration_once(empty_database_url):
    database_url = empty_database_url
    code = ("import sys; from tutor import migrate; from tutor.database import open_database;"
            "print(len(migrate.upgrade(open_database(sys.argv[1]))))")
    processes = [subprocess.Popen([sys.executable, "-c", code, database_url],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(4)]
    results = [p.communicate(timeout=60) for p in processes]
    assert all(p.returncode == 0 for p in processes), results
    applied_counts = sorted(int(out) for out, _ in results)
    assert applied_counts == [0, 0, 0, len(migrate.available())]
    db = open_database(database_url)
    assert migrate.applied(db) == [m.name for m in migrate.available()]
    db.close()


def test_teachers_there_before_the_slot_step_keep_their_slots(database):
    """0025: a teacher's settings row from before keeps slots right after the previous
    lesson and the break (0), as their students knew them; a new one starts on the
    hour (the model's default)."""
    from tutor.models import TeacherSettings, User

    migrate.upgrade(database, target="0024_work_requests")
    # Only the columns 0024 had (the model has later ones), as plain SQL.
    for login in ("old", "new"):
        database.execute_sql(
            "INSERT INTO users (login, password_hash, role, first_name, last_name, channel, "
            f"created_at, reset_version) VALUES ({', '.join([database.param] * 8)})",
            [login, "x", User.TEACHER, "", "", User.NO_CHANNEL, "2026-01-01 00:00:00", 0])
    old, new = (User(id=database.execute_sql(
        f"SELECT id FROM users WHERE login = {database.param}", [login]).fetchone()[0])
        for login in ("old", "new"))
    columns = [field for field in TeacherSettings._meta.sorted_fields
               if field.name not in ("id", "slot_step_minutes")]
    values = {"teacher": old.id, "timezone": "Europe/Moscow"}
    database.execute_sql(
        f"INSERT INTO teacher_settings ({', '.join(f.column_name for f in columns)}) "
        f"VALUES ({', '.join([database.param] * len(columns))})",
        [values.get(f.name, f.default) for f in columns])
    migrate.upgrade(database)
    with database.bind_ctx([User, TeacherSettings]):
        assert TeacherSettings.get(TeacherSettings.teacher == old.id).slot_step_minutes == 0
        assert TeacherSettings.create(teacher=new).slot_step_minutes == 60


def test_an_old_install_with_lessons_upgrades_in_one_go(database):
    """From 0026, with a confirmed lesson, to the last migration in one transaction:
    0027 writes the lessons and 0031 indexes them, which PostgreSQL refused while the
    calendar counter's deferred trigger events were pending ("pending trigger
    events": a tutor's upgrade from before 0027 failed)."""
    migrate.upgrade(database, target="0026_busy_calendars")
    for login, role in (("teacher", "teacher"), ("student", "student")):
        database.execute_sql(
            "INSERT INTO users (login, password_hash, role, first_name, last_name, channel, "
            f"created_at, reset_version) VALUES ({', '.join([database.param] * 8)})",
            [login, "x", role, "", "", "none", "2026-01-01 00:00:00", 0])
    teacher_id, student_id = (database.execute_sql(
        f"SELECT id FROM users WHERE login = {database.param}", [login]).fetchone()[0]
        for login in ("teacher", "student"))
    database.execute_sql(
        'INSERT INTO lessons (teacher_id, student_id, start, "end", status, comment, people, '
        f"created_at, confirmed_at) VALUES ({', '.join([database.param] * 9)})",
        [teacher_id, student_id, "2026-02-02 10:00:00", "2026-02-02 11:00:00", "confirmed",
         "", 1, "2026-01-01 00:00:00", "2026-01-02 00:00:00"])
    assert migrate.upgrade(database)[-1] == migrate.available()[-1].name
    assert database.execute_sql("SELECT sequence FROM lessons").fetchall() == [(1,)]


def test_the_names_there_before_are_folded_for_the_search(database):
    """0031: users there before get their names' folded copy (users.search_name)."""
    migrate.upgrade(database, target="0030_scheduler_lease")
    for login, first, last in (("semyon", "Семён", "Фёдоров"), ("nameless", "", "")):
        database.execute_sql(
            "INSERT INTO users (login, password_hash, role, first_name, last_name, channel, "
            f"created_at, reset_version) VALUES ({', '.join([database.param] * 8)})",
            [login, "x", "student", first, last, "none", "2026-01-01 00:00:00", 0])
    migrate.upgrade(database)
    rows = database.execute_sql("SELECT login, search_name FROM users ORDER BY login")
    assert rows.fetchall() == [("nameless", ""), ("semyon", "семен федоров")]


def test_the_users_there_before_are_in_the_search_index(database, backend):
    """0033: the trigram index holds the users there before it (SQLite's FTS5 table
    is filled by the migration; PostgreSQL's index by its CREATE INDEX)."""
    migrate.upgrade(database, target="0032_trial_chats")
    for login, folded_names in (("semyon", "семен федоров"), ("gleb", "глеб яковлев")):
        database.execute_sql(
            "INSERT INTO users (login, password_hash, role, first_name, last_name, "
            "search_name, channel, created_at, reset_version) "
            f"VALUES ({', '.join([database.param] * 9)})",
            [login, "x", "student", "", "", folded_names, "none", "2026-01-01 00:00:00", 0])
    migrate.upgrade(database)
    if backend == "sqlite":
        found = database.execute_sql(
            "SELECT login FROM users WHERE id IN (SELECT rowid FROM user_search "
            "WHERE user_search MATCH ?)", ['"федор"']).fetchall()
    else:  # an index CREATE INDEX makes holds every row; that it exists is the point
        assert "user_search_trigrams" in {i.name for i in database.get_indexes("users")}
        found = database.execute_sql(
            "SELECT login FROM users WHERE search_name LIKE '%%федор%%'").fetchall()
    assert found == [("semyon",)]


@pytest.mark.skipif(not POSTGRES_URL, reason="PostgreSQL's extension")
def test_without_the_right_to_install_pg_trgm_the_upgrade_goes_on_and_says_so(caplog):
    """pg_trgm is trusted: whoever may create in the database may install it. A user
    who may not gets every migration, a warning naming what to run later, and no
    trigram index: the search scans the users instead."""
    from urllib.parse import urlsplit

    from tests.conftest import TEST_DATABASE_PREFIX, _admin, _postgres_database_url

    name = f"{TEST_DATABASE_PREFIX}{uuid.uuid4().hex[:12]}"
    role, password = f"tutor_test_{uuid.uuid4().hex[:12]}", uuid.uuid4().hex
    _admin(f"CREATE DATABASE {name}")
    _admin(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
    try:
        admin_url = _postgres_database_url(name)
        _admin(f"CREATE SCHEMA tutor AUTHORIZATION {role}", database_url=admin_url)
        parts = urlsplit(admin_url)
        url = parts._replace(netloc=f"{role}:{password}@{parts.hostname}:{parts.port or 5432}",
                             query="options=-csearch_path%3Dtutor").geturl()
        database = open_database(url)
        try:
            with caplog.at_level("WARNING", logger="tutor.migrate"):
                assert migrate.upgrade(database) == [m.name for m in migrate.available()]
            indexes = {i.name for i in database.get_indexes("users")}
        finally:
            database.close()
    finally:
        _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        _admin(f"DROP ROLE IF EXISTS {role}")
    assert "user_search_trigrams" not in indexes
    assert "pg_trgm could not be installed (permission denied" in caplog.text
    assert "CREATE EXTENSION pg_trgm; CREATE INDEX user_search_trigrams" in caplog.text
