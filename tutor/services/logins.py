"""Logins made from a person's names ("Иван Петров" -> ivan.petrov), and the student
account made with one when the teacher places a lesson for a new person or answers a
trial request."""
import re

from unidecode import unidecode

from tutor.database import exclusive
from tutor.extensions import db
from tutor.models import User
from tutor.services.accounts import LOGIN_PATTERN, NewCredentials
from tutor.services.passwords import hash_password, random_password


def login_from_names(first_name, last_name=""):
    """The login base for a person: "Иван Петров" -> "ivan.petrov". ASCII letters,
    digits, dots and hyphens; never shorter than LOGIN_PATTERN allows."""
    parts = [_slug(name) for name in (first_name, last_name)]
    base = ".".join(part for part in parts if part)[:32].rstrip(".-")
    if len(base) < 3:
        base = f"{base}.student" if base else "student"
    return base


def unique_login(base):
    """`base`, or base2, base3... the first that nobody has (cut to fit 32 characters)."""
    number = 1
    while True:
        suffix = str(number) if number > 1 else ""
        candidate = base[:32 - len(suffix)].rstrip(".-") + suffix
        if (LOGIN_PATTERN.match(candidate)
                and not User.select().where(User.login == candidate).exists()):
            return candidate
        number += 1


def _slug(name):
    text = unidecode(name or "").lower()
    text = re.sub(r"['`\"]", "", text)  # Игорь -> Igor' -> igor
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def new_student(first_name, last_name):
    """A student account for a person the teacher names, with a login made from the
    names and a random password: (the user, NewCredentials to show once). Under the
    accounts lock, as registration takes it: nobody else takes this login meanwhile."""
    with exclusive(db.database, "accounts"):
        login = unique_login(login_from_names(first_name, last_name))
        credentials = NewCredentials(login, random_password())
        student = User.create(login=login, password_hash=hash_password(credentials.password),
                              role=User.STUDENT, first_name=first_name, last_name=last_name)
    return student, credentials
