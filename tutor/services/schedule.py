"""The teacher's availability as stored: settings, weekly windows and unavailable
intervals, read into availability.Rules and turned into free slots.

Every datetime is naive UTC; windows and whole days are in the teacher's zone.
Writes that change what can be booked take the lock booking takes (`lock` below), so
a booking never checks against half-written availability.
"""
import zoneinfo
from datetime import date, timedelta
from decimal import Decimal

from tutor.database import Prepared, exclusive
from tutor.extensions import db
from tutor.models import (
    AvailabilityWindow,
    ImportedBusy,
    Lesson,
    TeacherSettings,
    UnavailableInterval,
)
from tutor.services import audit, availability, bounds, money
from tutor.services.availability import (  # noqa: F401 (errors re-exported for the views)
    Interval,
    InvalidInterval,
    InvalidWindow,
    Window,
)
from tutor.spans import overlap

# Inclusive bounds of the whole-number settings.
SETTING_LIMITS = {
    "lesson_length_minutes": (10, 480),
    "buffer_minutes": (0, 240),
    "horizon_days": (1, 366),
    "min_notice_hours": (0, 720),
    "cancellation_notice_hours": (0, 720),
    # Requests one student may have waiting for the teacher's answer (booking.py).
    "max_pending_lessons": (1, 100),
    "max_pending_series": (0, 20),
}
# Where slots may start: availability.SLOT_STEPS or AFTER_BREAK, in minutes.
SLOT_STEP_CHOICES = (*availability.SLOT_STEPS, availability.AFTER_BREAK)
# Every setting update_settings takes (the settings form has a field for each).
SETTING_NAMES = (*SETTING_LIMITS, "default_price", "timezone", "slot_step_minutes")
MAX_PRICE = bounds.MAX_AMOUNT  # what the price columns hold
MAX_REASON = 200


class ScheduleError(Exception):
    """Base of the errors a settings form shows next to a field."""

    field = None


class InvalidSetting(ScheduleError):
    def __init__(self, field, message):
        super().__init__(f"{field}: {message}")
        self.field = field


class IntervalNotFound(ScheduleError):
    """No such unavailable interval of this teacher."""


class LessonsInside(ScheduleError):
    """Lessons fall inside the time being marked unavailable and the teacher has not
    seen them all yet: `lessons` are all of them, by start. Nothing is saved then; the
    teacher sees the list and marks the time again with their ids as seen."""

    def __init__(self, lessons):
        super().__init__(f"{len(lessons)} lessons inside the interval")
        self.lessons = lessons


def lock(teacher):
    """The transaction every check-then-write on the teacher's calendar runs in."""
    return exclusive(db.database, f"lessons:{_id(teacher)}")


# --- reading ------------------------------------------------------------------------

def settings_for(teacher):
    return TeacherSettings.for_teacher(teacher)


_WINDOWS_OF = Prepared(lambda teacher_id: AvailabilityWindow.of(teacher_id))


def windows_for(teacher):
    return tuple(Window(w.weekday, w.start, w.end)
                 for w in _WINDOWS_OF.all(AvailabilityWindow, getattr(teacher, "id", teacher)))


def rules_for(teacher, settings=None):
    settings = settings or settings_for(teacher)
    return availability.Rules(
        windows=windows_for(teacher),
        lesson_length=timedelta(minutes=settings.lesson_length_minutes),
        buffer=timedelta(minutes=settings.buffer_minutes),
        min_notice=timedelta(hours=settings.min_notice_hours),
        horizon=timedelta(days=settings.horizon_days),
        timezone=settings.timezone,
        step=availability.step_of(settings.slot_step_minutes),
    )


def unavailable_between(teacher, start, end):
    """The teacher's unavailable intervals overlapping [start, end), as Intervals."""
    return [Interval(i.start, i.end) for i in UnavailableInterval.in_range(teacher, start, end)]


_IMPORTED = Prepared(lambda teacher_id, end, start: ImportedBusy.in_range(teacher_id, start, end))


def imported_between(teacher, start, end):
    """Busy time imported from the teacher's other calendars (services/busy_import.py)
    overlapping [start, end), as Intervals (every week a viewer opens asks: the SQL
    is built once)."""
    return [Interval(i.start, i.end)
            for i in _IMPORTED.all(ImportedBusy, _id(teacher), end, start)]


def _overlapping(model, teacher_id, start, end):
    return (model
            .select(model.start, model.end)
            .where((model.teacher == teacher_id) & overlap(model.start, model.end, start, end)))


# Every page a student or a visitor opens looks for the next free slot through these
# two (services/calendar.next_free_slot): their SQL is built once, their rows are
# (start, end) pairs, not models. Lessons are read as Lesson.in_range reads them (its
# order keeps SQLite on the index that skips the history); the lesson left out is
# NO_LESSON (0, no row's id) when none is.
_CLOSED = Prepared(lambda teacher_id, end, start, teacher_id_, end_, start_: (
    _overlapping(UnavailableInterval, teacher_id, start, end)
    .union_all(_overlapping(ImportedBusy, teacher_id_, start_, end_))))
_BUSY = Prepared(lambda teacher_id, end, start, left_out: (
    Lesson.in_range(teacher_id, start, end)
    .select(Lesson.start, Lesson.end)
    .where(Lesson.id != left_out)))
NO_LESSON = 0


def _intervals(prepared, *values):
    """The (start, end) rows of `prepared` as Intervals, by start."""
    moment = Lesson.start.python_value  # SQLite gives text, PostgreSQL datetimes
    rows = db.database.execute_sql(*prepared.sql(db.database, *values)).fetchall()
    return [Interval(start, end)
            for start, end in sorted((moment(start), moment(end)) for start, end in rows)]


def closed_between(teacher, start, end):
    """What students cannot book in [start, end), as Intervals: the unavailable
    intervals and the busy time imported from the teacher's other calendars. The
    teacher placing or moving a lesson by hand checks unavailable_between alone: what
    their other calendars say informs them (their week shows it) but never refuses.
    One query for both."""
    return _intervals(_CLOSED, _id(teacher), end, start, _id(teacher), end, start)


def busy_between(teacher, start, end, exclude=None):
    """The teacher's lessons (pending or confirmed) overlapping [start, end), as
    Intervals; `exclude` is a lesson to leave out (the one being moved)."""
    left_out = NO_LESSON if exclude is None else _id(exclude)
    return _intervals(_BUSY, _id(teacher), end, start, left_out)


def free_slots_for(teacher, range_start, range_end, now):
    """The teacher's bookable slots starting in [range_start, range_end): two queries
    for the rules, one for lessons, two for closed time, whatever the range."""
    rules = rules_for(teacher)
    # A slot starting in the range ends by range_end + length; a lesson counts when it
    # comes within the buffer of one.
    reach_end = range_end + rules.lesson_length
    busy = busy_between(teacher, range_start - rules.buffer, reach_end + rules.buffer)
    unavailable = closed_between(teacher, range_start, reach_end)
    return availability.free_slots(rules, range_start, range_end, now=now,
                                   unavailable=unavailable, busy=busy)


# --- editing ------------------------------------------------------------------------

def set_windows(teacher, windows):
    """Replace the teacher's weekly windows with `windows` (Window or (weekday, start,
    end) tuples). Raises InvalidWindow (nothing changes then). Returns the new ones,
    sorted."""
    windows = tuple(sorted((w if isinstance(w, Window) else Window(*w) for w in windows),
                           key=lambda w: (w.weekday, w.start)))
    availability.validate_windows(windows)
    with lock(teacher):
        AvailabilityWindow.delete().where(AvailabilityWindow.teacher == teacher).execute()
        if windows:
            AvailabilityWindow.insert_many(
                [{"teacher": _id(teacher), "weekday": w.weekday, "start": w.start, "end": w.end}
                 for w in windows]).execute()
    return windows


def update_settings(teacher, **fields):
    """Change some of the teacher's settings: lesson_length_minutes, buffer_minutes,
    horizon_days, min_notice_hours, cancellation_notice_hours, max_pending_lessons,
    max_pending_series (whole numbers within SETTING_LIMITS), default_price (0 or
    more, two decimals at most), timezone (an IANA name), slot_step_minutes (one of
    SLOT_STEP_CHOICES). Raises InvalidSetting for
    the first bad value (nothing changes then), TypeError for an unknown name. Returns
    the saved settings; the audit entry is written with them."""
    unknown = set(fields) - set(SETTING_NAMES)
    if unknown:
        raise TypeError(f"unknown settings: {', '.join(sorted(unknown))}")
    clean = {}
    for name, value in fields.items():
        if name in SETTING_LIMITS:
            clean[name] = _whole_number(name, value)
        elif name == "default_price":
            clean[name] = clean_price(value, name)
        elif name == "slot_step_minutes":
            if isinstance(value, bool) or value not in SLOT_STEP_CHOICES:
                raise InvalidSetting(name, f"must be one of {SLOT_STEP_CHOICES}: {value!r}")
            clean[name] = value
        else:
            clean[name] = _zone(value)
    with lock(teacher):
        settings = settings_for(teacher)
        for name, value in clean.items():
            setattr(settings, name, value)
        settings.save()
        audit.record(teacher, "settings.update", after=fields)
    return settings


def lessons_inside(teacher, start, end):
    """The teacher's lessons (pending or confirmed) overlapping [start, end), by start."""
    return sorted(Lesson.in_range(teacher, start, end), key=lambda lesson: lesson.start)


def add_unavailable(teacher, start, end, reason="", seen_lessons=None):
    """Mark [start, end) (naive UTC, any length: a slot, a day, several days from one
    time to another) unavailable; it wins over the weekly windows.

    Lessons already there are never deleted here: the teacher cancels them on their
    pages. Nor are they kept silently: given `seen_lessons` (ids of the lessons the
    teacher was shown), any other lesson inside raises LessonsInside, checked under
    the calendar's lock so one booked meanwhile is not missed. None skips the check
    (restores, tests). Raises InvalidInterval for an empty, reversed or out-of-bounds
    interval. The audit entry names the interval and the lessons left inside it."""
    return _add_unavailable(teacher, start, end, reason, seen_lessons, {})


def _add_unavailable(teacher, start, end, reason, seen_lessons, about):
    interval = Interval(start, end)
    if not (bounds.within_moments(interval.start) and bounds.within_moments(interval.end)):
        raise InvalidInterval(f"interval beyond the calendar: {start}, {end}")
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON:
        raise InvalidSetting("reason", f"at most {MAX_REASON} characters")
    with lock(teacher):
        inside = lessons_inside(teacher, interval.start, interval.end)
        if seen_lessons is not None and {lesson.id for lesson in inside} - set(seen_lessons):
            raise LessonsInside(inside)
        created = UnavailableInterval.create(teacher=teacher, start=interval.start,
                                             end=interval.end, reason=reason)
        audit.record(teacher, "unavailable.add", after={
            **about, "start": interval.start, "end": interval.end, "reason": reason,
            "lessons_inside": [lesson.id for lesson in inside]})
        return created


def add_unavailable_days(teacher, first_day, last_day, reason="", seen_lessons=None):
    """Mark the local days first_day..last_day (inclusive, in the teacher's zone)
    unavailable, as one interval from the first day's midnight to the end of the last.
    Raises as add_unavailable does."""
    if not (isinstance(first_day, date) and isinstance(last_day, date)) or last_day < first_day:
        raise InvalidInterval(f"the last day must not come before the first: "
                              f"{first_day}, {last_day}")
    zone = settings_for(teacher).timezone
    start = availability.local_day_bounds(first_day, zone).start
    end = availability.local_day_bounds(last_day, zone).end
    return _add_unavailable(teacher, start, end, reason, seen_lessons,
                            {"first_day": first_day, "last_day": last_day})


def remove_unavailable(teacher, interval_id):
    """Delete one of the teacher's unavailable intervals. Raises IntervalNotFound."""
    with lock(teacher):
        deleted = (UnavailableInterval
                   .delete()
                   .where((UnavailableInterval.id == interval_id)
                          & (UnavailableInterval.teacher == teacher))
                   .execute())
        if deleted:
            audit.record(teacher, "unavailable.remove", before={"id": interval_id})
    if not deleted:
        raise IntervalNotFound(interval_id)


# --- values -------------------------------------------------------------------------

def clean_price(value, field="price"):
    """A Decimal with two places from a Decimal, int or string; InvalidSetting (with
    `field`) unless it is 0..MAX_PRICE with at most two decimals."""
    if isinstance(value, (bool, float)) or value is None:
        raise InvalidSetting(field, "give a Decimal, an int or a string")
    try:
        price = money.parse_amount(value) if isinstance(value, str) else Decimal(value)
    except (money.InvalidAmount, ArithmeticError):
        raise InvalidSetting(field, f"not a number: {value!r}") from None
    if not price.is_finite() or price < 0 or price > MAX_PRICE:
        raise InvalidSetting(field, f"must be between 0 and {MAX_PRICE}")
    if price != price.quantize(Decimal("0.01")):
        raise InvalidSetting(field, "at most two decimals")
    return price.quantize(Decimal("0.01"))


def _whole_number(name, value):
    low, high = SETTING_LIMITS[name]
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidSetting(name, f"must be a whole number: {value!r}")
    if not low <= value <= high:
        raise InvalidSetting(name, f"must be between {low} and {high}")
    return value


def _zone(value):
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        raise InvalidSetting("timezone", f"unknown time zone: {value!r}") from None
    return value


def _id(model_or_id):
    return getattr(model_or_id, "id", model_or_id)
