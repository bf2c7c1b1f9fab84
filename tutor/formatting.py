"""Jinja filters for dates and times. Datetimes reaching templates are already in the
viewer's zone (aware), so these only format, never convert; except local_datetime,
which is for stored naive UTC moments (when a notice was written)."""
from datetime import datetime, time, timedelta

from babel.units import format_unit
from flask_babel import format_date, format_datetime, format_decimal, get_locale
from flask_babel import gettext as _


def hhmm(moment):
    return moment.strftime("%H:%M")


def day_label(day):
    """"пн, 23 нояб." / "Mon, 23 Nov"."""
    return format_date(day, "EEE, d MMM")


def weekday_short(day):
    return format_date(day, "EEEEEE")


def long_day(day):
    return format_date(day, "EEEE, d MMMM y")


def day_and_time(moment):
    """An aware moment as a person says it: "вторник, 9 декабря, 15:00"."""
    return f"{format_date(moment.date(), 'EEEE, d MMMM')}, {hhmm(moment)}"


def month_label(day):
    return format_date(day, "LLLL y")


def local_datetime(moment):
    """A stored naive UTC moment in the viewer's zone: "6 декабря 2026 г., 14:02"."""
    return format_datetime(moment, "d MMMM y, HH:mm")


def time_span(start, end):
    """A from–to range as a person says it, with the year only when it is not this
    one: "9 декабря, весь день", "9 декабря – 11 декабря, целые дни", "9 декабря,
    14:00–18:00", "9 декабря 14:00 – 11 декабря 10:00". `start` and `end` are aware,
    in the viewer's zone; `end` is exclusive, so whole days end with the day before."""
    this_year = datetime.now(start.tzinfo).year
    pattern = "d MMMM" if start.year == end.year == this_year else "d MMMM y"
    if start.time() == end.time() == time() and end > start:
        last = end.date() - timedelta(days=1)
        if last == start.date():
            return _("%(day)s, all day", day=format_date(start.date(), pattern))
        return _("%(first)s – %(last)s, whole days", first=format_date(start.date(), pattern),
                 last=format_date(last, pattern))
    if start.date() == end.date():
        return f"{format_date(start.date(), pattern)}, {hhmm(start)}–{hhmm(end)}"
    return (f"{format_date(start.date(), pattern)} {hhmm(start)} – "
            f"{format_date(end.date(), pattern)} {hhmm(end)}")


def money(value):
    return format_decimal(value or 0, format="#,##0.##")


def file_size(size):
    """A file's size in bytes as the reader says it: "640 Б", "19,5 кБ", "1,2 МБ"."""
    for unit, scale in (("digital-megabyte", 1024 ** 2), ("digital-kilobyte", 1024)):
        if size >= scale:
            return format_unit(size / scale, unit, length="short", format="#,##0.#",
                               locale=get_locale())
    return format_unit(size, "digital-byte", length="short", locale=get_locale())


def register(app):
    for name, function in [("hhmm", hhmm), ("day_label", day_label), ("long_day", long_day),
                           ("day_and_time", day_and_time),
                           ("weekday_short", weekday_short), ("time_span", time_span),
                           ("month_label", month_label), ("money", money),
                           ("local_datetime", local_datetime), ("file_size", file_size)]:
        app.add_template_filter(function, name)
