"""The one huey instance: SqliteHuey in instance/ by default, RedisHuey when
REDIS_URL is set. It is made at import, before any app (tasks are declared on it as
their modules are imported), so its settings come from config.queue_config(): the
same function, reading the same environment, that puts them into app.config.
Importing it opens nothing but the queue file."""
import atexit
import functools
import logging
from pathlib import Path

from flask import has_app_context
from huey import RedisHuey, SqliteHuey

from config import queue_config
from tutor.extensions import db
from tutor.services import scheduler


class _ElectedScheduler:
    """Every consumer runs huey's scheduler; only the one holding the scheduler lease
    in the database enqueues the periodic tasks (tutor/services/scheduler.py)."""

    _holder = None

    def read_periodic(self, timestamp):
        tasks = super().read_periodic(timestamp)
        if not tasks or _Consumer.app is None:
            return tasks
        return tasks if self._schedules() else []

    def _schedules(self):
        if self._holder is None:
            self._holder = scheduler.process_name()
            atexit.register(self._release)
        try:
            with _Consumer.app.app_context(), db.database.connection_context():
                return scheduler.hold(self._holder)
        except Exception:  # noqa: BLE001 (the database is down: jobs could not run anyway)
            logging.getLogger(__name__).exception("could not renew the scheduler lease")
            return False

    def _release(self):
        try:
            with _Consumer.app.app_context(), db.database.connection_context():
                scheduler.release(self._holder)
        except Exception:  # noqa: BLE001 (it runs out by itself)
            logging.getLogger(__name__).warning("could not hand the scheduler lease over; "
                                                "it runs out by itself")


class _OurLogLines:
    """huey_consumer gives the "huey" logger a handler of its own after importing
    tasks.py, whose app has already set up the root logger (tutor.logs): every line
    was printed twice, once not in our format (JSON in production). The consumer
    keeps the level it was given and logs through the root's handlers only."""

    def create_consumer(self, **options):
        huey_log = logging.getLogger("huey")
        for handler in huey_log.handlers[:]:
            huey_log.removeHandler(handler)
        return super().create_consumer(**options)


class _RedisHuey(_ElectedScheduler, _OurLogLines, RedisHuey):
    pass


class _SqliteHuey(_ElectedScheduler, _OurLogLines, SqliteHuey):
    pass


def make_huey(settings=None):
    """A huey for `settings` (REDIS_URL, HUEY_SQLITE_PATH), config.queue_config()'s
    by default."""
    settings = settings or queue_config()
    if settings["REDIS_URL"]:
        return _RedisHuey("tutor", url=settings["REDIS_URL"])
    path = settings["HUEY_SQLITE_PATH"]
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return _SqliteHuey("tutor", filename=path)


huey = make_huey()


class _Consumer:
    app = None


def bind_app(app):
    """The consumer's app (tasks.py binds it); tasks run inside its context."""
    _Consumer.app = app


def _in_app(fn):
    """Run `fn` in an app context with a database connection: the caller's context
    when there is one (huey.immediate in tests), else the consumer's app."""
    @functools.wraps(fn)
    def run(*args, **kwargs):
        if has_app_context():
            return fn(*args, **kwargs)
        with _Consumer.app.app_context(), db.database.connection_context():
            return fn(*args, **kwargs)
    return run


def app_task(**options):
    """A huey task that the web app enqueues, run inside the app."""
    return lambda fn: huey.task(**options)(_in_app(fn))


def app_periodic_task(schedule, **options):
    """A periodic huey task, run inside the app. Of the consumers started without
    --no-periodic, the one holding the scheduler lease enqueues them."""
    return lambda fn: huey.periodic_task(schedule, **options)(_in_app(fn))
