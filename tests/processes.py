"""What the tests that start real processes (gunicorn, huey consumers, nginx, Redis,
Prometheus, containers) share: a port the kernel hands out, so that tests running
beside each other never collide, and bounded waits for another process to get
somewhere: the test fails saying what did not happen, never hangs."""
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
CONSUMER = Path(sys.executable).parent / "huey_consumer"


def free_port():
    """A port of 127.0.0.1 nobody listens on (the kernel's choice, released for the
    process the test starts)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def waited(check, timeout=60, every=0.2):
    """`check()`'s first truthy result, asked every `every` seconds for at most
    `timeout` seconds; None when there was none (the caller says why, with what it
    knows)."""
    deadline = time.monotonic() + timeout
    while not (result := check()):
        if time.monotonic() > deadline:
            return None
        time.sleep(every)
    return result


def until(check, what, timeout=60, every=0.2, process=None):
    """waited(), or the test fails saying `what`: not within `timeout`, or `process`
    exited first (with the end of its output)."""
    def checked():
        result = check()
        if not result and process is not None and process.poll() is not None:
            pytest.fail(f"{what}: the process exited ({process.returncode}):\n"
                        f"{output_of(process)}")
        return result

    result = waited(checked, timeout, every)
    if not result:
        pytest.fail(f"{what}: not within {timeout} s")
    return result


def output_of(process, tail=5000):
    """The end of what an exited process wrote: its `log` file (start() in the deploy
    tests), else its stdout or stderr pipe."""
    log = getattr(process, "log", None)
    if log is not None:
        return Path(log).read_text()[-tail:]
    pipe = process.stdout or process.stderr
    return pipe.read()[-tail:] if pipe is not None else ""


def answer(url, timeout=5):
    """The response at `url` (of any status), or None while the server is not up or
    too busy starting to answer."""
    try:
        return requests.get(url, timeout=timeout)
    except (requests.ConnectionError, requests.Timeout):
        return None


def answering(url, process=None, timeout=60):
    """The first response of any status at `url`, waited for while the server starts."""
    def answered():
        response = answer(url)
        return (response,) if response is not None else None  # a 4xx response is falsy

    (response,) = until(answered, f"{url} answering", timeout, process=process)
    return response


def listening(port):
    """Whether something accepts connections on 127.0.0.1:`port`."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def start_consumer(test_config, tmp_path):
    """A huey consumer with the periodic schedule; its scheduler checks the crontabs
    as it starts, then every minute. Its output (stdout and stderr) is a pipe."""
    env = {**os.environ, "DATABASE_URL": test_config["DATABASE_URL"],
           "INSTANCE_PATH": str(tmp_path / "consumer"),
           "HUEY_SQLITE_PATH": str(tmp_path / "consumer" / "huey.db"),
           "SECRET_KEY": "jobs", "REDIS_URL": "", "EMAIL_BACKEND": "console"}
    return subprocess.Popen([str(CONSUMER), "tasks.huey", "-w", "2", "-k", "thread"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
