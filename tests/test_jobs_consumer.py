"""A real huey consumer with the periodic schedule runs the jobs and records them:
the frequent ones at its first check, and every monthly job due today."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tutor.models import JobRun, JobState
from tutor.services import periodic

ROOT = Path(__file__).resolve().parent.parent
CONSUMER = Path(sys.executable).parent / "huey_consumer"
pytestmark = pytest.mark.slow


def test_the_consumer_runs_and_records_the_periodic_jobs(app, teacher, test_config, tmp_path):
    from tutor import jobs  # noqa: F401 (declares the jobs)
    with app.app_context():
        due = {job.name for job, _ in periodic.due_jobs()}
    env = {**os.environ, "DATABASE_URL": test_config["DATABASE_URL"],
           "INSTANCE_PATH": str(tmp_path / "consumer"),
           "HUEY_SQLITE_PATH": str(tmp_path / "consumer" / "huey.db"),
           "SECRET_KEY": "jobs", "REDIS_URL": "", "EMAIL_BACKEND": "console"}
    # The scheduler checks the crontabs as it starts, then every minute.
    process = subprocess.Popen([str(CONSUMER), "tasks.huey", "-w", "2", "-k", "thread"],
                               cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    frequent = {"expire_lessons", "deliver_outbox", "digests"}
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with app.app_context():
                recorded = {s.job for s in JobState.select().where(JobState.last_status == "ok")}
                done = {r.job for r in JobRun.select().where(JobRun.status == JobRun.OK)}
            if frequent <= recorded and due <= done:
                break
            time.sleep(0.2)
    finally:
        process.send_signal(signal.SIGINT)
        output = process.communicate(timeout=30)[0]
    assert frequent <= recorded, output
    assert due <= done, output
    if "backup" in due:
        assert list((tmp_path / "consumer" / "backups").glob("tutor-backup-*.jsonl.gz"))
