"""Delivering the outbox (a little over 400 lines: a message's claim, attempt and every
outcome read best in one place; the channels, the fault codes and the outbox's other
chores are in outbox_backends, outbox_faults and outbox). A worker claims a due
message (a short lease, so two consumers never send the same one), hands it to the
channel's backend, and records the outcome: sent; retried later with exponential
backoff; or failed for good after a permanent refusal or too many attempts (the
teacher is told, in the app and on their channel). Telegram messages for a chat not linked yet are held until it is.

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
import logging
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from peewee import IntegrityError

from tutor.database import exclusive
from tutor.models import Message, ProviderFault, User, utcnow
from tutor.services import app_urls, notify
from tutor.services.outbox import release_configured
from tutor.services.outbox_backends import accepted_earlier, email_message_id, send
from tutor.services.outbox_faults import (
    BLOCKED,
    BROKEN,
    FAILURE_NOTICE,
    GAVE_UP,
    ChatGone,
    ConfigurationFault,
    NotSettled,
    TryLater,
    Undeliverable,
    reason_text,
)

log = logging.getLogger("tutor.outbox")
MAX_BACKOFF = timedelta(hours=6)


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
                   link=app_urls.app_path("outbox.index", status=Message.FAILED))


def backoff(attempts, asked=None):
    """How long to wait after the `attempts`-th failure: 1, 2, 4… times the base."""
    base = timedelta(seconds=current_app.config["OUTBOX_RETRY_SECONDS"])
    wait = min(base * 2 ** max(attempts - 1, 0), MAX_BACKOFF)
    if asked:
        wait = max(wait, timedelta(seconds=asked))
    return wait


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
