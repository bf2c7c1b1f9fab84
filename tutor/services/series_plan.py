"""The dates of a weekly series and what stands in each one's way, before anything
is written (services/series.py books, confirms, rejects and cancels; its docstring
has the rules). Every datetime is naive UTC; the days and the wall-clock time are in
the teacher's zone."""
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from tutor.models import Lesson, User, utcnow
from tutor.services import availability, booking, schedule, zones
from tutor.services.availability import Interval
from tutor.services.booking import InvalidDetails, NotAllowed

MAX_WEEKS = 52

# Why an occurrence cannot be booked.
TAKEN = "taken"  # another lesson is there (or within the teacher's break of it)
UNAVAILABLE = "unavailable"  # the teacher is away
PAST = "past"  # it has started already
TOO_SOON = "too_soon"  # inside the minimum notice
TOO_FAR = "too_far"  # beyond the booking horizon
OUTSIDE = "outside"  # not a slot of the teacher's weekly windows



@dataclass(frozen=True)
class Occurrence:
    day: date  # local date in the teacher's zone
    start: datetime  # naive UTC
    end: datetime
    problem: str | None = None  # None: free
    lesson: Lesson | None = None  # the existing occurrence, when checking a series

    @property
    def free(self):
        return self.problem is None


@dataclass(frozen=True)
class Plan:
    """The weeks a series would take, each free or with its problem."""

    first_day: date
    start_time: time
    minutes: int
    until: date | None
    count: int | None
    zone: str
    occurrences: tuple = field(default=())

    @property
    def free(self):
        return [o for o in self.occurrences if o.free]

    @property
    def skipped(self):
        return [o for o in self.occurrences if not o.free]


# --- dates ------------------------------------------------------------------------

def weekly_days(first_day, *, until=None, count=None):
    """The local dates of a series from first_day: every 7 days until `until`
    (inclusive) or `count` times. Raises InvalidDetails for a bad or missing end."""
    if (until is None) == (count is None):
        raise InvalidDetails("until", "give either the last date or the number of times")
    if count is not None:
        if isinstance(count, bool) or not isinstance(count, int) or not 2 <= count <= MAX_WEEKS:
            raise InvalidDetails("count", f"a whole number from 2 to {MAX_WEEKS}")
        return [first_day + timedelta(weeks=n) for n in range(count)]
    if not isinstance(until, date) or isinstance(until, datetime):
        raise InvalidDetails("until", "a date")
    if until < first_day + timedelta(weeks=1):
        raise InvalidDetails("until", "at least a week after the first lesson")
    if until >= first_day + timedelta(weeks=MAX_WEEKS):
        raise InvalidDetails("until", f"at most {MAX_WEEKS} weeks")
    weeks = (until - first_day).days // 7 + 1
    return [first_day + timedelta(weeks=n) for n in range(weeks)]


# --- planning ---------------------------------------------------------------------

def plan_series(requester, teacher, first_start, *, until=None, count=None, minutes=None,
                now=None):
    """What booking a series from `first_start` (naive UTC) would do, date by date,
    checked as `requester` (the student or the teacher) would be. `minutes` is the
    teacher's choice of length; a student's lessons take the teacher's lesson length.
    Raises NotAllowed or InvalidDetails."""
    now = now or utcnow()
    settings = schedule.settings_for(teacher)
    rules = schedule.rules_for(teacher, settings)
    as_teacher = booked_by_teacher(requester, teacher)
    if as_teacher:
        minutes = lesson_minutes(settings.lesson_length_minutes if minutes is None
                                 else minutes)
    else:
        minutes = settings.lesson_length_minutes
    zone = settings.timezone
    local = zones.local(first_start, zone)
    first_day, start_time = local.date(), local.time().replace(tzinfo=None)
    days = weekly_days(first_day, until=until, count=count)
    length = timedelta(minutes=minutes)
    starts = [(day, zones.to_utc(day, start_time, zone)) for day in days]
    span_start, span_end = starts[0][1], starts[-1][1] + length
    busy = schedule.busy_between(teacher, span_start - rules.buffer, span_end + rules.buffer)
    closed = schedule.unavailable_between if as_teacher else schedule.closed_between
    unavailable = closed(teacher, span_start, span_end)
    occurrences = []
    for day, start in starts:
        slot = Interval(start, start + length)
        check = _teacher_problem if as_teacher else _student_problem
        occurrences.append(Occurrence(day, slot.start, slot.end,
                                      check(rules, slot, now, busy, unavailable)))
    return Plan(first_day, start_time, minutes, until, count, zone, tuple(occurrences))


def _student_problem(rules, slot, now, busy, unavailable):
    if slot.start <= now:
        return PAST
    if slot.start < now + rules.min_notice:
        return TOO_SOON
    if slot.start >= now + rules.horizon:
        return TOO_FAR
    if any(slot.overlaps(interval) for interval in unavailable):
        return UNAVAILABLE
    if not availability.is_bookable(rules, slot, now=now):
        return OUTSIDE
    if not availability.is_bookable(rules, slot, now=now, busy=busy):
        return TAKEN
    return None


def _teacher_problem(rules, slot, now, busy, unavailable):
    if slot.start <= now:
        return PAST
    if any(slot.overlaps(interval) for interval in busy):
        return TAKEN
    if any(slot.overlaps(interval) for interval in unavailable):
        return UNAVAILABLE
    return None


# --- pending occurrences that became impossible ---------------------------------

def conflicts(series, now=None):
    """The series' pending occurrences that can no longer be confirmed, each as an
    Occurrence with its problem (PAST, UNAVAILABLE or TAKEN)."""
    now = now or utcnow()
    pending = list(series.occurrences().where(Lesson.status == Lesson.PENDING))
    if not pending:
        return []
    span_start, span_end = pending[0].start, max(lesson.end for lesson in pending)
    unavailable = schedule.unavailable_between(series.teacher_id, span_start, span_end)
    busy = [(lesson.id, Interval(lesson.start, lesson.end))
            for lesson in Lesson.in_range(series.teacher_id, span_start, span_end)]
    zone = schedule.settings_for(series.teacher_id).timezone
    found = []
    for lesson in pending:
        slot = Interval(lesson.start, lesson.end)
        problem = None
        if lesson.start <= now:
            problem = PAST
        elif any(slot.overlaps(interval) for interval in unavailable):
            problem = UNAVAILABLE
        elif any(slot.overlaps(interval) for lesson_id, interval in busy
                 if lesson_id != lesson.id):
            problem = TAKEN
        if problem:
            day = zones.local_date(lesson.start, zone)
            found.append(Occurrence(day, lesson.start, lesson.end, problem, lesson))
    return found


# --- who books, and for how long ------------------------------------------------

def booked_by_teacher(requester, teacher):
    """True when the teacher books, False for a student; NotAllowed otherwise."""
    if not teacher.is_teacher:
        raise NotAllowed("a series is booked with the teacher")
    if requester.id == teacher.id:
        return True
    if requester.role != User.STUDENT:
        raise NotAllowed("only a student or the teacher books")
    return False


def lesson_minutes(value):
    limit = int(booking.MAX_LESSON.total_seconds() // 60)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= limit:
        raise InvalidDetails("minutes", f"a whole number from 1 to {limit}")
    return value
