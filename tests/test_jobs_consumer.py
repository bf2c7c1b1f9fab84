"""A real huey consumer with the periodic schedule runs the jobs and records them:
the frequent ones at its first check, and every monthly job due today; a reminder
goes out once even when the consumer is killed and started again."""
import os
import re
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from tutor.models import JobRun, JobState, Lesson, Message, User, utcnow
from tutor.services import periodic

ROOT = Path(__file__).resolve().parent.parent
CONSUMER = Path(sys.executable).parent / "huey_consumer"
pytestmark = pytest.mark.slow


def start_consumer(test_config, tmp_path):
    """A consumer with the periodic schedule; its scheduler checks the crontabs as it
    starts, then every minute."""
    env = {**os.environ, "DATABASE_URL": test_config["DATABASE_URL"],
           "INSTANCE_PATH": str(tmp_path / "consumer"),
           "HUEY_SQLITE_PATH": str(tmp_path / "consumer" / "huey.db"),
           "SECRET_KEY": "jobs", "REDIS_URL": "", "EMAIL_BACKEND": "console"}
    return subprocess.Popen([str(CONSUMER), "tasks.huey", "-w", "2", "-k", "thread"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def wait_for(check, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


def test_the_consumer_runs_and_records_the_periodic_jobs(app, teacher, test_config, tmp_path):
    from tutor import jobs  # noqa: F401 (declares the jobs)
    with app.app_context():
        due = {job.name for job, _ in periodic.due_jobs()}
    process = start_consumer(test_config, tmp_path)
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
    # Each line once, in the app's format (huey's own handler doubled them).
    executed = re.findall(r"Executing (tutor\.jobs\.\w+): ([0-9a-f-]+)", output)
    assert executed and len(executed) == len(set(executed)), output
    assert "INFO:huey:" not in output, output
    if "backup" in due:
        assert list((tmp_path / "consumer" / "backups").glob("tutor-backup-*.jsonl.gz"))


def test_a_reminder_is_sent_once_across_a_consumer_restart(app, teacher, create_student,
                                                           test_config, tmp_path):
    with app.app_context():
        User.update(channel=User.EMAIL, email="teacher@example.org").execute()
        anna = create_student(login="anna", channel=User.EMAIL, email="anna@example.org")
        soon = utcnow().replace(microsecond=0) + timedelta(hours=1)
        Lesson.create(teacher=teacher, student=anna, start=soon, end=soon + timedelta(hours=1),
                      status=Lesson.CONFIRMED)

    def reminders():
        with app.app_context():
            return Message.select().where(Message.kind == "lesson_reminder").count()

    def reminder_runs_since(moment):
        with app.app_context():
            state = JobState.get_or_none(JobState.job == "reminders")
            return state is not None and state.last_finished_at is not None \
                and state.last_finished_at > moment

    first = start_consumer(test_config, tmp_path)
    try:
        assert wait_for(lambda: reminders() == 2), "no reminders from the first consumer"
    finally:
        first.kill()  # no clean shutdown: as if the machine went down
        first.wait(timeout=30)
    restarted = utcnow()
    second = start_consumer(test_config, tmp_path)
    try:
        assert wait_for(lambda: reminder_runs_since(restarted)), "the reminders job did not run"
    finally:
        second.send_signal(signal.SIGINT)
        output = second.communicate(timeout=30)[0]
    assert reminders() == 2, output
