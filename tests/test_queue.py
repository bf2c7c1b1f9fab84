"""The huey queue: SqliteHuey by default, RedisHuey with REDIS_URL, and a real
consumer running a task that another process enqueued."""
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import redis
from huey import RedisHuey, SqliteHuey

from config import load_config
from tutor.queue import make_huey

ROOT = Path(__file__).resolve().parent.parent
CONSUMER = Path(sys.executable).parent / "huey_consumer"
REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def test_sqlite_huey_lives_in_the_instance_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("HUEY_SQLITE_PATH", raising=False)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    huey = make_huey()
    assert isinstance(huey, SqliteHuey)
    assert huey.storage.filename == str(tmp_path / "huey.db")


def test_redis_url_selects_redis_huey(monkeypatch):
    monkeypatch.setenv("REDIS_URL", REDIS)
    assert isinstance(make_huey(), RedisHuey)


def test_the_queue_and_the_app_read_their_settings_from_one_place(monkeypatch, tmp_path):
    """config.queue_config() gives huey and app.config the same queue settings."""
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("HUEY_SQLITE_PATH", str(tmp_path / "queue" / "jobs.db"))
    settings = load_config()
    assert settings["HUEY_SQLITE_PATH"] == str(tmp_path / "queue" / "jobs.db")
    assert make_huey().storage.filename == settings["HUEY_SQLITE_PATH"]
    monkeypatch.setenv("REDIS_URL", REDIS)
    assert load_config()["REDIS_URL"] == REDIS
    assert isinstance(make_huey(), RedisHuey)
    assert isinstance(make_huey({"REDIS_URL": "", "HUEY_SQLITE_PATH": str(tmp_path / "h.db")}),
                      SqliteHuey)


def redis_available():
    try:
        return redis.Redis.from_url(REDIS, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


@pytest.fixture(params=["sqlite-huey", "redis-huey"])
def queue_env(request, database_url, tmp_path, teacher):
    env = {**os.environ, "DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path / "q"),
           "SECRET_KEY": "test", "PYTHONPATH": f"{ROOT}:{ROOT / 'tests' / 'probes'}"}
    env.pop("REDIS_URL", None)
    if request.param == "redis-huey":
        if not redis_available():
            if os.environ.get("CI"):
                pytest.fail("Redis on 127.0.0.1:6379 is required in CI")
            pytest.skip("no Redis on 127.0.0.1:6379")
        # A database of our own and a fresh queue name keep runs apart.
        env["REDIS_URL"] = REDIS
        redis.Redis.from_url(REDIS).flushdb()
    return env


@pytest.mark.slow
@pytest.mark.xdist_group("redis_db")  # flushes the test Redis database: one at a time
def test_consumer_runs_a_task_enqueued_by_another_process(queue_env):
    consumer = subprocess.Popen(
        [str(CONSUMER), "probe_tasks.huey", "--workers", "1", "-d", "0.05", "-m", "0.5"],
        cwd=ROOT, env=queue_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        code = ("from probe_tasks import teacher_logins;"
                "print(teacher_logins().get(blocking=True, timeout=30))")
        enqueue = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=queue_env,
                                 capture_output=True, text=True, timeout=60)
        assert enqueue.returncode == 0, enqueue.stderr
        assert enqueue.stdout.strip() == "['teacher']"
    finally:
        consumer.send_signal(signal.SIGINT)
        output = consumer.communicate(timeout=30)[0]
    assert consumer.returncode == 0, output
    assert "probe_tasks.teacher_logins" in output
