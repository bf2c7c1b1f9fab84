"""What needs the teacher now, for their home page: requests awaiting an answer,
today's and tomorrow's lessons, past lessons without an attendance mark, and the
students who owe money. Each part is one query, whatever the history holds."""
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from peewee import fn

from tutor.database import Prepared
from tutor.extensions import db
from tutor.models import Lesson, User, shown_name, utcnow
from tutor.services import balances, booking, calendar, schedule, trials, zones

SHOWN = 10  # requests and debtors listed on the page; the rest are a link away


@dataclass(frozen=True)
class Agenda:
    requests: list  # Entry: pending lessons still to come, soonest first, at most SHOWN
    requests_total: int
    today: list  # Entry: the teacher's lessons today and tomorrow (their zone), by start
    tomorrow: list
    unmarked: int  # past confirmed lessons without an attendance mark, up to UNMARKED_COUNTED
    debtors: tuple  # balances.Debtor: students in debt, the largest first, at most SHOWN
    debtors_total: int
    zone: str
    price: object  # the teacher's usual price (Decimal), which "confirm" sets
    trials: int = 0  # visitors' trial lesson requests not answered yet (services/trials.py)

    def local(self, moment):
        """A stored naive-UTC moment, aware in the teacher's zone."""
        return zones.local(moment, self.zone)

    @property
    def unmarked_counted_all(self):
        """False when the count stopped at UNMARKED_COUNTED: there may be more."""
        return self.unmarked < balances.UNMARKED_COUNTED

    @property
    def is_quiet(self):
        return not (self.requests or self.today or self.tomorrow or self.unmarked
                    or self.debtors)


class Student(NamedTuple):
    id: int
    full_name: str
    login: str
    is_deleted: bool


class Entry(NamedTuple):
    """A lesson as the agenda lists it, with its student."""
    id: int
    start: datetime
    end: datetime
    status: str
    comment: str
    series_id: int | None
    entered_afterwards: bool
    student: Student

    @property
    def is_pending(self):
        return self.status == Lesson.PENDING


# The lists are read as plain rows through SQL built once: peewee building these
# statements and a Lesson and a User per row cost ten times running them.
_ENTRY_COLUMNS = (Lesson.id, Lesson.start, Lesson.end, Lesson.status, Lesson.comment,
                  Lesson.series, Lesson.entered_afterwards, User.id, User.role,
                  User.first_name, User.last_name, User.login)


def _awaiting(now, teacher_id):
    """The teacher's requests awaiting confirmation that have not started yet."""
    return ((Lesson.status == Lesson.PENDING) & (Lesson.start > now)
            & (Lesson.teacher == teacher_id))


_REQUESTS = Prepared(lambda now, teacher_id, limit: (
    Lesson.select(*_ENTRY_COLUMNS)
    .join(User, on=(Lesson.student == User.id))
    .where(_awaiting(now, teacher_id))
    .order_by(Lesson.start, Lesson.id)
    .limit(limit)))
_AWAITING = Prepared(lambda now, teacher_id: (
    Lesson.select(fn.COUNT(Lesson.id)).where(_awaiting(now, teacher_id))))
_SOON = Prepared(lambda teacher_id, start, end: (
    Lesson.select(*_ENTRY_COLUMNS)
    .join(User, on=(Lesson.student == User.id))
    .where((Lesson.teacher == teacher_id) & (Lesson.start >= start) & (Lesson.start < end))
    .order_by(Lesson.start, Lesson.id)))


def _entries(statement, *values):
    start, end = Lesson.start.python_value, Lesson.end.python_value
    database = db.database
    return [Entry(id_, start(starts), end(ends), status, comment, series_id,
                  bool(afterwards), Student(student_id, shown_name(role, first, last), login,
                                           role == User.DELETED))
            for (id_, starts, ends, status, comment, series_id, afterwards, student_id, role,
                 first, last, login) in database.execute_sql(*statement.sql(database, *values))]


def awaiting_count(teacher, now=None):
    """How many requests await the teacher (that have not started yet): one COUNT
    query (the header's badge)."""
    return _AWAITING.scalar(db.database, now or utcnow(), teacher.id)


def for_teacher(teacher, now=None, settings=None):
    """The teacher's Agenda at `now` (`settings`: theirs, when read already)."""
    now = now or utcnow()
    settings = settings or schedule.settings_for(teacher)
    zone = calendar.viewer_timezone(teacher, settings)
    today = zones.local_date(now, zone)
    day_start = zones.day_start(today, zone)
    tomorrow_start = zones.day_start(today + timedelta(days=1), zone)
    day_after = zones.day_start(today + timedelta(days=2), zone)

    requests = _entries(_REQUESTS, now, teacher.id, SHOWN)
    total = len(requests) if len(requests) < SHOWN else awaiting_count(teacher, now)
    soon = _entries(_SOON, teacher.id, day_start, day_after)
    debtors = balances.debts()
    return Agenda(
        requests=requests, requests_total=total,
        today=[lesson for lesson in soon if lesson.start < tomorrow_start],
        tomorrow=[lesson for lesson in soon if lesson.start >= tomorrow_start],
        unmarked=balances.unmarked_count(teacher, now),
        debtors=debtors[:SHOWN], debtors_total=len(debtors), zone=zone,
        price=settings.default_price, trials=trials.waiting_count(teacher))


def confirm_as_usual(teacher, lesson, now=None):
    """Confirm a request as it was made, at the teacher's usual price: the one-click
    answer from the home page (the lesson page sets anything else). Raises what
    booking.confirm_lesson raises."""
    price = schedule.settings_for(teacher).default_price
    return booking.confirm_lesson(teacher, lesson, price, lesson.people, now=now)


