"""Rate limits that hold however the app is run: the counts live in the database
(RATELIMIT_STORAGE_URI=database://, the default without Redis) or in Redis, never in
one worker's memory, where 2 gunicorn workers let twice the documented number through.

DatabaseStorage is a `limits` storage for Flask-Limiter's fixed-window strategy: one
row per key and window in RateLimitCounter. A hit is a single upsert that starts a new
window when the old one has ended and adds to it otherwise, returning the new count;
SQLite runs it under its write lock and PostgreSQL under the row's lock, so concurrent
hits from any number of processes are counted exactly. When a hit starts a new
window, the rows of ended windows are deleted.

The per-account keys (`login_key`, `identifier_key`) name the account an identifier
resolves to, so every spelling the lookup accepts (case, control characters, a
leading `@`, the e-mail for the login) counts against the same account; an identifier
that names nobody is counted under its normalised form, so unknown names are limited
exactly as real ones and the limit tells nothing about who exists.
"""
import hashlib
import time

from limits.storage import Storage
from peewee import PeeweeException

from tutor.models import RateLimitCounter, User, normalize_login

MAX_KEY = 255  # RateLimitCounter.key

UPSERT = """
INSERT INTO rate_limits ("key", hits, expires_at) VALUES ({p}, {p}, {p})
ON CONFLICT ("key") DO UPDATE SET
    hits = CASE WHEN rate_limits.expires_at <= {p} THEN excluded.hits
                ELSE rate_limits.hits + excluded.hits END,
    expires_at = CASE WHEN rate_limits.expires_at <= {p} THEN excluded.expires_at
                      ELSE rate_limits.expires_at END
RETURNING hits, expires_at
"""


def login_key(value):
    """The per-account key of a login attempt: the account `value` logs in as."""
    return _account_key(User.by_login(value), value)


def identifier_key(value):
    """The per-account key of a password-reset request: the account it would reset."""
    return _account_key(User.by_identifier(value), value)


def _account_key(user, value):
    if user is not None:
        return f"user:{user.id}"
    name = normalize_login(value).encode()
    return f"name:{hashlib.sha256(name).hexdigest()[:32]}"


class DatabaseStorage(Storage):
    """Counts in the app's database (the table of RateLimitCounter)."""

    STORAGE_SCHEME = ["database"]

    def __init__(self, uri=None, wrap_exceptions=False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self):
        return PeeweeException

    @staticmethod
    def _database():
        return RateLimitCounter._meta.database

    @staticmethod
    def _key(key):
        """Keys longer than the column are shortened to a digest of themselves."""
        if len(key) <= MAX_KEY:
            return key
        return f"sha256:{hashlib.sha256(key.encode()).hexdigest()}"

    def incr(self, key, expiry, amount=1):
        database = self._database()
        now = time.time()
        new_end = now + expiry
        sql = UPSERT.format(p=database.param)
        with database.atomic():
            hits, expires_at = database.execute_sql(
                sql, (self._key(key), amount, new_end, now, now)).fetchone()
            if expires_at == new_end:  # a new window: the ended ones can go
                self.prune(now)
        return hits

    def prune(self, now=None):
        """Delete the rows of windows that have ended; returns how many."""
        now = time.time() if now is None else now
        return RateLimitCounter.delete().where(RateLimitCounter.expires_at <= now).execute()

    def _current(self, key):
        return (RateLimitCounter
                .select(RateLimitCounter.hits, RateLimitCounter.expires_at)
                .where((RateLimitCounter.key == self._key(key))
                       & (RateLimitCounter.expires_at > time.time()))
                .first())

    def get(self, key):
        row = self._current(key)
        return row.hits if row else 0

    def get_expiry(self, key):
        row = self._current(key)
        return row.expires_at if row else time.time()

    def check(self):
        try:
            self._database().execute_sql("SELECT 1")
        except PeeweeException:
            return False
        return True

    def reset(self):
        return RateLimitCounter.delete().execute()

    def clear(self, key):
        RateLimitCounter.delete().where(RateLimitCounter.key == self._key(key)).execute()
