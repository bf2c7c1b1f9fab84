"""The Jobs page: each job with its schedule and last run, and "run now"."""
from datetime import datetime, timezone

from tests.conftest import STUDENT_PASSWORD
from tutor.models import JobRun, JobState, User


def test_the_teacher_sees_every_job_and_runs_one_by_hand(client, auth, teacher, app,
                                                         time_machine):
    time_machine.move_to(datetime(2026, 12, 10, 9, 0, tzinfo=timezone.utc), tick=False)
    auth.login()
    client.submit("/language/en")
    page = client.get("/teacher/jobs").text
    for title in ("Activity check: inactive students", "Backup sent to the teacher",
                  "Purge of old logs and records", "Outbox delivery"):
        assert title in page
    assert "monthly, day 14" in page and "Dec 14, 2026" in page  # the purge's next date
    assert "No runs recorded yet." in page

    response = client.submit("/teacher/jobs/old_days_off/run", page="/teacher/jobs")
    assert response.status_code == 302
    with app.app_context():
        run = JobRun.get()
        assert (run.job, run.manual, run.status, run.period) == ("old_days_off", True, "ok", "")
        assert JobState.get(JobState.job == "old_days_off").last_status == "ok"
    page = client.get("/teacher/jobs").text
    assert "is started" in page and "run by hand" in page
    assert "No past days off to remove." in page and "removed: 0" not in page  # a sentence


def test_a_job_that_is_running_is_not_started_twice(client, auth, teacher, app):
    with app.app_context():
        JobRun.create(job="backup", period="2026-12")
    auth.login()
    client.submit("/language/en")
    client.submit("/teacher/jobs/backup/run", page="/teacher/jobs")
    assert "is running already" in client.get("/teacher/jobs").text
    with app.app_context():
        assert JobRun.select().count() == 1


def test_unknown_jobs_students_strangers_and_forged_requests_are_refused(
        client, auth, teacher, create_student, app):
    assert client.get("/teacher/jobs").status_code == 302
    assert client.post("/teacher/jobs/backup/run").status_code in (302, 400)
    auth.login()
    assert client.submit("/teacher/jobs/nothing/run", page="/teacher/jobs").status_code == 404
    assert client.post("/teacher/jobs/backup/run", data={}).status_code == 400  # no token
    auth.logout()
    create_student(login="anna", channel=User.NO_CHANNEL)
    auth.login("anna", STUDENT_PASSWORD)
    assert client.get("/teacher/jobs").status_code == 403
    token = client.csrf_token("/")
    assert client.post("/teacher/jobs/backup/run", data={"csrf_token": token}).status_code == 403
    with app.app_context():
        assert JobRun.select().count() == 0
