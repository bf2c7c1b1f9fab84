"""Tasks handed to huey: the ones the web app enqueues and the periodic ones."""
from flask import current_app, url_for
from huey import crontab

from tutor.queue import app_periodic_task, app_task
from tutor.services import accounts, booking, delivery, digest


@app_task(retries=2, retry_delay=30)
def send_password_reset(identifier, url_root):
    """Off the request, so the forgot-password page takes the same time whether or
    not the account exists."""
    with current_app.test_request_context(base_url=url_root):
        accounts.request_password_reset(
            identifier, lambda token: url_for("auth.reset_password", token=token, _external=True))


@app_periodic_task(crontab(minute="*"))
def expire_unconfirmed_lessons():
    """A request nobody confirmed before its start is removed and the student told.
    Every minute, so a slot never looks taken for long after its time has passed."""
    return booking.expire_unconfirmed()


@app_periodic_task(crontab(minute="*"))
def deliver_outbox():
    """Every minute: send what is due; retries wait their backoff."""
    report = delivery.deliver_due()
    return {"sent": report.sent, "retried": report.retried, "failed": report.failed,
            "held": report.held}


@app_periodic_task(crontab(minute="*"))
def send_digests():
    """Every minute: the digests whose local time has come (late runs catch up the
    same day; the outbox key keeps it to one a day)."""
    return digest.send_due_digests()
