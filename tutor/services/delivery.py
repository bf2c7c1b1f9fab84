"""Delivering the outbox. A worker claims a due message (a short lease, so two
consumers never send the same one), hands it to the channel's backend, and records
the outcome: sent; retried later with exponential backoff; or failed for good after
a permanent refusal or too many attempts. Telegram messages for a chat not linked
yet are held until it is.

Nothing twice, as far as each provider lets us know. The claim is committed, with the
attempt's start in `attempt_started_at`, before the provider is called, and the known
outcome clears it. So a worker killed between the provider's "accepted" and our "sent"
(or a request whose answer never came) leaves a message whose earlier attempt is in
doubt, and when the lease runs out the next worker knows it:
- Mailgun: every attempt at a message carries the same Message-Id (email_message_id).
  Before sending again, the worker asks Mailgun's events API whether that Message-Id
  was accepted, and marks the message sent if it was. Mailgun indexes events late, so
  a "no" is believed only MAILGUN_EVENTS_DELAY_SECONDS after the attempt in doubt
  began; until then the message waits. Left over: an "accepted" event indexed later
  than that means one duplicate.
- SMTP cannot be asked. The same Message-Id goes out again; a mailbox that drops a
  repeated Message-Id shows one copy, others show two. The window is between the
  server's reply to the message and our commit, milliseconds.
- Telegram has no idempotency key. Each part (a piece of the text, a file) is recorded
  the moment Telegram confirms it, and a later attempt resumes with the next part; a
  crash between Telegram's answer and that record repeats that one part.
- console: logging a message again harms no one.
Two workers never send one message at the same time: the claim reads and takes the row
under `exclusive`, and only a due message (pending, or claimed with its lease run out)
can be claimed. The lease must outlast a send (OUTBOX_LEASE_SECONDS, default 300 s,
against the providers' 10 s timeouts)."""
import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from email.utils import parseaddr
from pathlib import Path

from flask import current_app
from peewee import fn

from tutor.database import exclusive
from tutor.integrations import mailgun, smtp
from tutor.integrations.attachments import Attachment
from tutor.integrations.telegram import TelegramBot, TelegramError, split_message, telegram_html
from tutor.models import Message, User, utcnow

log = logging.getLogger("tutor.outbox")
MAX_BACKOFF = timedelta(hours=6)


class Undeliverable(Exception):
    """Sending again will not help (a refused address, a blocked bot)."""


class TryLater(Exception):
    """The provider could not take it now."""

    def __init__(self, message, after=None, in_doubt_since=None):
        super().__init__(message)
        self.after = after  # seconds the provider asked us to wait, if it said
        # The start of an attempt the provider may have accepted after all (no answer
        # came); the next attempt asks the provider first.
        self.in_doubt_since = in_doubt_since


class NotSettled(Exception):
    """The provider does not show an earlier attempt as accepted, but it is too soon
    to believe that: ask again at `until`."""

    def __init__(self, until):
        super().__init__(f"an earlier attempt may have been accepted; checking again at "
                         f"{until:%Y-%m-%d %H:%M:%S} UTC")
        self.until = until


@dataclass
class Report:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    held: int = 0
    recovered: int = 0  # of `sent`: the provider had accepted an attempt in doubt
    errors: list = field(default_factory=list)


def deliver_due(now=None, limit=100):
    """Deliver up to `limit` due messages. Safe to run in several consumers at once.
    `now` fixes the clock for the whole run; by default each claim reads it afresh, so
    a long run does not hand out leases that have run out already."""
    report = Report()
    for candidate in list(Message.due(now or utcnow()).limit(limit)):
        claimed = _claim(candidate, now)
        if claimed is None:
            continue  # another worker has it
        message, in_doubt_since = claimed
        _deliver(message, in_doubt_since, now, report)
    return report


def _deliver(message, in_doubt_since, now, report):
    if message.channel == User.TELEGRAM and not message.address:
        _finish(message, Message.HELD, attempts=message.attempts - 1, attempt_started_at=None)
        report.held += 1
        return
    try:
        if in_doubt_since and accepted_earlier(message, in_doubt_since):
            _finish(message, Message.SENT, sent_at=utcnow(), attempt_started_at=None,
                    provider_ids=email_message_id(message))
            log.info("message %s: an earlier attempt was accepted; not sent again", message.id)
            report.sent += 1
            report.recovered += 1
            return
        provider_ids = send(message)
    except Undeliverable as error:
        _finish(message, Message.FAILED, error=str(error), attempt_started_at=None)
        report.failed += 1
        report.errors.append(str(error))
    except NotSettled as error:
        # Looking is not an attempt: the count and the doubt stay as they were.
        _finish(message, Message.PENDING, error=str(error), attempts=message.attempts - 1,
                next_attempt_at=error.until, attempt_started_at=in_doubt_since)
        report.retried += 1
    except TryLater as error:
        if message.attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]:
            _finish(message, Message.FAILED, error=f"gave up: {error}",
                    attempt_started_at=error.in_doubt_since)
            report.failed += 1
        else:
            _finish(message, Message.PENDING, error=str(error),
                    next_attempt_at=(now or utcnow()) + backoff(message.attempts, error.after),
                    attempt_started_at=error.in_doubt_since)
            report.retried += 1
        report.errors.append(str(error))
    else:
        _finish(message, Message.SENT, sent_at=utcnow(), attempt_started_at=None,
                provider_ids=provider_ids)
        report.sent += 1


def accepted_earlier(message, in_doubt_since):
    """Whether the provider already took `message` in an attempt begun at
    `in_doubt_since` whose outcome we never learnt. Only Mailgun can be asked: for the
    other backends this is False and the message goes again (see the module's notes).
    Raises NotSettled while Mailgun's "no" cannot be trusted yet, TryLater when it
    cannot be asked."""
    config = current_app.config
    if message.channel != User.EMAIL or config["EMAIL_BACKEND"] != "mailgun":
        return False
    try:
        if mailgun.accepted(domain=config["MAILGUN_DOMAIN"], api_key=config["MAILGUN_API_KEY"],
                            base_url=config["MAILGUN_URL"],
                            message_id=email_message_id(message)):
            return True
    except mailgun.MailgunError as error:
        raise TryLater(f"could not ask Mailgun about an earlier attempt: {error}",
                       in_doubt_since=in_doubt_since) from None
    settled = in_doubt_since + timedelta(seconds=config["MAILGUN_EVENTS_DELAY_SECONDS"])
    if utcnow() < settled:
        raise NotSettled(settled)
    return False


def backoff(attempts, asked=None):
    """How long to wait after the `attempts`-th failure: 1, 2, 4… times the base."""
    base = timedelta(seconds=current_app.config["OUTBOX_RETRY_SECONDS"])
    wait = min(base * 2 ** max(attempts - 1, 0), MAX_BACKOFF)
    if asked:
        wait = max(wait, timedelta(seconds=asked))
    return wait


def release_held(user):
    """The user's Telegram chat is linked now: their held messages go out, and those
    written before the link and not tried yet get the chat too."""
    waiting = (Message.user == user) & (Message.channel == User.TELEGRAM)
    (Message.update(address=user.telegram_chat_id)
     .where(waiting & (Message.status == Message.PENDING) & Message.address.is_null())
     .execute())
    return (Message
            .update(status=Message.PENDING, address=user.telegram_chat_id,
                    next_attempt_at=utcnow())
            .where(waiting & (Message.status == Message.HELD))
            .execute())


def lease():
    """How long a claimed message is left to its worker before another may take it."""
    return timedelta(seconds=current_app.config["OUTBOX_LEASE_SECONDS"])


def _claim(message, now=None):
    """Take `message` for one attempt if it is still due. Returns the message as claimed
    and the start of an earlier attempt whose outcome is unknown (None when there is
    none), or None when another worker has it. The claim, and the start of this
    attempt, are committed before anything is sent. The clock is read once the lock
    is held, so that waiting for it does not eat into the lease."""
    with exclusive(Message._meta.database, f"outbox:{message.id}"):
        now = now or utcnow()
        current = Message.due(now).where(Message.id == message.id).first()
        if current is None:
            return None
        in_doubt_since = current.attempt_started_at
        (Message
         .update(status=Message.SENDING, attempts=Message.attempts + 1,
                 next_attempt_at=now + lease(), attempt_started_at=now)
         .where(Message.id == message.id)
         .execute())
    current.status, current.attempts = Message.SENDING, current.attempts + 1
    current.next_attempt_at, current.attempt_started_at = now + lease(), now
    return current, in_doubt_since


def _finish(message, status, error=None, **fields):
    changes = {Message.status: status}
    if error is not None:
        changes[Message.last_error] = error[:2000]
    changes.update({getattr(Message, name): value for name, value in fields.items()})
    query = Message.update(changes).where(Message.id == message.id)
    if status != Message.SENT:
        # Only while the claim is still this worker's: one that outlived its lease
        # must not turn a message that another worker has sent back into pending.
        query = query.where((Message.status == Message.SENDING)
                            & (Message.attempts == message.attempts))
    query.execute()


# --- backends -----------------------------------------------------------------------

def send(message):
    """Hand one message to its channel's backend; raises Undeliverable or TryLater."""
    if message.channel == User.EMAIL:
        return _send_email(message)
    if message.channel == User.TELEGRAM:
        return _send_telegram(message)
    raise Undeliverable(f"unknown channel {message.channel!r}")


def email_message_id(message):
    """The Message-Id of every attempt at `message`: the same on a retry, so that
    Mailgun can be asked about it and a mailbox can spot a repeat, and a different one
    for every outbox row, in this database or any other sending from the same domain."""
    seed = f"{message.idempotency_key}|{message.created_at.isoformat()}"
    digest = hashlib.sha256(seed.encode()).hexdigest()[:20]
    domain = parseaddr(current_app.config["EMAIL_FROM"])[1].rpartition("@")[2] or "localhost"
    return f"<outbox.{message.id}.{digest}@{domain}>"


def attachments_of(message):
    instance = Path(current_app.instance_path)
    return [Attachment(item["filename"], (instance / item["path"]).read_bytes(),
                       item.get("content_type", "application/octet-stream"))
            for item in json.loads(message.attachments or "[]")]


def _send_email(message):
    config = current_app.config
    backend = config["EMAIL_BACKEND"]
    common = dict(sender=config["EMAIL_FROM"], to=message.address, subject=message.subject,
                  text=message.body_text, html=message.body_html,
                  attachments=attachments_of(message), message_id=email_message_id(message))
    if backend == "console":
        log.info("e-mail to %s: %s\n%s", message.address, message.subject, message.body_text)
        return ""
    try:
        if backend == "mailgun":
            return mailgun.send_message(domain=config["MAILGUN_DOMAIN"],
                                        api_key=config["MAILGUN_API_KEY"],
                                        base_url=config["MAILGUN_URL"], **common)
        if backend == "smtp":
            return smtp.send_message(host=config["SMTP_HOST"], port=config["SMTP_PORT"],
                                     username=config["SMTP_USERNAME"] or None,
                                     password=config["SMTP_PASSWORD"] or None,
                                     security=config["SMTP_SECURITY"], **common)
    except (mailgun.MailgunError, smtp.SmtpError) as error:
        if error.permanent:
            raise Undeliverable(str(error)) from None
        maybe_sent = getattr(error, "maybe_sent", False)  # only Mailgun can tell
        raise TryLater(str(error), in_doubt_since=message.attempt_started_at if maybe_sent
                       else None) from None
    raise Undeliverable(f"unknown EMAIL_BACKEND {backend!r}")


def telegram_text(message):
    return f"<b>{telegram_html(message.subject)}</b>\n\n{telegram_html(message.body_text)}"


def bot():
    config = current_app.config
    if not config["TELEGRAM_BOT_TOKEN"]:
        return None
    return TelegramBot(config["TELEGRAM_BOT_TOKEN"], base_url=config["TELEGRAM_API_URL"])


def _send_telegram(message):
    """Send the parts not sent yet, recording each as soon as Telegram confirms it."""
    telegram = bot()
    if telegram is None:
        log.info("Telegram to %s: %s\n%s", message.address, message.subject, message.body_text)
        return ""
    ids = [i for i in message.provider_ids.split(",") if i]
    try:
        for number, send_part in enumerate(telegram_parts(telegram, message), start=1):
            if number <= message.parts_sent:
                continue
            ids.append(str(send_part()))
            (Message
             .update(parts_sent=number, provider_ids=",".join(ids))
             .where(Message.id == message.id)
             .execute())
    except TelegramError as error:
        if error.permanent:
            raise Undeliverable(str(error)) from None
        raise TryLater(str(error), after=error.retry_after) from None
    return ",".join(ids)


def telegram_parts(telegram, message):
    """The calls that send `message`, in order: the pieces of its text, then its files."""
    for piece in split_message(telegram_text(message)):
        yield lambda piece=piece: telegram.send_message(message.address, piece)
    for attachment in attachments_of(message):
        yield lambda attachment=attachment: telegram.send_document(
            message.address, attachment.filename, attachment.content)


def retry(message_id, now=None):
    """Send a failed message again, counting attempts from one. Telegram parts that
    went out already are not sent again, and an attempt in doubt is still checked
    first. Returns False when there is no failed message with that id."""
    return (Message
            .update(status=Message.PENDING, attempts=0, next_attempt_at=now or utcnow(),
                    last_error="")
            .where((Message.id == message_id) & (Message.status == Message.FAILED))
            .execute()) == 1


def counts():
    """How many messages are in each status, for the teacher's outbox page."""
    return dict(Message
                .select(Message.status, fn.COUNT(Message.id))
                .group_by(Message.status)
                .tuples())
