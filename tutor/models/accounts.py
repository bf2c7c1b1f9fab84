"""People: the teacher's goals for students, users and their login sessions."""
import hashlib
from datetime import timedelta

from flask_babel import gettext
from flask_login import UserMixin
from peewee import (
    BooleanField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TimeField,
)

from tutor.database import Prepared
from tutor.models.base import CONTROL_CHARACTERS, BaseModel, utcnow


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


def folded(text):
    """`text` as the student search compares it: lower-cased in any alphabet, ё read
    as е (services/text_search.py folds the words searched for the same way)."""
    return (text or "").lower().replace("ё", "е")


def person_name(first_name, last_name):
    """A person's name as the app shows it: the parts they gave, in that order."""
    return " ".join(part for part in (first_name, last_name) if part)


def shown_name(role, first_name, last_name):
    """The name a user goes by on the teacher's pages: a deleted student's is gone."""
    if role == User.DELETED:
        return gettext("Deleted student")
    return person_name(first_name, last_name)


def search_name(first_name, last_name):
    """What User.search_name holds for these names."""
    return folded(person_name(first_name, last_name))


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
    # The names folded for the student search (search_name() above), so that searching
    # compares stored text instead of folding every row per query. Kept in step here:
    # every insert or update that writes the names writes it too (_with_search_name).
    search_name = CharField(max_length=201, default="")
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
        # What the student search reads (services/text_search.py), in an index of its
        # own: scanning it reads a fifth of what the rows hold (bench/RESULTS.md).
        indexes = ((("role", "search_name", "login", "email"), False),)

    @classmethod
    def insert(cls, __data=None, **insert):
        return super().insert(_with_search_name(cls._normalize_data(__data, insert)))

    @classmethod
    def update(cls, __data=None, **update):  # save() goes through insert() or this
        return super().update(_with_search_name(cls._normalize_data(__data, update)))

    @classmethod
    def insert_many(cls, rows, fields=None):
        if fields is None:  # dicts
            rows = (_with_search_name(cls._normalize_data(row, {})) for row in rows)
        else:
            names = [getattr(f, "name", f) for f in fields]
            if "first_name" in names and "last_name" in names:
                if "search_name" not in names:
                    names, fields = [*names, "search_name"], [*fields, cls.search_name]
                first, last, kept = (names.index(name) for name in (
                    "first_name", "last_name", "search_name"))
                rows = (tuple(search_name(row[first], row[last]) if n == kept else value
                              for n, value in enumerate((*row, None)[:len(names)]))
                        for row in rows)
        return super().insert_many(rows, fields)

    @property
    def is_teacher(self):
        return self.role == self.TEACHER

    @property
    def is_deleted(self):
        return self.role == self.DELETED

    @property
    def full_name(self):
        return shown_name(self.role, self.first_name, self.last_name)

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


class LinkedIdentity(BaseModel):
    """An outside account a user signs in with (services/signin.py): Yandex ID's user
    id. One per provider per user, and an outside account opens one user only."""

    YANDEX = "yandex"
    PROVIDERS = (YANDEX,)

    user = ForeignKeyField(User, backref="identities", on_delete="CASCADE")
    provider = CharField(max_length=16)
    subject = CharField(max_length=64)  # the provider's id of the person
    label = CharField(max_length=254, default="")  # what the profile shows: their login
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "linked_identities"
        indexes = (
            (("provider", "subject"), True),
            (("user", "provider"), True),
        )

    @classmethod
    def find(cls, provider, subject):
        return (cls
                .select(cls, User)
                .join(User)
                .where((cls.provider == provider) & (cls.subject == str(subject)))
                .first())


class TrialRequest(BaseModel):
    """A visitor's request for a trial lesson (services/trials.py): who they are, how to
    reach them, what for and when. The teacher offers a time (a lesson for a new
    person, whose account becomes `student`) or declines."""

    NEW, OFFERED, DECLINED = "new", "offered", "declined"

    teacher = ForeignKeyField(User, backref="trial_requests", on_delete="CASCADE")
    name = CharField(max_length=200)
    contact = CharField(max_length=254)
    contact_key = CharField(max_length=254)  # normalised: what the per-contact limit counts
    goal = CharField(max_length=1000, default="")
    preferred_times = CharField(max_length=1000, default="")
    status = CharField(max_length=16, default=NEW)
    created_at = DateTimeField(default=utcnow)
    decided_at = DateTimeField(null=True)
    student = ForeignKeyField(User, null=True, backref="trial_requests_made",
                              on_delete="SET NULL")
    telegram_chat_id = CharField(max_length=32, null=True)  # asked in the bot: answered there
    locale = CharField(max_length=8, null=True)  # the visitor's language when asking

    class Meta:
        table_name = "trial_requests"
        indexes = (
            (("contact_key", "created_at"), False),
            (("teacher", "status", "created_at"), False),
        )

    @property
    def is_open(self):
        return self.status == self.NEW


class TrialChat(BaseModel):
    """A trial request being asked step by step in the Telegram bot
    (services/trial_chat.py): the chat, the step it is at and what was answered so far.
    In the database, so a restart or another host goes on with it."""

    chat_id = CharField(max_length=32, unique=True)
    step = CharField(max_length=16)
    name = CharField(max_length=200, default="")
    goal = CharField(max_length=1000, default="")
    preferred_times = CharField(max_length=1000, default="")
    locale = CharField(max_length=8, default="")
    updated_at = DateTimeField(default=utcnow, index=True)

    class Meta:
        table_name = "trial_chats"


def _with_search_name(values):
    """`values` (Field → value, as peewee normalises them) with User.search_name made
    from the names when they write them (whatever search_name they carry: a saved
    instance carries the one it was loaded with). Both names or neither."""
    if not isinstance(values, dict):  # INSERT … SELECT
        return values
    fields = {field.name: field for field in values if hasattr(field, "name")}
    written = {"first_name", "last_name"} & fields.keys()
    if not written:
        return values
    if len(written) == 1:
        raise ValueError("write both names at once: User.search_name is made of the two")
    return {**values, User.search_name: search_name(values[fields["first_name"]],
                                                     values[fields["last_name"]])}
