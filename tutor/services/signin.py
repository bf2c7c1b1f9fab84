"""Signing in the way people already do: with Yandex ID (an outside account linked to
the user, models.LinkedIdentity) and with the Telegram Login Widget (the chat the
user linked to the bot).

Account takeover is impossible through either: an outside account opens only the
user it was linked to, by that user (signed in) or by registering with it. An e-mail
Yandex reports is never matched against existing accounts: one equal to an existing
account's e-mail is refused at registration like any taken address, and the owner
links Yandex from their profile after logging in with their password."""
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from peewee import IntegrityError

from tutor.database import exclusive
from tutor.extensions import db
from tutor.models import LinkedIdentity, User, utcnow
from tutor.services import accounts, telegram_links

YANDEX = LinkedIdentity.YANDEX
# How old a Telegram Login Widget's authorisation may be (Telegram's auth_date).
TELEGRAM_MAX_AGE = timedelta(days=1)
UNIX_EPOCH = datetime(1970, 1, 1)  # naive UTC, as the models' times
TELEGRAM_CLOCK_SKEW = timedelta(minutes=5)  # an auth_date this far ahead is our clock
# The fields the widget signs (https://core.telegram.org/widgets/login); each one it
# sends is in the checked string, sorted by name.
TELEGRAM_FIELDS = ("id", "first_name", "last_name", "username", "photo_url", "auth_date")


class SigninError(Exception):
    """Base of this module's refusals."""


class IdentityTaken(SigninError):
    """This outside account is linked to another user."""


class NotLinked(SigninError):
    """No user is linked to this outside account (or Telegram chat)."""


class OnlyWayIn(SigninError):
    """Unlinking would leave the user no way to log in (no password they know)."""


class ForgedLogin(SigninError):
    """The Telegram payload's signature is not the bot's."""


class ExpiredLogin(SigninError):
    """The Telegram payload is older than TELEGRAM_MAX_AGE (or from the future)."""


# --- which ways are offered ---------------------------------------------------------

def yandex_offered():
    return bool(current_app.config["YANDEX_CLIENT_ID"])


def telegram_offered():
    return telegram_links.configured() and bool(telegram_links.bot_name())


# --- outside identities -------------------------------------------------------------

def identity_of(user, provider=YANDEX):
    return LinkedIdentity.get_or_none((LinkedIdentity.user == user.id)
                                      & (LinkedIdentity.provider == provider))


def user_for_identity(provider, subject):
    """The user this outside account opens, or NotLinked."""
    identity = LinkedIdentity.find(provider, subject)
    if identity is None or identity.user.is_deleted:
        raise NotLinked()
    return identity.user


def link(user, provider, subject, label=""):
    """Link the outside account to `user` (replacing the one of that provider the user
    had). Raises IdentityTaken when it opens another user."""
    with exclusive(db.database, "accounts"):
        found = LinkedIdentity.find(provider, subject)
        if found is not None and found.user_id != user.id:
            raise IdentityTaken()
        (LinkedIdentity
         .delete()
         .where((LinkedIdentity.user == user.id) & (LinkedIdentity.provider == provider))
         .execute())
        LinkedIdentity.create(user=user, provider=provider, subject=str(subject),
                              label=label[:254])


def unlink(user, provider=YANDEX):
    """Returns whether there was a link to remove. Raises OnlyWayIn while the user
    has no password they know (registered with it and set none)."""
    if not accounts.knows_password(user):
        raise OnlyWayIn()
    return bool(LinkedIdentity
                .delete()
                .where((LinkedIdentity.user == user.id) & (LinkedIdentity.provider == provider))
                .execute())


def register_with_identity(registration, provider, subject, label=""):
    """A new student (accounts.register_student's rules and errors) whose way in is the
    outside account: the password in `registration` is a generated one nobody knows,
    marked so (password_generated_at). Raises IdentityTaken when the outside account
    was linked meanwhile (the same person registering in two tabs)."""
    with exclusive(db.database, "accounts"):
        if LinkedIdentity.find(provider, subject) is not None:
            raise IdentityTaken()
        user = accounts.register_student(registration)
        try:
            with db.database.atomic():
                LinkedIdentity.create(user=user, provider=provider, subject=str(subject),
                                      label=label[:254])
        except IntegrityError:
            raise IdentityTaken()
        User.update(password_generated_at=utcnow()).where(User.id == user.id).execute()
    return User.get_by_id(user.id)


def signed_in(user):
    """Record a login made without the password (as accounts.authenticate does): the
    last-login time, and an inactive account becomes active again."""
    (User
     .update(last_login_at=utcnow(), inactive_since=None)
     .where(User.id == user.id)
     .execute())
    return User.get_by_id(user.id)


def login_suggestion(login):
    """The Yandex login as ours when it is a valid one and free, else ""."""
    try:
        return accounts.check_login(login)
    except accounts.AccountError:
        return ""


# --- the Telegram Login Widget -------------------------------------------------------

@dataclass(frozen=True)
class TelegramLogin:
    id: str
    username: str | None
    first_name: str
    last_name: str


def check_string(fields):
    """The widget's data-check-string: each received field but `hash` as key=value,
    sorted by key, joined by line feeds."""
    return "\n".join(f"{name}={fields[name]}" for name in sorted(fields) if name != "hash")


def telegram_signature(fields, bot_token):
    """HMAC-SHA-256 of the check string, keyed with SHA-256 of the bot's token."""
    key = hashlib.sha256(bot_token.encode()).digest()
    return hmac.new(key, check_string(fields).encode(), hashlib.sha256).hexdigest()


def verify_telegram(fields, bot_token, now=None):
    """The Telegram user a widget payload names, when the bot's token signed it no
    more than a day ago. `fields`: the posted values (only the widget's fields count;
    empty ones were not sent). Raises ForgedLogin or ExpiredLogin."""
    received = {name: str(fields[name]) for name in TELEGRAM_FIELDS if fields.get(name)}
    given = str(fields.get("hash") or "")
    if not bot_token or not given or "id" not in received or "auth_date" not in received:
        raise ForgedLogin()
    if not hmac.compare_digest(telegram_signature(received, bot_token).encode(),
                               given.lower().encode()):
        raise ForgedLogin()
    try:
        stamp = int(received["auth_date"])
        telegram_id = int(received["id"])
    except ValueError:
        raise ForgedLogin()
    now = now or utcnow()
    age = now - _from_unix(stamp)
    if age > TELEGRAM_MAX_AGE or age < -TELEGRAM_CLOCK_SKEW:
        raise ExpiredLogin()
    return TelegramLogin(id=str(telegram_id),
                         username=telegram_links.username_of(received.get("username")),
                         first_name=received.get("first_name", "")[:100],
                         last_name=received.get("last_name", "")[:100])


def _from_unix(stamp):
    try:
        return UNIX_EPOCH + timedelta(seconds=stamp)
    except OverflowError:
        raise ExpiredLogin()


def user_for_telegram(login):
    """The user whose linked chat is this Telegram person's, or NotLinked."""
    user = (User
            .select()
            .where((User.telegram_chat_id == login.id) & (User.role != User.DELETED))
            .first())
    if user is None:
        raise NotLinked()
    return user


def link_telegram(user, login):
    """The widget's Telegram person becomes `user`'s linked chat (a private chat's id
    is its person's), as the bot's /start link would make it."""
    with db.database.atomic():
        telegram_links.bind_chat(user, login.id, login.username)
    return User.get_by_id(user.id)
