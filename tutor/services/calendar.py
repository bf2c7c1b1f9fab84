"""What a viewer sees of the teacher's calendar: the cells of a week or the days of a
month, each free slot or lesson reduced to what this viewer may know. A pending
lesson shows to everybody but names nobody; a confirmed one exists only for the
teacher and its student."""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from tutor import formatting
from tutor.database import Prepared
from tutor.models import Lesson, UnavailableInterval
from tutor.services import availability, schedule, zones
from tutor.services.availability import Interval
from tutor.spans import overlap

FREE = "free"
PENDING = Lesson.PENDING  # awaiting the teacher's confirmation
CONFIRMED = Lesson.CONFIRMED
UNAVAILABLE = "unavailable"  # shown to the teacher only
IMPORTED = "imported"  # busy in the teacher's other calendars: the teacher only, no title


class _once:
    """A property computed on first read and kept in the instance, as
    functools.cached_property does, without the lock Python 3.11's takes on every
    first read (a week's render reads a hundred of them; a cell lives in one request)."""

    def __init__(self, compute):
        self.compute, self.name = compute, compute.__name__
        self.__doc__ = compute.__doc__

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.compute(instance)
        return value


@dataclass(frozen=True)
class Cell:
    kind: str  # FREE, PENDING, CONFIRMED, UNAVAILABLE or IMPORTED
    start: datetime  # aware, in the viewer's zone
    end: datetime
    lesson: Lesson | None = None
    block: UnavailableInterval | None = None
    own: bool = False  # the viewer's own lesson
    details: bool = False  # the viewer may see who booked and the comment
    # An unavailable block that is whole days in the teacher's zone but not in the
    # viewer's: those days as the teacher's ("9 декабря, весь день (Москва, UTC+3)").
    note: str = ""

    @property
    def whole_day(self):
        return formatting.whole_days(self.start, self.end)

    @property
    def start_utc(self):
        return self.start.astimezone(timezone.utc).replace(tzinfo=None)

    @property
    def end_utc(self):
        return self.end.astimezone(timezone.utc).replace(tzinfo=None)

    @_once
    def span(self):
        """"10:00–11:00", as the week shows it (twice for the teacher)."""
        return formatting.clock_span(self.start, self.end)

    @_once
    def start_minute(self):
        """The start in naive UTC to the minute, "2026-12-07T06:00", as a link to book
        the cell carries it (bounds.parse_moment reads it back)."""
        return self.start_utc.isoformat(timespec="minutes")

    @_once
    def slot(self):
        """The cell's time as one value a form can send: "start/end" in naive UTC
        (ISO 8601's interval; bounds.parse_interval reads it back)."""
        return f"{self.start_minute}/{self.end_utc.isoformat(timespec='minutes')}"


@dataclass(frozen=True)
class Day:
    date: date
    cells: tuple
    is_today: bool

    @property
    def free_count(self):
        return sum(1 for cell in self.cells if cell.kind == FREE)


@dataclass(frozen=True)
class Week:
    start: date  # Monday, in the viewer's zone
    days: tuple
    timezone: str
    today: date
    changes_at: datetime  # naive UTC: until then only writes can change what it shows

    @property
    def previous(self):
        return self.start - timedelta(days=7)

    @property
    def next(self):
        return self.start + timedelta(days=7)

    @property
    def end(self):
        return self.start + timedelta(days=6)


# A week's queries, their SQL built once (peewee's building cost more than running).
_LESSONS = Prepared(lambda teacher_id, end, start: Lesson.in_range(teacher_id, start, end))
_BLOCKS = Prepared(lambda teacher_id, end, start: UnavailableInterval.in_range(
    teacher_id, start, end))


def viewer_timezone(viewer, teacher_settings):
    if viewer is not None and getattr(viewer, "timezone", None):
        return viewer.timezone
    return teacher_settings.timezone


def lesson_cell(lesson, viewer, zone):
    """The cell `lesson` makes for `viewer`, or None when they may not see it."""
    own = viewer is not None and viewer.id == lesson.student_id
    details = own or (viewer is not None and viewer.is_teacher)
    if lesson.is_confirmed and not details:
        return None
    return Cell(lesson.status, zones.local(lesson.start, zone),
                zones.local(lesson.end, zone), lesson, own=own, details=details)


def _block_cells(blocks, dates, zone_name, kind=UNAVAILABLE, teacher_zone=None):
    """Each unavailable interval (or, as IMPORTED, each stretch of imported busy time)
    cut into one cell per local day it covers. A day off of the teacher cut by the
    viewer's other zone says which days it is there (Cell.note)."""
    zone = ZoneInfo(zone_name)
    notes = {}
    for day in dates:
        bounds = availability.local_day_bounds(day, zone_name)
        for block in blocks:
            if overlap(block.start, block.end, bounds.start, bounds.end):
                if kind == UNAVAILABLE and teacher_zone and block.id not in notes:
                    notes[block.id] = formatting.teacher_days(
                        block.start, block.end, zone_name, teacher_zone) or ""
                yield Cell(kind, zones.local(max(block.start, bounds.start), zone),
                           zones.local(min(block.end, bounds.end), zone),
                           block=block if kind == UNAVAILABLE else None,
                           note=notes.get(getattr(block, "id", None), ""))


def build_week(teacher, viewer, day, now):
    """The week containing `day` (a date in the viewer's zone; None: today) as the
    viewer sees it. A fixed number of queries, whatever the number of lessons."""
    settings = schedule.settings_for(teacher)
    zone_name = viewer_timezone(viewer, settings)
    zone = ZoneInfo(zone_name)
    today = zones.local_date(now, zone)
    monday = availability.week_start(day or today)
    dates = [monday + timedelta(days=n) for n in range(7)]
    start = availability.local_day_bounds(dates[0], zone_name).start
    end = availability.local_day_bounds(dates[-1], zone_name).end

    rules = schedule.rules_for(teacher, settings)
    reach = rules.lesson_length + rules.buffer
    lessons = _LESSONS.all(Lesson, teacher.id, end + reach, start - reach)
    blocks = _BLOCKS.all(UnavailableInterval, teacher.id, end + reach, start)
    imported = schedule.imported_between(teacher, start, end + reach)
    candidates = availability.candidate_slots(rules, start, end)
    slots = availability.bookable(
        rules, candidates, now=now,
        unavailable=[Interval(block.start, block.end) for block in blocks] + imported,
        busy=[Interval(lesson.start, lesson.end) for lesson in lessons])

    cells = [Cell(FREE, zones.local(s.start, zone), zones.local(s.end, zone))
             for s in slots]
    for lesson in lessons:
        cell = lesson_cell(lesson, viewer, zone) \
            if overlap(lesson.start, lesson.end, start, end) else None
        if cell:
            cells.append(cell)
    if viewer is not None and viewer.is_teacher:
        cells.extend(_block_cells(blocks, dates, zone_name, teacher_zone=settings.timezone))
        cells.extend(_block_cells(imported, dates, zone_name, IMPORTED))
    cells.sort(key=lambda cell: cell.start)

    by_date = {d: [] for d in dates}
    for cell in cells:
        on_date = by_date.get(cell.start.date())
        if on_date is not None:
            on_date.append(cell)
    days = tuple(Day(d, tuple(by_date[d]), d == today) for d in dates)
    tomorrow = availability.local_day_bounds(today, zone_name).end
    changes_at = min(filter(None, (availability.next_change(rules, candidates, now=now),
                                   tomorrow)))
    return Week(monday, days, zone_name, today, changes_at)


# The first look for the next free slot reaches this far; the rest of the booking
# horizon is read only when it finds nothing (a full or closed week).
FIRST_LOOK = timedelta(days=7)


def next_free_slot(teacher, viewer, now):
    """The first slot the viewer could book from `now` on, as a FREE Cell in the
    viewer's zone, or None when the teacher's booking horizon holds none. Two queries
    for the rules and two for each stretch looked at: the coming week, and only when
    that is full the rest of the horizon."""
    settings = schedule.settings_for(teacher)
    rules = schedule.rules_for(teacher, settings)
    zone = ZoneInfo(viewer_timezone(viewer, settings))
    if not rules.windows:
        return None
    earliest, latest = now + rules.min_notice, now + rules.horizon
    for start, end in ((earliest, min(earliest + FIRST_LOOK, latest)),
                       (earliest + FIRST_LOOK, latest)):
        if end <= start:
            continue
        reach = end + rules.lesson_length
        slots = availability.free_slots(
            rules, start, end, now=now,
            unavailable=schedule.closed_between(teacher, start, reach),
            busy=schedule.busy_between(teacher, start - rules.buffer, reach + rules.buffer))
        if slots:
            return Cell(FREE, zones.local(slots[0].start, zone),
                        zones.local(slots[0].end, zone))
    return None


@dataclass(frozen=True)
class MonthDay:
    date: date
    in_month: bool
    is_today: bool
    free: int  # bookable slots that day
    lessons: int  # lessons the viewer may see that day
    unavailable: str = ""  # the teacher's view only: ALL_DAY, PART_OF_DAY or ""


ALL_DAY, PART_OF_DAY = "all", "part"


def _unavailable_part(day, blocks, zone_name):
    """ALL_DAY when the intervals cover the local day, PART_OF_DAY when they touch it,
    else ""."""
    bounds = availability.local_day_bounds(day, zone_name)
    covered, reached = timedelta(0), bounds.start
    for block in sorted(blocks, key=lambda block: block.start):
        start, end = max(block.start, reached), min(block.end, bounds.end)
        if end > start:
            covered += end - start
            reached = end
    if covered <= timedelta(0):
        return ""
    return ALL_DAY if covered >= bounds.end - bounds.start else PART_OF_DAY


@dataclass(frozen=True)
class Month:
    first: date
    weeks: tuple  # of 7-tuples of MonthDay, Monday first
    timezone: str
    today: date

    @property
    def previous(self):
        return (self.first - timedelta(days=1)).replace(day=1)

    @property
    def next(self):
        return (self.first + timedelta(days=32)).replace(day=1)


def build_month(teacher, viewer, first, now):
    """The month of `first` (a date in the viewer's zone; None: this month): for each
    day of the weeks it spans, how many free slots and visible lessons there are."""
    settings = schedule.settings_for(teacher)
    zone_name = viewer_timezone(viewer, settings)
    zone = ZoneInfo(zone_name)
    today = zones.local_date(now, zone)
    first = (first or today).replace(day=1)
    grid_start = availability.week_start(first)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    grid_end = availability.week_start(last) + timedelta(days=6)
    start = availability.local_day_bounds(grid_start, zone_name).start
    end = availability.local_day_bounds(grid_end, zone_name).end

    rules = schedule.rules_for(teacher, settings)
    reach = rules.lesson_length + rules.buffer
    lessons = list(Lesson.in_range(teacher, start - reach, end + reach))
    blocks = schedule.unavailable_between(teacher, start, end + reach)
    slots = availability.free_slots(
        rules, start, end, now=now,
        unavailable=blocks + schedule.imported_between(teacher, start, end + reach),
        busy=[Interval(lesson.start, lesson.end) for lesson in lessons])
    teacher_view = viewer is not None and viewer.is_teacher

    free, visible = {}, {}
    for slot in slots:
        local = zones.local_date(slot.start, zone)
        free[local] = free.get(local, 0) + 1
    for lesson in lessons:
        if lesson_cell(lesson, viewer, zone):
            local = zones.local_date(lesson.start, zone)
            visible[local] = visible.get(local, 0) + 1

    days = []
    day = grid_start
    while day <= grid_end:
        days.append(MonthDay(day, day.month == first.month, day == today,
                             free.get(day, 0), visible.get(day, 0),
                             _unavailable_part(day, blocks, zone_name) if teacher_view else ""))
        day += timedelta(days=1)
    weeks = tuple(tuple(days[i:i + 7]) for i in range(0, len(days), 7))
    return Month(first, weeks, zone_name, today)


def range_to_utc(first_day, start_time, last_day, end_time, zone_name):
    """The naive-UTC (start, end) of a from–to range entered in `zone_name`: from
    `start_time` on the first day (its midnight when None) to `end_time` on the last
    day (the end of that day when None: the last day is included). Times the clocks
    skip or repeat follow zones.to_utc. The caller checks that the end comes after
    the start (a range inside a skipped hour comes out empty)."""
    start = zones.to_utc(first_day, start_time or time(), zone_name)
    if end_time is None:
        end = zones.day_start(last_day + timedelta(days=1), zone_name)
    else:
        end = zones.to_utc(last_day, end_time, zone_name)
    return start, end


@dataclass(frozen=True)
class LocalBlock:
    """An unavailable interval with its ends in a zone, for listing."""

    id: int
    reason: str
    local_start: datetime
    local_end: datetime

    @classmethod
    def of(cls, block, zone_name):
        return cls(block.id, block.reason, zones.local(block.start, zone_name),
                   zones.local(block.end, zone_name))
