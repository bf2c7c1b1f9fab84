"""The Containerfile, built and run with Debian's podman.

No image can be pulled here, so the image is built on a base made from Debian's own
packages, pip reading a local index (tests/containers.py). The image then has to:
run as a non-root user, apply the migrations and print the teacher's credentials
once, answer /healthz (its HEALTHCHECK too) and /readyz, stop cleanly on SIGTERM, and
keep its data in the volume across a restart."""
import os
import re
import secrets
import time

import pytest
import requests

from tests.processes import free_port, until
from tests.containers import image, package_index, podman  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.slow, pytest.mark.serial]  # podman: runs alone


def test_the_image_is_a_non_root_server_of_reasonable_size(podman, image, record_property):
    config = podman("image", "inspect", image, "--format",
                    "{{.Config.User}} {{.Size}} {{.Config.WorkingDir}}").stdout.split()
    user, size, workdir = config[0], int(config[1]), config[2]
    assert (user, workdir) == ("tutor", "/app")
    record_property("image_size_mb", round(size / 1e6))
    print(f"\nimage size: {size / 1e6:.0f} MB")
    assert size < 1_000_000_000
    files = podman("run", "--rm", "--no-healthcheck", image, "sh", "-c",
                   "ls -A /app; test ! -e /app/instance/secret_key || echo SECRET").stdout.split()
    # .containerignore keeps the checkout's own files out of the build.
    assert "SECRET" not in files and ".venv" not in files and ".git" not in files


def test_the_container_migrates_serves_stops_and_keeps_its_data(podman, image):
    name = f"tutor-test-{os.getpid()}"
    volume = f"{name}-data"
    port = free_port()
    podman("volume", "create", volume)
    try:
        podman("create", "--name", name, "-p", f"127.0.0.1:{port}:8000",
               "-v", f"{volume}:/app/instance", "-e", f"SECRET_KEY={secrets.token_hex(32)}",
               "-e", f"PUBLIC_URL=http://127.0.0.1:{port}/", "-e", "SESSION_COOKIE_SECURE=0",
               image)
        base = f"http://127.0.0.1:{port}"
        logs = start_and_check(podman, name, base)
        assert "applied 0001_" in logs  # the migrations, before gunicorn starts
        login, password = re.search(r"login:\s+(\S+)\s+password:\s+(\S+)", logs).groups()

        stopped = time.monotonic()
        podman("stop", "-t", "30", name, timeout=60)
        assert time.monotonic() - stopped < 20  # gunicorn stopped on SIGTERM, not killed
        state = podman("inspect", name, "--format", "{{.State.ExitCode}}").stdout.strip()
        logs = logs_of(podman, name)
        assert state == "0", logs[-3000:]
        assert "Handling signal: term" in logs and "Shutting down: Master" in logs

        logs = start_and_check(podman, name, base)
        assert logs.count("Handling signal: term") == 1  # both runs' lines are here
        assert logs.count(password) == 1 and logs.count("login:") == 1  # shown only once
        # The teacher made at the first start logs in: the data is in the volume.
        browser = requests.Session()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"',
                          browser.get(f"{base}/login", timeout=10).text)[1]
        answer = browser.post(f"{base}/login", data={"csrf_token": token, "login": login,
                                                     "password": password},
                              allow_redirects=False, timeout=30)
        assert answer.status_code == 302, answer.text[:2000]
    finally:
        podman("rm", "-f", "-t", "5", name, check=False)
        podman("volume", "rm", "-f", volume, check=False)


def logs_of(podman, name):
    logs = podman("logs", name)
    return logs.stdout + logs.stderr


def start_and_check(podman, name, base):
    """Start the container and wait until it answers, as the right user; its log."""
    podman("start", name)

    def healthy():
        try:
            return requests.get(f"{base}/healthz", timeout=5).ok
        except requests.RequestException:
            return False

    until(healthy, "the container answering /healthz")
    assert requests.get(f"{base}/readyz", timeout=10).json() == {
        "status": "ok", "database": "ok", "queue": "ok"}
    assert podman("healthcheck", "run", name, check=False).returncode == 0  # its HEALTHCHECK
    assert podman("exec", name, "id", "-un").stdout.strip() == "tutor"
    output = logs_of(podman, name)
    assert "[ERROR]" not in output and "Traceback" not in output, output[-3000:]
    return output
