"""The figures of the reports: the month's lessons for the teacher, and the record kept of a student
before their account is deleted, as the CSV (csv.py) and the PDF (pdf.py) show them.

What counts: confirmed lessons that have taken place (ended by `now`). Pending
lessons are not lessons yet, and a confirmed one still ahead has not been taught.

Which month a lesson belongs to: the month of its start in the teacher's time zone.
A lesson from 23:30 on 31 October to 00:30 on 1 November is October's, with its full
hour. Lengths are real elapsed time (the UTC difference), so a lesson across a DST
change counts the time that actually passed, not the wall-clock difference.

A lesson's price is what the teacher set when confirming it, for the whole lesson
(however many people came); the total cost is the sum of the prices.

Attendance: every such lesson is listed with the teacher's mark; one marked missed or
cancelled late did not take place, so it counts in none of the totals (lessons, hours,
cost, the weeks and the per-student summary). Money is the balances table: for each
student with money before or during the month, the balance at its start, the payments
made in it, the price of the lessons charged in it (attended or cancelled late, by
their start) and the balance at its end, which is the first plus the second minus the
third (services/balances.py)."""
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _

from tutor.models import Lesson, User, person_name, utcnow
from tutor.services import accounts, balances, bounds, zones

CENT = Decimal("0.01")
MONTH = re.compile(r"(?P<year>[0-9]{4})-(?P<month>[0-9]{2})")


class InvalidMonth(ValueError):
    """Not a month written as YYYY-MM."""


# --- months ---------------------------------------------------------------------------

def parse_month(text):
    """The first day of the month written as "YYYY-MM"."""
    text = (text or "").strip()
    match = MONTH.fullmatch(text)
    month = bounds.parse_date(text, "%Y-%m") if match else None
    if month is None:
        raise InvalidMonth(text)
    return month


def month_key(month):
    return f"{month:%Y-%m}"


def next_month(month):
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def previous_month(day):
    """The first day of the month before the one `day` is in."""
    return (day.replace(day=1) - timedelta(days=1)).replace(day=1)


# --- the figures ----------------------------------------------------------------------

def hours(minutes):
    return (Decimal(minutes) / 60).quantize(CENT, ROUND_HALF_UP)


@dataclass(frozen=True)
class Line:
    """One lesson as a report shows it; times are aware, in the teacher's zone."""

    start: datetime
    end: datetime
    minutes: int
    student_id: int
    student_name: str
    student_login: str
    people: int
    price: Decimal
    attendance: str = None  # the teacher's mark (Lesson.ATTENDANCE) or None
    student_deleted: bool = False  # the student deleted their account: no profile to open
    entered_afterwards: bool = False  # recorded by the teacher after it took place

    @property
    def hours(self):
        return hours(self.minutes)

    @property
    def took_place(self):
        return self.attendance not in (Lesson.MISSED, Lesson.LATE_CANCEL)


@dataclass(frozen=True)
class StudentSummary:
    student_id: int
    name: str
    login: str
    lessons: int
    minutes: int
    cost: Decimal
    deleted: bool = False  # see Line.student_deleted

    @property
    def hours(self):
        return hours(self.minutes)


@dataclass(frozen=True)
class Week:
    """A week's bar in the chart: the days of the month it covers."""

    first: date
    last: date
    minutes: int

    @property
    def hours(self):
        return hours(self.minutes)


@dataclass(frozen=True)
class Totals:
    lessons: int
    minutes: int
    cost: Decimal

    @property
    def hours(self):
        return hours(self.minutes)

    @classmethod
    def of(cls, lines):
        lines = [line for line in lines if line.took_place]
        return cls(lessons=len(lines), minutes=sum(line.minutes for line in lines),
                   cost=sum((line.price for line in lines), Decimal(0)).quantize(CENT))


@dataclass(frozen=True)
class BalanceRow(balances.Closing):
    """One student's money in the month (see the module's docstring)."""

    student_id: int
    name: str
    login: str
    opening: Decimal
    paid: Decimal
    charged: Decimal


@dataclass(frozen=True)
class BalanceTotals(balances.Closing):
    opening: Decimal = Decimal("0.00")
    paid: Decimal = Decimal("0.00")
    charged: Decimal = Decimal("0.00")

    @classmethod
    def of(cls, rows):
        return cls(opening=sum((r.opening for r in rows), Decimal("0.00")),
                   paid=sum((r.paid for r in rows), Decimal("0.00")),
                   charged=sum((r.charged for r in rows), Decimal("0.00")))


@dataclass(frozen=True)
class MonthlyReport:
    month: date
    zone: str
    generated_at: datetime
    lines: tuple
    students: tuple
    weeks: tuple
    totals: Totals
    balances: tuple = ()  # BalanceRow, by name
    balance_totals: BalanceTotals = BalanceTotals()

    @property
    def student_count(self):
        return len(self.students)

    @property
    def unmarked(self):
        """Lessons of the month still without an attendance mark (not charged)."""
        return sum(1 for line in self.lines if line.attendance is None)

    @property
    def entered_afterwards(self):
        """Lessons of the month the teacher entered after they took place."""
        return sum(1 for line in self.lines if line.entered_afterwards)


@dataclass(frozen=True)
class StudentReport:
    """Everything kept of a student whose account is about to be deleted."""

    student_id: int
    first_name: str
    last_name: str
    login: str
    email: str
    telegram_username: str
    channel: str
    goal: str
    created_at: datetime
    last_login_at: datetime
    inactive_since: datetime
    zone: str
    generated_at: datetime
    lines: tuple
    totals: Totals

    @property
    def name(self):
        return person_name(self.first_name, self.last_name)


def _display_name(user):
    return user.full_name or user.login


def _login(user):
    """A deleted student's placeholder login means nothing to the teacher: none."""
    return "" if user.is_deleted else user.login


def _line(lesson, zone):
    student = lesson.student
    return Line(start=zones.local(lesson.start, zone), end=zones.local(lesson.end, zone),
                minutes=int((lesson.end - lesson.start).total_seconds() // 60),
                student_id=student.id, student_name=_display_name(student),
                student_login=_login(student), people=lesson.people,
                price=Decimal(lesson.price or 0).quantize(CENT),
                attendance=lesson.attendance, student_deleted=student.is_deleted,
                entered_afterwards=lesson.entered_afterwards)


def _taught(query, now):
    """Confirmed lessons of `query` that have ended by `now`, with their students."""
    return (query
            .select(Lesson, User)
            .join(User, on=(Lesson.student == User.id))
            .where((Lesson.status == Lesson.CONFIRMED) & (Lesson.end <= now))
            .order_by(Lesson.start, Lesson.id))


def monthly_report(teacher, month, now=None):
    """The report on `month` (its first day) for `teacher`, as of `now` (naive UTC)."""
    now = now or utcnow()
    zone = zones.teacher_zone(teacher)
    first, after = zones.month_bounds(month, zone)
    lessons = _taught(Lesson.select(), now).where((Lesson.teacher == teacher)
                                                  & (Lesson.start >= first)
                                                  & (Lesson.start < after))
    lines = tuple(_line(lesson, zone) for lesson in lessons)
    money = _balances(teacher, month)
    return MonthlyReport(month=month, zone=zone.key, generated_at=zones.local(now, zone),
                         lines=lines, students=_per_student(lines),
                         weeks=_weeks(month, lines), totals=Totals.of(lines),
                         balances=money, balance_totals=BalanceTotals.of(money))


def _balances(teacher, month):
    """A BalanceRow for each student with money before or during `month`, by name."""
    last_day = next_month(month) - timedelta(days=1)
    movements = [m for m in balances.movements(teacher, month, last_day).values()
                 if m.opening or m.paid or m.charged]
    people = {user.id: user for user in User.select().where(
        User.id.in_([m.student_id for m in movements]))} if movements else {}
    rows = [BalanceRow(student_id=m.student_id, name=_display_name(people[m.student_id]),
                       login=_login(people[m.student_id]), opening=m.opening, paid=m.paid,
                       charged=m.charged)
            for m in movements if m.student_id in people]
    return tuple(sorted(rows, key=lambda r: (r.name.casefold(), r.login)))


def _per_student(lines):
    grouped = defaultdict(list)
    for line in lines:
        if line.took_place:
            grouped[line.student_id].append(line)
    summaries = [StudentSummary(student_id=student_id, name=group[0].student_name,
                                login=group[0].student_login, lessons=len(group),
                                minutes=sum(line.minutes for line in group),
                                cost=sum((line.price for line in group), Decimal(0)),
                                deleted=group[0].student_deleted)
                 for student_id, group in grouped.items()]
    return tuple(sorted(summaries, key=lambda s: (s.name.casefold(), s.login)))


def _weeks(month, lines):
    """Monday-to-Sunday weeks cut to the month, with the minutes started in each."""
    minutes = defaultdict(int)
    for line in lines:
        if line.took_place:
            minutes[line.start.date() - timedelta(days=line.start.weekday())] += line.minutes
    weeks, day, end = [], month, next_month(month)
    while day < end:
        monday = day - timedelta(days=day.weekday())
        last = min(monday + timedelta(days=6), end - timedelta(days=1))
        weeks.append(Week(first=day, last=last, minutes=minutes.get(monday, 0)))
        day = last + timedelta(days=1)
    return tuple(weeks)


def student_report(student, now=None):
    """The record of `student` and every lesson of theirs that took place, in the
    teacher's zone."""
    now = now or utcnow()
    zone = zones.teacher_zone(accounts.the_teacher())
    lines = tuple(_line(lesson, zone)
                  for lesson in _taught(Lesson.select(), now).where(Lesson.student == student))

    def local_or_none(moment):
        return zones.local(moment, zone) if moment else None

    return StudentReport(
        student_id=student.id, first_name=student.first_name, last_name=student.last_name,
        login=student.login, email=student.email or "",
        telegram_username=student.telegram_username or "", channel=student.channel,
        goal=student.goal.name if student.goal_id else "",
        created_at=local_or_none(student.created_at),
        last_login_at=local_or_none(student.last_login_at),
        inactive_since=local_or_none(student.inactive_since),
        zone=zone.key, generated_at=zones.local(now, zone), lines=lines, totals=Totals.of(lines))


# --- labels in the report's language ---------------------------------------------------

def attendance_label(mark):
    """The teacher's mark in the report's language."""
    return {Lesson.ATTENDED: _("attended"), Lesson.MISSED: _("missed"),
            Lesson.LATE_CANCEL: _("cancelled late")}.get(mark, _("not marked"))

def _moment(value):
    return f"{value:%Y-%m-%d %H:%M}" if value else ""

def student_facts(report):
    channels = {User.EMAIL: _("E-mail"), User.TELEGRAM: "Telegram",
                User.NO_CHANNEL: _("No notifications")}
    return [(_("First name"), report.first_name), (_("Last name"), report.last_name),
            (_("Login"), report.login), (_("E-mail"), report.email),
            (_("Telegram username"), report.telegram_username),
            (_("Notifications"), channels.get(report.channel, report.channel)),
            (_("Learning goal"), report.goal),
            (_("Registered"), _moment(report.created_at)),
            (_("Last login"), _moment(report.last_login_at)),
            (_("Inactive since"), _moment(report.inactive_since)),
            (_("Time zone"), report.zone)]
