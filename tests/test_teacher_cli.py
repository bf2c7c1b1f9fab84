"""The teacher's generated credentials on the console: printed in a box at first start,
and `flask teacher reset-password` for when they scrolled away."""
import re

from tests.conftest import TEACHER_PASSWORD
from tutor.models import LoginSession, User
from tutor.services.passwords import verify_password

BOXED = re.compile(r"║ +login: \S+ +password: (\S+) +║")


def boxed_password(output):
    lines = [line for line in output.splitlines() if line.strip()]
    assert lines[0].startswith("╔") and lines[-1].startswith("╚")  # the box is closed
    assert len({len(line) for line in lines}) == 1  # every line as wide: a straight box
    return BOXED.search(output).group(1)


def test_the_first_start_prints_the_credentials_in_a_box(app, runner):
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    password = boxed_password(result.stderr)
    assert "The teacher account has been created." in result.stderr
    assert "flask --app wsgi teacher reset-password" in result.stderr
    with app.app_context():
        teacher = User.first_teacher()
        assert f"login: {teacher.login} " in result.stderr
        assert verify_password(teacher.password_hash, password)
    again = runner.invoke(args=["db", "upgrade"])
    assert again.exit_code == 0 and "password" not in again.stderr  # shown once only


def test_reset_password_prints_a_new_one_once_and_ends_the_sessions(app, runner, client, auth,
                                                                    teacher):
    auth.login()
    assert client.get("/teacher/settings").status_code == 200
    with app.app_context():
        assert LoginSession.select().where(LoginSession.user == teacher.id).count() == 1

    result = runner.invoke(args=["teacher", "reset-password"])
    assert result.exit_code == 0, result.output
    password = boxed_password(result.stderr)
    assert "login: teacher " in result.stderr and result.stdout == ""
    with app.app_context():
        fresh = User.get_by_id(teacher.id)
        assert verify_password(fresh.password_hash, password)
        assert not verify_password(fresh.password_hash, TEACHER_PASSWORD)
        assert fresh.password_generated_at is not None  # the checklist asks to change it
        assert LoginSession.select().where(LoginSession.user == teacher.id).count() == 0
    assert client.get("/teacher/settings").status_code == 302  # logged out there
    assert auth.login("teacher", password).status_code == 302
    assert client.get("/teacher/settings").status_code == 200

    second = runner.invoke(args=["teacher", "reset-password", "--login", "teacher"])
    assert second.exit_code == 0 and boxed_password(second.stderr) != password


def test_reset_password_without_such_a_teacher_says_so(app, runner, create_student):
    result = runner.invoke(args=["teacher", "reset-password"])
    assert result.exit_code == 1 and "there is no teacher yet" in result.stderr
    create_student(login="ivan")
    result = runner.invoke(args=["teacher", "reset-password", "--login", "ivan"])
    assert result.exit_code == 1 and "no teacher with the login ivan" in result.stderr
    with app.app_context():
        assert User.teachers().count() == 0
