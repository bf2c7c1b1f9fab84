"""What the deploy tests share (tests/test_deploy_files.py, tests/test_deploy_live.py,
tests/test_zero_downtime.py): where deploy/ and the virtualenv's programs are, the
site's name and address, the metrics token; the tools they run (tool() finds one,
required() fails a test without it); the shipped nginx site rewritten for this
machine (nginx_site) and started as nobody when the tests run as root (start_nginx);
a process logging to a file (start); and the app's database with a little of
everything in it (seed)."""
import atexit
import functools
import os
import re
import shutil
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest

from tests.processes import ROOT, listening, until

DEPLOY = ROOT / "deploy"
NGINX_CONF = DEPLOY / "nginx" / "tutor.conf"
VENV_BIN = Path(sys.executable).parent
METRICS_TOKEN = "metrics-token-for-prometheus"
SERVER_NAME = "tutor.example.org"  # tutor.conf's server_name
PUBLIC_URL = f"https://{SERVER_NAME}/"
TEACHER_PASSWORD = "Tutor-live-password-1"  # everybody's in seed()
DEBIAN_NGINX = "/usr/sbin/nginx"  # make ops-tools installs it; the live tests require it


def tool(env_name, name, *fallbacks):
    for candidate in (os.environ.get(env_name), shutil.which(name), *fallbacks):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


NGINX = tool("NGINX", "nginx", DEBIAN_NGINX)  # what nginx_site() runs; None if missing


def start(command, log, **kwargs):
    """A process whose output goes to `log` (a pipe nobody reads would fill and
    stop it)."""
    with open(log, "w") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, **kwargs)
    process.log = Path(log)
    return process


def required(path, package):
    if not (Path(path).is_file() and os.access(path, os.X_OK)):
        pytest.fail(f"{path} is missing: `make test` installs it (apt-get install {package})")
    return path


def seed(database_url, instance):
    """A teacher, a student who gets e-mail, a lesson waiting for confirmation, a
    message the outbox gave up on, and one real run of a periodic job."""
    from tutor import create_app, migrate
    from tutor.extensions import db
    from tutor.models import Lesson, Message, User, utcnow
    from tutor.services import periodic
    from tutor.services.passwords import hash_password

    app = create_app({"TESTING": True, "SECRET_KEY": "deploy-live", "DATABASE_URL": database_url,
                      "INSTANCE_PATH": str(instance), "REDIS_URL": ""})
    with app.app_context():
        migrate.upgrade(db.database)
        teacher = User.create(login="teacher", password_hash=hash_password(TEACHER_PASSWORD),
                              role=User.TEACHER, first_name="Анна", last_name="Петрова")
        student = User.create(login="anna", password_hash=hash_password(TEACHER_PASSWORD),
                              role=User.STUDENT, first_name="Анна", last_name="Смирнова",
                              email="anna@example.org", channel=User.EMAIL)
        start = utcnow().replace(microsecond=0) + timedelta(days=3)
        Lesson.create(teacher=teacher, student=student, start=start,
                      end=start + timedelta(hours=1))
        Message.create(user=student, channel=User.EMAIL, address=student.email,
                       kind="lesson_requested", locale="ru", subject="Заявка",
                       body_text="Заявка", status=Message.FAILED, attempts=8,
                       idempotency_key="live:failed")
        periodic.run("expire_lessons")
    db.database.close()


@functools.cache
def readable_static():
    """A copy of static/ that nginx's workers (nobody, when the tests run as root) can
    read: a fresh clone may sit under a folder only its owner may enter (mktemp -d)."""
    folder = Path(tempfile.mkdtemp(prefix="tutor-static-"))
    folder.chmod(0o755)
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    copy = folder / "static"
    shutil.copytree(ROOT / "static", copy)
    for path in [copy, *copy.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return copy


def nginx_site(tmp_path, upstream_port, http_port=80, https_port=443):
    """tutor.conf with the host's paths and ports: the upstream, the certificate, the
    static files (a readable copy of the repository's), the log; no IPv6 listeners."""
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", f"/CN={SERVER_NAME}", "-keyout", str(tmp_path / "key.pem"),
                    "-out", str(tmp_path / "cert.pem")], check=True, capture_output=True)
    site = NGINX_CONF.read_text()
    for old, new in (("server app:8000;", f"server 127.0.0.1:{upstream_port};"),
                     ("/etc/nginx/tls/fullchain.pem", str(tmp_path / "cert.pem")),
                     ("/etc/nginx/tls/privkey.pem", str(tmp_path / "key.pem")),
                     ("/var/log/nginx/access.log", str(tmp_path / "access.log")),
                     ("/app/static/", f"{readable_static()}/")):
        assert old in site, old
        site = site.replace(old, new)
    site = re.sub(r"^\s*listen \[::\]:.*$", "", site, flags=re.M)
    site = re.sub(r"listen 80\b", f"listen 127.0.0.1:{http_port}", site)
    site = re.sub(r"listen 443\b", f"listen 127.0.0.1:{https_port}", site)
    (tmp_path / "site.conf").write_text(site)
    temp = "\n".join(f"  {kind}_temp_path {tmp_path / kind};"
                     for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (tmp_path / "nginx.conf").write_text(f"""
pid {tmp_path / 'nginx.pid'};
error_log {tmp_path / 'error.log'} warn;
events {{}}
http {{
{temp}
  types {{ text/css css; application/javascript js; image/svg+xml svg; }}
  access_log off;
  include {tmp_path / 'site.conf'};
}}
""")
    return [NGINX, "-p", str(tmp_path), "-e", str(tmp_path / "error.log"),
            "-c", str(tmp_path / "nginx.conf")]


def start_nginx(command, home, https_port):
    """nginx by `command` (what nginx_site() returned for `home`), as nobody when the
    tests run as root; returns once it listens on `https_port`."""
    unprivileged = {}
    if os.geteuid() == 0:
        unprivileged = {"user": "nobody", "group": "nogroup", "extra_groups": []}
        for path in (home, *home.rglob("*")):
            shutil.chown(path, "nobody", "nogroup")
    process = start([*command, "-g", "daemon off;"], home / "nginx.out", **unprivileged)

    until(lambda: listening(https_port), "nginx listening", timeout=15, process=process)
    return process
