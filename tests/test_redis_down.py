"""With Redis down (its URL at a port of 127.0.0.1 where nothing listens) the app
keeps serving what needs only the database: /readyz says the queue is degraded but
keeps the server in the proxy, and logins are rate limited in the worker's memory
instead of failing."""
import socket
import time

import pytest
from huey import RedisHuey

from tests.conftest import STUDENT_PASSWORD
from tests.processes import free_port
from tutor.extensions import limiter
from tutor.models import WorkRequest
from tutor.queue import huey, make_huey


CLOSED = f"redis://127.0.0.1:{free_port()}/0"


@pytest.fixture(autouse=True)
def limiter_state(monkeypatch):
    """The limiter is one object per process: what it learns here stays here."""
    monkeypatch.setattr(limiter, "_storage_dead", False)


@pytest.fixture
def queue_down(monkeypatch):
    monkeypatch.setattr(huey, "_immediate", False)
    monkeypatch.setattr(huey, "storage", RedisHuey("tutor", url=CLOSED).storage)


def test_readyz_says_degraded_and_stays_ready(client, queue_down):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "degraded", "database": "ok",
                                   "queue": "unavailable"}


@pytest.mark.config(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=CLOSED,
                    LOGIN_RATE_LIMIT="3 per minute")
def test_logins_are_counted_in_memory_while_redis_is_down(client, maria, caplog):
    client.submit("/language/en")
    assert client.submit("/login", {"login": "maria",
                                    "password": STUDENT_PASSWORD}).status_code == 302
    client.submit("/logout")
    wrong = [client.submit("/login", {"login": "maria", "password": "wrong"}).status_code
             for _ in range(3)]
    assert wrong == [200, 200, 429]  # the limit holds: 3 attempts a minute
    assert "falling back to in-memory storage" in caplog.text


@pytest.fixture
def silent_redis():
    """A port where connections are taken and never answered: a Redis stopped with
    SIGSTOP, or one on a host that hangs."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"


@pytest.mark.slow  # waits out redis-py's socket timeout (5 s by default)
@pytest.mark.serial  # measures that wait: runs alone (make test's serial phase)
def test_a_redis_that_never_answers_costs_a_request_seconds(client, maria, silent_redis,
                                                            monkeypatch):
    monkeypatch.setenv("REDIS_URL", silent_redis)
    monkeypatch.setattr(huey, "_immediate", False)
    monkeypatch.setattr(huey, "storage", make_huey().storage)
    started = time.monotonic()
    response = client.submit("/forgot", {"identifier": "maria"})
    elapsed = time.monotonic() - started
    assert response.status_code == 302
    assert elapsed < 10
    assert WorkRequest.select().count() == 1
