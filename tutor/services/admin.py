"""The teacher's administration: students (list, profile, edits, passwords,
deactivation, deletion), the lesson list, learning goals and broadcasts.

Plain functions with explicit arguments raising the named errors below; every change
writes one audit entry (services/audit.py) in the same transaction. Lists come back
as a Page: one query for the rows, one for the total, however much data there is.

Decided rules (the tests pin each one):
- Only students are administered here: a teacher passed as a student is NotAStudent.
- Search is case-insensitive in any alphabet: every word of the query must occur in
  the first name, last name, login or e-mail. SQLite's own LOWER() and LIKE fold ASCII
  only, so on SQLite both sides go through Python's str.lower (a function registered
  on the connection); PostgreSQL's LOWER() folds Cyrillic (a UTF-8 LC_CTYPE).
- Deactivation stops mass messages and logs the student out on every device (as
  when a student deactivates themselves); logging in makes them active again.
- A student's e-mail is kept as typed whatever their channel, and is required for
  the e-mail channel. Changing the login or the channel tells the student, as
  changing them in the profile does; a password reset tells them too (without the
  password, which the teacher hands over).
- Deleting a student deletes their lessons (the database cascades); their outbox
  messages stay, without the name. Nobody is told.
- A retired goal stays on the students who have it; only registration and the
  profile stop offering it. Goals are ordered by position, renumbered 0..n-1 on move.
- A broadcast goes to every active student with a channel (inactive_since is None,
  channel is not "none"), through the outbox; the same text sent again by the same
  teacher within BROADCAST_REPEAT_WINDOW is refused (a double click, a reload).
"""
import math
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from functools import reduce
from operator import and_, or_

from peewee import JOIN, SQL, Case, Value, fn

from tutor.database import backend, exclusive
from tutor.extensions import db
from tutor.models import (AuditEntry, Broadcast, Goal, Lesson, LoginSession, Message, User,
                          utcnow)
from tutor.services import accounts, audit, balances, booking, notify, zones
from tutor.services.accounts import NewCredentials
from tutor.services.passwords import hash_password, random_password

PER_PAGE = 50
MAX_GOAL_NAME = 200
MAX_SUBJECT = 200
MAX_BODY = 5000
BROADCAST_REPEAT_WINDOW = timedelta(minutes=10)
PROFILE_FIELDS = ("first_name", "last_name", "login", "email", "channel", "goal",
                  "timezone", "inactive_since")


class AdminError(Exception):
    """Base of the errors below; `field` names the form field to show it at."""

    field = None


class NotAStudent(AdminError):
    """The user is the teacher (or gone): administered here are students only."""


class EmailRequired(AdminError):
    field = "email"


class InvalidChannel(AdminError):
    field = "channel"


class InvalidGoalName(AdminError):
    field = "name"


class GoalExists(AdminError):
    field = "name"


class InvalidBroadcast(AdminError):
    def __init__(self, field, message):
        super().__init__(f"{field}: {message}")
        self.field = field


class RepeatedBroadcast(AdminError):
    """The same text went out moments ago."""


class NothingSelected(AdminError):
    """A mass action with no student in it."""


# --- case-insensitive text, on both databases -----------------------------------------

SQLITE_LOWER = "tutor_lower"


def install_functions(database):
    """Register the Unicode lower-casing SQLite lacks (idempotent; every connection
    opened afterwards gets it). Called when the admin blueprint is registered, before
    any request thread opens a connection; a no-op on PostgreSQL."""
    database = getattr(database, "obj", database)
    if backend(database) == "sqlite" and SQLITE_LOWER not in database._functions:
        database.register_function(_lower, SQLITE_LOWER, 1, deterministic=True)


def _lower(value):
    return value.lower() if isinstance(value, str) else value


def fold(expression):
    """`expression` lower-cased by the database, Cyrillic included."""
    if backend(db.database) == "sqlite":
        install_functions(db.database)  # a safety net for a process without the blueprint
        return getattr(fn, SQLITE_LOWER)(expression)
    return fn.LOWER(expression)


# Stored lower-case already: matched as they are, without a Python call per row on
# SQLite (bench/load.py measured the student search spending most of its time there).
LOWER_CASE_FIELDS = (User.login, User.email)


def _words_match(text, fields):
    """Each word of `text` occurs (any case) in one of `fields`; None for no words.
    The fields that need folding are folded together, joined by a space (a word has
    none), so SQLite calls Python once per row, not once per field."""
    words = (text or "").lower().split()
    if not words:
        return None
    plain = [f for f in fields if any(f is lower for lower in LOWER_CASE_FIELDS)]
    mixed = [f for f in fields if not any(f is lower for lower in LOWER_CASE_FIELDS)]
    searched = plain + ([fold(reduce(lambda a, b: a.concat(" ").concat(b), mixed))]
                        if mixed else [])
    return reduce(and_, [reduce(or_, [f.contains(word) for f in searched]) for word in words])


# --- pages ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Page:
    items: list
    number: int
    per_page: int
    total: int

    @property
    def count(self):
        return max(1, math.ceil(self.total / self.per_page))

    def numbers(self, show=7):
        """Up to `show` page numbers around the current one."""
        start = max(1, min(self.number - show // 2, self.count - show + 1))
        return list(range(start, min(start + show, self.count + 1)))


def _page(query, number, per_page, total=None):
    number = max(1, int(number or 1))
    total = query.count() if total is None else total
    return Page(list(query.paginate(number, per_page)), number, per_page, total)


# --- students ---------------------------------------------------------------------------

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
        words = _words_match(self.search, (User.first_name, User.last_name, User.login,
                                           User.email))
        return condition if words is None else condition & words


def _lesson_count():
    return (Lesson
            .select(fn.COUNT(Lesson.id))
            .where(Lesson.student == User.id))


def student_list(search_filter, sort="name", descending=False, page=1, per_page=PER_PAGE):
    """A Page of students matching `search_filter`, each with `goal` loaded and
    `lesson_count`, `paid` (their payments), `charged` (attended and late-cancelled
    lessons) and `balance` computed: two queries, the rows and the total."""
    lessons = _lesson_count().alias("lesson_count")
    paid_sum, charged_sum = balances.paid_subquery(), balances.charged_subquery()
    order = {
        "last_login": [User.last_login_at],
        "lessons": [SQL('"lesson_count"')],
        "paid": [SQL('"paid"')],
        "balance": [balances.balance_expression(balances.paid_subquery(),
                                                balances.charged_subquery())],
    }.get(sort, [User.last_name, User.first_name, User.login])
    nulls = "LAST" if sort == "last_login" else None  # never logged in: at the end
    order_by = [e.desc(nulls=nulls) if descending else e.asc(nulls=nulls) for e in order]
    query = (User
             .select(User, Goal, lessons, paid_sum.alias("paid"), charged_sum.alias("charged"))
             .join(Goal, JOIN.LEFT_OUTER, on=(User.goal == Goal.id))
             .where(search_filter.where())
             .order_by(*order_by, User.id))
    total = User.select().where(search_filter.where()).count()
    if sort in ("name", "last_login"):
        # Sorted by the students' own columns: pick the page's students first, so the
        # figures are summed for one page of them rather than for every match
        # (bench/load.py measured the search growing with the number of lessons).
        number = max(1, int(page or 1))
        on_page = (User
                   .select(User.id)
                   .where(search_filter.where())
                   .order_by(*order_by, User.id)
                   .paginate(number, per_page))
        result = Page(list(query.where(User.id.in_(on_page))), number, per_page, total)
    else:
        result = _page(query, page, per_page, total)
    for student in result.items:
        student.paid = balances.money(student.paid)
        student.charged = balances.money(student.charged)
        student.balance = student.paid - student.charged
    return result


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
    return _page(query, page, per_page)


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


# --- lessons ----------------------------------------------------------------------------

UNMARKED = "unmarked"


@dataclass(frozen=True)
class LessonFilter:
    first_day: object = None  # dates in `zone`, inclusive; None: no bound
    last_day: object = None
    status: str = ""  # "", Lesson.PENDING, Lesson.CONFIRMED or UNMARKED
    student: str = ""  # words of the student's name or login
    zone: str = "Europe/Moscow"

    def where(self, teacher):
        condition = Lesson.teacher == teacher.id
        if self.first_day:
            condition &= Lesson.start >= zones.day_start(self.first_day, self.zone)
        if self.last_day:
            condition &= Lesson.start < zones.day_start(self.last_day + timedelta(days=1),
                                                        self.zone)
        if self.status in Lesson.STATUSES:
            condition &= Lesson.status == self.status
        elif self.status == UNMARKED:  # waiting for the teacher's attendance mark
            condition &= ((Lesson.status == Lesson.CONFIRMED) & (Lesson.start <= utcnow())
                          & Lesson.attendance.is_null())
        words = _words_match(self.student, (User.first_name, User.last_name, User.login))
        return condition if words is None else condition & words


def lesson_list(teacher, lesson_filter, page=1, per_page=PER_PAGE):
    """A Page of the teacher's lessons matching the filter, by start, each with its
    student loaded."""
    where = lesson_filter.where(teacher)
    query = (Lesson
             .select(Lesson, User)
             .join(User, on=(Lesson.student == User.id))
             .where(where)
             .order_by(Lesson.start, Lesson.id))
    total = (Lesson
             .select()
             .join(User, on=(Lesson.student == User.id))
             .where(where)
             .count())
    return _page(query, page, per_page, total)


def reject_lesson(actor, lesson, reason=""):
    """booking.reject_lesson, written to the audit log."""
    before = audit.snapshot(lesson)
    rejected = booking.reject_lesson(actor, lesson, reason)
    audit.record(actor, "lesson.reject", rejected, before=before, after={"reason": reason})
    return rejected


def cancel_lesson(actor, lesson, reason=""):
    """booking.cancel_lesson, written to the audit log."""
    before = audit.snapshot(lesson)
    cancelled = booking.cancel_lesson(actor, lesson, reason)
    audit.record(actor, "lesson.cancel", cancelled, before=before, after={"reason": reason})
    return cancelled


# --- learning goals ---------------------------------------------------------------------

def goals_overview():
    """Every goal, retired ones too, in order, each with `student_count`."""
    return list(Goal
                .select(Goal, fn.COUNT(User.id).alias("student_count"))
                .join(User, JOIN.LEFT_OUTER, on=(User.goal == Goal.id))
                .group_by(Goal.id)
                .order_by(Goal.position, Goal.id))


def _goal_name(name, exclude=None):
    name = " ".join((name or "").split())
    if not name or len(name) > MAX_GOAL_NAME:
        raise InvalidGoalName(name)
    others = Goal.select(Goal.name)
    if exclude is not None:
        others = others.where(Goal.id != exclude.id)
    if name.lower() in {goal.name.lower() for goal in others}:
        raise GoalExists(name)
    return name


def create_goal(actor, name):
    """A new goal at the end of the list. Raises InvalidGoalName or GoalExists."""
    with exclusive(db.database, "goals"):
        name = _goal_name(name)
        last = Goal.select(fn.MAX(Goal.position)).scalar()
        goal = Goal.create(name=name, position=(last + 1) if last is not None else 0)
        audit.record(actor, "goal.create", goal, after=audit.snapshot(goal))
    return goal


def rename_goal(actor, goal, name):
    with exclusive(db.database, "goals"):
        name = _goal_name(name, exclude=goal)
        before = audit.snapshot(goal, only=["name"])
        Goal.update(name=name).where(Goal.id == goal.id).execute()
        goal = Goal.get_by_id(goal.id)
        if before["name"] != name:
            audit.record(actor, "goal.rename", goal, before=before, after={"name": name})
    return goal


def move_goal(actor, goal, offset):
    """Move the goal `offset` places (-1 up, +1 down) in the list; at an end it stays.
    Returns whether it moved."""
    with exclusive(db.database, "goals"):
        order = list(Goal.select().order_by(Goal.position, Goal.id))
        index = next((i for i, g in enumerate(order) if g.id == goal.id), None)
        target = index + offset if index is not None else -1
        if not 0 <= target < len(order):
            return False
        order[index], order[target] = order[target], order[index]
        for position, item in enumerate(order):
            if item.position != position:
                Goal.update(position=position).where(Goal.id == item.id).execute()
        audit.record(actor, "goal.move", goal, before={"position": index},
                     after={"position": target})
    return True


def retire_goal(actor, goal):
    return _set_retired(actor, goal, True)


def restore_goal(actor, goal):
    return _set_retired(actor, goal, False)


def _set_retired(actor, goal, retired):
    with db.database.atomic():
        changed = (Goal
                   .update(retired=retired)
                   .where((Goal.id == goal.id) & (Goal.retired != retired))
                   .execute())
        if changed:
            audit.record(actor, "goal.retire" if retired else "goal.restore", goal,
                         before={"retired": not retired}, after={"retired": retired})
    return Goal.get_by_id(goal.id)


# --- broadcasts -------------------------------------------------------------------------

def broadcast_recipients():
    """Who a broadcast reaches: every active student, in their inbox in the app and
    on their channel if they have one."""
    return (User
            .select()
            .where((User.role == User.STUDENT)
                   & User.inactive_since.is_null())
            .order_by(User.id))


def check_broadcast(subject, body):
    """The cleaned (subject, body); InvalidBroadcast names the bad field."""
    subject = " ".join((subject or "").split())
    body = (body or "").strip().replace("\r\n", "\n")
    if not subject or len(subject) > MAX_SUBJECT:
        raise InvalidBroadcast("subject", f"1 to {MAX_SUBJECT} characters")
    if not body or len(body) > MAX_BODY:
        raise InvalidBroadcast("body", f"1 to {MAX_BODY} characters")
    return subject, body


def send_broadcast(teacher, subject, body, now=None):
    """Write the message to the outbox for every recipient, in one transaction, with
    the key broadcast:<id>:<user id>. Raises InvalidBroadcast or RepeatedBroadcast.
    Returns the Broadcast with `recipients` set."""
    now = now or utcnow()
    subject, body = check_broadcast(subject, body)
    with exclusive(db.database, f"broadcast:{teacher.id}"):
        repeated = (Broadcast
                    .select()
                    .where((Broadcast.teacher == teacher.id)
                           & (Broadcast.subject == subject)
                           & (Broadcast.body == body)
                           & (Broadcast.created_at > now - BROADCAST_REPEAT_WINDOW))
                    .exists())
        if repeated:
            raise RepeatedBroadcast()
        broadcast = Broadcast.create(teacher=teacher.id, subject=subject, body=body,
                                     created_at=now)
        context = {"subject": subject, "body": body,
                   "teacher_name": teacher.full_name or teacher.login}
        written = 0
        for user in broadcast_recipients():
            if notify.enqueue(user, "broadcast", context,
                              key=f"{broadcast.key_prefix}{user.id}") is not None:
                written += 1
        broadcast.recipients = written
        broadcast.save()
        audit.record(teacher, "broadcast.send", broadcast,
                     after={"subject": subject, "recipients": written})
    return broadcast


@dataclass(frozen=True)
class BroadcastReport:
    broadcast: Broadcast
    sent: int = 0
    waiting: int = 0  # pending, being sent, or held for a Telegram link
    failed: int = 0
    in_app: int = 0  # no outside channel: in the inbox only


def broadcast_history(page=1, per_page=20):
    """A Page of BroadcastReports, newest first: two queries for the page and one
    for the delivery counts of all its broadcasts."""
    broadcasts = _page(Broadcast.newest(), page, per_page)
    ids = [b.id for b in broadcasts.items]
    counts = {}
    if ids:
        key_pattern = (Value("broadcast:")
                       .concat(Broadcast.id.cast("TEXT"))
                       .concat(Value(":%")))
        rows = (Broadcast
                .select(Broadcast.id, Message.status, Message.channel,
                        fn.COUNT(Message.id).alias("n"))
                .join(Message, on=((Message.kind == "broadcast")
                                   & Message.idempotency_key ** key_pattern))
                .where(Broadcast.id.in_(ids))
                .group_by(Broadcast.id, Message.status, Message.channel)
                .tuples())
        for broadcast_id, status, channel, n in rows:
            if status == Message.HELD and channel == User.NO_CHANNEL:
                status = "in_app"
            by_status = counts.setdefault(broadcast_id, {})
            by_status[status] = by_status.get(status, 0) + n
    reports = []
    for broadcast in broadcasts.items:
        by_status = counts.get(broadcast.id, {})
        reports.append(BroadcastReport(
            broadcast, sent=by_status.get(Message.SENT, 0),
            failed=by_status.get(Message.FAILED, 0), in_app=by_status.get("in_app", 0),
            waiting=sum(by_status.get(s, 0) for s in (Message.PENDING, Message.SENDING,
                                                      Message.HELD))))
    return Page(reports, broadcasts.number, broadcasts.per_page, broadcasts.total)


# --- the audit log ----------------------------------------------------------------------

def audit_log(action=None, page=1, per_page=PER_PAGE):
    return _page(AuditEntry.newest(action), page, per_page)
