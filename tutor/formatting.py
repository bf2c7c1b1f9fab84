"""Jinja filters for dates and times. Datetimes reaching templates are already in the
viewer's zone (aware), so these only format, never convert; except local_datetime,
which is for stored naive UTC moments (when a notice was written)."""
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.dates import format_date as babel_format_date
from babel.dates import get_timezone_location
from babel.units import format_unit
from flask_babel import force_locale, format_date, format_datetime, get_locale
from flask_babel import gettext as _
from jinja2 import pass_context

from tutor.services import money as money_service
from tutor.services import zones


def hhmm(moment):
    """"09:05": the same as strftime("%H:%M"), a sixth of its cost (a week shows two
    per cell)."""
    return "%02d:%02d" % (moment.hour, moment.minute)


def _offset(moment):
    """"UTC+3", "UTC−3:30": an aware moment's offset, for telling a repeated hour's
    two readings apart."""
    minutes = int(moment.utcoffset().total_seconds() // 60)
    sign = "+" if minutes >= 0 else "\u2212"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def clock_span(start, end):
    """Two aware moments of one local day as a from–to of the clock: "14:00–15:00".
    The one wording for spans that are read as times of a day (the week's cells, a
    lesson's page, the digest): an end at the start of the next day reads "24:00"
    (not "00:00", which reads as the start), and when the clocks change between the
    two the times carry their offsets, "02:30 (UTC+2) – 02:30 (UTC+1)", so an hour
    lesson in a repeated hour does not read as "02:30–02:30"."""
    end_clock = hhmm(end)
    if end > start and end.date() > start.date() and zones.is_day_start(end):
        end_clock = "24:00"
    if start.utcoffset() != end.utcoffset():
        return f"{hhmm(start)} ({_offset(start)}) – {end_clock} ({_offset(end)})"
    return f"{hhmm(start)}–{end_clock}"


def whole_days(start, end):
    """True when aware `start` and `end` both begin a local day of their zone (so the
    span is a run of whole days there), also on a day whose midnight is skipped."""
    return end > start and zones.is_day_start(start) and zones.is_day_start(end)


def day_label(day, locale=None):
    """"пн, 23 нояб." / "Mon, 23 Nov"."""
    return _date(day, "EEE, d MMM", locale)


def weekday_short(day, locale=None):
    return _date(day, "EEEEEE", locale)


def long_day(day, locale=None):
    return _date(day, "EEEE, d MMMM y", locale)


def _date(day, pattern, locale=None):
    if isinstance(day, datetime):  # Flask-Babel's: to the viewer's zone first
        return format_date(day, pattern)
    return _date_in(day, pattern, locale or str(get_locale()))


@lru_cache(maxsize=4096)
def _date_in(day, pattern, locale):
    """A date (no time, so no zone to convert) by `pattern` in `locale`, formatted once
    per distinct value: a week's and a month's pages ask for the same days again."""
    return babel_format_date(day, pattern, locale=locale)


def day_and_time(moment, end=None):
    """An aware moment as a person says it: "вторник, 9 декабря, 15:00"; with `end`,
    until then by clock_span: "вторник, 9 декабря, 15:00–16:00"."""
    clock = hhmm(moment) if end is None else clock_span(moment, end)
    return f"{format_date(moment.date(), 'EEEE, d MMMM')}, {clock}"


def short_date(day, locale=None):
    """A date in a table, as the reader's locale writes it: "20 нояб. 2026 г." /
    "Nov 20, 2026"."""
    return _date(day, "medium", locale)


def short_moment(moment, seconds=False, end=None, locale=None):
    """An aware local moment in a table: "20 нояб. 2026 г., 12:00" / "Nov 20, 2026,
    12:00" (with `seconds`, 12:00:05; with `end`, until then by clock_span)."""
    day = short_date(moment.date(), locale)
    if end is not None:
        return f"{day}, {clock_span(moment, end)}"
    return f"{day}, {moment.strftime('%H:%M:%S' if seconds else '%H:%M')}"


def when(moment, zone, locale=None):
    """A stored naive UTC moment in a table, in `zone`, by short_moment; "—" for none
    (a student who never logged in)."""
    if not moment:
        return "—"
    return short_moment(zones.local(moment, zone), locale=locale)


def month_label(day, locale=None):
    return _date(day, "LLLL y", locale)


def local_datetime(moment):
    """A stored naive UTC moment in the viewer's zone: "6 декабря 2026 г., 14:02"."""
    return format_datetime(moment, "d MMMM y, HH:mm")


def time_span(start, end):
    """A from–to range as a person says it, with the year only when it is not this
    one: "9 декабря, весь день", "9–12 декабря", "30 ноября – 2 декабря",
    "9 декабря, 14:00–18:00", "9 декабря 14:00 – 11 декабря 10:00" (in English "9
    December, all day", "9–12 December"...). `start` and `end` are aware, in the
    viewer's zone; `end` is exclusive, so whole days end with the day before."""
    this_year = datetime.now(start.tzinfo).year
    pattern = "d MMMM" if start.year == end.year == this_year else "d MMMM y"
    if whole_days(start, end):
        first, last = start.date(), end.date() - timedelta(days=1)
        if last == first:
            return _("%(day)s, all day", day=format_date(first, pattern))
        if (first.year, first.month) == (last.year, last.month):
            return f"{format_date(first, 'd')}–{format_date(last, pattern)}"
        if first.year == last.year:
            return f"{format_date(first, 'd MMMM')} – {format_date(last, pattern)}"
        return f"{format_date(first, 'd MMMM y')} – {format_date(last, 'd MMMM y')}"
    if start.date() == end.date() or (end.date() == start.date() + timedelta(days=1)
                                      and zones.is_day_start(end)):
        return f"{format_date(start.date(), pattern)}, {clock_span(start, end)}"
    return (f"{format_date(start.date(), pattern)} {hhmm(start)} – "
            f"{format_date(end.date(), pattern)} {hhmm(end)}")


def day_off_span(start, end, viewer_zone, teacher_zone):
    """An unavailable range (naive UTC ends) as `viewer_zone` says it (time_span), or
    as the teacher's days off when it is whole days in the teacher's zone only
    (teacher_days)."""
    return (teacher_days(start, end, viewer_zone, teacher_zone)
            or time_span(zones.local(start, viewer_zone), zones.local(end, viewer_zone)))


def teacher_days(start, end, viewer_zone, teacher_zone):
    """Whole days in the teacher's zone that are not whole days in the viewer's, said
    as the teacher's days, named with that zone: "9 декабря, весь день (Москва,
    UTC+3)"; their local hours ("8 декабря 21:00 – 9 декабря 21:00") would hide that
    the teacher took the day off. None for any other range."""
    if viewer_zone == teacher_zone:
        return None
    theirs = zones.local(start, teacher_zone), zones.local(end, teacher_zone)
    if not whole_days(*theirs) or whole_days(zones.local(start, viewer_zone),
                                             zones.local(end, viewer_zone)):
        return None
    return f"{time_span(*theirs)} ({zone_note(teacher_zone, at=theirs[0])})"


def money(value, locale=None):
    """A sum as the reader writes it, kopecks only when there are any: "1 500",
    "1 500,50" (services.money.format_amount, also used by messages and reports)."""
    return _money_in(value, str(locale or get_locale()))


@lru_cache(maxsize=4096)
def _money_in(value, locale):
    """Formatted once per distinct sum: a list of students repeats 0 and the prices."""
    return money_service.format_amount(value, locale)


# Zones that are names for "no zone": shown by their offset alone.
_UNIVERSAL = {"UTC", "UCT", "GMT", "Greenwich", "Universal", "Zulu", "Etc/UTC", "Etc/UCT",
              "Etc/GMT", "Etc/Greenwich", "Etc/Universal", "Etc/Zulu", "GMT0", "GMT+0", "GMT-0"}


@lru_cache(maxsize=4096)
def _city(name, locale):
    return get_timezone_location(name, locale=locale, return_city=True)


def zone_city(name, locale=None):
    """A time zone's place in the reader's language ("Москва", "Berlin"), or the
    words for universal time; None for a zone without a place (Etc/GMT-3)."""
    if name in _UNIVERSAL:
        if locale is None:
            return _("Universal time")
        with force_locale(locale):
            return _("Universal time")
    if name.startswith("Etc/") or "/" not in name:
        return None
    return _city(name, str(locale or get_locale()))


def utc_offset(name, at=None):
    """The zone's offset from UTC at `at` (now by default; a date means its noon
    there, so a page for a week says that week's offset): "UTC+3", "UTC−3:30"."""
    if isinstance(at, date) and not isinstance(at, datetime):
        at = datetime.combine(at, time(12), ZoneInfo(name))
    return _offset((at or datetime.now(timezone.utc)).astimezone(ZoneInfo(name)))


def zone_label(name, locale=None, at=None):
    """A time zone as people name it, with its offset now: "Москва (UTC+3)", "Berlin
    (UTC+1)"; never the database's "Europe/Moscow". `at` (an aware datetime or a
    date) picks the offset of another moment (summer or winter time)."""
    city = zone_city(name, locale)
    return f"{city} ({utc_offset(name, at)})" if city else utc_offset(name, at)


def zone_note(name, locale=None, at=None):
    """The same inside brackets after a time: "15:00 (Москва, UTC+3)"."""
    city = zone_city(name, locale)
    return f"{city}, {utc_offset(name, at)}" if city else utc_offset(name, at)


def file_size(size):
    """A file's size in bytes as the reader says it: "640 Б", "19,5 кБ", "1,2 МБ"."""
    for unit, scale in (("digital-megabyte", 1024 ** 2), ("digital-kilobyte", 1024)):
        if size >= scale:
            return format_unit(size / scale, unit, length="short", format="#,##0.#",
                               locale=get_locale())
    return format_unit(size, "digital-byte", length="short", locale=get_locale())


def in_render_locale(function):
    """`function` as a template filter that takes the locale from the render's context
    (current_locale, which template_globals puts there once per render) rather than
    asking Flask-Babel on every value: its get_locale goes through `g` three times, and
    a list of 50 students asked it 150 times (bench/profile_search.py). A macro
    imported without context has none: Flask-Babel's then."""
    @pass_context
    def in_locale(context, *args, **kwargs):
        kwargs.setdefault("locale", context.get("current_locale"))
        return function(*args, **kwargs)
    return in_locale


def register(app):
    for function in (hhmm, day_and_time, time_span, clock_span, local_datetime, file_size):
        app.add_template_filter(function)
    for function in (day_label, long_day, weekday_short, month_label, money, short_date,
                     short_moment, when, zone_label):
        app.add_template_filter(in_render_locale(function), function.__name__)
