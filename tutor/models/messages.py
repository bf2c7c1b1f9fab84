"""What is said to people: the outbox, broadcasts, the in-app inbox and its files,
Telegram links and updates, and the providers' faults."""

from peewee import (
    JOIN,
    BigIntegerField,
    BlobField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
    fn,
)

from tutor.database import Prepared
from tutor.models.accounts import User
from tutor.models.base import BaseModel, utcnow


class Message(BaseModel):
    """The outbox: every notification is written here first and delivered by huey,
    so a provider outage loses nothing and the idempotency key sends nothing twice."""

    PENDING = "pending"  # waiting for its next attempt
    SENDING = "sending"  # claimed by a worker until next_attempt_at (a lease)
    SENT = "sent"
    FAILED = "failed"  # gave up: permanent refusal or too many attempts
    HELD = "held"  # Telegram chat not linked yet, or (with an address) the channel not
    # set up on this site yet (outbox.release_configured); released when it is
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
    # Why it failed or is held, as one of outbox_faults.REASONS (the outbox page and
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

    @property
    def waits_for_setup(self):
        """Held with its address: the channel is not set up on this site yet."""
        return self.status == self.HELD and bool(self.address)




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






class ProviderFault(BaseModel):
    """An outside channel refusing our configuration (Mailgun 401/403/404-domain, SMTP
    authentication, Telegram 401): one row per channel while it lasts, so every process
    holds that channel's messages and the teacher sees the banner. Cleared the moment a
    send on the channel succeeds (see delivery.deliver_due's probe)."""

    channel = CharField(max_length=16, unique=True)
    code = CharField(max_length=32)  # one of outbox_faults.REASONS
    detail = TextField(default="")  # the provider's own words
    since = DateTimeField(default=utcnow)
    probe_at = DateTimeField(default=utcnow)  # when a held message is tried next

    class Meta:
        table_name = "provider_faults"
