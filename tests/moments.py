"""Moments written as the tests think of them: moscow(...) a wall time in Moscow,
utc_naive(moment) the same moment as the models store it (naive UTC)."""
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

MOSCOW = ZoneInfo("Europe/Moscow")


def moscow(*args):
    return datetime(*args, tzinfo=MOSCOW)


def utc_naive(moment):
    return moment.astimezone(timezone.utc).replace(tzinfo=None)
