"""peewee models. Times are naive UTC datetimes; the viewer's zone is applied when
shown. The schema itself is built by the ordered files in migrations/, and a test
proves they build exactly what these classes describe."""
import hashlib
import re
from datetime import datetime, timedelta, timezone

from flask import current_app, has_app_context
from flask_babel import gettext
from flask_login import UserMixin
from peewee import (
    JOIN,
    BigIntegerField,
    BlobField,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    DecimalField,
    DoubleField,
    ForeignKeyField,
    IntegerField,
    IntegrityError,
    TextField,
    TimeField,
    fn,
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
    # A student who deleted their account: the row stays, anonymised, to keep their
    # past lessons and payments in the teacher's reports (services/personal_data.py).
    DELETED = "deleted"
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
    # Any signed-in request, remember-me visits included, at most hourly
    # (services/activity.py): what the activity check counts as use.
    last_seen_at = DateTimeField(null=True)
    inactive_since = DateTimeField(null=True)
    # Raised by each password-reset request: only the newest link works.
    reset_version = IntegerField(default=0)
    feed_version = IntegerField(null=True)  # the calendar feed's; None: no feed
    reminder_hours = IntegerField(null=True)  # before each lesson; 0: none; None: default
    # Set when the password was generated (the first teacher's), cleared when the user
    # sets one: the onboarding checklist asks until then.
    password_generated_at = DateTimeField(null=True)
    onboarding_dismissed_at = DateTimeField(null=True)  # the teacher hid the checklist
    # Set when Telegram said the user blocked the bot (their chat was unlinked); the
    # next page they open says so once and clears it.
    telegram_lost_at = DateTimeField(null=True)

    class Meta:
        table_name = "users"

    @property
    def is_teacher(self):
        return self.role == self.TEACHER

    @property
    def is_deleted(self):
        return self.role == self.DELETED

    @property
    def full_name(self):
        if self.role == self.DELETED:
            return gettext("Deleted student")
        return " ".join(part for part in (self.first_name, self.last_name) if part)

    # The key of the LoginSession this object was logged in or loaded with; None for a
    # user read any other way.
    session_key = None

    # Users are equal when they are the same row, as other models are (UserMixin
    # compares get_id(), which names a login, not a user).
    __eq__ = BaseModel.__eq__
    __ne__ = BaseModel.__ne__
    __hash__ = BaseModel.__hash__

    def get_id(self):
        """What Flask-Login keeps in the session and the remember-me cookie: the key of
        this login's LoginSession, never the user's id, so that ending the record ends
        every copy of those cookies."""
        if self.session_key is None:
            raise RuntimeError("log in through accounts.start_session: no session key")
        return self.session_key

    @classmethod
    def by_login(cls, login):
        return cls.get_or_none(cls.login == normalize_login(login))

    @classmethod
    def from_session_id(cls, session_id, now=None):
        """The user of a login session (Flask-Login's loader, on every request: one
        query by the key's unique index). Writes the session's last_seen_at when it is
        more than LoginSession.SEEN_EVERY old, so most requests write nothing."""
        if not session_id or len(session_id) > LoginSession.KEY_MAX_LENGTH:
            return None
        user = _USER_OF_SESSION.first(cls, LoginSession.hash_key(session_id))
        if user is None:
            return None
        user.session_key = session_id
        now = now or utcnow()
        if user.session_seen_at <= now - LoginSession.IDLE_LIMIT:
            return None
        if user.session_seen_at <= now - LoginSession.SEEN_EVERY:
            (LoginSession
             .update(last_seen_at=now)
             .where(LoginSession.id == user.session_record_id)
             .execute())
        return user

    @classmethod
    def by_identifier(cls, identifier):
        """The user whose login, e-mail or Telegram username this is."""
        value = normalize_login(identifier)
        if not value:
            return None
        return (cls.by_login(value)
                or cls.get_or_none(cls.email == value)
                or cls.get_or_none(cls.telegram_username == value))

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


_USER_OF_SESSION = Prepared(lambda key_hash: (
    User
    .select(User, LoginSession.id.alias("session_record_id"),
            LoginSession.last_seen_at.alias("session_seen_at"))
    .join(LoginSession)
    .where(LoginSession.key_hash == key_hash)))
_FIRST_TEACHER = Prepared(lambda: User.teachers().limit(1))


# Typed control characters besides tab and line breaks: never meant, and PostgreSQL
# refuses NUL in text. Every form takes them out of what is posted (forms.FlaskForm).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def normalize_login(login):
    """A login, e-mail or Telegram username as it is looked up, and as the rate limits
    count it: without control characters (the forms drop them too), surrounding spaces,
    case, or a leading `@` (no login or e-mail starts with one; a Telegram username is
    often typed with it). `rate\x01Victim`, `@victim` and `victim` are one name."""
    return CONTROL_CHARACTERS.sub("", login or "").strip().lower().removeprefix("@").strip()


class LoginSession(BaseModel):
    """One login on one device: the record the session and remember-me cookies name
    (by a random key; only its SHA-256 is stored). Deleting it ends the login
    wherever the cookies were copied to: logging out deletes it; deactivating the
    account and asking for a password reset delete all of the user's; changing the
    password deletes all but the one that changed it (services/accounts.py). Not
    backed up: a restore ends every session instead of bringing ended ones back."""

    KEY_MAX_LENGTH = 64  # longer session ids are not ours: refused without a query
    SEEN_EVERY = timedelta(hours=1)  # last_seen_at is written at most this often
    # Unseen this long, a session has ended: no cookie of ours outlives it (the
    # remember-me cookie's 365 days, Flask-Login's REMEMBER_COOKIE_DURATION), but a
    # copy of one, which carries no date, would.
    IDLE_LIMIT = timedelta(days=365)

    user = ForeignKeyField(User, backref="login_sessions", on_delete="CASCADE")
    key_hash = CharField(max_length=64, unique=True)
    device = CharField(max_length=255, default="")  # the browser's User-Agent
    ip = CharField(max_length=45, null=True)
    created_at = DateTimeField(default=utcnow)
    last_seen_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "login_sessions"

    @staticmethod
    def hash_key(key):
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def of(cls, user):
        """The user's sessions, the most recently seen first (the "your devices" list)."""
        return (cls
                .select()
                .where(cls.user == user)
                .order_by(cls.last_seen_at.desc(), cls.id.desc()))


class Message(BaseModel):
    """The outbox: every notification is written here first and delivered by huey,
    so a provider outage loses nothing and the idempotency key sends nothing twice."""

    PENDING = "pending"  # waiting for its next attempt
    SENDING = "sending"  # claimed by a worker until next_attempt_at (a lease)
    SENT = "sent"
    FAILED = "failed"  # gave up: permanent refusal or too many attempts
    HELD = "held"  # Telegram chat not linked yet; released when it is
    # The provider refused our configuration (a wrong key, an unknown domain, a bad
    # token): held, attempts not counted, until a send on that channel succeeds again
    # (ProviderFault; delivery.deliver_due probes it).
    CONFIG = "config"

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
    # Why it failed or is held, as one of delivery.REASONS (the outbox page and
    # the teacher's notice say it in the teacher's language); "" when nothing is wrong.
    fault = CharField(max_length=32, default="")
    # Telegram: the inline keyboard ({"inline_keyboard": [...]}, JSON) the last piece
    # of the text carries (quick_actions.keyboard); "" for none.
    buttons = TextField(default="")

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
    # How many requests one student may have waiting for the teacher's answer.
    max_pending_lessons = IntegerField(default=10)
    max_pending_series = IntegerField(default=2)

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
        # (teacher, end): the ranges not ended yet, and the ended ones to clean up.
        indexes = ((("teacher", "start"), False), (("teacher", "end"), False))

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

    @classmethod
    def pending_requests(cls, student, teacher):
        """The student's series awaiting the teacher's answer."""
        return (cls
                .select()
                .where((cls.teacher == teacher)
                       & (cls.student == student)
                       & (cls.status == cls.PENDING)))

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

    @classmethod
    def pending_requests(cls, student, teacher):
        """The student's single lessons awaiting the teacher's answer (occurrences of
        a series count with their series: LessonSeries.pending_requests)."""
        return (cls
                .select()
                .where((cls.teacher == teacher)
                       & (cls.student == student)
                       & (cls.status == cls.PENDING)
                       & cls.series.is_null()))


MODELS = [Goal, User, LoginSession, Message, TeacherSettings, AvailabilityWindow,
          UnavailableInterval, LessonSeries, Lesson]


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


class RateLimitCounter(BaseModel):
    """One fixed window of a rate limit (tutor/ratelimits.py): the hits counted so far
    and when the window ends, shared by every worker and host. Not backed up; rows of
    ended windows are pruned as new windows start."""

    key = CharField(max_length=255, primary_key=True)
    hits = IntegerField()
    expires_at = DoubleField(index=True)  # seconds since the epoch, as time.time()

    class Meta:
        table_name = "rate_limits"


MODELS += [RateLimitCounter]


class InboxItem(BaseModel):
    """A notification kept in the app. Every message to a user lands here as well as
    in the outbox, whatever their outside channel, so "no channel" never means "lost";
    the bell in the header counts the unread ones. `key` is the outbox message's
    idempotency key, so the same notice is never kept twice."""

    user = ForeignKeyField(User, backref="inbox", on_delete="CASCADE", index=False)
    kind = CharField(max_length=32)
    subject = CharField(max_length=300)
    body_text = TextField()
    link = CharField(max_length=500, default="")  # a path in the app it is about
    key = CharField(max_length=200, unique=True)
    created_at = DateTimeField(default=utcnow)
    read_at = DateTimeField(null=True)

    class Meta:
        table_name = "inbox"
        indexes = ((("user", "read_at"), False),)

    @property
    def is_unread(self):
        return self.read_at is None

    @classmethod
    def of(cls, user):
        """The user's items, newest first."""
        return (cls
                .select()
                .where(cls.user == user)
                .order_by(cls.id.desc()))

    @classmethod
    def unread_count(cls, user):
        return _UNREAD_OF.scalar(cls._meta.database, getattr(user, "id", user))


_UNREAD_OF = Prepared(lambda user_id: InboxItem.select(fn.COUNT(InboxItem.id)).where(
    (InboxItem.user == user_id) & InboxItem.read_at.is_null()))


class StoredFile(BaseModel):
    """A file a job made (a monthly report, a backup, the report on a deleted student),
    kept in the database with the inbox item it came with: downloadable from the inbox
    by its owner on any host, and attached from here when the message goes out. The
    token, not the id, names it in URLs."""

    item = ForeignKeyField(InboxItem, backref="files", on_delete="CASCADE")
    owner = ForeignKeyField(User, backref="+", on_delete="CASCADE")
    token = CharField(max_length=64, unique=True)
    filename = CharField(max_length=200)
    content_type = CharField(max_length=100)
    size = IntegerField()
    content = BlobField()
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "stored_files"

    @classmethod
    def listed(cls):
        """Every column but the content, for lists and links."""
        return cls.select(cls.id, cls.item, cls.owner, cls.token, cls.filename,
                          cls.content_type, cls.size, cls.created_at)


MODELS += [InboxItem, StoredFile]


class ProviderFault(BaseModel):
    """An outside channel refusing our configuration (Mailgun 401/403/404-domain, SMTP
    authentication, Telegram 401): one row per channel while it lasts, so every process
    holds that channel's messages and the teacher sees the banner. Cleared the moment a
    send on the channel succeeds (see delivery.deliver_due's probe)."""

    channel = CharField(max_length=16, unique=True)
    code = CharField(max_length=32)  # one of delivery.REASONS
    detail = TextField(default="")  # the provider's own words
    since = DateTimeField(default=utcnow)
    probe_at = DateTimeField(default=utcnow)  # when a held message is tried next

    class Meta:
        table_name = "provider_faults"


MODELS += [ProviderFault]


class ActionUse(BaseModel):
    """A one-tap answer already given (a Telegram button, an e-mail confirmation
    link): the hash of what was pressed, so the same button or link works once. Kept
    until the lesson it was about has started (`expires_at`), after which the signed
    data expires by itself."""

    key = CharField(max_length=64, unique=True)  # sha256 hex of the callback data or token
    used_at = DateTimeField(default=utcnow)
    expires_at = DateTimeField(index=True)

    class Meta:
        table_name = "action_uses"


MODELS += [ActionUse]


class WorkRequest(BaseModel):
    """Work a request asked for that must not be lost (a password reset, a job's "run
    now", a Telegram update): written in the request's own transaction, done by a
    consumer (services/work.py), deleted once done. The queue only wakes the
    consumer, so Redis being down, or a consumer killed, loses none of it."""

    kind = CharField(max_length=32)
    key = CharField(max_length=100, null=True, unique=True)  # one waiting request per key
    payload = TextField(default="{}")  # JSON
    created_at = DateTimeField(default=utcnow)
    due_at = DateTimeField(default=utcnow)  # its next attempt, or the end of a claim
    attempts = IntegerField(default=0)
    last_error = TextField(default="")
    failed = BooleanField(default=False)  # gave up after work.MAX_ATTEMPTS

    class Meta:
        table_name = "work_requests"
        indexes = ((("failed", "due_at"), False),)


MODELS += [WorkRequest]


class EndedLesson(BaseModel):
    """What the student is told about a request or lesson that is gone: rejected,
    expired unconfirmed or cancelled (the Lesson row itself is deleted). Keyed by
    the lesson's old id, so its page still opens for its student."""

    REJECTED = "rejected"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    STATES = (REJECTED, EXPIRED, CANCELLED)

    lesson_id = IntegerField()  # the deleted Lesson's id (SQLite may give it again)
    teacher = ForeignKeyField(User, backref="+", on_delete="CASCADE", index=False)
    student = ForeignKeyField(User, backref="ended_lessons", on_delete="CASCADE",
                              index=False)
    start = DateTimeField()
    end = DateTimeField()
    state = CharField(max_length=16)
    was_confirmed = BooleanField(default=False)
    reason = TextField(default="")
    ended_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    ended_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "ended_lessons"
        indexes = (
            (("student", "ended_at"), False),  # the student's recent ones
            (("lesson_id",), False),  # an old lesson link
        )


MODELS += [EndedLesson]


class SchedulerLease(BaseModel):
    """The consumer that schedules the periodic jobs, as long as it keeps renewing
    (services/scheduler.py). Runtime state: not in backups."""

    name = CharField(max_length=32, primary_key=True)
    holder = CharField(max_length=200)  # host:pid:random of the consumer process
    since = DateTimeField()  # when this holder took it
    renewed_at = DateTimeField()
    expires_at = DateTimeField()

    class Meta:
        table_name = "scheduler_lease"


MODELS += [SchedulerLease]
