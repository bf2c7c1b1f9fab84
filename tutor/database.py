"""Opening the database named by DATABASE_URL, and the lock every writer that
checks-then-inserts takes (teacher bootstrap, migrations, bookings, jobs)."""
import fcntl
import threading
import zlib
from contextlib import contextmanager
from pathlib import Path

from peewee import Alias, DatabaseError, Field, PostgresqlDatabase, SqliteDatabase
from playhouse.db_url import connect, parse

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 10000,
    "synchronous": "normal",
}


def open_database(url, pool_size=0):
    """A peewee Database for `url`: sqlite:///relative.db, sqlite:////abs.db or
    postgresql://user:pass@host:port/name. Query-string options go to the driver,
    e.g. ?options=-csearch_path%3Dmyschema for PostgreSQL.

    PostgreSQL with `pool_size`: the process keeps up to that many connections and
    hands one to each request (a new connection cost 4.7 ms, more than most
    requests); a connection is checked with one round trip as it is taken, so one
    the server dropped (a restart) is replaced, not handed out, and one unused for
    STALE_SECONDS is closed."""
    if url.startswith("sqlite"):
        path = parse(url)["database"]
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # timeout: how long sqlite3 waits for another process's write lock.
        database = connect(url, pragmas=SQLITE_PRAGMAS, timeout=10)
        return database
    if pool_size:
        scheme, rest = url.split("://", 1)
        return connect(f"{scheme}+pool://{rest}", unquote_password=True,
                       max_connections=pool_size, stale_timeout=STALE_SECONDS,
                       timeout=POOL_WAIT_SECONDS)
    return connect(url, unquote_password=True)


STALE_SECONDS = 300  # under PgBouncer's and most servers' idle limits
POOL_WAIT_SECONDS = 10  # a request waits this long for a free connection, then fails


def backend(database):
    """'sqlite' or 'postgresql' for a Database or the FlaskDB proxy around it."""
    database = getattr(database, "obj", database)
    if isinstance(database, SqliteDatabase):
        return "sqlite"
    if isinstance(database, PostgresqlDatabase):
        return "postgresql"
    raise RuntimeError(f"unsupported database {type(database).__name__}")


@contextmanager
def exclusive(database, name):
    """A transaction that no other process runs at the same time for the same `name`.

    SQLite: BEGIN IMMEDIATE takes the database's single write lock up front, so two
    check-then-insert blocks cannot interleave. PostgreSQL: a transaction-scoped
    advisory lock keyed by `name`, released at commit or rollback.
    """
    if backend(database) == "sqlite":
        with _sqlite_writers_queue(database), database.atomic("IMMEDIATE") as txn:
            yield txn
    else:
        with database.atomic() as txn:
            key = zlib.crc32(name.encode()) - 2**31
            database.execute_sql("SELECT pg_advisory_xact_lock(%s)", (key,))
            yield txn


_queued = threading.local()  # the SQLite files this thread holds the writers' lock of


@contextmanager
def _sqlite_writers_queue(database):
    """Writers of one SQLite file wait for each other in the kernel (flock on a file
    beside it), so each starts the moment the one before commits. BEGIN IMMEDIATE
    alone leaves the waiting to SQLite's busy handler, which sleeps 1, 2, 5, 10… ms
    between tries: under contention a writer wakes late and can be overtaken again
    and again (bench/RESULTS.md, bookings). Inside a transaction already open, or
    for an in-memory database, there is nothing to queue for."""
    path = getattr(database, "obj", database).database
    held = _queued.__dict__.setdefault("paths", set())
    if path == ":memory:" or path in held or database.in_transaction():
        yield
        return
    with open(f"{path}-writers.lock", "ab") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        held.add(path)
        try:
            yield
        finally:
            held.discard(path)
            fcntl.flock(handle, fcntl.LOCK_UN)


# --- maintenance: a restore against running requests ------------------------------------

# With the schema's hash: apps sharing a PostgreSQL database in schemas of their own
# (the tests do) do not wait for each other's restores.
MAINTENANCE_KEY = zlib.crc32(b"maintenance") % 2**31


class InMaintenance(Exception):
    """The database is being replaced (a restore): come back in a moment."""


def enter_request(database):
    """Let a request in unless a restore runs or waits to run: a token for
    leave_request(), or InMaintenance. Every request holds the gate shared until it
    ends, and a restore takes it exclusively (maintenance()), so none sees a database
    half replaced and none starts a write that the restore would pull the rows from
    under (a foreign key to a teacher deleted mid-restore).

    SQLite: a flag file beside the database (a restore is coming: refuse at once) and a
    shared flock on a gate file. PostgreSQL: a shared session advisory lock, which
    PostgreSQL refuses while an exclusive one is held or waited for. Both hold across
    processes, and PostgreSQL's across hosts (keyed by the schema too)."""
    if backend(database) == "postgresql":
        database.connect(reuse_if_open=True)
        cursor = database.execute_sql(
            "SELECT pg_try_advisory_lock_shared(%s, hashtext(current_schema()))",
            (MAINTENANCE_KEY,))
        if not cursor.fetchone()[0]:
            raise InMaintenance()
        return MAINTENANCE_KEY
    paths = _gate_paths(database)
    if paths is None:
        return None
    flag, gate = paths
    if flag.exists():
        raise InMaintenance()
    handle = open(gate, "ab")
    try:
        fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise InMaintenance() from None
    return handle


def leave_request(database, token):
    """Give back what enter_request() took, before the request's connection goes back
    to the pool (tutor/maintenance.py): a pooled connection keeps its session's locks."""
    if token is None:
        return
    if backend(database) == "postgresql":
        if not database.is_closed():
            try:
                database.execute_sql(
                    "SELECT pg_advisory_unlock_shared(%s, hashtext(current_schema()))",
                    (token,))
            except DatabaseError:  # the connection is broken: closing it lets go too
                manual_close = getattr(database, "manual_close", database.close)
                manual_close()
        return
    token.close()


@contextmanager
def maintenance(database):
    """The database to oneself: new requests are answered "in maintenance" at once,
    those in flight are waited for, and nothing else runs until the block ends. For a
    restore (services/backup.py); on PostgreSQL it holds for every host."""
    if backend(database) == "postgresql":
        database.connect(reuse_if_open=True)
        database.execute_sql("SELECT pg_advisory_lock(%s, hashtext(current_schema()))",
                             (MAINTENANCE_KEY,))
        try:
            yield
        finally:
            database.execute_sql(
                "SELECT pg_advisory_unlock(%s, hashtext(current_schema()))", (MAINTENANCE_KEY,))
        return
    paths = _gate_paths(database)
    if paths is None:
        yield
        return
    flag, gate = paths
    flag.touch()
    try:
        with open(gate, "ab") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        flag.unlink(missing_ok=True)


def _gate_paths(database):
    path = getattr(database, "obj", database).database
    if path == ":memory:":
        return None
    return Path(f"{path}-maintenance"), Path(f"{path}-gate.lock")


class Prepared:
    """A peewee query whose SQL is built once per backend, then run with new values:
    building a query's SQL costs more than running it (a user's row: 190 µs to build,
    50 µs to run), and these queries run on every request. `build(*values)` makes the
    query; its parameters must end with exactly `values`, in order (checked on first
    use): the constants before them are kept, as are all of a query's without values."""

    def __init__(self, build):
        self.build = build
        self._sql = {}  # backend -> (sql, params)
        self._fields = None  # the fields a query of model columns selects

    def sql(self, database, *values):
        """(sql, params) for `values` on `database`."""
        dialect = backend(database)
        if dialect not in self._sql:
            query = self.build(*values)
            sql, params = database.get_sql_context().sql(query).query()
            constants = list(params[:len(params) - len(values)])
            if values and list(params[len(constants):]) != list(values):
                raise ValueError(f"the query's parameters {params!r} do not end with {values!r}")
            self._sql[dialect] = (sql, constants)
            columns = [_named(column)
                       for column in getattr(query, "selected_columns", None) or []]
            if all(columns):
                self._fields = columns
        sql, params = self._sql[dialect]
        return sql, params + list(values)

    def first(self, model, *values):
        """The first row as a `model` instance, or None, its values converted as peewee
        converts them (the query selects the model's own columns, and may add a joined
        model's columns under an alias, which become attributes of the instance, as
        peewee's `.objects()` makes them)."""
        database = model._meta.database
        row = database.execute_sql(*self.sql(database, *values)).fetchone()
        return None if row is None else self._instance(model, row)

    def all(self, model, *values):
        """Every row, as `first` makes one."""
        database = model._meta.database
        cursor = database.execute_sql(*self.sql(database, *values))
        return [self._instance(model, row) for row in cursor.fetchall()]

    def _instance(self, model, row):
        """What Model(**values) makes, without the call per value through each field's
        descriptor (the week makes some forty rows a request): the model's own fields
        go straight into its data, any other selected name becomes an attribute."""
        instance = model.__new__(model)
        instance.__data__, instance._dirty, instance.__rel__ = {}, set(), {}
        data, own = instance.__data__, model._meta.fields
        for (name, field), value in zip(self._fields, row):
            if name in own:
                data[name] = field.python_value(value)
            else:
                setattr(instance, name, field.python_value(value))
        return instance

    def scalar(self, database, *values):
        """The first column of the first row (a count), or None."""
        row = database.execute_sql(*self.sql(database, *values)).fetchone()
        return row[0] if row else None


def _named(column):
    """(attribute name, field) for a selected field or aliased field; None otherwise."""
    if isinstance(column, Alias) and isinstance(column.node, Field):
        return column._alias, column.node
    if isinstance(column, Field):
        return column.name, column
    return None
