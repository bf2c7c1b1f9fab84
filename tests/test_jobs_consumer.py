"""A real huey consumer with the periodic schedule runs the jobs and records them:
the frequent ones at its first check, and every monthly job due today; a reminder
goes out once even when the consumer is killed and started again."""
import re
import signal
from datetime import timedelta

import pytest

from tests.processes import start_consumer, waited
from tutor.models import JobRun, JobState, Lesson, Message, User, utcnow
from tutor.services import periodic

pytestmark = pytest.mark.slow


def succeeded(app):
    """The jobs whose last run succeeded (JobState) and those with a run that did."""
    with app.app_context():
        return ({s.job for s in JobState.select().where(JobState.last_status == "ok")},
                {r.job for r in JobRun.select().where(JobRun.status == JobRun.OK)})


def test_the_consumer_runs_and_records_the_periodic_jobs(app, teacher, test_config, tmp_path):
    from tutor import jobs  # noqa: F401 (declares the jobs)
    with app.app_context():
        due = {job.name for job, _ in periodic.due_jobs()}
    process = start_consumer(test_config, tmp_path)
    frequent = {"expire_lessons", "deliver_outbox", "digests"}

    def all_recorded():
        recorded, done = succeeded(app)
        return frequent <= recorded and due <= done

    try:
        waited(all_recorded, timeout=60)
    finally:
        process.send_signal(signal.SIGINT)
        output = process.communicate(timeout=30)[0]
    recorded, done = succeeded(app)
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
        assert waited(lambda: reminders() == 2), "no reminders from the first consumer"
    finally:
        first.kill()  # no clean shutdown: as if the machine went down
        first.wait(timeout=30)
    restarted = utcnow()
    second = start_consumer(test_config, tmp_path)
    try:
        assert waited(lambda: reminder_runs_since(restarted)), "the reminders job did not run"
    finally:
        second.send_signal(signal.SIGINT)
        output = second.communicate(timeout=30)[0]
    assert reminders() == 2, output
