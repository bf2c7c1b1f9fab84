"""The periodic-job runner: due by day of the month in the teacher's zone, one
successful run a month, catch-up after downtime, the claim, and the records."""
import json
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest

from tutor.extensions import db
from tutor.models import JobRun, JobState, TeacherSettings
from tutor.services import periodic, zones

UTC = timezone.utc


@pytest.fixture
def registry(monkeypatch):
    """Jobs of the test's own, in place of the app's."""
    jobs = {}
    monkeypatch.setattr(periodic, "REGISTRY", jobs)
    return jobs


@pytest.fixture
def calls(registry):
    made = []

    def job(name, day=None, result=None, error=None, pause=0):
        def run(now):
            made.append((name, now))
            time.sleep(pause)
            if error:
                raise error
            return result if result is not None else {"done": 1}
        periodic.register(name, day=day)(run)
    job.made = made
    return job


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def test_a_monthly_job_is_due_from_its_day_in_the_teachers_zone(app_ctx, teacher, calls):
    TeacherSettings.create(teacher=teacher, timezone="Asia/Vladivostok")  # UTC+10
    calls("second", day=2)
    # 1 December 15:00 UTC is already 2 December 01:00 in Vladivostok.
    assert periodic.due_jobs(utc(2026, 12, 1, 13, 59)) == []
    assert [(job.name, period) for job, period in periodic.due_jobs(utc(2026, 12, 1, 14, 0))] \
        == [("second", "2026-12")]


def test_one_successful_run_a_month_however_often_it_is_checked(app_ctx, teacher, calls):
    calls("second", day=2)
    now = utc(2026, 12, 2, 6, 0)
    assert periodic.run_due(now) == {"second": {"done": 1}}
    assert periodic.run_due(now + timedelta(minutes=1)) == {}
    assert periodic.run_due(now + timedelta(days=20)) == {}
    assert len(calls.made) == 1
    run = JobRun.get()
    assert (run.job, run.period, run.status, json.loads(run.counts)) == \
        ("second", "2026-12", JobRun.OK, {"done": 1})
    assert run.finished_at is not None

    assert periodic.run_due(utc(2027, 1, 2, 6, 0)) == {"second": {"done": 1}}
    assert [r.period for r in JobRun.select().order_by(JobRun.id)] == ["2026-12", "2027-01"]


def test_a_day_missed_while_the_consumer_was_down_is_caught_up(app_ctx, teacher, calls):
    calls("second", day=2)
    # Nothing ran on the 1st-4th; the consumer is back on the 5th.
    assert periodic.run_due(utc(2026, 12, 5, 10, 0)) == {"second": {"done": 1}}
    assert JobRun.get().period == "2026-12"


def test_a_failed_run_is_recorded_and_retried_a_while_later(app_ctx, teacher, calls,
                                                             time_machine):
    calls("second", day=2, error=RuntimeError("disk full"))
    calls("third", day=2)
    time_machine.move_to(datetime(2026, 12, 2, 6, 0), tick=False)
    # The failure is recorded and does not keep the next job from running.
    assert periodic.run_due(utc(2026, 12, 2, 6, 0)) == {"second": "failed", "third": {"done": 1}}
    run = JobRun.get(JobRun.job == "second")
    assert run.status == JobRun.FAILED and run.error == "RuntimeError: disk full"
    state = JobState.get(JobState.job == "second")
    assert state.last_status == JobRun.FAILED and state.last_success_at is None
    assert periodic.due_jobs(utc(2026, 12, 2, 6, 14)) == []  # not at every check
    assert [job.name for job, _ in periodic.due_jobs(utc(2026, 12, 2, 6, 16))] == ["second"]


def test_a_run_left_running_by_a_dead_consumer_is_given_up_after_the_lease(
        app_ctx, teacher, calls, time_machine):
    calls("second", day=2)
    time_machine.move_to(datetime(2026, 12, 2, 6, 0), tick=False)
    JobRun.create(job="second", period="2026-12", started_at=datetime(2026, 12, 2, 5, 30))
    assert periodic.run("second", "2026-12") is None  # still inside the hour's lease
    assert calls.made == []

    time_machine.move_to(datetime(2026, 12, 2, 6, 31), tick=False)
    assert periodic.run("second", "2026-12") == {"done": 1}
    runs = list(JobRun.select().order_by(JobRun.id))
    assert [r.status for r in runs] == [JobRun.FAILED, JobRun.OK]
    assert "stopped" in runs[0].error


def test_a_manual_run_does_not_count_as_the_months_run(app_ctx, teacher, calls):
    calls("second", day=2)
    assert periodic.run("second", manual=True) == {"done": 1}
    assert JobRun.get().manual
    assert [job.name for job, _ in periodic.due_jobs(utc(2026, 12, 2, 6, 0))] == ["second"]


def test_a_manual_run_of_a_running_job_is_refused(app_ctx, teacher, calls):
    calls("second", day=2)
    JobRun.create(job="second", period="2026-12")
    with pytest.raises(periodic.AlreadyRunning):
        periodic.run("second", manual=True)
    assert periodic.is_running("second")


def test_frequent_runs_keep_the_state_and_only_the_runs_that_did_something(
        app_ctx, teacher, calls, registry):
    results = iter([{"sent": 0}, {"sent": 3}, {"sent": 0}])
    periodic.register("deliver")(lambda now: next(results))
    for _ in range(3):
        periodic.run("deliver")
    assert [json.loads(r.counts) for r in JobRun.select()] == [{"sent": 3}]
    state = JobState.get(JobState.job == "deliver")
    assert state.last_status == JobRun.OK and state.last_success_at is not None


def test_two_consumers_checking_at_once_run_the_job_once(app, teacher, calls):
    calls("second", day=2, pause=0.3)
    now = utc(2026, 12, 2, 6, 0)
    outcomes, errors = [], []

    def consumer():
        try:
            with app.app_context(), db.database.connection_context():
                outcomes.append(periodic.run_due(now))
        except Exception as error:  # surfaced by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=consumer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert len(calls.made) == 1
    assert sorted(outcomes, key=len) == [{"second": None}, {"second": {"done": 1}}] or \
        sorted(outcomes, key=len) == [{}, {"second": {"done": 1}}]
    with app.app_context():
        assert JobRun.select().where(JobRun.status == JobRun.OK).count() == 1


def test_next_due_date(app_ctx, teacher, calls, registry):
    calls("fourteenth", day=14)
    job = registry["fourteenth"]
    assert periodic.next_due(job, utc(2026, 12, 2, 6, 0)).isoformat() == "2026-12-14"
    assert periodic.next_due(job, utc(2026, 12, 20, 6, 0)).isoformat() == "2026-12-20"  # overdue
    periodic.run("fourteenth", "2026-12")
    assert periodic.next_due(job, utc(2026, 12, 20, 6, 0)).isoformat() == "2027-01-14"


def test_due_follows_the_local_calendar_across_a_dst_change(app_ctx, teacher, calls):
    """Santiago leaves summer time at midnight on Sunday 2 April 2028: 00:00 (-03)
    becomes 23:00 (-04) on the 1st again, so the 2nd begins an hour later in UTC."""
    TeacherSettings.create(teacher=teacher, timezone="America/Santiago")
    calls("second", day=2)
    assert periodic.due_jobs(utc(2028, 4, 2, 3, 30)) == []  # 23:30 on the 1st, again
    assert [job.name for job, _ in periodic.due_jobs(utc(2028, 4, 2, 4, 0))] == ["second"]


def test_month_start_in_the_teachers_zone_across_dst(app_ctx, teacher):
    TeacherSettings.create(teacher=teacher, timezone="Europe/Berlin")

    def month_start(now):  # as the housekeeping jobs find their cut-off
        zone = zones.teacher_zone()
        return zones.month_start(zones.local_date(now, zone), zone)

    # November starts in winter time (UTC+1), April in summer time (UTC+2).
    assert month_start(utc(2026, 11, 14, 12, 0)) == datetime(2026, 10, 31, 23, 0)
    assert month_start(utc(2027, 4, 14, 12, 0)) == datetime(2027, 3, 31, 22, 0)
