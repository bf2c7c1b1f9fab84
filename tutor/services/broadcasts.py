"""Broadcasts: a message to every active student (inactive_since is None), in their
inbox and on their channel if they have one, through the outbox; the same text sent
again by the same teacher within BROADCAST_REPEAT_WINDOW is refused (a double click, a
reload)."""
from dataclasses import dataclass
from datetime import timedelta

from peewee import Value, fn

from tutor.database import exclusive
from tutor.extensions import db
from tutor.models import Broadcast, Message, User, utcnow
from tutor.services import audit, notify
from tutor.services.errors import AdminError
from tutor.services.pages import Page, page_of

MAX_SUBJECT = 200
MAX_BODY = 5000
BROADCAST_REPEAT_WINDOW = timedelta(minutes=10)


class InvalidBroadcast(AdminError):
    def __init__(self, field, message):
        super().__init__(f"{field}: {message}")
        self.field = field


class RepeatedBroadcast(AdminError):
    """The same text went out moments ago."""


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
    broadcasts = page_of(Broadcast.newest(), page, per_page)
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
