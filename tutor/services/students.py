"""The teacher's students: the list, one student's figures and lessons, edits,
passwords, deactivation and deletion. Every change writes one audit entry
(services/audit.py) in the same transaction.

Decided rules (the tests pin each one):
- Only students are administered here: a teacher passed as a student is NotAStudent.
- Deactivation stops mass messages and logs the student out on every device (as
  when a student deactivates themselves); logging in makes them active again.
- A student's e-mail is kept as typed whatever their channel, and is required for
  the e-mail channel. Changing the login or the channel tells the student, as
  changing them in the profile does; a password reset tells them too (without the
  password, which the teacher hands over).
- Deleting a student deletes their lessons (the database cascades); their outbox
  messages stay, without the name. Nobody is told.
"""
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from peewee import JOIN, SQL, Case, Ordering, fn

from tutor.database import Prepared, exclusive
from tutor.extensions import db
from tutor.models import Goal, Lesson, LoginSession, Message, User, person_name, utcnow
from tutor.services import accounts, audit, balances, notify
from tutor.services.accounts import NewCredentials
from tutor.services.errors import AdminError
from tutor.services.pages import PER_PAGE, Page, page_of
from tutor.services.passwords import hash_password, random_password
from tutor.services.text_search import words_match

PROFILE_FIELDS = ("first_name", "last_name", "login", "email", "channel", "goal",
                  "timezone", "inactive_since")


class NotAStudent(AdminError):
    """The user is the teacher (or gone): administered here are students only."""


class EmailRequired(AdminError):
    field = "email"


class InvalidChannel(AdminError):
    field = "channel"


class NothingSelected(AdminError):
    """A mass action with no student in it."""


ACTIVE, INACTIVE, EVERYONE = "active", "inactive", "all"
STATUSES = (EVERYONE, ACTIVE, INACTIVE)
SORTS = ("name", "last_login", "lessons", "paid", "balance")


@dataclass(frozen=True)
class StudentFilter:
    search: str = ""
    status: str = EVERYONE

    def where(self):
        condition = User.role == User.STUDENT
        if self.status == ACTIVE:
            condition &= User.inactive_since.is_null()
        elif self.status == INACTIVE:
            condition &= User.inactive_since.is_null(False)
        words = words_match(self.search)
        return condition if words is None else condition & words


def _lesson_count():
    return (Lesson
            .select(fn.COUNT(Lesson.id))
            .where(Lesson.student == User.id))


class Listed(NamedTuple):
    """A student as the list shows them (admin/partials/_students.html): plain values,
    not a model row (building 50 models cost more than the statement, bench/RESULTS.md)."""
    id: int
    login: str
    full_name: str
    channel: str
    goal_name: str | None
    last_login_at: datetime | None
    inactive_since: datetime | None
    lesson_count: int
    paid: Decimal  # their payments
    charged: Decimal  # attended and late-cancelled lessons

    @property
    def balance(self):
        return self.paid - self.charged


# One statement for a page of any length: the ids are padded with NULL, which matches
# no row, so its SQL is built once (building it cost twice what running it does).
_LISTED = Prepared(lambda *ids: (
    User
    .select(User.id, User.login, User.first_name, User.last_name, User.channel, Goal.name,
            User.last_login_at, User.inactive_since, _lesson_count(),
            balances.paid_subquery(), balances.charged_subquery())
    .join(Goal, JOIN.LEFT_OUTER, on=(User.goal == Goal.id))
    .where(User.id.in_(list(ids)))))


def _listed(ids):
    """The students `ids` as Listed, in that order."""
    database, found = db.database, {}
    for at in range(0, len(ids), PER_PAGE):
        chunk = ids[at:at + PER_PAGE]
        padded = chunk + [None] * (PER_PAGE - len(chunk))
        for (id_, login, first, last, channel, goal, last_login, inactive, lessons, paid,
             charged) in database.execute_sql(*_LISTED.sql(database, *padded)):
            found[id_] = Listed(
                id_, login, person_name(first, last), channel, goal,
                User.last_login_at.python_value(last_login),
                User.inactive_since.python_value(inactive),
                lessons, balances.money(paid), balances.money(charged))
    return [found[id_] for id_ in ids]


def student_list(search_filter, sort="name", descending=False, page=1, per_page=PER_PAGE):
    """A Page of Listed students matching `search_filter`, in the order asked: the
    page's ids and the number of matches in one statement (the search runs once, and
    the figures are summed for one page of students, not for every match), then their
    rows in another."""
    order = {
        "last_login": [User.last_login_at],
        "lessons": [_lesson_count()],
        "paid": [balances.paid_subquery()],
        "balance": [balances.balance_expression()],
    }.get(sort, [User.last_name, User.first_name, User.login])
    nulls = "LAST" if sort == "last_login" else None  # never logged in: at the end
    order_by = [Ordering(e, "DESC" if descending else "ASC", nulls=nulls) for e in order]
    where = search_filter.where()
    number = max(1, int(page or 1))
    on_page = list(User
                   .select(User.id, fn.COUNT(SQL("*")).over())
                   .where(where)
                   .order_by(*order_by, User.id)
                   .paginate(number, per_page)
                   .tuples())
    if on_page:
        total = on_page[0][1]
    else:  # past the last page, or nobody
        total = User.select().where(where).count() if number > 1 else 0
    return Page(_listed([row[0] for row in on_page]), number, per_page, total)


def get_student(student_id):
    """The student with this id, or NotAStudent."""
    student = (User
               .select(User, Goal)
               .join(Goal, JOIN.LEFT_OUTER, on=(User.goal == Goal.id))
               .where((User.id == student_id) & (User.role == User.STUDENT))
               .first())
    if student is None:
        raise NotAStudent(student_id)
    return student


@dataclass(frozen=True)
class Totals:
    lessons: int = 0
    confirmed: int = 0
    pending: int = 0
    upcoming: int = 0
    hours: Decimal = Decimal(0)
    worth: Decimal = Decimal(0)  # the prices of the confirmed lessons
    paid: Decimal = Decimal(0)  # the student's payments
    charged: Decimal = Decimal(0)  # attended and late-cancelled lessons

    @property
    def balance(self):
        return self.paid - self.charged


def student_totals(student, now=None):
    """Counts and sums over all of the student's lessons and payments: the lessons in
    one query, their lengths in another, the account (services/balances.py) in two."""
    now = now or utcnow()
    confirmed = Lesson.status == Lesson.CONFIRMED
    row = (Lesson
           .select(fn.COUNT(Lesson.id).alias("lessons"),
                   fn.SUM(Case(None, [(confirmed, 1)], 0)).alias("confirmed"),
                   fn.SUM(Case(None, [(Lesson.start > now, 1)], 0)).alias("upcoming"),
                   fn.SUM(Case(None, [(confirmed, Lesson.price)], 0)).alias("worth"))
           .where(Lesson.student == student.id)
           .dicts()
           .get())
    minutes = sum((lesson.end - lesson.start).total_seconds() / 60 for lesson in (
        Lesson.select(Lesson.start, Lesson.end).where((Lesson.student == student.id)
                                                      & confirmed)))
    count = row["lessons"] or 0
    confirmed_count = row["confirmed"] or 0
    account = balances.account(student)
    return Totals(lessons=count, confirmed=confirmed_count, pending=count - confirmed_count,
                  upcoming=row["upcoming"] or 0,
                  hours=(Decimal(minutes) / 60).quantize(Decimal("0.01")),
                  worth=balances.money(row["worth"]), paid=account.paid,
                  charged=account.charged)


def student_lessons(student, page=1, per_page=PER_PAGE):
    """The student's lessons, newest first."""
    query = (Lesson
             .select()
             .where(Lesson.student == student.id)
             .order_by(Lesson.start.desc(), Lesson.id.desc()))
    return page_of(query, page, per_page)


def _profile(student):
    return audit.snapshot(student, only=PROFILE_FIELDS)


def _require_student(user):
    if user is None or user.role != User.STUDENT:
        raise NotAStudent(getattr(user, "id", None))


def update_student(actor, student, *, first_name, last_name, login, email, channel,
                   goal_id, timezone):
    """Change a student's names, login, e-mail, channel, goal and time zone (None: the
    teacher's). Raises NotAStudent, InvalidLogin, LoginTaken, EmailMalformed,
    EmailTaken, EmailRequired or InvalidChannel; nothing changes then. A changed login
    or channel is announced to the student. Returns the saved student."""
    _require_student(student)
    if channel not in User.CHANNELS:
        raise InvalidChannel(channel)
    email = (email or "").strip().lower() or None
    if channel == User.EMAIL and not email:
        raise EmailRequired()
    with exclusive(db.database, "accounts"):
        current = User.get_by_id(student.id)
        before = _profile(current)
        login = accounts.check_login(login, user=current)
        if email:
            accounts.check_email_free(email, user=current)
        goal = (current.goal_id if goal_id == current.goal_id
                else Goal.get_or_none(Goal.id == goal_id) if goal_id else None)
        User.update(first_name=(first_name or "").strip(), last_name=(last_name or "").strip(),
                    login=login, email=email, channel=channel,
                    digest_time=current.digest_time if channel != User.NO_CHANNEL else None,
                    goal=goal, timezone=accounts.valid_timezone(timezone),
                    ).where(User.id == current.id).execute()
        fresh = User.get_by_id(current.id)
        old, new = audit.changes(before, _profile(fresh))
        if new:
            audit.record(actor, "student.update", fresh, before=old, after=new)
        if current.login != fresh.login:
            notify.enqueue(fresh, "login_changed", {"old_login": current.login})
        if (current.channel, current.address) != (fresh.channel, fresh.address) \
                and current.address:
            notify.enqueue(fresh, "channel_changed", {"new_channel": fresh.channel},
                           channel=current.channel, address=current.address)
        notify.deliver_waiting(fresh)
    return fresh


def reset_password(actor, student):
    """Give the student a new random password and log them out everywhere. Returns
    NewCredentials: the only time the password exists in clear."""
    _require_student(student)
    password = random_password()
    with db.database.atomic():
        User.update(password_hash=hash_password(password),
                    ).where(User.id == student.id).execute()
        accounts.end_sessions(student)
        fresh = User.get_by_id(student.id)
        audit.record(actor, "student.password_reset", fresh)
        notify.enqueue(fresh, "password_changed")
    return NewCredentials(fresh.login, password)


def deactivate_student(actor, student, now=None):
    """Stop mass messages to the student until they log in. Returns whether anything
    changed (an inactive student stays as they are)."""
    _require_student(student)
    with db.database.atomic():
        changed = (User
                   .update(inactive_since=now or utcnow())
                   .where((User.id == student.id) & User.inactive_since.is_null())
                   .execute())
        if changed:
            accounts.end_sessions(student)
            audit.record(actor, "student.deactivate", student,
                         before={"inactive_since": None},
                         after=audit.snapshot(User.get_by_id(student.id),
                                              only=["inactive_since"]))
    return bool(changed)


def reactivate_student(actor, student):
    _require_student(student)
    with db.database.atomic():
        before = audit.snapshot(User.get_by_id(student.id), only=["inactive_since"])
        changed = (User
                   .update(inactive_since=None)
                   .where((User.id == student.id) & User.inactive_since.is_null(False))
                   .execute())
        if changed:
            audit.record(actor, "student.reactivate", student, before=before,
                         after={"inactive_since": None})
    return bool(changed)


@dataclass(frozen=True)
class Selection:
    """Students picked for a mass action: the ticked ids, or everybody matching a
    filter (`ids` None)."""

    ids: tuple = None
    filter: StudentFilter = field(default_factory=StudentFilter)

    def where(self):
        if self.ids is not None:
            return (User.role == User.STUDENT) & User.id.in_(list(self.ids))
        return self.filter.where()


def to_deactivate(selection):
    """The active students of the selection, by name."""
    return (User
            .select()
            .where(selection.where() & User.inactive_since.is_null())
            .order_by(User.last_name, User.first_name, User.login))


def deactivate_students(actor, selection, now=None):
    """Deactivate every active student in `selection` at once; one audit entry names
    them all. Returns how many. Raises NothingSelected for an empty tick list."""
    if selection.ids is not None and not selection.ids:
        raise NothingSelected()
    now = now or utcnow()
    with db.database.atomic():
        ids = [row.id for row in to_deactivate(selection).select(User.id)]
        if not ids:
            return 0
        (User
         .update(inactive_since=now)
         .where(selection.where() & User.inactive_since.is_null())
         .execute())
        LoginSession.delete().where(LoginSession.user.in_(ids)).execute()
        how = ({"ids": list(selection.ids)} if selection.ids is not None
               else {"search": selection.filter.search, "status": selection.filter.status})
        audit.record(actor, "students.deactivate", None, before={"selection": how},
                     after={"students": ids, "count": len(ids),
                            "inactive_since": str(now)})
    return len(ids)


@dataclass(frozen=True)
class DeletionImpact:
    lessons: int
    upcoming: int
    confirmed: int
    worth: Decimal  # the prices of the confirmed lessons
    paid: Decimal  # the payments, deleted with the student
    messages: int


def deletion_impact(student, now=None):
    totals = student_totals(student, now)
    messages = Message.select().where(Message.user == student.id).count()
    return DeletionImpact(totals.lessons, totals.upcoming, totals.confirmed, totals.worth,
                          totals.paid, messages)


def delete_student(actor, student):
    """Delete the student and (by cascade) their lessons. Returns the DeletionImpact."""
    _require_student(student)
    with db.database.atomic():
        impact = deletion_impact(student)
        before = _profile(User.get_by_id(student.id))
        before.update(lessons=impact.lessons, upcoming_lessons=impact.upcoming,
                      worth=str(impact.worth), paid=str(impact.paid))
        User.delete().where(User.id == student.id).execute()
        audit.record(actor, "student.delete", student, before=before)
    return impact
