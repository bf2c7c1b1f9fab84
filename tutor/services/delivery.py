"""Delivering the outbox. A worker claims a due message (a short lease, so two
consumers never send the same one), hands it to the channel's backend, and records
the outcome: sent; retried later with exponential backoff; or failed for good after
a permanent refusal or too many attempts. Telegram messages for a chat not linked
yet are held until it is."""
import json
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from flask import current_app
from peewee import fn

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

    def __init__(self, message, after=None):
        super().__init__(message)
        self.after = after  # seconds the provider asked us to wait, if it said


@dataclass
class Report:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    held: int = 0
    errors: list = field(default_factory=list)


def deliver_due(now=None, limit=100):
    """Deliver up to `limit` due messages. Safe to run in several consumers at once."""
    now = now or utcnow()
    report = Report()
    for message in list(Message.due(now).limit(limit)):
        if not _claim(message, now):
            continue  # another worker has it
        message = Message.get_by_id(message.id)
        if message.channel == User.TELEGRAM and not message.address:
            _finish(message, Message.HELD, attempts=message.attempts - 1)
            report.held += 1
            continue
        try:
            send(message)
        except Undeliverable as error:
            _finish(message, Message.FAILED, error=str(error))
            report.failed += 1
            report.errors.append(str(error))
        except TryLater as error:
            if message.attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]:
                _finish(message, Message.FAILED, error=f"gave up: {error}")
                report.failed += 1
            else:
                _finish(message, Message.PENDING, error=str(error),
                        next_attempt_at=now + backoff(message.attempts, error.after))
                report.retried += 1
            report.errors.append(str(error))
        else:
            _finish(message, Message.SENT, sent_at=utcnow())
            report.sent += 1
    return report


def backoff(attempts, asked=None):
    """How long to wait after the `attempts`-th failure: 1, 2, 4… times the base."""
    base = timedelta(seconds=current_app.config["OUTBOX_RETRY_SECONDS"])
    wait = min(base * 2 ** max(attempts - 1, 0), MAX_BACKOFF)
    if asked:
        wait = max(wait, timedelta(seconds=asked))
    return wait


def release_held(user):
    """The user's Telegram chat is linked now: their held messages go out."""
    return (Message
            .update(status=Message.PENDING, address=user.telegram_chat_id,
                    next_attempt_at=utcnow())
            .where((Message.user == user) & (Message.channel == User.TELEGRAM)
                   & (Message.status == Message.HELD))
            .execute())


def lease():
    """How long a claimed message is left to its worker before another may take it."""
    return timedelta(seconds=current_app.config["OUTBOX_LEASE_SECONDS"])


def _claim(message, now):
    return (Message
            .update(status=Message.SENDING, attempts=Message.attempts + 1,
                    next_attempt_at=now + lease())
            .where((Message.id == message.id)
                   & Message.status.in_([Message.PENDING, Message.SENDING])
                   & (Message.next_attempt_at <= now))
            .execute()) == 1


def _finish(message, status, error=None, **fields):
    changes = {Message.status: status}
    if error is not None:
        changes[Message.last_error] = error[:2000]
    changes.update({getattr(Message, name): value for name, value in fields.items()})
    Message.update(changes).where(Message.id == message.id).execute()


# --- backends -----------------------------------------------------------------------

def send(message):
    """Hand one message to its channel's backend; raises Undeliverable or TryLater."""
    if message.channel == User.EMAIL:
        return _send_email(message)
    if message.channel == User.TELEGRAM:
        return _send_telegram(message)
    raise Undeliverable(f"unknown channel {message.channel!r}")


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
                  attachments=attachments_of(message))
    if backend == "console":
        log.info("e-mail to %s: %s\n%s", message.address, message.subject, message.body_text)
        return "console"
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
        raise (Undeliverable if error.permanent else TryLater)(str(error)) from None
    raise Undeliverable(f"unknown EMAIL_BACKEND {backend!r}")


def telegram_text(message):
    return f"<b>{telegram_html(message.subject)}</b>\n\n{telegram_html(message.body_text)}"


def bot():
    config = current_app.config
    if not config["TELEGRAM_BOT_TOKEN"]:
        return None
    return TelegramBot(config["TELEGRAM_BOT_TOKEN"], base_url=config["TELEGRAM_API_URL"])


def _send_telegram(message):
    telegram = bot()
    if telegram is None:
        log.info("Telegram to %s: %s\n%s", message.address, message.subject, message.body_text)
        return "console"
    try:
        ids = [telegram.send_message(message.address, part)
               for part in split_message(telegram_text(message))]
        for attachment in attachments_of(message):
            ids.append(telegram.send_document(message.address, attachment.filename,
                                              attachment.content))
    except TelegramError as error:
        if error.permanent:
            raise Undeliverable(str(error)) from None
        raise TryLater(str(error), after=error.retry_after) from None
    return ",".join(str(i) for i in ids)


def retry(message_id, now=None):
    """Send a failed message again, from its first attempt. Returns False when there
    is no failed message with that id."""
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
