"""Trial lesson requests: a visitor without an account asks (name, contact, goal,
preferred times); the teacher sees it in the inbox and in Telegram with "Offer a time"
and "Decline". Offering a time is the teacher's "lesson for a new person"
(placing.create_lesson_for), which makes the student account; the request then
names it.

Spam: the form's honeypot and the per-address rate limit are the view's; here, one
contact asks at most once per DUPLICATE_WINDOW (a repeat is answered as if accepted,
and nothing is written or sent). Nothing a visitor is told depends on who has an
account: the contact is never looked up among users.

When a time is offered, the visitor is told through the contact they gave
(tell_visitor): a request from the bot gets a Telegram message in that chat, which
becomes the new account's channel; an e-mail address gets an e-mail. Either carries
the login, the lesson's time and a single-use link to set their own password, and
goes through the outbox; on a site where that channel does not deliver yet, it waits
there (held) and the teacher is shown the credentials meanwhile, as for a phone."""
import re
from dataclasses import dataclass
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from flask_babel import force_locale
from flask_babel import gettext as _
from peewee import fn

from tutor.database import Prepared, exclusive
from tutor.extensions import db
from tutor.models import TrialRequest, User, utcnow
from tutor.services import (
    accounts,
    action_links,
    app_urls,
    booking,
    channels,
    notify,
    recipients,
    recovery,
    schedule,
    telegram_links,
)

DUPLICATE_WINDOW = timedelta(hours=24)
# Answered requests (offered a time or declined) hold a visitor's name and contact:
# the monthly purge (housekeeping.purge_records) removes them this long after the answer.
ANSWERED_KEPT_MONTHS = 6
MAX_NAME, MAX_CONTACT, MAX_TEXT = 200, 254, 1000


class TrialError(Exception):
    """Base of this module's refusals."""


class RequestNotFound(TrialError):
    """No request with that id for this teacher."""


class AlreadyDecided(TrialError):
    """The request was offered a time or declined already."""


def contact_key(contact):
    """A contact as the per-contact limit counts it: case, spaces, brackets, dashes and
    a leading @ do not make another address ("+7 (900) 123-45-67" is "+79001234567")."""
    return re.sub(r"[\s()\-]", "", (contact or "").strip().lower()).removeprefix("@")[:254]


def ask(name, contact, goal="", preferred_times="", now=None, *, chat_id=None, locale=None):
    """Keep a visitor's request and tell the teacher. Returns it, or None when this
    contact already asked within DUPLICATE_WINDOW (nothing new is written or sent).
    `chat_id`: asked in the bot from that Telegram chat, which is then the contact the
    limit counts (whatever else the visitor typed). `locale`: the visitor's language."""
    now = now or utcnow()
    teacher = accounts.the_teacher()
    key = f"telegram:{chat_id}" if chat_id is not None else contact_key(contact)
    with exclusive(db.database, "trials"):
        if (TrialRequest
                .select()
                .where((TrialRequest.contact_key == key)
                       & (TrialRequest.created_at > now - DUPLICATE_WINDOW))
                .exists()):
            return None
        trial = TrialRequest.create(
            teacher=teacher, name=name.strip()[:MAX_NAME], contact=contact.strip()[:MAX_CONTACT],
            contact_key=key, goal=(goal or "").strip()[:MAX_TEXT],
            preferred_times=(preferred_times or "").strip()[:MAX_TEXT], created_at=now,
            telegram_chat_id=str(chat_id) if chat_id is not None else None, locale=locale)
        notify.enqueue(teacher, "trial_request", {"trial": trial}, key=f"trial:{trial.id}",
                       link=app_urls.app_path("trials.show", trial_id=trial.id),
                       buttons=keyboard(trial, teacher))
    return trial


def keyboard(trial, teacher):
    """The Telegram buttons under the teacher's notice: "Offer a time" opens the
    new-lesson form filled in from the request (when the site's address is known),
    "Decline" declines in place (a signed callback; the message then says so)."""
    offer = app_urls.site_url("teacher.new_lesson", trial=trial.id)
    with force_locale(recipients.recipient_locale(teacher)):
        row = [{"text": _("Offer a time"), "url": offer}] if offer else []
        row.append({"text": _("Decline"),
                    "callback_data": action_links.trial_decline_data(trial)})
        return {"inline_keyboard": [row]}


def open_requests(teacher):
    return (TrialRequest
            .select()
            .where((TrialRequest.teacher == teacher.id) & (TrialRequest.status == TrialRequest.NEW))
            .order_by(TrialRequest.created_at.desc()))


def waiting_count(teacher):
    """How many requests wait for the teacher's answer (the home page says so): one
    COUNT query."""
    return _WAITING.scalar(db.database, teacher.id)


_WAITING = Prepared(lambda teacher_id: TrialRequest.select(fn.COUNT(TrialRequest.id)).where(
    (TrialRequest.status == TrialRequest.NEW) & (TrialRequest.teacher == teacher_id)))


def request_for(teacher, trial_id):
    """The teacher's request, or RequestNotFound (another teacher's is not found either)."""
    trial = TrialRequest.get_or_none((TrialRequest.id == trial_id)
                                     & (TrialRequest.teacher == teacher.id))
    if trial is None:
        raise RequestNotFound(trial_id)
    return trial


def _decide(teacher, trial_id, status, student=None, now=None):
    changed = (TrialRequest
               .update(status=status, decided_at=now or utcnow(), student=student)
               .where((TrialRequest.id == trial_id) & (TrialRequest.teacher == teacher.id)
                      & (TrialRequest.status == TrialRequest.NEW))
               .execute())
    if not changed:
        request_for(teacher, trial_id)  # RequestNotFound when it is not there at all
        raise AlreadyDecided(trial_id)
    return TrialRequest.get_by_id(trial_id)


def decline(teacher, trial_id, now=None):
    """Raises RequestNotFound or AlreadyDecided."""
    return _decide(teacher, trial_id, TrialRequest.DECLINED, now=now)


def offered(teacher, trial_id, student, now=None):
    """The lesson for the new person is made: the request names its student account.
    Raises RequestNotFound or AlreadyDecided."""
    return _decide(teacher, trial_id, TrialRequest.OFFERED, student=student, now=now)


def purge_answered(before):
    """Requests answered before `before` (naive UTC) are deleted; open ones stay, the
    teacher has yet to answer them. Returns how many went."""
    return (TrialRequest
            .delete()
            .where((TrialRequest.status != TrialRequest.NEW)
                   & (TrialRequest.decided_at < before))
            .execute())


def lesson_defaults(trial):
    """What the new-lesson form is filled in with: the names (the first word is the
    first name), and the request in the comment."""
    first, _space, last = trial.name.strip().partition(" ")
    lines = [_("Trial lesson. Contact: %(contact)s", contact=trial.contact)]
    if trial.goal:
        lines.append(_("Goal: %(goal)s", goal=trial.goal))
    if trial.preferred_times:
        lines.append(_("Preferred times: %(times)s", times=trial.preferred_times))
    return {"first_name": first[:100], "last_name": last.strip()[:100],
            "comment": "\n".join(lines)[:booking.MAX_COMMENT]}


# --- telling the visitor ----------------------------------------------------------------

# Why the teacher is shown the new person's credentials (Told.reason).
PHONE = "phone"  # the contact is not one the app can write to (a phone, a name)
NOT_CONFIGURED = "not_configured"  # the channel does not deliver here yet: it waits


@dataclass(frozen=True)
class Told:
    """How the visitor of an answered request hears of it: `channel` (User.TELEGRAM,
    User.EMAIL, or None: nothing can be sent), `address`, and `reason` when the
    teacher must pass the credentials on (PHONE, NOT_CONFIGURED), else None."""

    channel: str | None
    address: str | None
    reason: str | None

    @property
    def teacher_passes_on(self):
        return self.reason is not None

    @property
    def waits(self):
        """The message is written and waits for its channel to work on this site."""
        return self.reason == NOT_CONFIGURED

    @property
    def by_email(self):
        return self.channel == User.EMAIL


def email_of(contact):
    """The contact as an e-mail address (lower-case), or None when it is not one."""
    try:
        return validate_email((contact or "").strip(), check_deliverability=False
                              ).normalized.lower()
    except EmailNotValidError:
        return None


def tell_visitor(trial, student, lesson, link_for):
    """The new `student` account made for `trial` (its lesson `lesson`) reaches the
    visitor through the contact they gave: the bot's chat becomes the account's
    Telegram, an e-mail address its e-mail, and a message with the login, the lesson's
    time in the visitor's language and `link_for(token)` (a single-use link to set
    their password, recovery.WELCOME_MAX_AGE) goes through the outbox, held when the
    channel does not deliver on this site yet. Returns Told."""
    if trial.telegram_chat_id:
        channel, address = User.TELEGRAM, trial.telegram_chat_id
    else:
        channel, address = User.EMAIL, email_of(trial.contact)
        if address is None:
            return Told(None, None, PHONE)
    with db.database.atomic():
        changes = {User.channel: channel, User.locale: trial.locale or None}
        if channel == User.TELEGRAM:
            telegram_links.bind_chat(student, address, None)
        elif not User.select().where(User.email == address).exists():
            changes[User.email] = address
        else:  # another account's address: written to once, not the new account's channel
            del changes[User.channel]
        User.update(changes).where(User.id == student.id).execute()
        student = User.get_by_id(student.id)
        delivers = channels.delivers(channel)
        zone = schedule.settings_for(lesson.teacher_id).timezone
        notify.enqueue(student, "trial_welcome", {
            "lesson": lesson, "start": recipients.local_time(student, lesson.start, zone),
            "link": link_for(recovery.make_reset_token(student, welcome=True))},
            key=f"trial_welcome:{trial.id}", channel=channel, address=address,
            hold=not delivers)
    return Told(channel, address, None if delivers else NOT_CONFIGURED)
