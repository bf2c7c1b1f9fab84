"""A trigram index for the student search, which finds a word anywhere inside a name,
login or e-mail ("б" finds Глеб): no B-tree serves `LIKE '%…%'`, a trigram index does
for words of three characters or more (services/text_search.py).

SQLite: `user_search`, an FTS5 table with the trigram tokenizer (SQLite 3.34 or
later) over users.search_name, login and e-mail, its rowid the user's id, kept in step
by triggers on users: every write counts, bulk updates and restores included. A table
of its own rather than FTS5's external content, so a trigger deletes by rowid alone.

PostgreSQL: a GIN index of pg_trgm over the same columns; the planner uses it for the
search's LIKE by itself. pg_trgm is an extension (trusted since PostgreSQL 13: whoever
may create objects in the database may install it). When it is installed already,
in any schema, the index uses it there; when it cannot be installed (not shipped with
the server, or no CREATE right on the database) the migration says so in the log and
goes on without the index: the search gives the same answers, by scanning the users.
The log names the two statements that add it later."""
import logging

from peewee import DatabaseError

from tutor.database import backend

log = logging.getLogger("tutor.migrate")

COLUMNS = ("search_name", "login", "email")

SQLITE_TABLE = ("CREATE VIRTUAL TABLE user_search USING fts5("
                "search_name, login, email, tokenize = 'trigram')")
SQLITE_TRIGGERS = (
    """CREATE TRIGGER users_insert_search AFTER INSERT ON users BEGIN
        INSERT INTO user_search (rowid, search_name, login, email)
        VALUES (new.id, new.search_name, new.login, new.email);
    END""",
    """CREATE TRIGGER users_update_search AFTER UPDATE OF id, search_name, login, email
    ON users BEGIN
        DELETE FROM user_search WHERE rowid = old.id;
        INSERT INTO user_search (rowid, search_name, login, email)
        VALUES (new.id, new.search_name, new.login, new.email);
    END""",
    """CREATE TRIGGER users_delete_search AFTER DELETE ON users BEGIN
        DELETE FROM user_search WHERE rowid = old.id;
    END""",
)



def postgres_index(schema=None):
    """The GIN index, its operator class named in `schema` (pg_trgm's) when given."""
    ops = f"{_quoted(schema)}.gin_trgm_ops" if schema else "gin_trgm_ops"
    return ("CREATE INDEX user_search_trigrams ON users USING gin ("
            + ", ".join(f"{column} {ops}" for column in COLUMNS) + ")")


def upgrade(database):
    if backend(database) == "postgresql":
        schema = trigram_schema(database)
        if schema is not None:
            database.execute_sql(postgres_index(schema))
        return
    try:
        database.execute_sql(SQLITE_TABLE)
    except DatabaseError as error:
        raise RuntimeError(
            "the student search needs SQLite 3.34 or later with FTS5 (its trigram "
            f"tokenizer); Python's sqlite3 here has {_sqlite_version(database)}: {error}"
        ) from error
    for trigger in SQLITE_TRIGGERS:
        database.execute_sql(trigger)
    database.execute_sql("INSERT INTO user_search (rowid, search_name, login, email) "
                         "SELECT id, search_name, login, email FROM users")


def trigram_schema(database):
    """The schema pg_trgm is installed in, installing it when it is not; None (and a
    warning in the log) when it cannot be."""
    installed = _extension_schema(database)
    if installed is not None:
        return installed
    try:
        with database.atomic():  # a savepoint: a refusal must not end the upgrade
            database.execute_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError as error:
        log.warning(
            "pg_trgm could not be installed (%s). The student search works without it "
            "and gives the same answers, scanning the users instead of an index. To "
            "add the index later, as a user who may: CREATE EXTENSION pg_trgm; %s",
            str(error).strip().splitlines()[0],
            postgres_index())
        return None
    return _extension_schema(database)


def _extension_schema(database):
    row = database.execute_sql(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
        "WHERE e.extname = 'pg_trgm'").fetchone()
    return row[0] if row else None


def _quoted(identifier):
    return '"' + identifier.replace('"', '""') + '"'


def _sqlite_version(database):
    return database.execute_sql("SELECT sqlite_version()").fetchone()[0]
