"""peewee models. Times are naive UTC datetimes; the viewer's zone is applied when
shown. The schema itself is built by the ordered files in migrations/, and a test
proves they build exactly what these classes describe."""
from datetime import datetime, timezone

from flask import current_app, has_app_context
from flask_login import UserMixin
from peewee import (
    JOIN,
    BigIntegerField,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    DecimalField,
    ForeignKeyField,
    IntegerField,
    IntegrityError,
    TextField,
    TimeField,
)

from tutor.database import Prepared
from tutor.extensions import db


def utcnow():
    return datetime.now(timezone.utc).replace(tzinfo=None)


class BaseModel(db.Model):
    pass


class Goal(BaseModel):
    """A learning goal from the teacher's list, offered at registration."""

    name = CharField(max_length=200)
    position = IntegerField(default=0)
    retired = BooleanField(default=False)

    class Meta:
        table_name = "goals"

    @classmethod
    def offered(cls):
        return (cls
                .select()
                .where(cls.retired == False)  # noqa: E712 (peewee expression)
                .order_by(cls.position, cls.id))


class User(UserMixin, BaseModel):
    TEACHER = "teacher"
    STUDENT = "student"
    ROLES = (TEACHER, STUDENT)

    EMAIL = "email"
    TELEGRAM = "telegram"
    NO_CHANNEL = "none"
    CHANNELS = (EMAIL, TELEGRAM, NO_CHANNEL)

    login = CharField(max_length=64, unique=True)  # stored lower-case
    password_hash = CharField(max_length=255)
    role = CharField(max_length=16, index=True)
    first_name = CharField(max_length=100, default="")
    last_name = CharField(max_length=100, default="")
    email = CharField(max_length=254, null=True, unique=True)  # stored lower-case
    telegram_chat_id = CharField(max_length=32, null=True)
    telegram_username = CharField(max_length=64, null=True, unique=True)  # lower-case, no @
    channel = CharField(max_length=16, default=NO_CHANNEL)
    digest_time = TimeField(null=True)
    goal = ForeignKeyField(Goal, null=True, backref="students", on_delete="SET NULL")
    timezone = CharField(max_length=64, null=True)  # None: the teacher's zone
    locale = CharField(max_length=8, null=True)  # None: the site default
    created_at = DateTimeField(default=utcnow)
    last_login_at = DateTimeField(null=True)
    inactive_since = DateTimeField(null=True)
    # Bumped to revoke every session of the user (password reset, admin reset).
    session_version = IntegerField(default=0)
    feed_version = IntegerField(null=True)  # the calendar feed's; None: no feed
    reminder_hours = IntegerField(null=True)  # before each lesson; 0: none; None: default

    class Meta:
        table_name = "users"

    @property
    def is_teacher(self):
        return self.role == self.TEACHER

    @property
    def full_name(self):
        return " ".join(part for part in (self.first_name, self.last_name) if part)

    def get_id(self):
        return f"{self.id}:{self.session_version}"

    @classmethod
    def by_login(cls, login):
        return cls.get_or_none(cls.login == normalize_login(login))

    @classmethod
    def from_session_id(cls, session_id):
        """The user of a session (Flask-Login's loader, on every request)."""
        user_id, _, version = (session_id or "").partition(":")
        if not (user_id.isdigit() and version.isdigit()):
            return None
        return _USER_OF_SESSION.first(cls, int(user_id), int(version))

    @classmethod
    def by_identifier(cls, identifier):
        """The user whose login, e-mail or Telegram username this is."""
        value = normalize_login(identifier)
        if not value:
            return None
        return (cls.by_login(value)
                or cls.get_or_none(cls.email == value)
                or cls.get_or_none(cls.telegram_username == value.removeprefix("@")))

    @property
    def address(self):
        """Where messages go on the current channel (None: nowhere, or not linked yet)."""
        if self.channel == self.EMAIL:
            return self.email
        if self.channel == self.TELEGRAM:
            return self.telegram_chat_id
        return None

    @classmethod
    def teachers(cls):
        return cls.select().where(cls.role == cls.TEACHER).order_by(cls.id)

    @classmethod
    def first_teacher(cls):
        """The teacher (the first, should there ever be more), or None."""
        return _FIRST_TEACHER.first(cls)


_USER_OF_SESSION = Prepared(lambda user_id, version: User.select().where(
    (User.id == user_id) & (User.session_version == version)))
_FIRST_TEACHER = Prepared(lambda: User.teachers().limit(1))


def normalize_login(login):
    return (login or "").strip().lower()


class Message(BaseModel):
    """The outbox: every notification is written here first and delivered by huey,
    so a provider outage loses nothing and the idempotency key sends nothing twice."""

    PENDING = "pending"  # waiting for its next attempt
    SENDING = "sending"  # claimed by a worker until next_attempt_at (a lease)
    SENT = "sent"
    FAILED = "failed"  # gave up: permanent refusal or too many attempts
    HELD = "held"  # Telegram chat not linked yet; released when it is

    user = ForeignKeyField(User, null=True, backref="messages", on_delete="SET NULL")
    channel = CharField(max_length=16)
    address = CharField(max_length=254, null=True)  # None: Telegram not linked yet
    kind = CharField(max_length=32, index=True)
    locale = CharField(max_length=8)
    subject = CharField(max_length=300)
    body_text = TextField()
    body_html = TextField(default="")
    attachments = TextField(default="[]")  # JSON: [{"filename", "content_type", "path"}]
    status = CharField(max_length=16, default=PENDING)
    attempts = IntegerField(default=0)
    next_attempt_at = DateTimeField(default=utcnow)
    last_error = TextField(default="")
    idempotency_key = CharField(max_length=200, unique=True)
    created_at = DateTimeField(default=utcnow)
    sent_at = DateTimeField(null=True)
    # Written before the provider is called and cleared once the outcome is known: set
    # on a due message, an earlier attempt may have been accepted (its worker died, or
    # the provider's answer never came), so ask the provider before sending again.
    attempt_started_at = DateTimeField(null=True)
    parts_sent = IntegerField(default=0)  # Telegram: pieces and files already out
    provider_ids = TextField(default="")  # the provider's ids for what went out, "a,b"

    class Meta:
        table_name = "outbox"
        indexes = ((("status", "next_attempt_at"), False),)

    @classmethod
    def newest(cls, status=None):
        query = cls.select(cls, User).join(User, JOIN.LEFT_OUTER, on=(cls.user == User.id))
        if status:
            query = query.where(cls.status == status)
        return query.order_by(cls.id.desc())

    @classmethod
    def due(cls, now):
        """Pending messages whose time has come, and claimed ones whose worker's
        lease ran out (it died mid-send), oldest first."""
        return (cls
                .select()
                .where(cls.status.in_([cls.PENDING, cls.SENDING])
                       & (cls.next_attempt_at <= now))
                .order_by(cls.next_attempt_at, cls.id))


def default_teacher_timezone():
    if has_app_context():
        return current_app.config["TEACHER_TIMEZONE"]
    return "Europe/Moscow"


class TeacherSettings(BaseModel):
    """The teacher's booking rules, one row per teacher (see for_teacher)."""

    teacher = ForeignKeyField(User, unique=True, backref="settings", on_delete="CASCADE")
    lesson_length_minutes = IntegerField(default=60)
    buffer_minutes = IntegerField(default=0)
    horizon_days = IntegerField(default=56)
    min_notice_hours = IntegerField(default=12)
    cancellation_notice_hours = IntegerField(default=24)
    default_price = DecimalField(max_digits=10, decimal_places=2, default=0)
    timezone = CharField(max_length=64, default=default_teacher_timezone)

    class Meta:
        table_name = "teacher_settings"

    @classmethod
    def for_teacher(cls, teacher):
        """The teacher's settings, created with the defaults on first use."""
        settings = _SETTINGS_OF.first(cls, getattr(teacher, "id", teacher))
        if settings is not None:
            return settings
        try:
            with cls._meta.database.atomic():
                return cls.create(teacher=teacher)
        except IntegrityError:  # another process created them just now
            return cls.get(cls.teacher == teacher)


_SETTINGS_OF = Prepared(lambda teacher_id: TeacherSettings.select().where(
    TeacherSettings.teacher == teacher_id))


class AvailabilityWindow(BaseModel):
    """A weekly default window, wall-clock time in the teacher's zone."""

    teacher = ForeignKeyField(User, backref="availability_windows", on_delete="CASCADE")
    weekday = IntegerField()  # 0 = Monday
    start = TimeField()
    end = TimeField()

    class Meta:
        table_name = "availability_windows"

    @classmethod
    def of(cls, teacher):
        return (cls
                .select()
                .where(cls.teacher == teacher)
                .order_by(cls.weekday, cls.start))


class UnavailableInterval(BaseModel):
    """Time the teacher is away, winning over the weekly windows. A whole day is
    stored as the UTC bounds of the local day."""

    teacher = ForeignKeyField(User, backref="unavailable_intervals", on_delete="CASCADE",
                              index=False)  # the (teacher, start) index covers it
    start = DateTimeField()
    end = DateTimeField()
    reason = CharField(max_length=200, default="")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "unavailable_intervals"
        indexes = ((("teacher", "start"), False),)

    @classmethod
    def upcoming(cls, teacher, now):
        """The teacher's intervals that have not ended yet, by start."""
        return (cls
                .select()
                .where((cls.teacher == teacher) & (cls.end > now))
                .order_by(cls.start))

    @classmethod
    def in_range(cls, teacher, start, end):
        """The teacher's intervals overlapping [start, end), by start."""
        return (cls
                .select()
                .where((cls.teacher == teacher)
                       & (cls.start < end)
                       & (cls.end > start))
                .order_by(cls.start))


class LessonSeries(BaseModel):
    """A weekly series: the same wall-clock time in the teacher's zone every week, from
    first_day until a date or for a number of times. Its occurrences are ordinary
    Lesson rows pointing here; the teacher confirms the series once, after which each
    occurrence lives on its own (moved, cancelled or repriced alone)."""

    PENDING = "pending"  # awaiting the teacher's confirmation
    CONFIRMED = "confirmed"
    STATUSES = (PENDING, CONFIRMED)

    teacher = ForeignKeyField(User, backref="taught_series", on_delete="CASCADE")
    student = ForeignKeyField(User, backref="series", on_delete="CASCADE")
    weekday = IntegerField()  # 0 = Monday, of first_day
    start_time = TimeField()  # wall clock in the teacher's zone
    minutes = IntegerField()  # length of each occurrence
    first_day = DateField()  # local date of the first occurrence
    until = DateField(null=True)  # last local date (inclusive), or
    count = IntegerField(null=True)  # the number of weeks asked for
    comment = TextField(default="")
    status = CharField(max_length=16, default=PENDING)
    created_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)
    confirmed_at = DateTimeField(null=True)

    class Meta:
        table_name = "lesson_series"

    @property
    def is_pending(self):
        return self.status == self.PENDING

    @property
    def ref(self):
        """Unique for all time (see Lesson.ref): for notification keys."""
        return f"{self.id}-{self.created_at:%Y%m%d%H%M%S%f}"

    def occurrences(self):
        """The series' lessons as they are now, by start."""
        return (Lesson
                .select()
                .where(Lesson.series == self)
                .order_by(Lesson.start))


class Lesson(BaseModel):
    """A booked lesson. Rejected, cancelled and expired lessons are deleted."""

    PENDING = "pending"  # awaiting the teacher's confirmation
    CONFIRMED = "confirmed"
    STATUSES = (PENDING, CONFIRMED)

    # The teacher's mark on a confirmed lesson that has started (None: not marked).
    ATTENDED = "attended"
    MISSED = "missed"  # the student did not come: not charged
    LATE_CANCEL = "late_cancel"  # called off inside the notice: charged
    ATTENDANCE = (ATTENDED, MISSED, LATE_CANCEL)
    CHARGED = (ATTENDED, LATE_CANCEL)

    teacher = ForeignKeyField(User, backref="taught_lessons", on_delete="CASCADE",
                              index=False)  # the (teacher, start) index covers it
    student = ForeignKeyField(User, backref="lessons", on_delete="CASCADE", index=False)
    start = DateTimeField()
    end = DateTimeField()
    status = CharField(max_length=16, default=PENDING)
    comment = TextField(default="")
    price = DecimalField(max_digits=10, decimal_places=2, null=True)
    people = IntegerField(default=1)
    created_at = DateTimeField(default=utcnow)
    confirmed_at = DateTimeField(null=True)
    attendance = CharField(max_length=16, null=True)  # one of ATTENDANCE, or not marked
    series = ForeignKeyField(LessonSeries, null=True, backref="+", on_delete="SET NULL")

    class Meta:
        table_name = "lessons"
        indexes = (
            (("teacher", "start"), False),
            # in_range: "end > start of the range" finds the few lessons from there on,
            # where "start < end of the range" would walk the whole history.
            (("teacher", "end"), False),
            (("student", "start"), False),
            # The students list and balances sum charges from this index alone.
            (("student", "status", "attendance", "price"), False),
            (("status", "start"), False),  # the expiry job
        )

    @property
    def is_pending(self):
        return self.status == self.PENDING

    @property
    def is_confirmed(self):
        return self.status == self.CONFIRMED

    @property
    def is_charged(self):
        """Counts against the student's balance: attended or cancelled late."""
        return self.attendance in self.CHARGED

    @property
    def ref(self):
        """Unique for all time, unlike the id, which SQLite may give again to a new
        lesson once the newest one is deleted: for notification idempotency keys."""
        return f"{self.id}-{self.created_at:%Y%m%d%H%M%S%f}"

    @classmethod
    def in_range(cls, teacher, start, end):
        """The teacher's lessons overlapping [start, end), by start. A teacher's
        lessons never overlap, so ordering by end is the same order; it makes SQLite
        read them through the (teacher, end) index, which skips the history before
        `start`, rather than through (teacher, start), which walks all of it."""
        return (cls
                .select()
                .where((cls.teacher == teacher)
                       & (cls.start < end)
                       & (cls.end > start))
                .order_by(cls.end, cls.start))

    @classmethod
    def for_student(cls, student):
        return (cls
                .select()
                .where(cls.student == student)
                .order_by(cls.start))


MODELS = [Goal, User, Message, TeacherSettings, AvailabilityWindow, UnavailableInterval,
          LessonSeries, Lesson]


class Broadcast(BaseModel):
    """A message the teacher sent to every active student with a channel; the outbox
    rows it wrote carry the key broadcast:<id>:<user id>."""

    teacher = ForeignKeyField(User, backref="broadcasts", on_delete="CASCADE")
    subject = CharField(max_length=200)
    body = TextField()
    created_at = DateTimeField(default=utcnow)
    recipients = IntegerField(default=0)  # outbox messages written

    class Meta:
        table_name = "broadcasts"

    @property
    def key_prefix(self):
        return f"broadcast:{self.id}:"

    @classmethod
    def newest(cls):
        return cls.select().order_by(cls.id.desc())


class AuditEntry(BaseModel):
    """Who did what to which record, when, with the record before and after (JSON)."""

    actor = ForeignKeyField(User, null=True, backref="audit_entries", on_delete="SET NULL")
    action = CharField(max_length=64, index=True)
    target_type = CharField(max_length=32, null=True)  # a table name
    target_id = IntegerField(null=True)  # no foreign key: the target may be deleted
    before = TextField(null=True)
    after = TextField(null=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "audit_log"
        indexes = ((("target_type", "target_id"), False),)

    @classmethod
    def newest(cls, action=None):
        query = (cls
                 .select(cls, User)
                 .join(User, JOIN.LEFT_OUTER, on=(cls.actor == User.id)))
        if action:
            query = query.where(cls.action == action)
        return query.order_by(cls.id.desc())

    @classmethod
    def about(cls, instance):
        return (cls
                .newest()
                .where((cls.target_type == instance._meta.table_name)
                       & (cls.target_id == instance.id)))


MODELS += [Broadcast, AuditEntry]


class TelegramLink(BaseModel):
    """A one-time token binding a Telegram chat to the user: the deep link
    https://t.me/<bot>?start=<token> carries the token, only its SHA-256 is stored.
    Linking deletes all of the user's tokens."""

    user = ForeignKeyField(User, backref="telegram_links", on_delete="CASCADE")
    token_hash = CharField(max_length=64, unique=True)
    created_at = DateTimeField(default=utcnow)
    expires_at = DateTimeField()

    class Meta:
        table_name = "telegram_links"


class TelegramUpdate(BaseModel):
    """An update the bot has handled, so that a webhook retry or an overlapping poll
    never handles the same update_id twice. Kept for a week."""

    update_id = BigIntegerField(primary_key=True)
    received_at = DateTimeField(default=utcnow, index=True)

    class Meta:
        table_name = "telegram_updates"


MODELS += [TelegramLink, TelegramUpdate]


class JobRun(BaseModel):
    """One run of a periodic job: the record the teacher sees on the Jobs page, and
    the claim that keeps a monthly job to one successful run per period."""

    RUNNING = "running"
    OK = "ok"
    FAILED = "failed"

    job = CharField(max_length=64)
    period = CharField(max_length=16, default="")  # "2026-12" for a monthly job
    manual = BooleanField(default=False)  # "run now" on the Jobs page
    status = CharField(max_length=16, default=RUNNING)
    started_at = DateTimeField(default=utcnow)
    finished_at = DateTimeField(null=True)
    counts = TextField(default="{}")  # JSON: what the run changed or sent
    error = TextField(default="")

    class Meta:
        table_name = "job_runs"
        indexes = (
            (("job", "period"), False),
            (("job", "started_at"), False),
        )


class JobState(BaseModel):
    """The latest run of each job, kept even when the run itself left no JobRun row
    (the every-minute jobs record only runs that did something or failed)."""

    job = CharField(max_length=64, unique=True)
    last_started_at = DateTimeField(null=True)
    last_finished_at = DateTimeField(null=True)
    last_status = CharField(max_length=16, default="")
    last_success_at = DateTimeField(null=True)
    last_error = TextField(default="")

    class Meta:
        table_name = "job_state"


MODELS += [JobRun, JobState]


class Payment(BaseModel):
    """Money the teacher received from a student, recorded by hand. The student's
    balance is their payments minus the price of their charged lessons
    (services/balances.py)."""

    student = ForeignKeyField(User, backref="payments", on_delete="CASCADE", index=False)
    teacher = ForeignKeyField(User, backref="received_payments", on_delete="CASCADE")
    amount = DecimalField(max_digits=10, decimal_places=2)
    paid_on = DateField()  # the day in the teacher's zone
    note = CharField(max_length=200, default="")
    created_at = DateTimeField(default=utcnow)
    created_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")

    class Meta:
        table_name = "payments"
        indexes = ((("student", "paid_on"), False),)  # balances and the student list

    @classmethod
    def of(cls, student):
        """The student's payments, newest first."""
        return (cls
                .select()
                .where(cls.student == student)
                .order_by(cls.paid_on.desc(), cls.id.desc()))


class Feedback(BaseModel):
    """A student's rating (1 to 5) and comment on a lesson they had; only the teacher
    reads it."""

    lesson = ForeignKeyField(Lesson, unique=True, backref="feedback", on_delete="CASCADE")
    student = ForeignKeyField(User, backref="feedback", on_delete="CASCADE")
    rating = IntegerField()
    comment = TextField(default="")
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(null=True)

    class Meta:
        table_name = "feedback"


MODELS += [Payment, Feedback]


class ChangeCounter(BaseModel):
    """A number the database raises on every write to an area (migration 0013's
    triggers); see tutor/services/changes.py. Not backed up: a restore counts as
    writes instead of putting an old number back."""

    CALENDAR = "calendar"

    name = CharField(max_length=32, primary_key=True)
    value = BigIntegerField(default=0)

    class Meta:
        table_name = "change_counters"


MODELS += [ChangeCounter]
