"""Reports: the month's lessons for the teacher, and the record kept of a student
before their account is deleted. Each comes as CSV and as a PDF (WeasyPrint).

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
import csv
import io
import os
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from flask import render_template
from flask_babel import force_locale, format_date, get_locale
from flask_babel import gettext as _

from tutor.integrations.attachments import Attachment
from tutor.models import Lesson, Message, User, utcnow
from tutor.services import accounts, balances, bounds, money, notify, zones

CENT = Decimal("0.01")
MONTH = re.compile(r"(?P<year>[0-9]{4})-(?P<month>[0-9]{2})")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # spreadsheet formula triggers


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
class BalanceRow:
    """One student's money in the month (see the module's docstring)."""

    student_id: int
    name: str
    login: str
    opening: Decimal
    paid: Decimal
    charged: Decimal

    @property
    def closing(self):
        return self.opening + self.paid - self.charged


@dataclass(frozen=True)
class BalanceTotals:
    opening: Decimal = Decimal("0.00")
    paid: Decimal = Decimal("0.00")
    charged: Decimal = Decimal("0.00")

    @property
    def closing(self):
        return self.opening + self.paid - self.charged

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
        return " ".join(part for part in (self.first_name, self.last_name) if part)


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


# --- CSV ------------------------------------------------------------------------------

SEMICOLON = ";"  # what Russian Excel expects, with decimal commas
COMMA = ","


def _cell(value):
    """A text cell that a spreadsheet will not run as a formula."""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Writer:
    def __init__(self, separator):
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer, delimiter=separator, lineterminator="\r\n")
        self.decimal = "," if separator == SEMICOLON else "."

    def number(self, value):
        return str(value).replace(".", self.decimal)

    def row(self, *cells):
        self.writer.writerow(cells)

    def lesson_rows(self, lines, with_student):
        for line in lines:
            student = [_cell(line.student_name), _cell(line.student_login)] if with_student else []
            self.row(f"{line.start:%Y-%m-%d}", f"{line.start:%H:%M}", f"{line.end:%H:%M}",
                     self.number(line.hours), *student, line.people, self.number(line.price),
                     attendance_label(line.attendance),
                     _("entered afterwards") if line.entered_afterwards else "")

    def bytes(self):
        # The byte-order mark tells Excel the file is UTF-8 (else Cyrillic is garbled).
        return self.buffer.getvalue().encode("utf-8-sig")


def _lesson_header(with_student):
    student = [_("Student"), _("Login")] if with_student else []
    return [_("Date"), _("Start"), _("End"), _("Hours"), *student, _("People"), _("Price"),
            _("Attendance"), _("Note")]


def attendance_label(mark):
    """The teacher's mark in the report's language."""
    return {Lesson.ATTENDED: _("attended"), Lesson.MISSED: _("missed"),
            Lesson.LATE_CANCEL: _("cancelled late")}.get(mark, _("not marked"))


def monthly_csv(report, locale, separator=SEMICOLON):
    """The lessons (a header row, one row each), then the per-student summary, then
    the balances, then the totals; blank rows between the four tables."""
    out = _Writer(separator)
    with force_locale(locale):
        out.row(*_lesson_header(with_student=True))
        out.lesson_rows(report.lines, with_student=True)
        out.row()
        out.row(_("Student"), _("Login"), _("Lessons"), _("Hours"), _("Total cost"))
        for summary in report.students:
            out.row(_cell(summary.name), _cell(summary.login), summary.lessons,
                    out.number(summary.hours), out.number(summary.cost))
        out.row()
        out.row(_("Student"), _("Login"), _("Balance at the start"), _("Paid"), _("Charged"),
                _("Balance at the end"))
        for row in report.balances:
            out.row(_cell(row.name), _cell(row.login), out.number(row.opening),
                    out.number(row.paid), out.number(row.charged), out.number(row.closing))
        out.row()
        out.row(_("Month"), month_key(report.month))
        out.row(_("Time zone"), report.zone)
        out.row(_("Students with lessons"), report.student_count)
        out.row(_("Lessons"), report.totals.lessons)
        out.row(_("Hours taught"), out.number(report.totals.hours))
        out.row(_("Total cost"), out.number(report.totals.cost))
        out.row(_("Paid in the month"), out.number(report.balance_totals.paid))
        out.row(_("Charged in the month"), out.number(report.balance_totals.charged))
        out.row(_("Lessons not marked yet"), report.unmarked)
    return out.bytes()


def _moment(value):
    return f"{value:%Y-%m-%d %H:%M}" if value else ""


def student_csv(report, locale, separator=SEMICOLON):
    """The student's lessons (a header row, one row each), then their data and totals."""
    out = _Writer(separator)
    with force_locale(locale):
        out.row(*_lesson_header(with_student=False))
        out.lesson_rows(report.lines, with_student=False)
        out.row()
        for label, value in _student_facts(report):
            out.row(label, _cell(value))
        out.row(_("Lessons"), report.totals.lessons)
        out.row(_("Hours taught"), out.number(report.totals.hours))
        out.row(_("Total cost"), out.number(report.totals.cost))
    return out.bytes()


def _student_facts(report):
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


# --- PDF ------------------------------------------------------------------------------

CHART_WIDTH, CHART_HEIGHT, CHART_TOP, CHART_BOTTOM = 480, 170, 18, 34


def week_chart(weeks):
    """Geometry of the hours-per-week bar chart, drawn as inline SVG by the templates."""
    most = max((week.minutes for week in weeks), default=0)
    slot = CHART_WIDTH / max(len(weeks), 1)
    room = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM
    bars = []
    for n, week in enumerate(weeks):
        height = room * week.minutes / most if most else 0
        bars.append({"week": week, "x": round(n * slot + slot * 0.15, 1),
                     "width": round(slot * 0.7, 1), "center": round(n * slot + slot / 2, 1),
                     "y": round(CHART_TOP + room - height, 1), "height": round(height, 1)})
    return {"bars": bars, "width": CHART_WIDTH, "height": CHART_HEIGHT,
            "base": CHART_TOP + room, "label_y": CHART_HEIGHT - CHART_BOTTOM + 16}


def day(moment):
    """A local date as the report's language writes it: "2 окт. 2026 г."."""
    return format_date(moment.date() if isinstance(moment, datetime) else moment, "medium")


def amount(value):
    """A sum of money or hours in the report's language: kopecks only when there are
    any, always two digits then ("1 500", "1 500,50"): money.format_amount."""
    return money.format_amount(value, get_locale())


def _pdf(template, locale, **context):
    # Imported here: WeasyPrint loads Pango and friends, which only reports need.
    from weasyprint import HTML

    with force_locale(locale):
        html = render_template(template, locale=locale, day=day, amount=amount,
                               attendance_label=attendance_label,
                               **context)
    return HTML(string=html).write_pdf()


def monthly_pdf(report, locale):
    return _pdf("reports/monthly.html", locale, report=report, chart=week_chart(report.weeks))


def student_pdf(report, locale):
    with force_locale(locale):
        facts = _student_facts(report)
    return _pdf("reports/student.html", locale, report=report, facts=facts)


# --- files ----------------------------------------------------------------------------

@dataclass(frozen=True)
class ReportFiles:
    csv_name: str
    csv: bytes
    pdf_name: str
    pdf: bytes
    figures: object = field(default=None, compare=False)  # the report they were built from

    def items(self):
        return [(self.csv_name, self.csv, "text/csv"), (self.pdf_name, self.pdf, "application/pdf")]

    def save(self, directory):
        """Write both files into `directory` (each replaced whole); returns their paths."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        paths = []
        for name, content, _type in self.items():
            path = directory / name
            partial = directory / f".{name}.{os.getpid()}"
            partial.write_bytes(content)
            partial.replace(path)
            paths.append(path)
        return paths

    def attachments(self):
        return [Attachment(name, content, content_type)
                for name, content, content_type in self.items()]


def report_locale(teacher):
    return notify.recipient_locale(teacher)


def monthly_files(teacher, month, now=None, locale=None, separator=SEMICOLON):
    """report-YYYY-MM.csv and report-YYYY-MM.pdf for `month`."""
    report = monthly_report(teacher, month, now)
    locale = locale or report_locale(teacher)
    name = f"report-{month_key(month)}"
    return ReportFiles(csv_name=f"{name}.csv", csv=monthly_csv(report, locale, separator),
                       pdf_name=f"{name}.pdf", pdf=monthly_pdf(report, locale), figures=report)


def deleted_student_report(student, now=None):
    """The CSV and PDF on `student`, to be kept by the teacher before the account and
    its lessons are deleted. Call it before deleting; it changes nothing."""
    report = student_report(student, now)
    locale = report_locale(accounts.the_teacher())
    name = f"student-{student.id}-{report.generated_at:%Y-%m-%d}"
    return ReportFiles(csv_name=f"{name}.csv", csv=student_csv(report, locale),
                       pdf_name=f"{name}.pdf", pdf=student_pdf(report, locale), figures=report)


# --- sending --------------------------------------------------------------------------

def monthly_message_key(month):
    return f"report:{month_key(month)}"


def send_monthly_report(month, now=None):
    """Keep the report on `month` in the teacher's inbox, both files stored with it,
    and send it on the teacher's channel (held until there is one). Once per month: a
    second call returns the message already written (the outbox key)."""
    teacher = accounts.the_teacher()
    key = monthly_message_key(month)
    existing = Message.get_or_none(Message.idempotency_key == key)
    if existing is not None:
        return existing
    files = monthly_files(teacher, month, now)
    report = files.figures
    return notify.enqueue(teacher, "monthly_report", {
        "month": month, "report": report,
        "cost": notify.local_amount(teacher, report.totals.cost),
        "hours": notify.local_amount(teacher, report.totals.hours),
    }, key=key, attachments=files.attachments())


def send_previous_month(now=None):
    """The monthly job's body (tutor/jobs.py; the job framework decides when it is
    due, from the 1st in the teacher's zone): the report on the month before the one
    `now` (aware UTC, or naive UTC) falls in there. Returns what it counted."""
    now = now or utcnow()
    if now.tzinfo is not None:
        now = now.astimezone(timezone.utc).replace(tzinfo=None)
    teacher = User.first_teacher()
    if teacher is None:
        return {"messages": 0}
    month = previous_month(zones.teacher_today(teacher, now))
    if _before_the_teacher(teacher, month):
        return {"messages": 0}
    message = send_monthly_report(month, now)
    return {"messages": int(message is not None)}


def _before_the_teacher(teacher, month):
    """True for a month that was over before the teacher's account was made and has
    no lessons in it: a new install's first run has nothing to report on it."""
    first, after = zones.month_bounds(month, zones.teacher_zone(teacher))
    return after <= teacher.created_at and not Lesson.select().where(
        (Lesson.teacher == teacher) & (Lesson.start >= first) & (Lesson.start < after)).exists()
