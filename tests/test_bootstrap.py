"""First start: `flask --app wsgi db upgrade` migrates and creates the teacher,
printing the credentials once, even when several processes start together."""
import os
import re
import socket
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tutor.database import open_database
from tutor.models import User
from tutor.services.passwords import verify_password

ROOT = Path(__file__).resolve().parent.parent
FLASK = [sys.executable, "-m", "flask", "--app", "wsgi"]
CREDENTIALS = re.compile(r"login:\s+(\S+)\s+password:\s+(\S+)")


def start_upgrade(database_url, instance, *options):
    env = {**os.environ, "DATABASE_URL": database_url, "INSTANCE_PATH": str(instance),
           "SECRET_KEY": "", "REDIS_URL": ""}
    return subprocess.Popen([*FLASK, "db", "upgrade", *options], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_several_first_starts_create_exactly_one_teacher(database_url, tmp_path):
    processes = [start_upgrade(database_url, tmp_path / "instance") for _ in range(4)]
    outputs = [p.communicate(timeout=120) for p in processes]
    assert all(p.returncode == 0 for p in processes), outputs

    printed = [CREDENTIALS.search(err) for _, err in outputs]
    printed = [match for match in printed if match]
    assert len(printed) == 1, outputs
    login, password = printed[0].groups()

    database = open_database(database_url)
    with database.bind_ctx([User]):
        teachers = list(User.teachers())
    database.close()
    assert [t.login for t in teachers] == [login]
    assert verify_password(teachers[0].password_hash, password)
    assert len(password) >= 16

    again = start_upgrade(database_url, tmp_path / "instance")
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0
    assert "password" not in out + err


def forward(listener, target):
    """Accept connections on `listener` and pipe each to `target` (host, port)."""
    def pipe(source, sink):
        with source, sink:
            while data := source.recv(65536):
                sink.sendall(data)

    while True:
        try:
            client, _ = listener.accept()
        except OSError:  # closed: the test is over
            return
        upstream = socket.create_connection(target)
        for ends in ((client, upstream), (upstream, client.dup())):
            threading.Thread(target=pipe, args=ends, daemon=True).start()


def test_the_migrations_wait_for_a_database_still_starting(backend, database_url, tmp_path):
    """Containers can start together (podman-compose 1.0 ignores depends_on's
    conditions, a boot starts every container at once): `db upgrade --wait` waits
    for the database to answer; without it, a database not yet listening fails."""
    if backend != "postgresql":
        pytest.skip("a database server that starts late: PostgreSQL")
    real = urlsplit(database_url)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))  # the port is ours; nothing answers on it yet
    late = database_url.replace(real.netloc, real.netloc.replace(
        f"{real.hostname}:{real.port}", f"127.0.0.1:{listener.getsockname()[1]}"))
    assert late != database_url

    at_once = start_upgrade(late, tmp_path / "instance")
    assert at_once.wait(timeout=120) != 0

    waiting = start_upgrade(late, tmp_path / "instance", "--wait", "60")
    assert "waiting for the database" in waiting.stderr.readline()
    listener.listen()  # the database starts answering
    threading.Thread(target=forward, args=(listener, (real.hostname, real.port)),
                     daemon=True).start()
    try:
        out, err = waiting.communicate(timeout=120)
        assert waiting.returncode == 0, err
    finally:
        listener.close()
