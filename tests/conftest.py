"""Fixtures on real parts: a fresh database per test (a SQLite file, or, when
TEST_DATABASE_URL is set — then every test runs on both — the worker's PostgreSQL
database emptied back to the migrated template), a live HTTP server, Debian's
Chromium, and a guard that fails any test reaching past this machine.

Safe under pytest-xdist (make test): every worker is a process of its own with its own
instance folder, tmp_path, migrated templates (named by its pid), live servers on ports
the kernel picks, and its own Chromium. Tests that measure time or make load are
marked `serial` and run after the parallel phase, alone."""
import ipaddress
import os
import re
import shutil
import socket
import tempfile
import threading
import uuid
from urllib.parse import quote, urlsplit

import psycopg2
import pytest
from flask.testing import FlaskClient
from werkzeug.serving import make_server

# Nothing a test run writes may land in the checkout's instance/ (the huey queue file
# is opened when tutor.queue is imported).
os.environ["INSTANCE_PATH"] = tempfile.mkdtemp(prefix="tutor-tests-")
os.environ.pop("REDIS_URL", None)

from tests.postgres_databases import ReusedDatabase  # noqa: E402
from tutor import create_app, migrate  # noqa: E402
from tutor.database import open_database  # noqa: E402
from tutor.extensions import db  # noqa: E402
from tutor.models import User  # noqa: E402
from tutor import jobs  # noqa: E402,F401 (declares the tasks and jobs, as tasks.py does)
from tutor.queue import huey  # noqa: E402
from tutor.services.passwords import hash_password  # noqa: E402

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "").strip()
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])
CHROMIUM = "/usr/bin/chromium"
TEACHER_PASSWORD = "Tutor-test-password-1"
STUDENT_PASSWORD = "Student-test-password-1"


def pytest_configure(config):
    if os.environ.get("REQUIRE_POSTGRES") == "1":
        if not POSTGRES_URL:
            raise pytest.UsageError("REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set")
        try:
            psycopg2.connect(POSTGRES_URL).close()
        except psycopg2.OperationalError as error:
            raise pytest.UsageError(f"PostgreSQL at TEST_DATABASE_URL is unreachable: {error}")


# --- no traffic beyond this machine ---------------------------------------------------

# CI in a container reaches its database and Redis services by name.
SERVICE_HOSTS = {urlsplit(url).hostname for url in (POSTGRES_URL, os.environ.get("TEST_REDIS_URL"))
                 if url}


def _is_local(host):
    if host in ("localhost", "") or host in SERVICE_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def no_outside_network(monkeypatch):
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def check(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address[0]):
            raise RuntimeError(f"test tried to reach {address[0]}: only 127.0.0.1 is allowed")

    def connect(sock, address):
        check(sock, address)
        return real_connect(sock, address)

    def connect_ex(sock, address):
        check(sock, address)
        return real_connect_ex(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)


# --- databases ----------------------------------------------------------------------

def postgres_schema_url(schema):
    separator = "&" if "?" in POSTGRES_URL else "?"
    return f"{POSTGRES_URL}{separator}options={quote(f'-csearch_path={schema}')}"


@pytest.fixture(params=BACKENDS)
def backend(request):
    """Which database the test runs on: each test that needs one runs on both."""
    return request.param


@pytest.fixture(scope="session")
def shared_extensions():
    """pg_trgm installed once in the public schema of TEST_DATABASE_URL's database, as
    its administrator would: the schemas the tests make there share it (migration
    0033 uses it where it is). Installed by a test's own upgrade it would live in that
    test's schema, and dropping the schema would take the other schemas' indexes."""
    conn = psycopg2.connect(POSTGRES_URL)
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:  # xdist workers one at a time
            cursor.execute("SELECT pg_advisory_lock(hashtext('tutor tests: extensions'))")
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
    finally:
        conn.close()  # and the lock with it


@pytest.fixture
def empty_database_url(request, backend, tmp_path):
    """An empty database: a new SQLite file, or a new PostgreSQL schema."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    request.getfixturevalue("shared_extensions")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg2.connect(POSTGRES_URL) as conn, conn.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA {schema}")
    yield postgres_schema_url(schema)
    _admin(f"DROP SCHEMA {schema} CASCADE", database_url=POSTGRES_URL)


@pytest.fixture(scope="session")
def migrated(tmp_path_factory):
    """Per backend, a database with every migration applied, made once per run: a
    test's database starts as a copy of it. Migrating anew for each test cost more
    than most tests (about 0.8 s on PostgreSQL, against 0.03 s for a copy)."""
    made = {}

    def template(backend):
        if backend not in made:
            if backend == "sqlite":
                path = tmp_path_factory.mktemp("migrated") / "tutor.db"
                made[backend] = path
                url = f"sqlite:///{path}"
            else:
                _drop_abandoned_databases()
                made[backend] = f"{TEST_DATABASE_PREFIX}{os.getpid()}_template"
                _admin(f"CREATE DATABASE {made[backend]}")
                url = _postgres_database_url(made[backend])
            database = open_database(url)
            migrate.upgrade(database)
            database.close()
        return made[backend]

    yield template
    if "postgresql" in made:
        _admin(f"DROP DATABASE IF EXISTS {made['postgresql']} WITH (FORCE)")


@pytest.fixture(scope="session")
def reused_postgres():
    database = ReusedDatabase(_admin, _postgres_database_url,
                              f"{TEST_DATABASE_PREFIX}{os.getpid()}_reused")
    yield database
    database.drop()


@pytest.fixture
def database_url(backend, tmp_path, migrated, request):
    """A migrated database of the test's own: a copy of the migrated SQLite file, or
    the worker's PostgreSQL database, emptied back to the migrated template's rows
    after each test (tests/postgres_databases.py)."""
    if backend == "sqlite":
        path = tmp_path / "tutor.db"
        shutil.copyfile(migrated("sqlite"), path)
        yield f"sqlite:///{path}"
        return
    reused = request.getfixturevalue("reused_postgres")
    yield reused.take(migrated("postgresql"))
    reused.give_back()


# Databases the tests make are named tutor_test_<pid>_…: a run that was killed leaves
# them behind, and the next run drops those whose process is gone.
TEST_DATABASE_PREFIX = "tutor_test_"


def _postgres_database_url(name):
    return urlsplit(POSTGRES_URL)._replace(path=f"/{name}").geturl()


def _admin(statement, database_url=None):
    """Run one statement outside a transaction (CREATE/DROP DATABASE need that)."""
    conn = psycopg2.connect(database_url or POSTGRES_URL)
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute(statement)
    finally:
        conn.close()


def _drop_abandoned_databases():
    conn = psycopg2.connect(POSTGRES_URL)
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT datname FROM pg_database WHERE datname LIKE %s",
                           (TEST_DATABASE_PREFIX + "%",))
            names = [row[0] for row in cursor.fetchall()]
    finally:
        conn.close()
    for name in names:
        pid = name.removeprefix(TEST_DATABASE_PREFIX).split("_")[0]
        if pid.isdigit() and not _alive(int(pid)):
            try:
                _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            except psycopg2.Error:  # another xdist worker is dropping it at the same time
                pass


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@pytest.fixture
def test_config(request, database_url, tmp_path):
    """Settings for the test's app; @pytest.mark.config(NAME=value) changes some."""
    marker = request.node.get_closest_marker("config")
    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "REDIS_URL": "",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "RATELIMIT_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 1024,
        **(marker.kwargs if marker else {}),
    }


@pytest.fixture
def app(test_config, tmp_path, monkeypatch):
    """The app on its database; the upgrade finds a copy of a migrated database (see
    `migrated`), or migrates one a test's config named."""
    monkeypatch.setenv("SECRET_KEY", "test-secret-key")
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    application = create_app(test_config)
    migrate.upgrade(db.database)
    huey.immediate = True
    yield application
    db.database.close()
    if hasattr(db.database, "close_all"):  # PostgreSQL's pool: its idle connections too
        db.database.close_all()


@pytest.fixture
def app_ctx(app):
    """For tests that call services directly (they read settings from the app)."""
    with app.app_context():
        yield app


# --- clients and people -------------------------------------------------------------

CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class Client(FlaskClient):
    def csrf_token(self, path="/"):
        return CSRF_FIELD.search(self.get(path).text).group(1)

    def submit(self, path, data=None, page=None, **kwargs):
        """POST like a browser does: with the CSRF token of the page the form is on."""
        data = {"csrf_token": self.csrf_token(page or path), **(data or {})}
        return self.post(path, data=data, **kwargs)


@pytest.fixture
def client(app):
    app.test_client_class = Client
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def create_user(app):
    def create(login, password, role=User.STUDENT, **fields):
        with app.app_context():
            return User.create(login=login, password_hash=hash_password(password),
                               role=role, **fields)
    return create


@pytest.fixture
def teacher(create_user):
    return create_user("teacher", TEACHER_PASSWORD, role=User.TEACHER,
                       first_name="Анна", last_name="Петрова")


@pytest.fixture
def create_student(create_user):
    counter = iter(range(1, 10_000))

    def create(**fields):
        n = next(counter)
        fields.setdefault("first_name", "Иван")
        fields.setdefault("last_name", f"Иванов{n}")
        return create_user(fields.pop("login", f"student{n}"),
                           fields.pop("password", STUDENT_PASSWORD), **fields)
    return create


@pytest.fixture
def maria(create_student):
    """A student told things by e-mail (a file may define a Maria of its own)."""
    return create_student(login="maria", first_name="Мария", channel=User.EMAIL,
                          email="maria@example.org")


class AuthActions:
    def __init__(self, client):
        self.client = client

    def login(self, login="teacher", password=TEACHER_PASSWORD, **extra):
        return self.client.submit("/login", {"login": login, "password": password, **extra})

    def logout(self):
        return self.client.submit("/logout")


def browser_for(app, login=None, password=STUDENT_PASSWORD, lang="en"):
    """A test client with cookies of its own, in `lang`, signed in as `login` (none:
    anonymous). Fixtures offering it ask for `client`, which sets the client class."""
    browser = app.test_client()
    browser.submit(f"/language/{lang}")
    if login:
        assert browser.submit("/login", {"login": login, "password": password}).status_code == 302
    return browser


@pytest.fixture
def auth(client):
    return AuthActions(client)


# --- real HTTP and a real browser ---------------------------------------------------

@pytest.fixture
def live_server(app):
    """The app on a real socket at 127.0.0.1, threaded like a production server."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it (apt-get install chromium)")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"],
    }


# --- outside services, faked on 127.0.0.1 ---------------------------------------------

@pytest.fixture
def mailgun(app, httpserver):
    """The app sends e-mail through Mailgun at `httpserver`, which the test answers."""
    from tests.fake_mailgun import API_KEY, DOMAIN

    app.config.update(EMAIL_BACKEND="mailgun", MAILGUN_DOMAIN=DOMAIN, MAILGUN_API_KEY=API_KEY,
                      MAILGUN_URL=httpserver.url_for("").rstrip("/"),
                      EMAIL_FROM=f"Репетитор <no-reply@{DOMAIN}>")
    yield httpserver
    for request, _ in httpserver.log:
        request.close()


@pytest.fixture
def fake_mailgun(mailgun):
    """The app sends e-mail through Mailgun, played by tests/fake_mailgun.py."""
    from tests.fake_mailgun import FakeMailgun

    return FakeMailgun(mailgun)
