"""Busy time from the teacher's other calendars: the teacher pastes an iCal address,
a consumer reads it every few minutes (refresh_due), and its busy times block the
slots students are offered (schedule.closed_between) without anything of the events
but their times being kept or shown.

Decided rules (the tests pin each one; what in a calendar blocks time is in
services/ical_busy.py):
- At most MAX_INTERVALS are kept. A calendar with more keeps those within the days
  students can book, nearest first, up to that many; the page says how many within
  those days were left out (their slots stay open) instead of refusing the calendar.
  Such a read covers only up to what it kept, so the next one reads it all again.
- Events are expanded from a day before the read up to the booking horizon and
  EXTRA beyond it (`covered_until`). The next read asks "changed since?" (ETag,
  Last-Modified) only while that still covers the horizon and the teacher's zone is
  the one they were placed in; a "not modified" keeps the intervals as they are.
- Each calendar is read every BUSY_CALENDAR_REFRESH_MINUTES. A read is claimed
  first (its round moved on by CLAIM), so two consumers, or a slow read overlapping
  the next minute's check, never read one calendar twice at once.
- A read replaces the calendar's intervals in one transaction, under the calendar's
  lock (a booking sees the old ones or the new ones). A failed read changes none of
  them: it records why (`error`, put in words by `problem`) and tries again at the
  next round.
"""
from datetime import timedelta

from flask import current_app
from flask_babel import format_number, ngettext
from flask_babel import lazy_gettext as _l
from peewee import IntegrityError

from tutor.extensions import db
from tutor.models import CalendarSubscription, ImportedBusy, WorkRequest, utcnow
from tutor.services import audit, ical_busy, schedule, work

MAX_SUBSCRIPTIONS = 10
MAX_URL = CalendarSubscription.url.max_length
MAX_INTERVALS = 5000
EXTRA = timedelta(days=14)
LOOK_BACK = timedelta(days=1)
CLAIM = timedelta(minutes=5)  # longer than a read may take (its timeouts and deadline)
REFRESH = "busy_refresh"  # the kind of work a "refresh now" saves (services/work.py)

# What one read did (refresh).
UPDATED, UNCHANGED, FAILED, STILL_FAILING = "updated", "unchanged", "failed", "still_failing"

# Not a failure: the read was kept, and error_detail is how many busy intervals
# within the booking horizon were left out (left_out puts it in words).
LEFT_OUT = "left_out"

# The teacher's words for each reason a read failed (ical_fetch's codes and ical_busy's).
PROBLEMS = {
    "address": _l("This is not a web address of a calendar."),
    "private": _l("This address points inside a private network; only calendars on "
                  "the internet can be read."),
    "unreachable": _l("The calendar's server could not be reached."),
    "timeout": _l("The calendar's server did not answer in time."),
    "too_big": _l("The calendar is too large to read."),
    "status": _l("The calendar's server refused to give the calendar (answer %(detail)s). "
                 "Check the address, or make a new one in your calendar's settings."),
    "redirects": _l("The address sends us on to other addresses too many times."),
    ical_busy.NOT_CALENDAR: _l("There is no calendar at this address (the answer is not "
                               "in the iCalendar format). Copy the secret address in "
                               "iCal format."),
    ical_busy.TOO_MANY: _l("The calendar has too many events ahead to read them all."),
}


class SubscriptionError(Exception):
    """A calendar address the teacher cannot add; shown at the address field."""


class InvalidAddress(SubscriptionError):
    pass


class AlreadySubscribed(SubscriptionError):
    pass


class TooManySubscriptions(SubscriptionError):
    pass


class SubscriptionNotFound(Exception):
    pass


# --- the teacher's subscriptions --------------------------------------------------

def normalize_address(text):
    """The address to read: trimmed, webcal:// read as https:// (calendar apps hand out
    both). Raises InvalidAddress."""
    url = (text or "").strip()
    if url.lower().startswith("webcal://"):
        url = "https://" + url[len("webcal://"):]
    if not url or len(url) > MAX_URL or any(c.isspace() for c in url):
        raise InvalidAddress(url[:100])
    from tutor.integrations import ical_fetch  # requests with it: loaded on first use
    try:
        ical_fetch.check_address(url)
    except ical_fetch.BadAddress:
        raise InvalidAddress(url[:100]) from None
    return url


def subscriptions(teacher):
    return list(CalendarSubscription.of(teacher))


def subscribe(teacher, text, now=None):
    """Add the calendar at the address `text` (read at the next round), with its audit
    entry. Raises InvalidAddress, AlreadySubscribed or TooManySubscriptions."""
    url = normalize_address(text)
    with schedule.lock(teacher):
        existing = CalendarSubscription.select().where(CalendarSubscription.teacher == teacher)
        if existing.where(CalendarSubscription.url == url).exists():
            raise AlreadySubscribed(url)
        if existing.count() >= MAX_SUBSCRIPTIONS:
            raise TooManySubscriptions(MAX_SUBSCRIPTIONS)
        try:
            with db.database.atomic():
                subscription = CalendarSubscription.create(teacher=teacher, url=url,
                                                           due_at=now or utcnow())
        except IntegrityError:
            raise AlreadySubscribed(url) from None
        audit.record(teacher, "calendar.add", after={"address": subscription.shown_address})
    return subscription


def unsubscribe(teacher, subscription_id):
    """Remove one of the teacher's calendars and the busy time it brought, with its
    audit entry. Raises SubscriptionNotFound."""
    with schedule.lock(teacher):
        subscription = _own(teacher, subscription_id)
        ImportedBusy.delete().where(ImportedBusy.subscription == subscription).execute()
        subscription.delete_instance()
        audit.record(teacher, "calendar.remove", before={"address": subscription.shown_address})
    return subscription


def request_refresh(teacher, subscription_id):
    """"Refresh now": the calendar is read by a consumer at once (the caller wakes
    one). Raises SubscriptionNotFound; a second press while the first waits is one.
    The periodic round leaves it to that read (it is claimed, as refresh_due does)."""
    subscription = _own(teacher, subscription_id)
    try:
        work.submit(REFRESH, {"subscription_id": subscription.id},
                    key=f"{REFRESH}:{subscription.id}")
    except work.AlreadyRequested:
        pass
    _save(subscription, due_at=utcnow() + CLAIM)
    return subscription


def refresh_waiting(subscription):
    """Whether a "refresh now" of the calendar waits for a consumer."""
    return WorkRequest.select().where(WorkRequest.key == f"{REFRESH}:{subscription.id}",
                                      ~WorkRequest.failed).exists()


def problem(subscription):
    """Why the calendar's last read failed, in the teacher's words ("" when it did not)."""
    if not subscription.error or subscription.error == LEFT_OUT:
        return ""
    words = PROBLEMS.get(subscription.error, PROBLEMS["unreachable"])
    return str(words) % {"detail": subscription.error_detail}


def left_out(subscription):
    """How many busy intervals within the booking horizon the last read left out
    (more than MAX_INTERVALS), in the teacher's words; "" when none were."""
    if subscription.error != LEFT_OUT:
        return ""
    count = int(subscription.error_detail or 0)
    return ngettext(
        "This calendar has more busy times ahead than can be kept (%(max)s): the nearest "
        "ones close your slots, and %(amount)s later one within the days students can book "
        "was left out, so that time stays open for booking.",
        "This calendar has more busy times ahead than can be kept (%(max)s): the nearest "
        "ones close your slots, and %(amount)s later ones within the days students can book "
        "were left out, so that time stays open for booking.",
        count, amount=format_number(count), max=format_number(MAX_INTERVALS))


def nearest(intervals, now, horizon_end):
    """The intervals to keep (all of them when they are at most MAX_INTERVALS, else
    those within [now, horizon_end), nearest first, up to that many) and how many
    within the horizon were left out."""
    if len(intervals) <= MAX_INTERVALS:
        return intervals, 0
    ahead = [(start, end) for start, end in intervals if end > now and start < horizon_end]
    return ahead[:MAX_INTERVALS], max(0, len(ahead) - MAX_INTERVALS)


def _own(teacher, subscription_id):
    subscription = CalendarSubscription.get_or_none(
        (CalendarSubscription.id == subscription_id)
        & (CalendarSubscription.teacher == teacher))
    if subscription is None:
        raise SubscriptionNotFound(subscription_id)
    return subscription


# --- reading ------------------------------------------------------------------------

def refresh_due(now=None):
    """Read every calendar whose round has come (the periodic job); returns counts."""
    now = now or utcnow()
    counts = {UPDATED: 0, UNCHANGED: 0, FAILED: 0, STILL_FAILING: 0}
    due = (CalendarSubscription
           .select(CalendarSubscription.id, CalendarSubscription.due_at)
           .where(CalendarSubscription.due_at <= now)
           .order_by(CalendarSubscription.due_at))
    for row in list(due):
        claimed = (CalendarSubscription
                   .update(due_at=now + CLAIM)
                   .where((CalendarSubscription.id == row.id)
                          & (CalendarSubscription.due_at == row.due_at))
                   .execute())
        if not claimed:  # another consumer took it
            continue
        outcome = refresh(row.id, now)
        if outcome:
            counts[outcome] += 1
    return counts


def refresh(subscription_id, now=None):
    """Read one calendar now and keep what it says. Returns UPDATED (its busy time
    changed), UNCHANGED, FAILED (recorded on the subscription), STILL_FAILING (for the
    same reason as the last read), or None when the subscription is gone."""
    now = now or utcnow()
    subscription = CalendarSubscription.get_or_none(CalendarSubscription.id == subscription_id)
    if subscription is None:
        return None
    config = current_app.config
    settings = schedule.settings_for(subscription.teacher_id)
    horizon_end = now + timedelta(days=settings.horizon_days)
    covered = subscription.covered_until is not None \
        and subscription.covered_until >= horizon_end + timedelta(days=1) \
        and subscription.timezone == settings.timezone
    next_round = now + timedelta(minutes=config["BUSY_CALENDAR_REFRESH_MINUTES"])
    from tutor.integrations import ical_fetch  # requests with it: loaded on first use
    try:
        fetched = ical_fetch.fetch(
            subscription.url,
            etag=subscription.etag if covered else "",
            last_modified=subscription.last_modified if covered else "",
            connect_timeout=config["BUSY_CALENDAR_CONNECT_TIMEOUT"],
            read_timeout=config["BUSY_CALENDAR_READ_TIMEOUT"],
            max_bytes=config["BUSY_CALENDAR_MAX_BYTES"],
            allow_private=config["BUSY_CALENDAR_ALLOW_PRIVATE"])
        if fetched.not_modified:
            _save(subscription, checked_at=now, fetched_at=now, due_at=next_round,
                  error="", error_detail="")
            return UNCHANGED
        until = horizon_end + EXTRA
        intervals, missing = nearest(
            ical_busy.busy_intervals(fetched.body, settings.timezone, now - LOOK_BACK, until),
            now, horizon_end)
        if len(intervals) == MAX_INTERVALS and intervals[-1][1] < until:
            until = intervals[-1][1]  # not all of it: the next read reads it all again
    except (ical_fetch.FetchError, ical_busy.CalendarError) as error:
        _save(subscription, checked_at=now, due_at=next_round, error=error.code,
              error_detail=error.detail[:200])
        return STILL_FAILING if subscription.error == error.code else FAILED
    with schedule.lock(subscription.teacher_id):
        if CalendarSubscription.get_or_none(CalendarSubscription.id == subscription.id) is None:
            return None  # removed while it was read
        kept = ImportedBusy.select(ImportedBusy.start, ImportedBusy.end).where(
            ImportedBusy.subscription == subscription).order_by(ImportedBusy.start)
        changed = [tuple(row) for row in kept.tuples()] != intervals
        if changed:  # an unchanged calendar leaves the kept weeks as they are
            ImportedBusy.delete().where(ImportedBusy.subscription == subscription).execute()
            rows = [{"subscription": subscription.id, "teacher": subscription.teacher_id,
                     "start": start, "end": end} for start, end in intervals]
            for first in range(0, len(rows), 500):
                ImportedBusy.insert_many(rows[first:first + 500]).execute()
        _save(subscription, checked_at=now, fetched_at=now, due_at=next_round,
              covered_until=until, timezone=settings.timezone, etag=fetched.etag,
              last_modified=fetched.last_modified,
              error=LEFT_OUT if missing else "", error_detail=str(missing) if missing else "",
              busy_count=len(intervals))
    return UPDATED if changed else UNCHANGED


def _save(subscription, **fields):
    (CalendarSubscription
     .update(**fields)
     .where(CalendarSubscription.id == subscription.id)
     .execute())
