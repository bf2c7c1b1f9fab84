"""Work that a request asks for and that must not be lost: a password reset, a job's
"run now", a Telegram update, a student's data export. The request writes it to the
database (WorkRequest) and answers only once it is saved; a consumer does it. The
task queue only wakes a consumer (jobs.wake): with Redis down nothing is lost, and the
every-minute check of any consumer finds what waits once one runs again.

A consumer claims a request by moving its `due_at` past a lease (only one of two
consumers reading the same row wins the update), does it, and deletes it. A request
whose worker died is due again when the lease runs out. One that fails is retried
with backoff and given up after MAX_ATTEMPTS: kept with its error (`failed()`),
logged, and counted in the run the Jobs page shows."""
import json
import logging
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from peewee import IntegrityError

from tutor.models import WorkRequest, utcnow
from tutor.services import telegram_links

log = logging.getLogger(__name__)

PASSWORD_RESET = "password_reset"  # nosec B105 (a kind of work, not a password)
RUN_JOB = "run_job"
TELEGRAM_UPDATE = "telegram_update"
DATA_EXPORT = "data_export"
TITLES = {PASSWORD_RESET: _l("Password reset link"), RUN_JOB: _l("A job's “run now”"),
          TELEGRAM_UPDATE: _l("A message to the Telegram bot"),
          DATA_EXPORT: _l("A student's data export")}
MAX_ATTEMPTS = 5
LEASE = timedelta(minutes=10)  # longer than any job a "run now" starts
RETRY = timedelta(seconds=30)  # doubled after each failure, up to an hour
MAX_RETRY = timedelta(hours=1)


class AlreadyRequested(Exception):
    """The same work (its key) is waiting or being done already."""


def submit(kind, payload, key=None):
    """Save work for a consumer; returns the WorkRequest. Raises AlreadyRequested when
    work with the same `key` waits or runs."""
    try:
        with WorkRequest._meta.database.atomic():
            return WorkRequest.create(kind=kind, payload=json.dumps(payload), key=key)
    except IntegrityError:
        raise AlreadyRequested(key) from None


def request_password_reset(identifier, site_root):
    """"Forgot password": the reset is made by a consumer, so the page takes the same
    time whether or not the account exists. `site_root`: the site's address for the
    link (PUBLIC_URL, or the address the request came to)."""
    return submit(PASSWORD_RESET, {"identifier": identifier, "site_root": site_root})


def run_job_now(name):
    """The Jobs page's "run now". Raises AlreadyRequested while an earlier press of it
    waits or runs, on whichever host."""
    return submit(RUN_JOB, {"job": name}, key=f"{RUN_JOB}:{name}")


def receive_telegram_update(update):
    """An update the webhook received (a redelivery of one still waiting is taken as
    saved: the bot keeps each update_id to one handling anyway)."""
    try:
        return submit(TELEGRAM_UPDATE, update,
                      key=f"{TELEGRAM_UPDATE}:{telegram_links.update_id_of(update)}")
    except AlreadyRequested:
        return None


# What a consumer does for each kind: declared with `handles` where the tasks are
# (tutor/jobs.py), so this module needs none of the services it serves.
HANDLERS = {}


def handles(kind):
    def register(fn):
        HANDLERS[kind] = fn
        return fn
    return register


@dataclass
class Counts:
    done: int = 0
    retried: int = 0
    failed: int = 0


def wake():
    """Ask a consumer to do the saved work now (jobs.wake). The task queue is loaded
    by the first call: huey, and with it redis and asyncio, are some 9 MB that a web
    worker which never wakes one does without (bench/RESULTS.md, worker memory)."""
    from tutor import jobs
    jobs.wake()


def run_due(limit=100):
    """Do up to `limit` waiting requests, oldest first. Safe in several consumers."""
    counts = Counts()
    due = (WorkRequest
           .select()
           .where(~WorkRequest.failed & (WorkRequest.due_at <= utcnow()))
           .order_by(WorkRequest.id)
           .limit(limit))
    for item in list(due):
        if not _claim(item):
            continue
        try:
            if item.attempts > MAX_ATTEMPTS:  # its workers died at every attempt
                raise RuntimeError("every attempt was interrupted")
            HANDLERS[item.kind](json.loads(item.payload))
        except Exception as error:  # kept on the request, retried, given up at the limit
            log.exception("work %s (%s) failed", item.id, item.kind)
            _failed(item, error, counts)
            continue
        WorkRequest.delete().where(WorkRequest.id == item.id).execute()
        counts.done += 1
    return counts


def _claim(item):
    """Take `item` for one attempt; False when another consumer took it first."""
    now = utcnow()
    taken = (WorkRequest
             .update(due_at=now + LEASE, attempts=WorkRequest.attempts + 1)
             .where((WorkRequest.id == item.id) & (WorkRequest.due_at == item.due_at)
                    & ~WorkRequest.failed)
             .execute())
    item.attempts += 1
    return taken == 1


def _failed(item, error, counts):
    detail = f"{type(error).__name__}: {error}"[:2000]
    given_up = item.attempts >= MAX_ATTEMPTS
    wait = min(RETRY * 2 ** (item.attempts - 1), MAX_RETRY)
    changes = dict(last_error=detail, failed=given_up, due_at=utcnow() + wait)
    if given_up:
        changes["key"] = None  # the same work may be asked for again
    WorkRequest.update(**changes).where(WorkRequest.id == item.id).execute()
    if given_up:
        counts.failed += 1
    else:
        counts.retried += 1


def failed():
    """Requests given up on, newest first (the Jobs page lists them until the purge)."""
    return list(WorkRequest.select().where(WorkRequest.failed).order_by(WorkRequest.id.desc()))


def purge_failed(before):
    """Requests given up on before `before` (naive UTC) go with the month's other
    records. Returns how many."""
    return (WorkRequest
            .delete()
            .where(WorkRequest.failed & (WorkRequest.created_at < before))
            .execute())
