"""Bookable slots: the teacher's weekly windows, split into lessons, minus unavailable
intervals, existing lessons, the minimum notice and the booking horizon.

Pure computation: plain data in, plain data out. Every datetime here is naive UTC
(tzinfo=None); only windows are wall-clock times, in the teacher's zone.

Decided rules (the tests pin each one):
- A slot belongs to a range when its start lies in [range_start, range_end).
- A slot starting exactly at now + min_notice is bookable; one starting exactly at
  now + horizon is not.
- Intervals are half-open: a slot ending when an unavailable interval or a lesson
  starts does not overlap it. Around lessons the buffer must be kept in full: a slot
  starting exactly `buffer` after a lesson ends is free. Unavailable intervals get
  no buffer.
- The buffer separates the slots of one window; windows that touch each start their
  own grid, and booking one slot then takes its neighbour through the lesson buffer.
- Slot starts are wall times, on one of two plans (Rules.step, the teacher's
  choice): step None puts them right after the previous lesson and the buffer
  (window start + n * (length + buffer), so 15:00, 16:10, 17:20 with a 10-minute
  break); a step of 15, 30 or 60 minutes offers every wall time of the window on
  that step of the clock (minutes since midnight divisible by it) from which a whole
  lesson fits before the window ends (windows that touch count as one there).
  Stepped slots may overlap each other, as in
  the booking tools tutors know: booking one takes those it overlaps, and with the
  buffer those too close to it (the lesson rule above). A start inside a
  spring-forward gap gives no slot (a slot is offered only at a time the clock
  shows); an ambiguous one (fall-back) is the first occurrence, so the repeated hour
  after it gets no slots of its own. A window end inside a gap follows zones.py's
  rule (read with the offset before the change), which keeps the window's length.
- Slots last `lesson_length` real minutes. Without a step, right after a
  spring-forward gap a wall start can fall inside the previous slot; such a slot is
  dropped.
"""
import bisect
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tutor.services import zones
from tutor.spans import overlap


class InvalidWindow(ValueError):
    """A weekly window that cannot be used: empty, overlapping another, bad weekday."""


class InvalidRules(ValueError):
    """Availability settings that make no sense (a zero lesson length, unknown zone...)."""


# The steps a teacher may put slot starts on, in minutes; AFTER_BREAK (0) is "right
# after the previous lesson and the break" (Rules.step None).
SLOT_STEPS = (60, 30, 15)
AFTER_BREAK = 0


class InvalidInterval(ValueError):
    """An interval that is empty, reversed or not in naive UTC."""


@dataclass(frozen=True)
class Window:
    weekday: int  # 0 = Monday
    start: time
    end: time


@dataclass(frozen=True)
class Interval:
    start: datetime
    end: datetime

    def __post_init__(self):
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise InvalidInterval("interval times must be naive UTC datetimes")
        if self.start >= self.end:
            raise InvalidInterval(f"interval must start before it ends: {self.start}, {self.end}")

    def overlaps(self, other):
        return overlap(self.start, self.end, other.start, other.end)


@dataclass(frozen=True)
class Rules:
    windows: tuple[Window, ...]
    lesson_length: timedelta = timedelta(minutes=60)
    buffer: timedelta = timedelta(0)
    min_notice: timedelta = timedelta(hours=12)
    horizon: timedelta = timedelta(days=56)
    timezone: str = "Europe/Moscow"
    step: timedelta | None = None  # None: right after the previous slot and the buffer

    def __post_init__(self):
        object.__setattr__(self, "windows", tuple(self.windows))
        validate_windows(self.windows)
        if self.lesson_length <= timedelta(0):
            raise InvalidRules("lesson length must be positive")
        if self.buffer < timedelta(0):
            raise InvalidRules("buffer must not be negative")
        if self.min_notice < timedelta(0):
            raise InvalidRules("minimum notice must not be negative")
        if self.step is not None and self.step not in STEPS:
            raise InvalidRules(f"slot step must be one of {SLOT_STEPS} minutes: {self.step}")
        if self.horizon <= timedelta(0):
            raise InvalidRules("booking horizon must be positive")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidRules(f"unknown time zone: {self.timezone!r}") from None


STEPS = tuple(timedelta(minutes=minutes) for minutes in SLOT_STEPS)


def step_of(minutes):
    """Rules.step for the teacher's setting in minutes (AFTER_BREAK: None)."""
    return None if minutes == AFTER_BREAK else timedelta(minutes=minutes)


def validate_windows(windows):
    """Raise InvalidWindow unless every window is a non-empty part of one weekday and
    no two windows of a weekday overlap (touching is fine)."""
    for window in windows:
        if not isinstance(window.weekday, int) or not 0 <= window.weekday <= 6:
            raise InvalidWindow(f"weekday must be 0 (Monday) to 6 (Sunday): {window.weekday!r}")
        if window.end <= window.start:
            raise InvalidWindow(f"window must end after it starts: {window.start}–{window.end}")
    ordered = sorted(windows, key=lambda w: (w.weekday, w.start))
    for previous, window in zip(ordered, ordered[1:]):
        if window.weekday == previous.weekday and window.start < previous.end:
            raise InvalidWindow(
                f"windows overlap on weekday {window.weekday}: "
                f"{previous.start}–{previous.end} and {window.start}–{window.end}"
            )


def candidate_slots(rules, range_start, range_end):
    """Slots from the windows alone whose start lies in [range_start, range_end),
    sorted by start."""
    _require_naive(range_start=range_start, range_end=range_end)
    if range_end <= range_start:
        return []
    return list(_candidates(rules, range_start, range_end))


@lru_cache(maxsize=64)
def _candidates(rules, range_start, range_end):
    """candidate_slots, worked out once per rules and range: every viewer of a week
    asks for the same (its weeks' days, some thirty slots a day with a slot step)."""
    zone = ZoneInfo(rules.timezone)
    by_weekday = {weekday: [] for weekday in range(7)}
    for window in sorted(rules.windows, key=lambda w: w.start):
        by_weekday[window.weekday].append(window)

    slots = []
    # A slot never leaves the local day of its window, so these days cover the range.
    day, last_day = zones.local_date(range_start, zone), zones.local_date(range_end, zone)
    while day <= last_day:
        slots.extend(_day_slots(rules, zone, day, by_weekday[day.weekday()]))
        day += timedelta(days=1)
    return tuple(slot for slot in slots if range_start <= slot.start < range_end)


def free_slots(rules, range_start, range_end, *, now, unavailable=(), busy=()):
    """The bookable slots starting in [range_start, range_end), sorted by start."""
    _require_naive(range_start=range_start, range_end=range_end, now=now)
    earliest, latest = now + rules.min_notice, now + rules.horizon
    return bookable(rules, candidate_slots(rules, max(range_start, earliest),
                                           min(range_end, latest)),
                    now=now, unavailable=unavailable, busy=busy)


def bookable(rules, candidates, *, now, unavailable=(), busy=()):
    """Those of `candidates` (from candidate_slots) that can be booked at `now`:
    within the notice and the horizon, clear of the unavailable intervals and, with
    the buffer, of the busy ones."""
    earliest, latest = now + rules.min_notice, now + rules.horizon
    slots = [slot for slot in candidates if earliest <= slot.start < latest]
    if not slots:
        return []
    span = Interval(slots[0].start, slots[-1].end)
    blocked = _merge(
        [_clip(interval, span, timedelta(0)) for interval in unavailable]
        + [_clip(interval, span, rules.buffer) for interval in busy]
    )
    return [slot for slot in slots if not _hits(slot, blocked)]


def next_change(rules, candidates, *, now):
    """The moment, `now` or later, right after which time alone changes which of
    `candidates` (from candidate_slots) are bookable: a slot passing the minimum
    notice, or coming within the horizon. None when none of them will change."""
    _require_naive(now=now)
    edges = (edge
             for slot in candidates
             for edge in (slot.start - rules.min_notice, slot.start - rules.horizon)
             if edge >= now)
    return min(edges, default=None)


def is_bookable(rules, slot, *, now, unavailable=(), busy=()):
    """True when `slot` is exactly one of the free slots: right start, right length."""
    return slot in free_slots(
        rules, slot.start, slot.end, now=now, unavailable=unavailable, busy=busy
    )


def local_day_bounds(day, timezone):
    """The UTC interval of a local calendar day: 23 or 25 hours on DST change days."""
    return Interval(*zones.day_bounds(day, timezone))


def week_start(day):
    """The Monday of the week `day` is in."""
    return day - timedelta(days=day.weekday())


# --- helpers ---------------------------------------------------------------------------

def _day_slots(rules, zone, day, windows):
    if not windows:
        return []
    if rules.step is not None:
        return _stepped_slots(rules, zone, day, windows)
    slots = []
    step = rules.lesson_length + rules.buffer
    # On most days one offset converts every wall time (a week's cells are built
    # from these, and converting each slot on its own cost a miss most of this).
    offset = zones.steady_offset(day, zone)
    # Only a spring-forward gap can make a slot start before `not_before`.
    not_before = None
    for window in windows:
        wall = datetime.combine(day, window.start)
        wall_end = datetime.combine(day, window.end)
        window_end = wall_end - offset if offset is not None else zones.wall_to_utc(wall_end, zone)
        while wall < wall_end:
            if offset is not None or not zones.is_skipped(wall, zone):
                start = wall - offset if offset is not None else zones.wall_to_utc(wall, zone)
                end = start + rules.lesson_length
                if end > window_end:
                    break
                if not_before is None or start >= not_before:
                    slots.append(Interval(start, end))
                    not_before = end + rules.buffer
            wall += step
        if slots:
            not_before = slots[-1].end  # windows that touch keep no buffer between them
    return slots


def _stepped_slots(rules, zone, day, windows):
    """Every wall time of the windows on the step of the clock with room for a whole
    lesson before the window ends; repeated wall times are their first occurrence,
    skipped ones give nothing."""
    step = int(rules.step.total_seconds() // 60)
    runs = []
    for window in windows:  # sorted by start; touching ones joined
        if runs and runs[-1].end == window.start:
            runs[-1] = Window(window.weekday, runs[-1].start, window.end)
        else:
            runs.append(window)
    offset = zones.steady_offset(day, zone)  # as in _day_slots: one offset most days

    def to_utc(wall):
        return wall - offset if offset is not None else zones.wall_to_utc(wall, zone)
    slots = set()
    for window in runs:
        minutes = window.start.hour * 60 + window.start.minute
        wall = datetime.combine(day, window.start) + timedelta(minutes=-minutes % step)
        wall_end = datetime.combine(day, window.end)
        window_end = to_utc(wall_end)
        while wall < wall_end:
            if offset is not None or not zones.is_skipped(wall, zone):
                start = to_utc(wall)
                if start + rules.lesson_length > window_end:
                    break
                slots.add(Interval(start, start + rules.lesson_length))
            wall += rules.step
    return sorted(slots, key=lambda slot: slot.start)


def _clip(interval, span, margin):
    """The interval widened by `margin` on both sides, or None when it cannot touch
    any slot in `span`."""
    start, end = interval.start - margin, interval.end + margin
    if overlap(start, end, span.start, span.end):
        return (start, end)
    return None


def _merge(intervals):
    """Sorted, disjoint (start, end) pairs covering the given ones (Nones skipped)."""
    merged = []
    for start, end in sorted(i for i in intervals if i is not None):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _hits(slot, blocked):
    # The last blocked interval starting before the slot ends is the only candidate:
    # the merged intervals are disjoint and sorted, so earlier ones end even earlier.
    index = bisect.bisect_left(blocked, (slot.end,)) - 1
    return index >= 0 and blocked[index][1] > slot.start


def _require_naive(**moments):
    for name, moment in moments.items():
        if moment.tzinfo is not None:
            raise ValueError(f"{name} must be a naive UTC datetime")
