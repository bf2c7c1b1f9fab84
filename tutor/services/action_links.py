"""What a notification carries so that it can be answered where it is read: Telegram
buttons (signed `callback_data`) and e-mail links to a confirmation page (signed
tokens). Only the making and reading of the signed data lives here; pressing one is
quick_actions.perform.

Both are signed with SECRET_KEY and name an action, a lesson and the lesson's
*version* (its ref and start): a lesson rejected, or moved on the web, after the
message was sent no longer matches, so its buttons change nothing. Telegram allows
64 bytes of callback_data: `c123.AbCdEf.<16 characters of HMAC-SHA256>` is at most 44.
E-mail tokens also carry their expiry, the lesson's start; each link works once
(models.ActionUse)."""
import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer

from tutor.models import TeacherSettings, User, utcnow
from tutor.services import app_urls, recipients

CONFIRM, REJECT, ACCEPT, CANCEL = "c", "r", "a", "x"
TEACHER_ACTIONS = (CONFIRM, REJECT)  # on the teacher's "new booking request"
STUDENT_ACTIONS = (ACCEPT, CANCEL)  # on the student's "your lesson was moved"
# The buttons each kind of message carries, and the links its e-mail carries (taking
# the new time needs no page: the lesson is already confirmed).
BUTTONS = {"lesson_booked": TEACHER_ACTIONS, "lesson_moved": STUDENT_ACTIONS,
           "lesson_rescheduled": STUDENT_ACTIONS}
LINKS = {"lesson_booked": TEACHER_ACTIONS, "lesson_moved": (CANCEL,),
         "lesson_rescheduled": (CANCEL,)}
CALLBACK_LIMIT = 64  # bytes of callback_data Telegram accepts
MAC_LENGTH = 16  # base64url characters: 96 bits
CALLBACK = re.compile(r"([crax])([0-9]{1,18})\.([A-Za-z0-9_-]{6})\.([A-Za-z0-9_-]{16})")
# The signer's namespace, not a secret (bandit takes it for a password).
TOKEN_SALT = "lesson-action"  # nosec B105


class Forged(Exception):
    """Not data we signed: altered, made up, or signed with another key."""


@dataclass(frozen=True)
class Action:
    code: str  # CONFIRM, REJECT, ACCEPT or CANCEL
    lesson_id: int
    version: str
    key: str  # what ActionUse remembers: the sha256 of the data
    expires_at: datetime | None = None  # e-mail tokens: the lesson's start (naive UTC)


def version(lesson):
    """Six characters that change when the lesson is moved or replaced by another
    with the same id."""
    digest = hashlib.sha256(f"{lesson.ref}|{lesson.start:%Y%m%d%H%M%S}".encode()).digest()
    return _b64(digest)[:6]


def actor_of(code, lesson):
    """Whose answer an action is: the teacher's for a request, the student's for a
    moved lesson."""
    return lesson.teacher if code in TEACHER_ACTIONS else lesson.student


# --- Telegram --------------------------------------------------------------------------

def callback_data(code, lesson):
    body = f"{code}{lesson.id}.{version(lesson)}"
    return f"{body}.{_mac(body)}"


def read_callback(data):
    """The Action in a button's callback_data. Raises Forged."""
    match = CALLBACK.fullmatch(data) if isinstance(data, str) else None
    if match is None:
        raise Forged()
    body, mac = data.rsplit(".", 1)
    if not hmac.compare_digest(mac, _mac(body)):
        raise Forged()
    code, lesson_id, lesson_version = match.group(1, 2, 3)
    return Action(code, int(lesson_id), lesson_version, _key("tg", data))


def keyboard(kind, user, lesson, now=None):
    """The inline keyboard of a `kind` message about `lesson` to `user`, or None:
    the actions, then Open (the lesson's page, when the site's address is known)."""
    codes = BUTTONS.get(kind)
    if not codes or getattr(lesson, "id", None) is None:
        return None
    with force_locale(recipients.recipient_locale(user)):
        row = [{"text": button_label(code, lesson, user),
                "callback_data": callback_data(code, lesson)}
               for code in codes if available(code, lesson, now)]
        rows = [row] if row else []
        rows += open_row(lesson)
    return {"inline_keyboard": rows} if rows else None


def open_row(lesson):
    """[[Open]] linking to the lesson's page on the site, or [] without an address."""
    url = app_urls.site_url("lessons.show", lesson_id=lesson.id)
    return [[{"text": _("Open"), "url": url}]] if url else []


def button_label(code, lesson, user):
    if code == CONFIRM:
        price = TeacherSettings.for_teacher(lesson.teacher_id).default_price
        return _("Confirm (%(price)s ₽)", price=recipients.local_amount(user, price))
    return {REJECT: _("Reject"), ACCEPT: _("Accept"), CANCEL: _("Cancel the lesson")}[code]


def available(code, lesson, now=None):
    """Whether offering `code` makes sense now: a student cancels a confirmed lesson
    only until the teacher's notice (booking.cancel_lesson checks it again)."""
    if code != CANCEL:
        return True
    settings = TeacherSettings.for_teacher(lesson.teacher_id)
    deadline = lesson.start - timedelta(hours=settings.cancellation_notice_hours)
    return (now or utcnow()) <= deadline


# --- e-mail ----------------------------------------------------------------------------

def token(code, lesson):
    """A token for the confirmation page: signed, for one use, until the lesson's start."""
    expires = int(lesson.start.replace(tzinfo=timezone.utc).timestamp())
    return _serializer().dumps([code, lesson.id, version(lesson), expires,
                                secrets.token_urlsafe(6)])


def read_token(value):
    """The Action a confirmation page's token carries. Raises Forged."""
    try:
        code, lesson_id, lesson_version, expires, _nonce = _serializer().loads(value)
    except (BadSignature, ValueError, TypeError):
        raise Forged() from None
    if (code not in TEACHER_ACTIONS + STUDENT_ACTIONS or type(lesson_id) is not int
            or type(expires) is not int or not isinstance(lesson_version, str)):
        raise Forged()
    try:
        expires_at = datetime.fromtimestamp(expires, timezone.utc).replace(tzinfo=None)
    except (OverflowError, OSError, ValueError):
        raise Forged() from None
    return Action(code, lesson_id, lesson_version, _key("mail", value), expires_at)


def links(kind, user, lesson, channel, now=None):
    """[(label, absolute URL)] of the confirmation pages an e-mail about `lesson`
    offers `user`; [] for other channels or without the site's address."""
    codes = LINKS.get(kind)
    if channel != User.EMAIL or not codes or getattr(lesson, "id", None) is None:
        return []
    found = []
    with force_locale(recipients.recipient_locale(user)):
        for code in codes:
            url = app_urls.site_url("actions.confirm", token=token(code, lesson))
            if url and available(code, lesson, now):
                found.append((link_label(code), url))
    return found


def link_label(code):
    return {CONFIRM: _("Confirm the lesson:"), REJECT: _("Reject the request:"),
            ACCEPT: _("Accept the new time:"),
            CANCEL: _("Cannot come at the new time? Cancel the lesson:")}[code]


# --- helpers ---------------------------------------------------------------------------

# The teacher's "Decline" under a trial request's notice: `td<id>.<MAC>`.
TRIAL_DECLINE = "td"
TRIAL_CALLBACK = re.compile(r"td([0-9]{1,18})\.([A-Za-z0-9_-]{16})")


def trial_decline_data(trial):
    body = f"{TRIAL_DECLINE}{trial.id}"
    return f"{body}.{_mac(body)}"


def read_trial_decline(data):
    """The trial request's id in a "Decline" button's callback_data. Raises Forged."""
    match = TRIAL_CALLBACK.fullmatch(data) if isinstance(data, str) else None
    if match is None or not hmac.compare_digest(match.group(2),
                                                _mac(f"{TRIAL_DECLINE}{match.group(1)}")):
        raise Forged()
    return int(match.group(1))


def _mac(body):
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"tg|{body}".encode(), hashlib.sha256).digest()
    return _b64(digest)[:MAC_LENGTH]


def _serializer():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)


def _key(kind, data):
    return hashlib.sha256(f"{kind}|{data}".encode()).hexdigest()


def _b64(digest):
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")
