"""Accounts: the first teacher, registration, logging in, login sessions and the
student's own profile (password recovery is in services/recovery.py). Plain functions;
the views turn the named errors into form messages."""
import re
import secrets
import zoneinfo
from dataclasses import dataclass
from datetime import time

from flask import current_app
from peewee import IntegrityError

from tutor.database import exclusive
from tutor.extensions import db
from tutor.models import Goal, LinkedIdentity, LoginSession, User, normalize_login, utcnow
from tutor.services import notify
from tutor.services.password_strength import evaluate
from tutor.services.passwords import (
    burn_time,
    hash_password,
    needs_rehash,
    random_login,
    random_password,
    verify_password,
)

LOGIN_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{2,31}$")


class AccountError(Exception):
    """Base of the errors a form shows next to a field."""

    field = None


class InvalidCredentials(AccountError):
    """Wrong login or wrong password: deliberately the same error for both."""


class LoginTaken(AccountError):
    field = "login"


class EmailTaken(AccountError):
    field = "email"


class InvalidLogin(AccountError):
    field = "login"


class WeakPassword(AccountError):
    field = "password"

    def __init__(self, strength):
        super().__init__(strength.advice)
        self.strength = strength


class WrongCurrentPassword(AccountError):
    field = "current_password"


@dataclass(frozen=True)
class NewCredentials:
    login: str
    password: str


@dataclass(frozen=True)
class Registration:
    first_name: str
    last_name: str
    login: str
    password: str
    channel: str = User.NO_CHANNEL
    email: str | None = None
    digest_time: time | None = None
    goal_id: int | None = None
    timezone: str | None = None
    locale: str | None = None


# --- the teacher ------------------------------------------------------------------

def ensure_teacher():
    """Create the teacher when there is none. Returns the new credentials (to be shown
    once) or None when a teacher already exists. Several processes may call this at
    the same moment: the lock makes exactly one of them create the account."""
    with exclusive(db.database, "bootstrap-teacher"):
        if User.teachers().exists():
            return None
        credentials = NewCredentials(random_login(), random_password())
        User.create(
            login=credentials.login,
            password_hash=hash_password(credentials.password),
            role=User.TEACHER,
            password_generated_at=utcnow(),  # onboarding asks to change it
        )
        return credentials


class NoTeacher(LookupError):
    """There is no teacher account (with that login): `flask db upgrade` makes one."""


def the_teacher():
    """The teacher the app serves (the first teacher account), or NoTeacher."""
    teacher = User.first_teacher()
    if teacher is None:
        raise NoTeacher()
    return teacher


def reset_teacher_password(login=None):
    """A new generated password for the teacher (the first one, or the one with
    `login`), for when the one printed at first start is lost: every session of theirs
    ends, and the checklist asks to change it again. Returns NewCredentials, the only
    time the password exists in clear."""
    teacher = (User.teachers().where(User.login == normalize_login(login)).first()
               if login else User.first_teacher())
    if teacher is None:
        raise NoTeacher(login)
    credentials = NewCredentials(teacher.login, random_password())
    with db.database.atomic():
        (User.update(password_hash=hash_password(credentials.password),
                     password_generated_at=utcnow())
         .where(User.id == teacher.id)
         .execute())
        end_sessions(teacher)
    return credentials


# --- checks shared by registration and the profile ----------------------------------

def check_login(login, user=None):
    login = normalize_login(login)
    if not LOGIN_PATTERN.match(login):
        raise InvalidLogin()
    taken = User.select().where(User.login == login)
    if user is not None:
        taken = taken.where(User.id != user.id)
    if taken.exists():
        raise LoginTaken()
    return login


def check_email_free(email, user=None):
    taken = User.select().where(User.email == email)
    if user is not None:
        taken = taken.where(User.id != user.id)
    if taken.exists():
        raise EmailTaken()


def check_password(password, user_inputs):
    strength = evaluate(password, user_inputs, current_app.config["PASSWORD_MIN_SCORE"])
    if not strength.acceptable:
        raise WeakPassword(strength)
    return strength


def valid_timezone(name):
    return name if name in zoneinfo.available_timezones() else None


def offered_goal(goal_id):
    if goal_id is None:
        return None
    return Goal.offered().where(Goal.id == goal_id).first()


# --- registration -----------------------------------------------------------------

def register_student(form):
    """Create a student from a checked Registration and queue the welcome message.
    Raises LoginTaken, EmailTaken, InvalidLogin or WeakPassword; nothing is written
    then."""
    login = normalize_login(form.login)
    email = form.email if form.channel == User.EMAIL else None
    check_password(form.password, [login, form.first_name, form.last_name, email])
    with exclusive(db.database, "accounts"):
        check_login(login)
        if email:
            check_email_free(email)
        try:
            user = User.create(
                login=login,
                password_hash=hash_password(form.password),
                role=User.STUDENT,
                first_name=form.first_name,
                last_name=form.last_name,
                channel=form.channel,
                email=email,
                digest_time=form.digest_time if form.channel != User.NO_CHANNEL else None,
                goal=offered_goal(form.goal_id),
                timezone=valid_timezone(form.timezone),
                locale=form.locale,
                last_login_at=utcnow(),
            )
        except IntegrityError:  # a race the lock cannot see (another database client)
            raise LoginTaken() if User.by_login(login) else EmailTaken()
        notify.enqueue(user, "welcome", key=f"welcome:{user.id}")
    return user


# --- logging in -------------------------------------------------------------------

def authenticate(login, password):
    """The user for this login and password, with the login recorded; an inactive
    account becomes active again. Raises InvalidCredentials otherwise."""
    user = User.by_login(login)
    if user is None:
        burn_time(password or "")
        raise InvalidCredentials()
    if not verify_password(user.password_hash, password or ""):
        raise InvalidCredentials()
    changes = {User.last_login_at: utcnow(), User.inactive_since: None}
    if needs_rehash(user.password_hash):
        changes[User.password_hash] = hash_password(password)
    User.update(changes).where(User.id == user.id).execute()
    return User.get_by_id(user.id)


def set_locale(user, locale):
    User.update(locale=locale).where(User.id == user.id).execute()
    user.locale = locale


# --- login sessions ---------------------------------------------------------------

def start_session(user, device="", ip=None):
    """A new login of `user` on one device (`device`: the browser's User-Agent).
    Returns the user carrying the new session's random key, which get_id() hands to
    the cookies; the database keeps only its hash. The user's sessions unseen beyond
    LoginSession.IDLE_LIMIT, ended already, are cleared away."""
    (LoginSession
     .delete()
     .where((LoginSession.user == user.id)
            & (LoginSession.last_seen_at <= utcnow() - LoginSession.IDLE_LIMIT))
     .execute())
    key = secrets.token_urlsafe(32)
    LoginSession.create(user=user, key_hash=LoginSession.hash_key(key),
                        device=(device or "")[:255], ip=(ip or None) and ip[:45])
    user.session_key = key
    return user


def end_session(user):
    """Log out the session `user` was loaded with: its cookies, wherever they were
    copied to, open nothing any more."""
    if user.session_key:
        (LoginSession
         .delete()
         .where(LoginSession.key_hash == LoginSession.hash_key(user.session_key))
         .execute())


def end_sessions(user, keep=None):
    """Log the user out everywhere, except the session whose key is `keep`; returns
    how many sessions ended."""
    query = LoginSession.delete().where(LoginSession.user == user.id)
    if keep:
        query = query.where(LoginSession.key_hash != LoginSession.hash_key(keep))
    return query.execute()


# --- the profile ------------------------------------------------------------------

def update_profile(user, *, first_name, last_name, login, goal_id, timezone, locale):
    """Names, login, goal, time zone, language. A changed login is announced on the
    user's channel. Raises InvalidLogin or LoginTaken."""
    old_login = user.login
    with exclusive(db.database, "accounts"):
        login = check_login(login, user=user)
        User.update(first_name=first_name, last_name=last_name, login=login,
                    # a retired goal may stay, but only an offered one can be picked
                    goal=user.goal_id if goal_id == user.goal_id else offered_goal(goal_id),
                    timezone=valid_timezone(timezone), locale=locale,
                    ).where(User.id == user.id).execute()
    fresh = User.get_by_id(user.id)
    if login != old_login:
        notify.enqueue(fresh, "login_changed", {"old_login": old_login})
    return fresh


def knows_password(user):
    """False for a student who registered with Yandex ID and has set no password yet:
    theirs was generated and nobody knows it (services/signin.py)."""
    return (user.password_generated_at is None or user.is_teacher
            or not LinkedIdentity.select().where(LinkedIdentity.user == user.id).exists())


def set_password(user, password):
    """Store a password the person chose (no longer a generated one)."""
    user.password_hash = hash_password(password)
    User.update(password_hash=user.password_hash, password_generated_at=None,
                ).where(User.id == user.id).execute()


def change_password(user, current, new):
    """Requires the current password (unless the user has none they know, see
    knows_password); every other session of the user is logged out, the one `user`
    was loaded with stays."""
    if knows_password(user) and not verify_password(user.password_hash, current or ""):
        raise WrongCurrentPassword()
    check_password(new, [user.login, user.first_name, user.last_name, user.email])
    set_password(user, new)
    end_sessions(user, keep=user.session_key)
    notify.enqueue(user, "password_changed")
    return User.get_by_id(user.id)


def change_notifications(user, *, channel, email, digest_time, reminder_hours=None):
    """Switch channel (e-mail, Telegram, none), address, digest time and reminder
    (None: leave it). The notice goes to the old channel, so a hijacked account
    cannot silently move it."""
    email = email if channel == User.EMAIL else None
    old_channel, old_address = user.channel, user.address
    fields = {"channel": channel, "email": email,
              "digest_time": digest_time if channel != User.NO_CHANNEL else None}
    if reminder_hours is not None:
        fields["reminder_hours"] = reminder_hours
    with exclusive(db.database, "accounts"):
        if email:
            check_email_free(email, user=user)
        User.update(**fields).where(User.id == user.id).execute()
    fresh = User.get_by_id(user.id)
    if (old_channel, old_address) != (fresh.channel, fresh.address) and old_address:
        notify.enqueue(fresh, "channel_changed", {"new_channel": channel},
                       channel=old_channel, address=old_address)
    notify.deliver_waiting(fresh)
    return fresh


def deactivate(user):
    """The student steps away: no mass messages until they log in again, and logged
    out on every device."""
    User.update(inactive_since=utcnow()).where(User.id == user.id).execute()
    end_sessions(user)
