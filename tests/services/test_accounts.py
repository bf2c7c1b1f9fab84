from datetime import datetime

import pytest

from tutor.models import User
from tutor.services import accounts
from tutor.services.passwords import hash_password, random_password, verify_password


def test_ensure_teacher_creates_one_and_only_once(app_ctx):
    credentials = accounts.ensure_teacher()
    assert credentials is not None
    teacher = User.by_login(credentials.login)
    assert teacher.is_teacher
    assert verify_password(teacher.password_hash, credentials.password)
    assert accounts.ensure_teacher() is None
    assert User.teachers().count() == 1


def test_ensure_teacher_leaves_an_existing_teacher_alone(app_ctx, teacher):
    assert accounts.ensure_teacher() is None
    assert [t.login for t in User.teachers()] == ["teacher"]


def test_random_passwords_are_strong_and_unambiguous():
    from zxcvbn import zxcvbn

    for _ in range(20):
        password = random_password()
        assert len(password) == 20
        assert not set(password) & set("lI1O0o")
        assert zxcvbn(password)["score"] == 4


def test_authenticate_records_login_and_reactivates(app_ctx, create_student):
    student = create_student(inactive_since=datetime(2026, 1, 1))
    user = accounts.authenticate(" " + student.login.upper(), "Student-test-password-1")
    assert user.id == student.id
    assert user.inactive_since is None
    assert user.last_login_at is not None


@pytest.mark.parametrize("login,password", [
    ("student1", "wrong"),
    ("nobody", "Student-test-password-1"),
    ("student1", ""),
    ("", ""),
    (None, None),
])
def test_authenticate_refuses_with_one_error(app_ctx, create_student, login, password):
    create_student()
    with pytest.raises(accounts.InvalidCredentials):
        accounts.authenticate(login, password)


def test_authenticate_upgrades_an_outdated_hash(app_ctx, create_student):
    from argon2 import PasswordHasher

    old_hash = PasswordHasher(time_cost=1, memory_cost=512).hash("Student-test-password-1")
    student = create_student()
    User.update(password_hash=old_hash).where(User.id == student.id).execute()
    accounts.authenticate(student.login, "Student-test-password-1")
    new_hash = User.get_by_id(student.id).password_hash
    assert new_hash != old_hash
    assert verify_password(new_hash, "Student-test-password-1")


def test_a_password_is_never_stored_in_clear(app_ctx):
    stored = hash_password("Secret-Password-9")
    assert "Secret-Password-9" not in stored
    assert stored.startswith("$argon2id$")


def test_a_session_id_names_a_login_session_until_it_ends(app_ctx, create_student):
    student = create_student()
    with pytest.raises(RuntimeError):
        student.get_id()  # a user read from the database is nobody's login
    key = accounts.start_session(student, "Firefox", "192.0.2.7").get_id()
    loaded = User.from_session_id(key)
    assert loaded.id == student.id and loaded.get_id() == key and loaded == student
    assert len(key) >= 43  # 256 random bits
    accounts.end_session(loaded)
    assert User.from_session_id(key) is None
    for junk in ["", None, "abc", "1", f"{student.id}:0", "x" * 100_000]:
        assert User.from_session_id(junk) is None
