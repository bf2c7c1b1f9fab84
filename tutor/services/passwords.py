"""Password hashing (argon2id) and random credentials."""
import secrets
import string

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context

_hashers = {}


def _hasher():
    config = current_app.config if has_app_context() else {}
    key = (config.get("ARGON2_TIME_COST", 3), config.get("ARGON2_MEMORY_COST", 65536))
    if key not in _hashers:
        _hashers[key] = PasswordHasher(time_cost=key[0], memory_cost=key[1])
    return _hashers[key]


def hash_password(password):
    return _hasher().hash(password)


def verify_password(password_hash, password):
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash):
    return _hasher().check_needs_rehash(password_hash)


# A burned hash so an unknown login costs as much time as a wrong password.
_DUMMY = {}


def burn_time(password):
    hasher = _hasher()
    if hasher not in _DUMMY:
        _DUMMY[hasher] = hasher.hash(secrets.token_hex(16))
    verify_password(_DUMMY[hasher], password)


def random_password(length=20):
    """Letters and digits only: no character that is ambiguous to retype from a console."""
    alphabet = "".join(c for c in string.ascii_letters + string.digits if c not in "lI1O0o")
    while True:
        password = "".join(secrets.choice(alphabet) for _ in range(length))
        if (any(c.islower() for c in password) and any(c.isupper() for c in password)
                and any(c.isdigit() for c in password)):
            return password


def random_login(prefix="teacher"):
    return f"{prefix}-{secrets.token_hex(3)}"
