"""A person we write to, as they read: their language, their time zone, and a
moment or an amount put in their terms. Notifications, their links and buttons, the
calendar feed and the jobs' messages all speak to the reader through these."""
from datetime import timezone
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask import current_app

from tutor.formatting import zone_note
from tutor.services import money


def recipient_locale(user):
    return user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]


def recipient_zone(user, fallback=None):
    """The zone a user reads times in: their own, else `fallback` (the teacher's
    zone), else the configured teacher zone."""
    return user.timezone or fallback or current_app.config["TEACHER_TIMEZONE"]


def local_time(user, moment, fallback_zone=None):
    """A naive UTC datetime as `user` reads it: their zone and language, labelled
    with the zone, e.g. "Monday, 1 June 2026, 13:00 (Moscow, UTC+3)"."""
    zone = recipient_zone(user, fallback_zone)
    aware = moment.replace(tzinfo=timezone.utc)
    locale = recipient_locale(user)
    text = format_datetime(aware, "EEEE, d MMMM y, HH:mm", tzinfo=ZoneInfo(zone), locale=locale)
    return f"{text} ({zone_note(zone, locale, at=aware)})"


def local_amount(user, amount):
    """A price in the user's language (money.format_amount): "1 500", "1 500,50"."""
    return money.format_amount(amount, recipient_locale(user))
