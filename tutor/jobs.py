"""Tasks handed to huey: the ones the web app enqueues and the periodic ones.

The periodic jobs are declared here with `periodic.register`: the monthly ones by
their day of the month in the teacher's time zone, checked every minute by
`run_monthly_jobs` (a crontab fires at one moment and a consumer that is down then
would miss it; a check that runs until the month's run succeeds catches up), and the
frequent ones each on its own huey crontab. Their logic lives in tutor/services.
"""
from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from huey import crontab

from tutor.queue import app_periodic_task, app_task
from tutor.services import (accounts, booking, delivery, digest, housekeeping, periodic,
                            reminders)
from tutor.services import personal_data, telegram_bot


@app_task(retries=2, retry_delay=30)
def send_password_reset(identifier, url_root):
    """Off the request, so the forgot-password page takes the same time whether or
    not the account exists."""
    with current_app.test_request_context(base_url=url_root):
        accounts.request_password_reset(
            identifier, lambda token: url_for("auth.reset_password", token=token, _external=True))


@app_task(retries=2, retry_delay=30)
def export_personal_data(user_id, request_id):
    """A student's "download my data": the ZIP is made here, off the request, and
    waits in their inbox (the request's id keeps a retry to one copy)."""
    personal_data.send_export(user_id, request_id)


@app_task(retries=2, retry_delay=10)
def handle_telegram_update(update):
    """An update the webhook received: handled here so the webhook answers Telegram at
    once. The update_id makes a repeat (a retry, a webhook redelivery) a no-op."""
    telegram_bot.handle_update(update)


# --- monthly ---------------------------------------------------------------------------

@periodic.register("monthly_report", day=1, title=_l("Monthly report to the teacher"))
def monthly_report(now):
    """Last month's report, CSV and PDF, to the teacher (once: the outbox key)."""
    from tutor.services import reports  # WeasyPrint loads only where reports are made
    return reports.send_previous_month(now)


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
    return {"expired": booking.expire_unconfirmed()}


@periodic.register("deliver_outbox", title=_l("Outbox delivery"))
def deliver_messages(now):
    report = delivery.deliver_due()
    return {"sent": report.sent, "retried": report.retried, "failed": report.failed,
            "held": report.held, "waiting": report.waiting}


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


@app_task()
def run_job_now(name):
    """The Jobs page's "run now": outside the request, recorded as a manual run."""
    return periodic.run(name, manual=True)
