"""Attendance and balances: the teacher marks each confirmed lesson that has started
as attended, missed or cancelled late, and records the payments students make. A
student's balance is what they paid minus the price of their charged lessons.

Plain functions with explicit arguments raising the named errors below; every
change writes one audit entry (services/audit.py) in the same transaction.

Decided rules (the tests pin each one):
- Only the lesson's teacher marks it, only a confirmed lesson, and only once it has
  started (at the end of the lesson or any time later). The mark can be changed or
  taken back (None) at any time; each change is audited.
- Charged are lessons marked attended or cancelled late, at the price the teacher set
  when confirming. A missed lesson and an unmarked one cost nothing: the balance
  never charges a lesson the teacher has not said took place (or was called off too
  late). Cancelling a lesson before it starts deletes it and charges nothing (see
  services/booking.py); to charge a late cancellation the teacher keeps the lesson
  and marks it "cancelled late" once its time has come.
- A payment is a positive amount up to 1,000,000 ₽ with two decimal places at most,
  paid on a day that is not after today in the teacher's zone; the note is up to 200
  characters. A payment recorded by mistake is deleted (and the deletion audited).
- balance(student, as_of): payments made up to and including the day `as_of` minus
  charged lessons that start before that day ends, both in the teacher's zone; None
  means everything recorded so far. A negative balance is a debt: the student owes.
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import NamedTuple

from flask import current_app
from peewee import JOIN, SQL, Case, Expression, Select, fn

from tutor.database import Prepared
from tutor.extensions import db
from tutor.models import Lesson, Payment, User, person_name, utcnow
from tutor.services import audit, changes, errors, zones
from tutor.services import money as money_text

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("1000000")
MAX_NOTE = 200
EARLIEST = date(2000, 1, 1)


class BalanceError(Exception):
    """Base of the errors below; `field` names the form field to show it at."""

    field = None


class NotAllowed(BalanceError, errors.NotAllowed):
    """Not the teacher of this lesson, or not a teacher at all."""


class NotAStudent(BalanceError):
    """Payments are recorded for students only."""


class NotConfirmed(BalanceError):
    """Only a confirmed lesson has an attendance."""


class NotStarted(BalanceError):
    """The lesson has not started yet: nothing to mark."""


class InvalidAttendance(BalanceError):
    field = "attendance"


class InvalidPayment(BalanceError):
    def __init__(self, field, message):
        super().__init__(f"{field}: {message}")
        self.field = field


class PaymentNotFound(BalanceError):
    """Deleted meanwhile."""


# --- attendance -----------------------------------------------------------------------

def can_mark(lesson, now=None):
    """Whether the lesson may carry an attendance mark now (whoever asks)."""
    return lesson.is_confirmed and lesson.start <= (now or utcnow())


def mark_attendance(actor, lesson, attendance, now=None):
    """Set the lesson's attendance (one of Lesson.ATTENDANCE, or None to take the mark
    back). Raises NotAllowed, NotConfirmed, NotStarted or InvalidAttendance. Returns
    the lesson as saved."""
    now = now or utcnow()
    if attendance not in (None, *Lesson.ATTENDANCE):
        raise InvalidAttendance(attendance)
    with db.database.atomic():
        current = Lesson.get_or_none(Lesson.id == lesson.id)
        if current is None or actor is None or actor.id != current.teacher_id:
            raise NotAllowed("only the lesson's teacher marks attendance")
        if not current.is_confirmed:
            raise NotConfirmed(current.id)
        if current.start > now:
            raise NotStarted(current.start)
        if current.attendance != attendance:
            (Lesson
             .update(attendance=attendance)
             .where(Lesson.id == current.id)
             .execute())
            audit.record(actor, "lesson.attendance", current,
                         before={"attendance": current.attendance},
                         after={"attendance": attendance})
            current.attendance = attendance
    return current


UNMARKED_COUNTED = 100  # the home page counts this many, then says "more than"


def unmarked_count(teacher, now=None, limit=UNMARKED_COUNTED):
    """How many lessons unmarked() holds, counted up to `limit`: a teacher who never
    marks attendance has their whole history unmarked, and the home page asks on
    every visit."""
    return _UNMARKED_COUNT.scalar(db.database, teacher.id, now or utcnow(), limit)


def _unmarked(teacher_id, now):
    """The condition of unmarked(): confirmed, started, no mark."""
    return ((Lesson.status == Lesson.CONFIRMED) & (Lesson.teacher == teacher_id)
            & (Lesson.start <= now) & Lesson.attendance.is_null())


# unmarked() counted, its SQL built once (the home page asks on every visit).
_UNMARKED_COUNT = Prepared(lambda teacher_id, now, limit: Select(
    [Lesson.select(SQL("1")).where(_unmarked(teacher_id, now)).limit(limit).alias("unmarked")],
    [fn.COUNT(SQL("*"))]))


def unmarked(teacher, now=None):
    """The teacher's confirmed lessons that have started and carry no mark yet, oldest
    first."""
    return Lesson.select().where(_unmarked(teacher.id, now or utcnow())).order_by(Lesson.start)


# --- payments -------------------------------------------------------------------------

def clean_amount(value):
    """The amount as Decimal with two places, or InvalidPayment. Text is read as
    money.parse_amount reads it ("2 000,50"; "2,000" is refused, not taken as 2)."""
    try:
        amount = (money_text.parse_amount(value) if isinstance(value, str)
                  else Decimal(str(value)))
    except (money_text.InvalidAmount, ArithmeticError, ValueError):
        raise InvalidPayment("amount", "not a number") from None
    if not amount.is_finite() or amount <= 0 or amount > MAX_AMOUNT:
        raise InvalidPayment("amount", f"more than 0 and at most {MAX_AMOUNT}")
    if amount != amount.quantize(CENT):
        raise InvalidPayment("amount", "at most two decimal places")
    return amount.quantize(CENT)


def record_payment(actor, student, amount, paid_on, note="", now=None):
    """Record that `student` paid `amount` on the day `paid_on` (the teacher's zone).
    Raises NotAllowed, NotAStudent or InvalidPayment. Returns the Payment."""
    if actor is None or not actor.is_teacher:
        raise NotAllowed("only the teacher records payments")
    if student is None or student.role != User.STUDENT:
        raise NotAStudent(getattr(student, "id", None))
    amount = clean_amount(amount)
    if not isinstance(paid_on, date) or isinstance(paid_on, datetime):
        raise InvalidPayment("paid_on", "a day")
    if paid_on < EARLIEST or paid_on > zones.teacher_today(actor, now):
        raise InvalidPayment("paid_on", "not in the future")
    note = " ".join((note or "").split())
    if len(note) > MAX_NOTE:
        raise InvalidPayment("note", f"at most {MAX_NOTE} characters")
    with db.database.atomic():
        payment = Payment.create(student=student.id, teacher=actor.id, amount=amount,
                                 paid_on=paid_on, note=note, created_by=actor.id,
                                 created_at=now or utcnow())
        audit.record(actor, "payment.record", student,
                     after={"payment": payment.id, "amount": amount, "paid_on": paid_on,
                            "note": note})
    return payment


def delete_payment(actor, payment):
    """Delete a payment recorded by mistake. Raises NotAllowed or PaymentNotFound."""
    if actor is None or not actor.is_teacher:
        raise NotAllowed("only the teacher deletes payments")
    with db.database.atomic():
        current = Payment.get_or_none(Payment.id == payment.id)
        if current is None:
            raise PaymentNotFound(payment.id)
        current.delete_instance()
        audit.record(actor, "payment.delete", User(id=current.student_id),
                     before={"payment": current.id, "amount": money(current.amount),
                             "paid_on": current.paid_on, "note": current.note})
    return current


# --- balances -------------------------------------------------------------------------

@dataclass(frozen=True)
class Account:
    """A student's money: what they paid, what their lessons cost, the difference."""

    paid: Decimal = Decimal("0.00")
    charged: Decimal = Decimal("0.00")

    @property
    def balance(self):
        return self.paid - self.charged

    @property
    def in_debt(self):
        return self.balance < 0


def money(value):
    """A database sum as Decimal cents (SQLite sums NUMERIC columns as floats)."""
    return Decimal(str(value or 0)).quantize(CENT)


def charged_lessons():
    """The condition for lessons that count against a balance."""
    return (Lesson.status == Lesson.CONFIRMED) & Lesson.attendance.in_(list(Lesson.CHARGED))


def account(student, as_of=None, teacher=None):
    """The student's Account up to the end of the day `as_of` (None: everything so
    far), in two queries."""
    payments = Payment.select(fn.SUM(Payment.amount)).where(Payment.student == student.id)
    charges = Lesson.select(fn.SUM(Lesson.price)).where((Lesson.student == student.id)
                                                        & charged_lessons())
    if as_of is not None:
        end = zones.day_start(as_of + timedelta(days=1), zones.teacher_zone(teacher))
        payments = payments.where(Payment.paid_on <= as_of)
        charges = charges.where(Lesson.start < end)
    return Account(paid=money(payments.scalar()), charged=money(charges.scalar()))


def balance(student, as_of=None, teacher=None):
    """Payments minus the price of attended and late-cancelled lessons (see account)."""
    return account(student, as_of, teacher).balance


def paid_subquery():
    """SUM of the payments of the outer query's User row, 0 for none."""
    return (Payment
            .select(fn.COALESCE(fn.SUM(Payment.amount), 0))
            .where(Payment.student == User.id))


def charged_subquery():
    """SUM of the charged lessons' prices of the outer query's User row, 0 for none:
    read from the (student, status, attendance, price) index alone, seeking only the
    charged entries (a test checks the plan on both databases)."""
    return (Lesson
            .select(fn.COALESCE(fn.SUM(Lesson.price), 0))
            .where((Lesson.student == User.id) & charged_lessons()))


def balance_expression(paid=None, charged=None):
    """paid − charged for the outer query's User row, in SQL (a plain `-` between
    two queries would be EXCEPT)."""
    paid = paid_subquery() if paid is None else paid
    charged = charged_subquery() if charged is None else charged
    return Expression(paid, "-", charged)


def charged_by_student():
    """Each student's charged lessons summed, one row per student who has any:
    (student_id, charged). The status is tested inside the sum, not in the WHERE:
    there SQLite (which keeps no statistics here) would seek the (status, start) index
    and group every confirmed lesson through a temporary B-tree, three times slower
    than reading the (student, status, attendance, price) index in student order,
    which this does on SQLite; PostgreSQL scans and hashes."""
    charged = Case(None, [(Lesson.status == Lesson.CONFIRMED, Lesson.price)], 0)
    return (Lesson
            .select(Lesson.student.alias("student_id"), fn.SUM(charged).alias("charged"))
            .where(Lesson.attendance.in_(list(Lesson.CHARGED)))
            .group_by(Lesson.student))


def paid_by_student():
    """Each student's payments summed, one row per student who paid: (student_id, paid)."""
    return (Payment
            .select(Payment.student.alias("student_id"), fn.SUM(Payment.amount).alias("paid"))
            .group_by(Payment.student))


def debtors():
    """The query of debts(): the sums grouped once over the charged lessons and over
    the payments, joined to the students, rather than two sums correlated with each
    student (evaluated again for each debtor's columns and order)."""
    charged = charged_by_student().alias("charged_sums")
    paid = paid_by_student().alias("paid_sums")
    paid_sum = fn.COALESCE(paid.c.paid, 0)
    return (User
            .select(User.id, User.first_name, User.last_name, User.login,
                    paid_sum.alias("paid"), charged.c.charged.alias("charged"))
            .join(charged, on=(charged.c.student_id == User.id))
            .join(paid, JOIN.LEFT_OUTER, on=(paid.c.student_id == User.id))
            .where((User.role == User.STUDENT) & (paid_sum < charged.c.charged))
            .order_by((paid_sum - charged.c.charged).asc(), User.id)
            .tuples())


class Debtor(NamedTuple):
    id: int
    full_name: str
    login: str
    paid: Decimal
    charged: Decimal

    @property
    def balance(self):
        return self.paid - self.charged


def debts():
    """Every student whose balance is below zero as a Debtor, the largest debt first.
    Its sums run over the whole history (4 ms at 100,000 lessons), so the list is kept
    in this process under the debts' counter, which every write to what it shows
    raises (services/changes.debts_version, read before the list)."""
    version = changes.debts_version()
    kept = current_app.extensions.get("kept_debts")
    if kept is not None and version is not None and kept[0] == version:
        return kept[1]
    found = tuple(Debtor(id, person_name(first, last), login, money(paid), money(charged))
                  for id, first, last, login, paid, charged in debtors())
    if version is not None:
        current_app.extensions["kept_debts"] = (version, found)
    return found


class Closing:
    """The balance after a period: the one before it (`opening`), plus the payments in
    it (`paid`), minus the lessons charged (`charged`). Movement and the monthly
    report's rows and totals add up by this."""

    @property
    def closing(self):
        return self.opening + self.paid - self.charged


@dataclass(frozen=True)
class Movement(Closing):
    """One student's money over a period: the balance before it, the payments and
    charges in it, and the balance after (which adds up by construction)."""

    student_id: int
    opening: Decimal
    paid: Decimal
    charged: Decimal


def movements(teacher, first_day, last_day):
    """A Movement for every student with money before or within the days
    first_day..last_day (inclusive, the teacher's zone) whose lessons are with
    `teacher`, or who paid `teacher`: two grouped queries."""
    zone = zones.teacher_zone(teacher)
    start, end = zones.day_start(first_day, zone), zones.day_start(last_day + timedelta(days=1),
                                                                    zone)
    before = Payment.paid_on < first_day
    within = (Payment.paid_on >= first_day) & (Payment.paid_on <= last_day)
    paid = (Payment
            .select(Payment.student,
                    fn.SUM(Case(None, [(before, Payment.amount)], 0)),
                    fn.SUM(Case(None, [(within, Payment.amount)], 0)))
            .where((Payment.teacher == teacher.id) & (Payment.paid_on <= last_day))
            .group_by(Payment.student)
            .tuples())
    earlier = Lesson.start < start
    charged = (Lesson
               .select(Lesson.student,
                       fn.SUM(Case(None, [(earlier, Lesson.price)], 0)),
                       fn.SUM(Case(None, [(~earlier, Lesson.price)], 0)))
               .where((Lesson.teacher == teacher.id) & charged_lessons()
                      & (Lesson.start < end))
               .group_by(Lesson.student)
               .tuples())
    figures = {}
    for student_id, old, new in paid:
        figures.setdefault(student_id, [Decimal(0)] * 4)[0:2] = [money(old), money(new)]
    for student_id, old, new in charged:
        figures.setdefault(student_id, [Decimal(0)] * 4)[2:4] = [money(old), money(new)]
    return {student_id: Movement(student_id, opening=paid_before - charged_before,
                                 paid=paid_within, charged=charged_within)
            for student_id, (paid_before, paid_within, charged_before, charged_within)
            in figures.items()}
