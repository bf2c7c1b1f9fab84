"""Running the periodic jobs: which are due, one run at a time, and the record of
each run.

A monthly job is due from its day of the month (in the teacher's time zone) until a
run for that month succeeds, so a consumer that was down on the day catches up when
it comes back, and a second consumer or a second check finds the month done. The
claim is a `running` JobRun row taken under a lock; a row left `running` by a
consumer that died is given up after JOB_LEASE_MINUTES.
"""
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from flask import current_app

from tutor.database import exclusive
from tutor.models import JobRun, JobState, utcnow
from tutor.services import zones

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    run: object  # callable(now: aware UTC datetime) -> dict of counts
    day: int = None  # day of the month; None: every minute
    title: str = ""  # shown on the Jobs page (lazy text)

    @property
    def monthly(self):
        return self.day is not None


REGISTRY = {}
# A monthly job that failed is tried again this long after, not at every check.
RETRY_AFTER = timedelta(minutes=15)


def declared():
    """Every job by name. tutor/jobs.py declares them as it is imported, done here on
    first use rather than by every web worker (it loads the task queue: huey, and
    with it redis and asyncio, some 9 MB; services/work.wake)."""
    from tutor import jobs  # noqa: F401
    return REGISTRY


def register(name, day=None, title=""):
    """Declare a job: `run(now)` does the work and returns what it counted."""
    def decorate(fn):
        REGISTRY[name] = Job(name, fn, day, title)
        return fn
    return decorate


def aware_now():
    return datetime.now(timezone.utc)


def period_of(now, zone):
    return now.astimezone(zone).strftime("%Y-%m")


def due_jobs(now=None):
    """Monthly jobs whose day has come this month and that have no successful run
    for the month yet, in the order they were declared."""
    now = now or aware_now()
    zone = zones.teacher_zone()
    local = now.astimezone(zone)
    period = period_of(now, zone)
    due = [job for job in REGISTRY.values() if job.monthly and local.day >= job.day]
    if not due:
        return []
    recent_failure = now.astimezone(timezone.utc).replace(tzinfo=None) - RETRY_AFTER
    done = {run.job for run in JobRun.select(JobRun.job).where(
        JobRun.job.in_([job.name for job in due]), JobRun.period == period,
        (JobRun.status == JobRun.OK)
        | ((JobRun.status == JobRun.FAILED) & (JobRun.started_at > recent_failure)))}
    return [(job, period) for job in due if job.name not in done]


def run_due(now=None):
    """Run every due monthly job; returns {job name: counts, None if skipped, or
    "failed"}. One job failing does not keep the others from running."""
    results = {}
    for job, period in due_jobs(now):
        try:
            results[job.name] = run(job.name, period, now=now)
        except Exception:  # recorded and logged by run(); retried after RETRY_AFTER
            results[job.name] = "failed"
    return results


class AlreadyRunning(Exception):
    pass


def claim(job, period, manual=False):
    """The JobRun this process now owns, or None when the period is done already.
    Raises AlreadyRunning when a live run holds the job."""
    database = JobRun._meta.database
    now = utcnow()
    lease = timedelta(minutes=current_app.config["JOB_LEASE_MINUTES"])
    with exclusive(database, f"job:{job}"):
        running = JobRun.select().where(JobRun.job == job, JobRun.status == JobRun.RUNNING)
        if running.where(JobRun.started_at > now - lease).exists():
            raise AlreadyRunning(job)
        (JobRun.update(status=JobRun.FAILED, finished_at=now,
                       error="Abandoned: the process running it stopped.")
         .where(JobRun.job == job, JobRun.status == JobRun.RUNNING).execute())
        if not manual and JobRun.select().where(
                JobRun.job == job, JobRun.period == period,
                JobRun.status == JobRun.OK).exists():
            return None
        return JobRun.create(job=job, period=period, manual=manual, started_at=now)


def run(name, period="", *, now=None, manual=False):
    """Run one job now and record it. Returns its counts, or None when it was not
    run (done for the period already, or running elsewhere). A manual run of a job
    that is running raises AlreadyRunning instead."""
    job = REGISTRY[name]
    try:
        record = claim(name, period, manual) if job.monthly or manual else None
    except AlreadyRunning:
        if manual:
            raise
        log.info("job %s is running elsewhere", name)
        return None
    if job.monthly and record is None:
        return None
    started = utcnow()
    _state(name, last_started_at=started)
    try:
        counts = job.run(now or aware_now()) or {}
    except Exception as error:  # the record must say so; the consumer logs the trace
        log.exception("job %s failed", name)
        _finish(name, record, started, JobRun.FAILED, {}, f"{type(error).__name__}: {error}")
        raise
    _finish(name, record, started, JobRun.OK, counts, "")
    return counts


def _finish(name, record, started, status, counts, error):
    finished = utcnow()
    if record is None and (error or any(counts.values())):
        record = JobRun(job=name, started_at=started)  # a frequent run worth keeping
    if record is not None:
        record.status, record.finished_at, record.error = status, finished, error
        record.counts = json.dumps(counts, sort_keys=True)
        record.save()
    fields = {"last_finished_at": finished, "last_status": status, "last_error": error}
    if status == JobRun.OK:
        fields["last_success_at"] = finished
    _state(name, **fields)


def _state(name, **fields):
    updated = JobState.update(**fields).where(JobState.job == name).execute()
    if not updated:
        with exclusive(JobState._meta.database, f"job-state:{name}"):
            if not JobState.update(**fields).where(JobState.job == name).execute():
                JobState.create(job=name, **fields)


def is_running(job):
    lease = timedelta(minutes=current_app.config["JOB_LEASE_MINUTES"])
    return JobRun.select().where(JobRun.job == job, JobRun.status == JobRun.RUNNING,
                                 JobRun.started_at > utcnow() - lease).exists()


def ran_this_month(name, now=None):
    """Whether `name` has run successfully since this month began in the teacher's
    zone (by schedule or by hand): a "run now" of it then is a deliberate re-run."""
    now = now or aware_now()
    zone = zones.teacher_zone()
    month_began = zones.month_start(zones.local_date(now, zone), zone)
    return JobRun.select().where(JobRun.job == name, JobRun.status == JobRun.OK,
                                 JobRun.started_at >= month_began).exists()


def states():
    return {state.job: state for state in JobState.select()}


def recent_runs(limit=50, job=None):
    query = JobRun.select().order_by(JobRun.started_at.desc(), JobRun.id.desc())
    if job:
        query = query.where(JobRun.job == job)
    return query.limit(limit)


def next_due(job, now=None):
    """The local date a monthly job is next due on."""
    now = now or aware_now()
    zone = zones.teacher_zone()
    local = now.astimezone(zone).date()
    done = JobRun.select().where(JobRun.job == job.name, JobRun.period == period_of(now, zone),
                                 JobRun.status == JobRun.OK).exists()
    if local.day < job.day and not done:
        return local.replace(day=job.day)
    if not done:
        return local
    year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    return local.replace(year=year, month=month, day=job.day)
