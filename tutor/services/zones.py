"""Wall clock ↔ UTC, in one place.

Every moment tutor stores or compares is naive UTC; people type and read wall-clock
dates and times in a zone (the teacher's, or their own). Everything that turns one
into the other goes through here, so a single lesson, a weekly series, the free
slots, the reports' months and the digests' days agree on the same rule:

- A wall time the clocks skip (spring forward) is read with the offset in force
  before the change, so it lands as far after the gap as it was into it: 02:30 on
  29 March 2026 in Berlin, where 02:00 becomes 03:00, is the instant the clock shows
  03:30. A tutor who typed 02:30 means "half an hour after two", and that half hour
  after the gap is when it comes (python-dateutil's `tz.resolve_imaginary` does the
  same). A local midnight the clocks skip (Santiago's September change) so becomes
  the day's first instant, 01:00.
- A wall time the clocks repeat (fall back) is its first occurrence (fold=0), the
  one still on the summer offset: 02:30 on 25 October 2026 in Berlin is 00:30 UTC.

This is what zoneinfo gives a wall time with fold=0 (PEP 495); the functions here
are the only ones that rely on it. `clock_change_at` tells a caller when the rule
applied, so it can say so to the person who typed the time.
"""
from datetime import datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

from flask import current_app

from tutor.models import TeacherSettings, User, utcnow

SKIPPED, REPEATED = "skipped", "repeated"


def zone_of(zone):
    """A ZoneInfo for a zone name (a ZoneInfo or other tzinfo passes through)."""
    return zone if isinstance(zone, tzinfo) else ZoneInfo(zone)


def teacher_zone(teacher=None):
    """The teacher's zone (`teacher`, else the first teacher) as a ZoneInfo; the
    configured TEACHER_TIMEZONE while there is no teacher yet."""
    teacher = teacher or User.first_teacher()
    if teacher is None:
        return ZoneInfo(current_app.config["TEACHER_TIMEZONE"])
    return ZoneInfo(TeacherSettings.for_teacher(teacher).timezone)


# --- wall clock -> UTC ----------------------------------------------------------------

def wall_to_utc(wall, zone):
    """The naive-UTC moment of the naive wall-clock datetime `wall` in `zone`, by the
    rule above."""
    aware = wall.replace(tzinfo=zone_of(zone), fold=0)
    return aware.astimezone(timezone.utc).replace(tzinfo=None)


def to_utc(day, wall_time, zone):
    """The naive-UTC moment of `wall_time` on the local date `day` in `zone`."""
    return wall_to_utc(datetime.combine(day, wall_time), zone)


def is_skipped(wall, zone):
    """True for a naive wall datetime inside a spring-forward gap of `zone`."""
    zone = zone_of(zone)
    back = wall.replace(tzinfo=zone).astimezone(timezone.utc).astimezone(zone)
    return back.replace(tzinfo=None) != wall


def clock_change_at(day, wall_time, zone):
    """SKIPPED when the clocks jump over this wall time that day (spring forward),
    REPEATED when they pass it twice (fall back), else None."""
    zone = zone_of(zone)
    wall = datetime.combine(day, wall_time)
    if wall.replace(tzinfo=zone, fold=0).utcoffset() == wall.replace(tzinfo=zone,
                                                                     fold=1).utcoffset():
        return None
    return SKIPPED if is_skipped(wall, zone) else REPEATED


# --- local days and months as UTC -----------------------------------------------------

def day_start(day, zone):
    """The naive-UTC moment the local date `day` begins in `zone` (its midnight, or
    the first instant after a gap that swallows midnight)."""
    return to_utc(day, time(), zone)


def day_bounds(day, zone):
    """The naive-UTC (start, end) of the local date `day`: 23 or 25 hours on the
    days the clocks change."""
    return day_start(day, zone), day_start(day + timedelta(days=1), zone)


def steady_offset(day, zone):
    """The UTC offset of `zone` all through the local date `day`, when the clocks do
    not change that day (a wall time that day is then that much ahead of UTC); None
    on a day they change, when each wall time goes through wall_to_utc."""
    zone = zone_of(zone)
    start, end = day_bounds(day, zone)
    if end - start != timedelta(days=1):
        return None
    first = start.replace(tzinfo=timezone.utc).astimezone(zone).utcoffset()
    last = (end - timedelta(seconds=1)).replace(tzinfo=timezone.utc).astimezone(zone).utcoffset()
    return first if first == last else None


def is_day_start(moment, zone=None):
    """True when the aware `moment` (or naive UTC, read in `zone`) is the first
    instant of its local date: its midnight, or 01:00 when the clocks skip midnight
    (Santiago's September change)."""
    moment = local(moment, zone or moment.tzinfo)
    return moment.replace(tzinfo=None) == local(
        day_start(moment.date(), moment.tzinfo), moment.tzinfo).replace(tzinfo=None)


def month_start(day, zone):
    """The naive-UTC moment the month of the local date `day` begins in `zone`."""
    return day_start(day.replace(day=1), zone)


def month_bounds(day, zone):
    """The naive-UTC (start, end) of the month of the local date `day` in `zone`."""
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return day_start(first, zone), day_start(following, zone)


# --- UTC -> wall clock ----------------------------------------------------------------

def local(moment, zone):
    """A moment (naive UTC, or aware) as an aware datetime in `zone`."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(zone_of(zone))


def local_date(moment, zone):
    """The local date in `zone` of a moment (naive UTC, or aware)."""
    return local(moment, zone).date()


def teacher_today(teacher=None, now=None):
    """Today's date in the teacher's zone (`now`: naive UTC, default the clock)."""
    return local_date(now or utcnow(), teacher_zone(teacher))
