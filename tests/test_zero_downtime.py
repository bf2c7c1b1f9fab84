"""Reloads and restarts lose no request: gunicorn's graceful reload (HUP), and a
rolling restart of two gunicorn instances behind the shipped nginx site, each while
wrk runs — every answer 2xx or 3xx, no connection dropped.

nginx's 443 server refuses a handshake without the site's name (SNI), and wrk sends
the name of the address it is given: behind nginx the site is named `localhost`."""
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import requests

from tests.deploy import (
    DEBIAN_NGINX,
    METRICS_TOKEN,
    PUBLIC_URL,
    ROOT,
    SERVER_NAME,
    VENV_BIN,
    nginx_site,
    required,
    seed,
    start,
    start_nginx,
)
from tests.processes import free_port, until

WRK = "/usr/bin/wrk"
pytestmark = [pytest.mark.slow, pytest.mark.serial]  # timing or load: runs alone (make test's serial phase)


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    home = tmp_path_factory.mktemp("zero-downtime")
    seed(f"sqlite:///{home / 'tutor.db'}", home / "instance")
    return home


def gunicorn(home, name, port=None):
    """One app instance as deploy/ runs it, on a port of its own (or `port`: the one
    it had before a restart); the instances share the database, as hosts behind one
    proxy share PostgreSQL."""
    port = port or free_port()
    env = {**os.environ, "TUTOR_ENV": "production", "SECRET_KEY": "z" * 64,
           "PUBLIC_URL": PUBLIC_URL, "PROXY_COUNT": "1",
           "DATABASE_URL": f"sqlite:///{home / 'tutor.db'}", "REDIS_URL": "",
           "INSTANCE_PATH": str(home / "instance"), "PORT": str(port), "HOST": "127.0.0.1",
           "WEB_CONCURRENCY": "2", "LOG_FORMAT": "json", "METRICS_TOKEN": METRICS_TOKEN,
           "PROMETHEUS_MULTIPROC_DIR": str(home / f"metrics-{name}"),
           "EMAIL_BACKEND": "console", "ARGON2_TIME_COST": "1", "ARGON2_MEMORY_COST": "1024"}
    env.pop("RATELIMIT_STORAGE_URI", None)
    process = start([str(VENV_BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "wsgi:app"],
                    home / f"gunicorn-{name}.log", cwd=ROOT, env=env)
    process.port = port
    until(lambda: healthy(port), f"gunicorn {name} answering", timeout=60, process=process)
    return process


def healthy(port):
    try:
        return requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).ok
    except (requests.ConnectionError, requests.Timeout):
        return False


def stop(process):
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)


def served_pages(process):
    """How many start pages the instance logged (its own request log, JSON lines)."""
    return len(re.findall(r'"path": "/"[,}]', process.log.read_text()))


def workers(process):
    found = subprocess.run(["pgrep", "-P", str(process.pid)], capture_output=True, text=True)
    return set(found.stdout.split())


def test_a_graceful_reload_under_load_loses_no_request(home):
    required(WRK, "wrk")
    app = gunicorn(home, "hup")
    try:
        before = workers(app)
        load = subprocess.Popen([WRK, "-t2", "-c8", "-d12s", "--timeout", "10s",
                                 f"http://127.0.0.1:{app.port}/"],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        time.sleep(3)  # a wall-clock moment inside wrk's run, not a wait for a result
        app.send_signal(signal.SIGHUP)
        report = load.communicate(timeout=60)[0]
        until(lambda: workers(app) and not workers(app) & before, "new workers after HUP")
    finally:
        stop(app)
    assert load.returncode == 0, report
    requests_made = int(re.search(r"(\d+) requests in", report)[1])
    assert requests_made > 20, report
    assert "Non-2xx or 3xx responses" not in report, report
    assert "Socket errors" not in report, report


@pytest.fixture
def two_behind_nginx(home):
    """Instances A and B, and the shipped site with both in its upstream."""
    required(DEBIAN_NGINX, "nginx")
    apps = {"a": gunicorn(home, "a"), "b": gunicorn(home, "b")}
    site = Path(tempfile.mkdtemp(prefix="tutor-nginx-"))
    https_port = free_port()
    command = nginx_site(site, apps["a"].port, free_port(), https_port)
    conf = site / "site.conf"
    one = f"server 127.0.0.1:{apps['a'].port};"
    # The server name an operator gives it (deploy/README.md): here `localhost`, the
    # one name wrk can both reach and send as its TLS SNI (nginx answers no other).
    conf.write_text(conf.read_text().replace(
        one, f"{one}\n    server 127.0.0.1:{apps['b'].port};").replace(
        f"server_name {SERVER_NAME};", "server_name localhost;"))
    proxy = start_nginx(command, site, https_port)
    yield apps, https_port
    proxy.terminate()
    proxy.wait(timeout=15)
    for app in apps.values():
        if app.poll() is None:
            stop(app)
    shutil.rmtree(site, ignore_errors=True)


def test_a_rolling_restart_behind_nginx_loses_no_request(home, two_behind_nginx):
    required(WRK, "wrk")
    apps, port = two_behind_nginx
    # Longer than the restarts take: stopped by SIGINT once they are done, when wrk
    # prints its report of the requests made so far. A request may wait as long as
    # nginx would wait for its answer (proxy_read_timeout 35s): on a loaded machine a
    # restarted instance's first answers can take seconds, which is slow, not lost.
    load = subprocess.Popen([WRK, "-t2", "-c8", "-d300s", "--timeout", "35s",
                             f"https://localhost:{port}/"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        until(lambda: served_pages(apps["a"]) >= 10 and served_pages(apps["b"]) >= 10,
              "wrk's requests reaching both instances through nginx", timeout=60)
        for name, other in (("a", "b"), ("b", "a")):
            old = apps[name]
            stop(old)
            served_without = served_pages(apps[other])
            until(lambda: served_pages(apps[other]) >= served_without + 10,
                  f"answers while {name} is down", timeout=60)
            apps[name] = again = gunicorn(home, f"{name}-again", port=old.port)
            # nginx counts the stopped one failed for fail_timeout (10 s): the next
            # may stop only once nginx sends it requests again, as deploy/README.md says.
            until(lambda: served_pages(again), f"nginx sending to {name} again", timeout=60)
    finally:
        load.send_signal(signal.SIGINT)
        report = load.communicate(timeout=60)[0]
    assert load.returncode == 0, report
    requests_made = int(re.search(r"(\d+) requests in", report)[1])
    assert requests_made > 40, report
    assert "Non-2xx or 3xx responses" not in report, report
    assert "Socket errors" not in report, report
