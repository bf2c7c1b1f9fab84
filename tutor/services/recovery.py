"""Password recovery: a signed, single-use link to set a new password, sent on the
person's channel ("forgot password") or with a new person's welcome (a trial request
answered), and the password set through it."""
from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer

from tutor.models import User, utcnow
from tutor.services import notify
from tutor.services.accounts import AccountError, check_password, end_sessions, set_password

RESET_MAX_AGE = 3600  # seconds a password-reset link stays valid
# A new person's first "set your password" link (a trial request answered) waits
# longer: the visitor may read it days later, before the lesson.
WELCOME_MAX_AGE = 7 * 24 * 3600


class InvalidResetLink(AccountError):
    """Expired, already used, or not a link we made."""


def _reset_serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def _welcome_serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="welcome")


def make_reset_token(user, welcome=False):
    """A signed reset token; `welcome`: the longer-lived first one of a new person
    (WELCOME_MAX_AGE). The hash's tail makes either single-use: setting a password
    changes it."""
    serializer = _welcome_serializer() if welcome else _reset_serializer()
    return serializer.dumps(
        {"id": user.id, "v": user.reset_version, "h": user.password_hash[-16:]})


def _reset_data(token):
    try:
        return _reset_serializer().loads(token, max_age=RESET_MAX_AGE)
    except BadData:
        return _welcome_serializer().loads(token, max_age=WELCOME_MAX_AGE)


def user_for_reset_token(token):
    try:
        data = _reset_data(token)
        user = User.get_or_none(User.id == int(data["id"]))
    except (BadData, KeyError, TypeError, ValueError):
        raise InvalidResetLink()
    if (user is None or user.reset_version != data["v"]
            or user.password_hash[-16:] != data["h"]):
        raise InvalidResetLink()
    return user


def request_password_reset(identifier, link_for):
    """If `identifier` names a user who has a channel: revoke all their sessions and
    send a reset link (made by `link_for(token)`) there. Says nothing either way."""
    user = User.by_identifier(identifier)
    if user is None or user.channel == User.NO_CHANNEL or not user.address:
        return
    end_sessions(user)
    User.update(reset_version=User.reset_version + 1).where(User.id == user.id).execute()
    user.reset_version = User.get_by_id(user.id).reset_version
    notify.enqueue(user, "password_reset", {"link": link_for(make_reset_token(user))},
                   key=f"password_reset:{user.id}:{user.reset_version}")


def reset_password(token, password):
    """Set a new password through a reset link. Returns the user, logged out
    everywhere (the caller starts a new session); raises InvalidResetLink or
    WeakPassword."""
    user = user_for_reset_token(token)
    check_password(password, [user.login, user.first_name, user.last_name, user.email])
    set_password(user, password)
    end_sessions(user)
    User.update(inactive_since=None, last_login_at=utcnow()).where(User.id == user.id).execute()
    return User.get_by_id(user.id)
