"""Tasks handed to huey: the ones the web app enqueues and the periodic ones.

The periodic jobs are declared here with `periodic.register`: the monthly ones by
their day of the month in the teacher's time zone, checked every minute by
`run_monthly_jobs` (a crontab fires at one moment and a consumer that is down then
would miss it; a check that runs until the month's run succeeds catches up), and the
frequent ones each on its own huey crontab. Their logic lives in tutor/services.
"""
import logging

from flask_babel import lazy_gettext as _l
from huey import crontab

from tutor.queue import app_periodic_task, app_task
from tutor.services import (
    app_urls,
    busy_import,
    delivery,
    digest,
    expiry,
    housekeeping,
    periodic,
    personal_data,
    recovery,
    reminders,
    work,
)


log = logging.getLogger(__name__)


# --- work a request saved (services/work.py) ------------------------------------------

@work.handles(work.PASSWORD_RESET)
def reset_password(payload):
    """Off the request, so the forgot-password page takes the same time whether or
    not the account exists."""
    root = payload["site_root"].rstrip("/")
    recovery.request_password_reset(
        payload["identifier"],
        lambda token: root + app_urls.app_path("auth.reset_password", token=token))


@work.handles(work.RUN_JOB)
def run_job(payload):
    """The Jobs page's "run now", recorded as a manual run."""
    try:
        periodic.run(payload["job"], manual=True)
    except periodic.AlreadyRunning:
        log.info("run now of %s: it is running already", payload["job"])


@work.handles(work.TELEGRAM_UPDATE)
def telegram_update(update):
    """The update_id makes a repeat (a webhook redelivery) a no-op."""
    from tutor.services import telegram_bot  # the bot loads where updates are handled
    telegram_bot.handle_update(update)


@work.handles(work.DATA_EXPORT)
def data_export(payload):
    """A student's "download my data": the ZIP is made here, off the request, and
    waits in their inbox (the request's id keeps a retry to one copy)."""
    personal_data.send_export(payload["user_id"], payload["request_id"])


@work.handles(busy_import.REFRESH)
def refresh_busy_calendar(payload):
    """The teacher's "refresh now" of one of their other calendars (a failed read is
    recorded on it, not raised: there is nothing to retry sooner than its round)."""
    busy_import.refresh(payload["subscription_id"])


@periodic.register("waiting_work", title=_l("Requests waiting for the consumer"))
def waiting_work(now):
    counts = work.run_due()
    return {"done": counts.done, "retried": counts.retried, "failed": counts.failed}


@app_task()
def do_waiting_work():
    """Wakes a consumer to do the work requests have saved."""
    return periodic.run("waiting_work")


@app_periodic_task(crontab(minute="*"))
def check_waiting_work():
    """Every minute (and as a consumer starts): what was saved while no consumer was
    woken (Redis down, a consumer killed mid-way)."""
    return periodic.run("waiting_work")


def wake():
    """Ask a consumer to do the saved work now. The work is in the database already:
    with the queue down it waits for the every-minute check of a consumer."""
    try:
        do_waiting_work()
    except Exception as error:  # noqa: BLE001 (Redis down, or any queue fault)
        log.warning("the task queue is unavailable, the work waits in the database: %s",
                    error)


# Tasks an earlier version queued in Redis: what they ask for is saved as work now.
@app_task()
def send_password_reset(identifier, url_root):
    work.request_password_reset(identifier, url_root)
    do_waiting_work.call_local()


@app_task()
def export_personal_data(user_id, request_id):
    try:
        work.submit(work.DATA_EXPORT, {"user_id": user_id, "request_id": request_id},
                    key=f"{work.DATA_EXPORT}:{request_id}")
    except work.AlreadyRequested:
        pass
    do_waiting_work.call_local()


@app_task()
def handle_telegram_update(update):
    work.receive_telegram_update(update)
    do_waiting_work.call_local()


@app_task()
def run_job_now(name):
    try:
        work.run_job_now(name)
    except work.AlreadyRequested:
        return
    do_waiting_work.call_local()


# --- monthly ---------------------------------------------------------------------------

@periodic.register("monthly_report", day=1, title=_l("Monthly report to the teacher"))
def monthly_report(now):
    """Last month's report, CSV and PDF, to the teacher (once: the outbox key)."""
    from tutor.services.reports import sending  # WeasyPrint loads only where reports are made
    return sending.send_previous_month(now)


@periodic.register("activity_check", day=2, title=_l("Activity check: inactive students"))
def activity_check(now):
    return housekeeping.check_activity(now)


@periodic.register("old_days_off", day=2, title=_l("Removal of past days off"))
def old_days_off(now):
    return housekeeping.remove_old_days_off(now)


@periodic.register("backup", day=3, title=_l("Backup sent to the teacher"))
def backup(now):
    return housekeeping.send_backup(now)


@periodic.register("purge_records", day=14, title=_l("Purge of old logs and records"))
def purge_records(now):
    return housekeeping.purge_records(now)


@app_periodic_task(crontab(minute="*"))
def run_monthly_jobs():
    """Every minute: the monthly jobs whose day has come and that have not yet
    succeeded this month."""
    return periodic.run_due()


# --- frequent --------------------------------------------------------------------------

@periodic.register("expire_lessons", title=_l("Expiry of unconfirmed requests"))
def expire_lessons(now):
    return {"expired": expiry.expire_unconfirmed()}


@periodic.register("deliver_outbox", title=_l("Outbox delivery"))
def deliver_messages(now):
    report = delivery.deliver_due()
    return {"sent": report.sent, "retried": report.retried, "failed": report.failed,
            "held": report.held, "waiting": report.waiting, "unclaimed": report.unclaimed}


@periodic.register("digests", title=_l("Daily summaries"))
def digests(now):
    return {"queued": digest.send_due_digests()}


@periodic.register("reminders", title=_l("Reminders before lessons"))
def lesson_reminders(now):
    return {"queued": reminders.send_due_reminders()}


@app_periodic_task(crontab(minute="*"))
def expire_unconfirmed_lessons():
    """A request nobody confirmed before its start is removed and the student told.
    Every minute, so a slot never looks taken for long after its time has passed."""
    return periodic.run("expire_lessons")


@app_periodic_task(crontab(minute="*"))
def deliver_outbox():
    """Every minute: send what is due; retries wait their backoff."""
    return periodic.run("deliver_outbox")


@app_periodic_task(crontab(minute="*"))
def send_digests():
    """Every minute: the digests whose local time has come (late runs catch up the
    same day; the outbox key keeps it to one a day)."""
    return periodic.run("digests")


@app_periodic_task(crontab(minute="*"))
def send_reminders():
    """Every minute: the reminders whose hour has come (one per lesson and person)."""
    return periodic.run("reminders")



@periodic.register("busy_calendars", title=_l("Busy time from your other calendars"))
def busy_calendars(now):
    """Only changes are counted: a run that read calendars saying what they said
    before (every few minutes) leaves no record on the Jobs page."""
    counts = busy_import.refresh_due()
    return {"changed": counts[busy_import.UPDATED], "failed": counts[busy_import.FAILED]}


@app_periodic_task(crontab(minute="*"))
def refresh_busy_calendars():
    """Every minute: the teacher's other calendars whose round has come (each is read
    every BUSY_CALENDAR_REFRESH_MINUTES; a consumer that was down catches up)."""
    return periodic.run("busy_calendars")
