"""First start: `flask --app wsgi db upgrade` migrates and creates the teacher,
printing the credentials once, even when several processes start together."""
import os
import re
import subprocess
import sys
from pathlib import Path

from tutor.database import open_database
from tutor.models import User
from tutor.services.passwords import verify_password

ROOT = Path(__file__).resolve().parent.parent
FLASK = [sys.executable, "-m", "flask", "--app", "wsgi"]
CREDENTIALS = re.compile(r"login:\s+(\S+)\s+password:\s+(\S+)")


def start_upgrade(database_url, instance):
    env = {**os.environ, "DATABASE_URL": database_url, "INSTANCE_PATH": str(instance),
           "SECRET_KEY": "", "REDIS_URL": ""}
    return subprocess.Popen([*FLASK, "db", "upgrade"], cwd=ROOT, env=env, text=True,
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
