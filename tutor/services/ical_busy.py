"""The busy time an iCalendar text gives, as merged (start, end) pairs of naive UTC
(services/busy_import.py reads the calendars and keeps what this finds).

Decided rules (tests/services/test_busy_import.py pins each one):
- An event blocks from its start to its end. A timed event with a TZID is read in
  that zone (Outlook's Windows names included), a floating one (no zone) in the
  calendar's own zone when it names one (Google's X-WR-TIMEZONE), else in the
  teacher's; an all-day event takes its whole days in the teacher's zone.
  TRANSP:TRANSPARENT ("free") and STATUS:CANCELLED events block nothing; recurring
  events are expanded with their EXDATEs and RECURRENCE-ID overrides. A VFREEBUSY's
  FREEBUSY periods block too (FBTYPE BUSY, the default, BUSY-UNAVAILABLE and
  BUSY-TENTATIVE; FREE blocks nothing): some servers publish busy time that way,
  without events.
"""
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from tutor.services import zones

# Why a text is not a calendar that can be read (busy_import.PROBLEMS says them).
NOT_CALENDAR = "not_calendar"
TOO_MANY = "too_many"
# Rules repeating this often would make millions of occurrences within the horizon.
TOO_FREQUENT = {"SECONDLY", "MINUTELY"}
FREEBUSY_BLOCKING = {"BUSY", "BUSY-UNAVAILABLE", "BUSY-TENTATIVE"}


class CalendarError(Exception):
    """The answer is not a calendar that can be read; `code` is NOT_CALENDAR or
    TOO_MANY."""

    def __init__(self, code, detail=""):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code, self.detail = code, str(detail)


def busy_intervals(body, zone_name, start, end):
    """The busy time the iCalendar text `body` gives within [start, end) (naive UTC),
    as sorted, merged (start, end) pairs of naive UTC. `zone_name` is the teacher's
    zone, for floating times and all-day events. Raises CalendarError."""
    # The parsers load with the first calendar read, not in every web worker.
    import icalendar
    import recurring_ical_events
    try:
        calendar = icalendar.Calendar.from_ical(body)
    except (ValueError, IndexError, KeyError, TypeError) as error:
        raise CalendarError(NOT_CALENDAR, type(error).__name__) from None
    if getattr(calendar, "name", None) != "VCALENDAR":
        raise CalendarError(NOT_CALENDAR, getattr(calendar, "name", ""))
    for event in calendar.walk("VEVENT"):
        rule = event.get("RRULE")
        if rule is not None and set(rule.get("FREQ", ())) & TOO_FREQUENT:
            raise CalendarError(TOO_MANY, "an event repeats every minute or second")
    zone = ZoneInfo(zone_name)
    # A day either side: floating and all-day events are placed in the zone below.
    query_start = start.replace(tzinfo=timezone.utc) - timedelta(days=1)
    query_end = end.replace(tzinfo=timezone.utc) + timedelta(days=1)
    try:
        events = recurring_ical_events.of(calendar, skip_bad_series=True).between(
            query_start, query_end)
    except (ValueError, TypeError, AttributeError) as error:
        raise CalendarError(NOT_CALENDAR, type(error).__name__) from None
    found = list(_freebusy(calendar, zone))
    for event in events:
        if str(event.get("TRANSP", "OPAQUE")).upper() == "TRANSPARENT":
            continue
        if str(event.get("STATUS", "")).upper() == "CANCELLED":
            continue
        times = _times(event, zone)
        if times is None:
            continue
        found.append(times)
    return _merge((max(begin, start), min(finish, end)) for begin, finish in found
                  if max(begin, start) < min(finish, end))


def _freebusy(calendar, zone):
    """The busy periods of the calendar's VFREEBUSY components, in naive UTC."""
    for component in calendar.walk("VFREEBUSY"):
        periods = component.get("FREEBUSY") or []
        for period in periods if isinstance(periods, list) else [periods]:
            kind = str(period.params.get("FBTYPE", "BUSY")).upper()
            value = getattr(period, "dt", None)
            if kind not in FREEBUSY_BLOCKING or not isinstance(value, tuple):
                continue
            begin, finish = value
            if isinstance(finish, timedelta):
                finish = begin + finish
            if isinstance(begin, datetime) and isinstance(finish, datetime):
                yield _utc(begin, zone), _utc(finish, zone)


def _times(event, zone):
    """The event's (start, end) in naive UTC, or None when it has no usable start."""
    begin = getattr(event.get("DTSTART"), "dt", None)
    if not isinstance(begin, (date, datetime)):
        return None
    finish = getattr(event.get("DTEND"), "dt", None)
    if not isinstance(finish, (date, datetime)):
        duration = getattr(event.get("DURATION"), "dt", None)
        if isinstance(duration, timedelta):
            finish = begin + duration
        elif not isinstance(begin, datetime):
            finish = begin + timedelta(days=1)  # an all-day event without an end
        else:
            return None  # a moment, not a stretch of time
    return _utc(begin, zone), _utc(finish, zone)


def _utc(value, zone):
    if not isinstance(value, datetime):  # a date: its day begins in the teacher's zone
        return zones.day_start(value, zone)
    if value.tzinfo is None:  # floating: the teacher's wall clock
        return zones.wall_to_utc(value, zone)
    return value.astimezone(timezone.utc).replace(tzinfo=None)


def _merge(intervals):
    merged = []
    for begin, finish in sorted(intervals):
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], finish))
        else:
            merged.append((begin, finish))
    return merged
