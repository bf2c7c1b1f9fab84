"""Rate limits that hold: counted in the database (or Redis), shared by every worker,
and keyed on the account an identifier resolves to, so no spelling of a name and no
number of gunicorn workers lets more attempts through than documented."""
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis
import requests

from tests.conftest import CSRF_FIELD, STUDENT_PASSWORD, TEACHER_PASSWORD
from tests.processes import answering, free_port
from tutor.extensions import limiter
from tutor.models import RateLimitCounter, User
from tutor.ratelimits import DatabaseStorage

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"
REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

SHARED = {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "database://"}


def attempt(client, path, data, address):
    """A POST from `address` with a fresh CSRF token, as a browser there would."""
    token = CSRF_FIELD.search(client.get(path).text).group(1)
    return client.post(path, data={"csrf_token": token, **data},
                       environ_base={"REMOTE_ADDR": address})


# --- the storage ------------------------------------------------------------------

def test_the_database_counts_a_window_and_starts_a_new_one_when_it_ends(app_ctx,
                                                                        time_machine):
    time_machine.move_to("2026-12-06 10:00:00+00:00", tick=False)
    storage = DatabaseStorage("database://")
    assert [storage.incr("login/1.2.3.4", 60) for _ in range(3)] == [1, 2, 3]
    assert storage.incr("login/1.2.3.4", 60, amount=2) == 5
    assert storage.get("login/1.2.3.4") == 5
    assert storage.get("elsewhere") == 0
    assert storage.get_expiry("login/1.2.3.4") == pytest.approx(time.time() + 60)

    time_machine.move_to("2026-12-06 10:00:59+00:00", tick=False)
    assert storage.incr("login/1.2.3.4", 60) == 6  # the window started at 10:00:00
    time_machine.move_to("2026-12-06 10:01:00+00:00", tick=False)
    assert storage.get("login/1.2.3.4") == 0
    assert storage.incr("login/1.2.3.4", 60) == 1
    storage.clear("login/1.2.3.4")
    assert storage.get("login/1.2.3.4") == 0
    assert storage.check()


def test_rows_of_ended_windows_are_pruned_as_new_windows_start(app_ctx, time_machine):
    time_machine.move_to("2026-12-06 10:00:00+00:00", tick=False)
    storage = DatabaseStorage("database://")
    for n in range(5):
        storage.incr(f"forgot/name-{n}", 3600)
    storage.incr("login/short", 60)
    time_machine.move_to("2026-12-06 10:02:00+00:00", tick=False)
    storage.incr("forgot/name-0", 3600)  # inside its window: nothing to prune
    assert RateLimitCounter.select().count() == 6
    storage.incr("login/other", 60)  # a new window: login/short's has ended
    assert sorted(row.key for row in RateLimitCounter.select()) == [
        "forgot/name-0", "forgot/name-1", "forgot/name-2", "forgot/name-3",
        "forgot/name-4", "login/other"]
    time_machine.move_to("2026-12-06 11:00:01+00:00", tick=False)
    storage.incr("login/other", 60)
    assert [row.key for row in RateLimitCounter.select()] == ["login/other"]


def test_a_key_longer_than_the_column_is_counted_by_its_digest(app_ctx):
    storage = DatabaseStorage("database://")
    long_key = "forgot/" + "x" * 1000
    assert [storage.incr(long_key, 60) for _ in range(2)] == [1, 2]
    assert storage.incr(long_key[:-1] + "y", 60) == 1
    assert storage.get(long_key) == 2
    assert max(len(row.key) for row in RateLimitCounter.select()) <= 255


@pytest.mark.config(**SHARED)
def test_the_app_counts_in_the_database_by_default(app):
    assert isinstance(limiter.storage, DatabaseStorage)


# --- one account, whatever its spelling -------------------------------------------

SPELLINGS = ["teacher", "TEACHER", "@teacher", " Tea\x01cher ", "tea\x00cher", "@TeAcHeR"]


@pytest.mark.config(**SHARED, LOGIN_RATE_LIMIT="1000 per minute",
                    LOGIN_ACCOUNT_RATE_LIMIT="6 per hour")
def test_every_spelling_of_a_login_counts_against_one_account(client, teacher):
    """Each attempt from another address, so only the per-account limit can stop
    them; after six wrong guesses in any spelling, even the right password waits."""
    statuses = [attempt(client, "/login", {"login": login, "password": "wrong"},
                        f"10.0.0.{n}").status_code
                for n, login in enumerate(SPELLINGS)]
    assert statuses == [200] * 6
    for n, login in enumerate(["teacher", "@teacher", "TEACHER"]):
        response = attempt(client, "/login", {"login": login, "password": TEACHER_PASSWORD},
                           f"10.0.1.{n}")
        assert response.status_code == 429
    assert client.get("/account").status_code == 302  # never logged in


@pytest.mark.config(**SHARED, LOGIN_RATE_LIMIT="1000 per minute",
                    LOGIN_ACCOUNT_RATE_LIMIT="3 per hour")
def test_a_name_nobody_has_is_limited_the_same_way(client, teacher):
    statuses = [attempt(client, "/login", {"login": login, "password": "wrong"},
                        f"10.0.0.{n}").status_code
                for n, login in enumerate(["ghost", "@GHOST", "gh\x01ost", "Ghost"])]
    assert statuses == [200, 200, 200, 429]
    # ...and the teacher's own count is untouched by it.
    assert attempt(client, "/login", {"login": "teacher", "password": TEACHER_PASSWORD},
                   "10.0.2.1").status_code == 302


@pytest.mark.config(**SHARED, LOGIN_RATE_LIMIT="1000 per minute",
                    LOGIN_ACCOUNT_RATE_LIMIT="3 per hour")
def test_the_right_password_in_another_spelling_logs_in(client, teacher):
    """The lookup and the limit normalise alike: what counts as the teacher logs in
    as the teacher."""
    assert attempt(client, "/login", {"login": "@Tea\x01cher", "password": TEACHER_PASSWORD},
                   "10.0.0.1").status_code == 302
    assert client.get("/account").status_code == 200


@pytest.mark.config(**SHARED, RESET_RATE_LIMIT="4 per hour")
def test_every_name_of_an_account_counts_against_its_reset_limit(client, create_student):
    create_student(login="maria", channel=User.EMAIL, email="maria@example.org",
                   telegram_username="masha")
    names = ["maria", "MARIA", "@maria", "ma\x01ria", "Maria@Example.org", "@masha"]
    statuses = [attempt(client, "/forgot", {"identifier": name}, f"10.0.0.{n}").status_code
                for n, name in enumerate(names)]
    assert statuses == [302] * 4 + [429] * 2


@pytest.mark.config(**SHARED, RESET_RATE_LIMIT="3 per hour")
def test_nobody_keeps_another_user_logged_out(app, client, create_student, time_machine):
    """A reset request ends the user's sessions; the per-account limit is what bounds
    how often a stranger can do that, from any address and in any spelling."""
    time_machine.move_to("2026-12-06 10:00:00+00:00", tick=True)
    create_student(login="maria", channel=User.EMAIL, email="maria@example.org")
    maria = app.test_client()

    def log_in():
        token = CSRF_FIELD.search(maria.get("/login").text).group(1)
        response = maria.post("/login", data={"csrf_token": token, "login": "maria",
                                              "password": STUDENT_PASSWORD},
                              environ_base={"REMOTE_ADDR": "192.168.1.10"})
        assert response.status_code == 302

    log_in()
    opened = None  # the account's window opens at its first request (the clock ticks)
    for n, name in enumerate(["maria", "MARIA", "@maria"]):
        assert attempt(client, "/forgot", {"identifier": name}, f"10.0.0.{n}").status_code == 302
        opened = opened or time.time()
    assert maria.get("/account").status_code == 302  # logged out by the requests
    log_in()
    spellings = ["maria", "Maria", "@maria", "ma\x01ria", "maria@example.org"] * 4
    statuses = {attempt(client, "/forgot", {"identifier": name}, f"10.0.1.{n}").status_code
                for n, name in enumerate(spellings)}
    assert statuses == {429}
    assert maria.get("/account").status_code == 200  # still logged in

    # The hour is over: a second after an hour from that first request (on a busy
    # machine the set-up can take seconds, so not from 10:00).
    time_machine.move_to(opened + 3601, tick=True)
    assert attempt(client, "/forgot", {"identifier": "maria"}, "10.0.2.1").status_code == 302


# --- many workers, one count ---------------------------------------------------------

@pytest.fixture
def start_server(app, test_config, tmp_path):
    """gunicorn with the repository's configuration and `workers` processes; the
    limits stored as the default install stores them (or in Redis)."""
    processes = []

    def start(workers, redis_url=""):
        port = free_port()
        env = {**os.environ, "TUTOR_ENV": "production", "SECRET_KEY": "l" * 64,
               "SESSION_COOKIE_SECURE": "0", "DATABASE_URL": test_config["DATABASE_URL"],
               "REDIS_URL": redis_url, "PORT": str(port), "HOST": "127.0.0.1",
               "WEB_CONCURRENCY": str(workers), "INSTANCE_PATH": str(tmp_path / "instance"),
               "PUBLIC_URL": f"http://127.0.0.1:{port}/",
               "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / f"metrics{port}"),
               "RATELIMIT_ENABLED": "1", "ARGON2_TIME_COST": "1", "ARGON2_MEMORY_COST": "1024"}
        for name in ("RATELIMIT_STORAGE_URI", "LOGIN_RATE_LIMIT", "LOGIN_ACCOUNT_RATE_LIMIT",
                     "PROXY_COUNT"):
            env.pop(name, None)
        process = subprocess.Popen([str(GUNICORN), "-c", "deploy/gunicorn.conf.py", "wsgi:app"],
                                   cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, text=True)
        processes.append(process)
        base = f"http://127.0.0.1:{port}"
        answering(f"{base}/healthz", process)
        return base

    yield start
    for process in processes:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def wrong_logins(base, login, count):
    """`count` wrong logins at once from one address; their statuses, sorted."""
    browser = requests.Session()
    token = CSRF_FIELD.search(browser.get(f"{base}/login").text).group(1)
    cookies = browser.cookies.get_dict()

    def one(_):
        return requests.post(f"{base}/login", cookies=cookies, allow_redirects=False,
                             data={"csrf_token": token, "login": login, "password": "no"},
                             timeout=60).status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        return sorted(pool.map(one, range(count)))


@pytest.mark.slow
@pytest.mark.parametrize("workers", [2, 4])
def test_the_login_limit_holds_on_many_workers(start_server, teacher, workers):
    """The documented 10 wrong logins a minute from one address, exactly, whatever
    the number of workers (on SQLite and PostgreSQL, the default install's storage)."""
    base = start_server(workers)
    assert wrong_logins(base, "teacher", 40) == [200] * 10 + [429] * 30


@pytest.mark.slow
@pytest.mark.xdist_group("redis_db")  # flushes and counts in the test Redis database
def test_the_login_limit_holds_on_many_workers_with_redis(start_server, teacher,
                                                          test_config):
    if not test_config["DATABASE_URL"].startswith("sqlite"):
        pytest.skip("Redis counts alike whatever the database: once is enough")
    try:
        client = redis.Redis.from_url(REDIS, socket_connect_timeout=1)
        client.flushdb()
    except redis.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    base = start_server(4, redis_url=REDIS)
    assert wrong_logins(base, "teacher", 30) == [200] * 10 + [429] * 20
