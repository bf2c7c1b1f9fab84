"""Delivering the outbox. A worker claims a due message (a short lease, so two
consumers never send the same one), hands it to the channel's backend, and records
the outcome: sent; retried later with exponential backoff; or failed for good after
a permanent refusal or too many attempts (the teacher is told, in the app and on
their channel). Telegram messages for a chat not linked yet are held until it is.

Faults are held, not dropped:
- A provider refusing our configuration (Mailgun 401/403 or 404 for the domain, an
  SMTP login refused, Telegram 401) is not the message's fault. The message waits as
  CONFIG, its attempt uncounted; the fault is recorded in the database (ProviderFault,
  the teacher's red banner) and every message of that channel waits with it, password
  resets too. Every PROVIDER_PROBE_SECONDS one of them is tried; when it goes out, all
  of them are due again, by themselves, whoever fixed what.
- Telegram 403 "bot was blocked by the user" / "user is deactivated": the chat is
  unlinked, the user's channel becomes the in-app one, their Telegram messages are
  held for a channel instead of retried, and they are told on their next page.

Nothing twice, as far as each provider lets us know. The claim is committed, with the
attempt's start in `attempt_started_at`, before the provider is called, and the known
outcome clears it. So a worker killed between the provider's "accepted" and our "sent"
(or a request whose answer never came) leaves a message whose earlier attempt is in
doubt, and when the lease runs out the next worker knows it:
- Mailgun: every attempt at a message carries the same Message-Id (email_message_id).
  Before sending again, the worker asks Mailgun's Logs API whether that Message-Id
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
from flask_babel import lazy_gettext as _l
from peewee import IntegrityError, fn

from tutor.database import exclusive
from tutor.integrations import mailgun, smtp
from tutor.integrations.attachments import Attachment
from tutor.integrations.telegram import (
    TelegramBot,
    TelegramError,
    markup_on_last,
    split_message,
    telegram_html,
)
from tutor.models import Message, ProviderFault, StoredFile, User, utcnow
from tutor.services import channels, notify

log = logging.getLogger("tutor.outbox")
MAX_BACKOFF = timedelta(hours=6)


# Why a message failed or waits (Message.fault, ProviderFault.code), said to the
# teacher in their language; the provider's own words stay in last_error.
MAILGUN_KEY = "mailgun_key"
MAILGUN_DOMAIN = "mailgun_domain"
SMTP_AUTH = "smtp_auth"
# A fault's name (bandit takes it for a password); the token is in the config.
TELEGRAM_TOKEN = "telegram_token"  # nosec B105
ADDRESS_REFUSED = "address_refused"
CHAT_NOT_FOUND = "chat_not_found"
REFUSED = "refused"
GAVE_UP = "gave_up"
BLOCKED = "blocked"
DEACTIVATED = "deactivated"
# Anything else that went wrong with one message: a missing file, a client raising
# what it should not, a database error on that row.
BROKEN = "broken"
REASONS = {
    MAILGUN_KEY: _l("Mailgun refused the API key: check MAILGUN_API_KEY."),
    MAILGUN_DOMAIN: _l("Mailgun does not know the sending domain: check MAILGUN_DOMAIN "
                       "and the region in MAILGUN_URL."),
    SMTP_AUTH: _l("The mail server refused to log in: check SMTP_USERNAME and "
                  "SMTP_PASSWORD."),
    TELEGRAM_TOKEN: _l("Telegram refused the bot token: check TELEGRAM_BOT_TOKEN."),
    ADDRESS_REFUSED: _l("The recipient's address was refused: it probably does not exist."),
    CHAT_NOT_FOUND: _l("Telegram does not know the recipient's chat."),
    REFUSED: _l("The provider refused the message."),
    GAVE_UP: _l("The provider could not take the message after every attempt."),
    BLOCKED: _l("The recipient blocked the bot: their Telegram was unlinked and they read "
                "their messages in the app."),
    DEACTIVATED: _l("The recipient's Telegram account is deleted: their Telegram was "
                    "unlinked and they read their messages in the app."),
    BROKEN: _l("An error in the app stopped this message; the details are below and in "
               "the server's log."),
}
CONFIGURATION = frozenset({MAILGUN_KEY, MAILGUN_DOMAIN, SMTP_AUTH, TELEGRAM_TOKEN})
# A message about a failed message is not itself reported when it fails: no chain.
FAILURE_NOTICE = "message_failed"


def reason_text(code):
    """The teacher's words for a fault code ("" for none, the code itself if unknown)."""
    return REASONS.get(code, code) if code else ""


class Undeliverable(Exception):
    """Sending again will not help (a refused address, a blocked bot)."""

    def __init__(self, message, reason=REFUSED):
        super().__init__(message)
        self.reason = reason


class ChatGone(Undeliverable):
    """Telegram says the user blocked the bot or deleted their account: the chat is
    unlinked and the user moved to the in-app channel."""


class ConfigurationFault(Exception):
    """The provider refused us, not the message (a wrong key, an unknown domain, a bad
    token): every message of the channel waits until a send succeeds again."""

    def __init__(self, message, reason):
        super().__init__(message)
        self.reason = reason


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
    waiting: int = 0  # held while the channel's provider refuses our configuration
    recovered: int = 0  # of `sent`: the provider had accepted an attempt in doubt
    unclaimed: int = 0  # the database refused the claim: left for the next run
    errors: list = field(default_factory=list)


def deliver_due(now=None, limit=100):
    """Deliver up to `limit` due messages. Safe to run in several consumers at once.
    `now` fixes the clock for the whole run; by default each claim reads it afresh, so
    a long run does not hand out leases that have run out already.

    A channel whose provider refuses our configuration (ProviderFault) sends nothing:
    its pending messages wait as CONFIG, and once every PROVIDER_PROBE_SECONDS one of
    them is tried; when it goes out (or the provider refuses only that message, so it
    took our key), the fault is cleared and all of them are due again."""
    report = Report()
    release_configured(now)
    faults = {fault.channel: fault for fault in ProviderFault.select()}
    for channel in list(faults):
        _hold_for_configuration(faults[channel])
        try:
            probe = _claim_probe(channel, now)
        except Exception as error:  # noqa: BLE001 (as below: the batch goes on)
            _claim_failed(f"the {channel} probe", error, report)
            continue
        if probe is not None:
            _deliver_one(probe, None, now, report, {}, probing=True)
            if ProviderFault.get_or_none(ProviderFault.channel == channel) is None:
                del faults[channel]
    for candidate in list(Message.due(now or utcnow()).limit(limit)):
        try:
            claimed = _claim(candidate, now)
        except Exception as error:  # noqa: BLE001 (a lock timeout, a dropped connection)
            _claim_failed(f"message {candidate.id}", error, report)
            _note_on(candidate, error)
            continue
        if claimed is None:
            continue  # another worker has it
        message, in_doubt_since = claimed
        _deliver_one(message, in_doubt_since, now, report, faults)
    return report


def _claim_failed(what, error, report):
    """The database refused a claim: nothing was sent and the message stays due, so
    the next run tries it again; this run goes on with the others."""
    log.exception("%s: could not be claimed", what)
    report.unclaimed += 1
    report.errors.append(f"{what}: {type(error).__name__}: {error}")


def _note_on(message, error):
    """Say on the message (the outbox shows it) why it is still waiting, if the
    database takes that much."""
    try:
        (Message
         .update(last_error=f"not claimed: {type(error).__name__}: {error}"[:2000])
         .where((Message.id == message.id) & (Message.status != Message.SENT))
         .execute())
    except Exception:  # noqa: BLE001 (the database is failing: the log has it)
        log.exception("message %s: could not record why it was not claimed", message.id)


def _deliver_one(message, in_doubt_since, now, report, faults, probing=False):
    """`_deliver`, with anything it did not expect recorded on the message instead of
    ending the run: the messages after it still go out."""
    try:
        _deliver(message, in_doubt_since, now, report, faults, probing)
    except Exception as error:  # one message's fault, whatever it is, stays with it
        log.exception("message %s: unexpected error while delivering", message.id)
        report.errors.append(f"message {message.id}: {type(error).__name__}: {error}")
        try:
            _broken(message, error, now, report)
        except Exception:  # the database itself is failing: the lease brings it back
            log.exception("message %s: could not record the error", message.id)


def _broken(message, error, now, report):
    """Record an unexpected error like an outage: the attempt counts, the message is
    tried again after its backoff, and fails for good (the teacher told) at the limit.
    The attempt's start stays, so a provider that may have taken it is asked first."""
    detail = f"{type(error).__name__}: {error}"
    if message.attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]:
        if _finish(message, Message.FAILED, error=f"gave up: {detail}", fault=BROKEN):
            _tell_teacher(message, BROKEN)
            report.failed += 1
    elif _finish(message, Message.PENDING, error=detail, fault=BROKEN,
                 next_attempt_at=(now or utcnow()) + backoff(message.attempts)):
        report.retried += 1


def _deliver(message, in_doubt_since, now, report, faults, probing=False):
    """One claimed message's attempt. `faults`: the channels known to refuse our
    configuration in this run (added to as they are found); their messages wait
    without being sent. `probing`: the message is its channel's probe, and the
    provider taking it (or refusing only it) clears the fault."""
    if message.channel == User.TELEGRAM and not message.address:
        _finish(message, Message.HELD, attempts=message.attempts - 1, attempt_started_at=None)
        report.held += 1
        return
    if message.channel in faults:
        fault = faults[message.channel]
        _finish(message, Message.CONFIG, error=fault.detail, fault=fault.code,
                attempts=message.attempts - 1, attempt_started_at=in_doubt_since)
        report.waiting += 1
        return
    try:
        if in_doubt_since and accepted_earlier(message, in_doubt_since):
            _finish(message, Message.SENT, sent_at=utcnow(), attempt_started_at=None,
                    provider_ids=email_message_id(message), fault="")
            log.info("message %s: an earlier attempt was accepted; not sent again", message.id)
            report.sent += 1
            report.recovered += 1
            if probing:
                _configuration_works(message.channel)
            return
        if message.attempts > current_app.config["OUTBOX_MAX_ATTEMPTS"]:
            # Its last attempt's worker died (a crash, a kill): another try could do the
            # same, so the limit holds here too.
            raise Undeliverable("gave up: the last attempt was interrupted", BROKEN)
        provider_ids = send(message)
    except ConfigurationFault as error:
        # Not the message's fault: it waits, its attempt uncounted, with the others.
        faults[message.channel] = _record_fault(message.channel, error, now)
        _finish(message, Message.CONFIG, error=str(error), fault=error.reason,
                attempts=message.attempts - 1, attempt_started_at=in_doubt_since)
        report.waiting += 1
        report.errors.append(str(error))
    except ChatGone as error:
        _unlink_chat(message, error)
        report.held += 1
        report.errors.append(str(error))
        if probing:
            _configuration_works(message.channel)
    except Undeliverable as error:
        _finish(message, Message.FAILED, error=str(error), fault=error.reason,
                attempt_started_at=None)
        _tell_teacher(message, error.reason)
        report.failed += 1
        report.errors.append(str(error))
        if probing:  # the provider took our key and refused only the message
            _configuration_works(message.channel)
    except NotSettled as error:
        # Looking is not an attempt: the count and the doubt stay as they were.
        _finish(message, Message.PENDING, error=str(error), attempts=message.attempts - 1,
                next_attempt_at=error.until, attempt_started_at=in_doubt_since)
        report.retried += 1
    except TryLater as error:
        if message.attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]:
            _finish(message, Message.FAILED, error=f"gave up: {error}", fault=GAVE_UP,
                    attempt_started_at=error.in_doubt_since)
            _tell_teacher(message, GAVE_UP)
            report.failed += 1
        else:
            _finish(message, Message.PENDING, error=str(error), fault="",
                    next_attempt_at=(now or utcnow()) + backoff(message.attempts, error.after),
                    attempt_started_at=error.in_doubt_since)
            report.retried += 1
        report.errors.append(str(error))
    else:
        _finish(message, Message.SENT, sent_at=utcnow(), attempt_started_at=None,
                provider_ids=provider_ids, fault="")
        report.sent += 1
        if probing:
            _configuration_works(message.channel)


# --- configuration faults -----------------------------------------------------------

def probe_interval():
    return timedelta(seconds=current_app.config["PROVIDER_PROBE_SECONDS"])


def _record_fault(channel, error, now=None):
    """Remember, for every process, that `channel`'s provider refuses our configuration;
    the first probe comes one interval later. Returns the fault."""
    now = now or utcnow()
    detail = str(error)[:2000]
    changed = (ProviderFault.update(code=error.reason, detail=detail)
               .where(ProviderFault.channel == channel).execute())
    if not changed:
        try:
            with ProviderFault._meta.database.atomic():
                ProviderFault.create(channel=channel, code=error.reason, detail=detail,
                                     since=now, probe_at=now + probe_interval())
            log.warning("%s: the provider refuses our configuration; messages wait: %s",
                        channel, detail)
        except IntegrityError:
            pass  # another worker recorded it at the same moment
    return ProviderFault.get(ProviderFault.channel == channel)


def _hold_for_configuration(fault):
    """The channel's pending messages wait with the others (their attempts kept)."""
    (Message
     .update(status=Message.CONFIG, fault=fault.code, last_error=fault.detail[:2000])
     .where((Message.channel == fault.channel) & (Message.status == Message.PENDING))
     .execute())


def _claim_probe(channel, now=None):
    """Take the oldest message waiting on `channel`'s configuration for one attempt,
    if the fault's probe is due; the next probe is set at once, so only one worker
    probes. None when it is not time, or nothing with an address waits."""
    with exclusive(ProviderFault._meta.database, f"provider-fault:{channel}"):
        now = now or utcnow()
        fault = ProviderFault.get_or_none(ProviderFault.channel == channel)
        if fault is None or fault.probe_at > now:
            return None
        (ProviderFault.update(probe_at=now + probe_interval())
         .where(ProviderFault.id == fault.id).execute())
        message = (Message
                   .select()
                   .where((Message.channel == channel) & (Message.status == Message.CONFIG)
                          & Message.address.is_null(False))
                   .order_by(Message.id)
                   .first())
        if message is None:
            return None
        (Message
         .update(status=Message.SENDING, attempts=Message.attempts + 1,
                 next_attempt_at=now + lease(), attempt_started_at=now)
         .where((Message.id == message.id) & (Message.status == Message.CONFIG))
         .execute())
    message.status, message.attempts = Message.SENDING, message.attempts + 1
    message.next_attempt_at, message.attempt_started_at = now + lease(), now
    return message


def _configuration_works(channel):
    """The provider took our configuration again: the fault is gone and what waited on
    it is due now."""
    if not ProviderFault.delete().where(ProviderFault.channel == channel).execute():
        return
    resumed = (Message
               .update(status=Message.PENDING, next_attempt_at=utcnow(), fault="")
               .where((Message.channel == channel) & (Message.status == Message.CONFIG))
               .execute())
    log.info("%s: the provider takes our configuration again; %s waiting messages resume",
             channel, resumed)


def faults():
    """The standing configuration faults, oldest first (the teacher's banner)."""
    return list(ProviderFault.select().order_by(ProviderFault.since))


# --- the recipient is gone, or the message refused ----------------------------------

def _unlink_chat(message, error):
    """Telegram says the user blocked the bot or deleted their account: that chat is
    unlinked, the user's channel becomes the in-app one, and their Telegram messages
    for it stop (held for a channel: kept in the inbox, and sent if they set a new one).
    The user is told in the app, and on their next page."""
    waiting = ((Message.user == message.user_id) & (Message.channel == User.TELEGRAM)
               & (Message.address == message.address)
               & Message.status.in_([Message.PENDING, Message.HELD, Message.CONFIG]))
    changes = dict(channel=User.NO_CHANNEL, address=None, fault=error.reason,
                   last_error=str(error)[:2000])
    _finish(message, Message.HELD, attempt_started_at=None, **changes)
    Message.update(status=Message.HELD, **changes).where(waiting).execute()
    user = User.get_or_none(User.id == message.user_id) if message.user_id else None
    if user is None or user.telegram_chat_id != message.address:
        return  # already unlinked, or linked to another chat since
    (User
     .update(telegram_chat_id=None, telegram_lost_at=utcnow(),
             channel=User.NO_CHANNEL if user.channel == User.TELEGRAM else user.channel)
     .where((User.id == user.id) & (User.telegram_chat_id == message.address))
     .execute())
    log.info("user %s: Telegram says %r; chat unlinked", user.id, str(error))
    user = User.get_by_id(user.id)
    notify.enqueue(user, "telegram_unlinked", {"blocked": error.reason == BLOCKED},
                   key=f"telegram_unlinked:{message.id}")


def telegram_notice_seen(user):
    """Clear the user's "your Telegram was unlinked" mark; True when this call did (so
    two requests at once show the notice once)."""
    return (User
            .update(telegram_lost_at=None)
            .where((User.id == user.id) & User.telegram_lost_at.is_null(False))
            .execute()) == 1


def _tell_teacher(message, reason):
    """A message failed for good: the teacher hears of it (in the app, and on their
    channel), once per message, with the reason in their language."""
    if message.kind == FAILURE_NOTICE:
        return
    teacher = User.first_teacher()
    if teacher is None:
        return
    recipient = User.get_or_none(User.id == message.user_id) if message.user_id else None
    who = (recipient.full_name or recipient.login) if recipient else message.address or ""
    notify.enqueue(teacher, FAILURE_NOTICE,
                   {"failed": message, "who": who, "reason": reason_text(reason)},
                   key=f"{FAILURE_NOTICE}:{message.id}",
                   link=notify.app_path("outbox.index", status=Message.FAILED))


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


def release_configured(now=None):
    """Messages held with an address because their channel did not deliver on this
    site yet (a trial's welcome by e-mail on a new install) go out once it does."""
    released = 0
    for channel in channels.delivering():
        released += (Message
                     .update(status=Message.PENDING, next_attempt_at=now or utcnow())
                     .where((Message.channel == channel) & (Message.status == Message.HELD)
                            & Message.address.is_null(False))
                     .execute())
    return released


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
    return query.execute()


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
