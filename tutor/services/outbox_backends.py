"""The outbox's channels: hand one message to Mailgun, SMTP, the console or Telegram,
and say what their answers mean (services/outbox_faults.py); ask Mailgun whether an
attempt whose answer never came was accepted. services/delivery.py decides what to
do with each outcome; its docstring says how a message is never sent twice."""
import hashlib
import json
import logging
from datetime import timedelta
from email.utils import parseaddr
from pathlib import Path

from flask import current_app

from tutor.integrations import mailgun, smtp
from tutor.integrations.attachments import Attachment
from tutor.integrations.telegram import (
    TelegramBot,
    TelegramError,
    markup_on_last,
    split_message,
    telegram_html,
)
from tutor.models import Message, StoredFile, User, utcnow
from tutor.services.outbox_faults import (
    ADDRESS_REFUSED,
    BLOCKED,
    CHAT_NOT_FOUND,
    DEACTIVATED,
    MAILGUN_DOMAIN,
    MAILGUN_KEY,
    REFUSED,
    SMTP_AUTH,
    TELEGRAM_TOKEN,
    ChatGone,
    ConfigurationFault,
    NotSettled,
    TryLater,
    Undeliverable,
)

log = logging.getLogger("tutor.outbox")


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
                            message_id=email_message_id(message),
                            since=in_doubt_since - timedelta(minutes=5)):
            return True
    except mailgun.MailgunError as error:
        raise TryLater(f"could not ask Mailgun about an earlier attempt: {error}",
                       in_doubt_since=in_doubt_since) from None
    settled = in_doubt_since + timedelta(seconds=config["MAILGUN_EVENTS_DELAY_SECONDS"])
    if utcnow() < settled:
        raise NotSettled(settled)
    return False


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
    """The files a message carries: kept in the database (notify stores them), or, for
    a message written before they were, a file under the instance folder."""
    found = []
    for reference in json.loads(message.attachments or "[]"):
        if "file_id" in reference:
            stored = StoredFile.get_or_none(StoredFile.id == reference["file_id"])
            if stored is None:
                raise FileNotFoundError(f"stored file {reference['file_id']} is gone")
            found.append(Attachment(stored.filename, bytes(stored.content),
                                    stored.content_type))
        else:
            path = Path(current_app.instance_path) / reference["path"]
            found.append(Attachment(reference["filename"], path.read_bytes(),
                                    reference.get("content_type", "application/octet-stream")))
    return found


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
        fault = _email_configuration_fault(error)
        if fault:
            raise ConfigurationFault(str(error), fault) from None
        if error.permanent:
            raise Undeliverable(str(error), _email_refusal(error)) from None
        maybe_sent = getattr(error, "maybe_sent", False)  # only Mailgun can tell
        raise TryLater(str(error), in_doubt_since=message.attempt_started_at if maybe_sent
                       else None) from None
    raise Undeliverable(f"unknown EMAIL_BACKEND {backend!r}")


def _email_configuration_fault(error):
    """The fault code when an e-mail provider refused our settings, not the message:
    Mailgun 401/403 (key), 404 (domain: the messages URL exists for every domain we
    own), an SMTP login refused."""
    if isinstance(error, mailgun.MailgunError):
        if error.status in (401, 403):
            return MAILGUN_KEY
        if error.status == 404:
            return MAILGUN_DOMAIN
        return None
    return SMTP_AUTH if error.auth else None


def _email_refusal(error):
    """Why a permanently refused e-mail was refused: its address, or something else."""
    if isinstance(error, mailgun.MailgunError):
        return ADDRESS_REFUSED if error.status == 400 and "'to'" in str(error) else REFUSED
    # 550 mailbox unavailable, 551 not local, 553 name not allowed, 501 bad address.
    return ADDRESS_REFUSED if error.code in (501, 550, 551, 553) else REFUSED


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
        if error.error_code in (401, 404):  # 404: a token Telegram cannot even parse
            raise ConfigurationFault(str(error), TELEGRAM_TOKEN) from None
        gone = _chat_gone(error)
        if gone:
            raise ChatGone(str(error), gone) from None
        if error.permanent:
            reason = CHAT_NOT_FOUND if "chat not found" in error.description else REFUSED
            raise Undeliverable(str(error), reason) from None
        raise TryLater(str(error), after=error.retry_after) from None
    return ",".join(ids)


def _chat_gone(error):
    """BLOCKED or DEACTIVATED when Telegram says the user is out of reach for good."""
    if error.error_code != 403:
        return None
    description = error.description.lower()
    if "bot was blocked by the user" in description:
        return BLOCKED
    if "user is deactivated" in description:
        return DEACTIVATED
    return None


def telegram_parts(telegram, message):
    """The calls that send `message`, in order: the pieces of its text (the last one
    carrying the message's buttons, if any), then its files."""
    markup = json.loads(message.buttons) if message.buttons else None
    for piece, piece_markup in markup_on_last(split_message(telegram_text(message)), markup):
        yield lambda piece=piece, piece_markup=piece_markup: telegram.send_message(
            message.address, piece, reply_markup=piece_markup)
    for attachment in attachments_of(message):
        yield lambda attachment=attachment: telegram.send_document(
            message.address, attachment.filename, attachment.content)
