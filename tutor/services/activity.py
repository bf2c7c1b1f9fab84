"""When a user was last seen on the site: any signed-in request counts, remember-me
visits included, not only an explicit login ("не заходил в сеть" means not seen at
all). The activity check (housekeeping.check_activity) reads it.

Written at most once an hour per user, so the request path pays one comparison of a
value the session's user already carries; the write is one UPDATE whose condition
keeps two workers from both writing within the hour. last_login_at is left as it is:
it is the time of the last explicit login."""
from datetime import timedelta

from tutor.models import User, utcnow

SEEN_EVERY = timedelta(hours=1)  # how stale last_seen_at may get before it is written


def is_due(user, now):
    """Whether `user` (as loaded for this request) should be written as seen at `now`."""
    seen = user.last_seen_at
    return seen is None or now - seen >= SEEN_EVERY


def record_seen(user, now=None):
    """Note that `user` is using the site at `now`. Returns whether a row was written:
    not when this user was written less than SEEN_EVERY ago (by this request's copy of
    the row, or by another worker in between)."""
    now = now or utcnow()
    if not is_due(user, now):
        return False
    written = (User
               .update(last_seen_at=now)
               .where((User.id == user.id)
                      & (User.last_seen_at.is_null() | (User.last_seen_at <= now - SEEN_EVERY)))
               .execute())
    user.last_seen_at = now
    return bool(written)
