"""`make run` as a user runs it: it migrates, prints the teacher's credentials on
the first start only, serves the start page in Russian next to a huey consumer, and
Ctrl-C stops both."""
import os
import re
import signal
import subprocess
from pathlib import Path

import pytest

from tests.processes import answering, free_port

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def start(instance, port):
    env = {**os.environ, "INSTANCE_PATH": str(instance), "PORT": str(port),
           "SECRET_KEY": "", "DATABASE_URL": "", "REDIS_URL": "", "MAKEFLAGS": ""}
    return subprocess.Popen(["make", "--no-print-directory", "run"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)


def running(process, pattern):
    found = subprocess.run(["pgrep", "-g", str(process.pid), "-f", pattern],
                           capture_output=True, text=True)
    return found.stdout.strip() != ""


def stop(process):
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
    output = process.communicate(timeout=30)[0]
    assert still_running(process) == [], output
    return output


def still_running(process):
    """The processes left in make's session, zombies aside: a child killed by the same
    Ctrl-C (gcc, run by ctypes' find_library) stays a zombie until an init that reaps
    orphans gets to it, and where PID 1 is not such an init that is never."""
    listing = subprocess.run(["ps", "-o", "stat=,pid=,args=", "--sid", str(process.pid)],
                             capture_output=True, text=True).stdout
    return [line for line in listing.splitlines() if not line.lstrip().startswith("Z")]


def test_make_run_twice(tmp_path):
    port = free_port()
    first = start(tmp_path / "instance", port)
    try:
        page = answering(f"http://127.0.0.1:{port}/", first)
        consumer_running = running(first, "huey_consumer tasks.huey")
    finally:
        output = stop(first)
    assert page.status_code == 200
    assert '<html lang="ru">' in page.text
    assert re.search(r"login:\s+teacher-\w+\s+password:\s+\w{20}", output), output
    assert consumer_running

    second = start(tmp_path / "instance", port)
    try:
        assert answering(f"http://127.0.0.1:{port}/login", second).status_code == 200
    finally:
        output = stop(second)
    assert "password:" not in output
