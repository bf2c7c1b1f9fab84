"""Which consumer schedules the periodic jobs.

Every huey consumer is started the same way (`huey_consumer tasks.huey`), on as many
hosts as wanted. Once a minute each one's scheduler asks for the lease in the
database; the one holding it renews it and enqueues the periodic tasks, the others
enqueue nothing. When the holder stops renewing (its host is gone, the process
killed), the lease runs out after SCHEDULER_LEASE_SECONDS and the next consumer to ask
takes it over, so losing the scheduling host pauses the periodic jobs for at most that
long plus a minute (a consumer restarted on the same host after a crash takes over at
once: the holder's process is gone). Nothing is lost meanwhile: monthly jobs are due until they succeed
and the frequent ones pick up whatever waits.

Should two consumers ever both enqueue for a minute (a clock far off, a holder that
stalled past its lease), the duplicates are cheap: every job claims its work in the
database (the outbox's leases, the monthly job's record, the digests' keys).
"""
import logging
import os
import secrets
import socket
from datetime import timedelta

from flask import current_app
from peewee import IntegrityError

from tutor.models import SchedulerLease, utcnow

log = logging.getLogger(__name__)

PERIODIC = "periodic"


def process_name():
    """This process's name as a lease holder: host, pid and a random part (a pid can
    come back after a restart)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def lease_length():
    return timedelta(seconds=current_app.config["SCHEDULER_LEASE_SECONDS"])


def hold(holder, now=None):
    """Take or renew the lease for `holder`. True when `holder` now schedules."""
    now = now or utcnow()
    until = now + lease_length()
    renewed = (SchedulerLease
               .update(renewed_at=now, expires_at=until)
               .where((SchedulerLease.name == PERIODIC) & (SchedulerLease.holder == holder))
               .execute())
    if renewed:
        return True
    free = SchedulerLease.expires_at <= now
    current = SchedulerLease.get_or_none(SchedulerLease.name == PERIODIC)
    if current is not None and _gone(current.holder):
        free |= SchedulerLease.holder == current.holder
    taken = (SchedulerLease
             .update(holder=holder, since=now, renewed_at=now, expires_at=until)
             .where((SchedulerLease.name == PERIODIC) & free)
             .execute())
    if not taken:
        try:
            with SchedulerLease._meta.database.atomic():
                SchedulerLease.create(name=PERIODIC, holder=holder, since=now,
                                      renewed_at=now, expires_at=until)
        except IntegrityError:  # another consumer holds it
            return False
    log.info("this consumer (%s) schedules the periodic jobs now", holder)
    return True


def _gone(holder):
    """Whether `holder` was a process on this host that has ended (killed, or its
    machine restarted): its lease need not be waited out."""
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


def release(holder):
    """Give the lease up at once (a consumer stopping), so another takes it at its
    next minute rather than when the lease runs out."""
    (SchedulerLease
     .update(expires_at=utcnow())
     .where((SchedulerLease.name == PERIODIC) & (SchedulerLease.holder == holder))
     .execute())


def current(now=None):
    """The live lease (holder, since, expires_at), or None when no consumer holds it."""
    now = now or utcnow()
    return (SchedulerLease
            .select()
            .where((SchedulerLease.name == PERIODIC) & (SchedulerLease.expires_at > now))
            .first())
