"""The student search reads the names stored folded (User.search_name): ё and е are
the same letter to it, a middle name is a word like any other, and the stored copy
follows every change of the names — registration, the student's profile, the
teacher's edits, a new person the teacher places, Yandex sign-up and the deletion of
an account. The cases where today's search and folding agree are in test_admin.py."""
from datetime import datetime

import pytest
from peewee import chunked

from tests.conftest import STUDENT_PASSWORD
from tests.query_plans import plan
from tutor.database import backend
from tutor.extensions import db
from tutor.models import User
from tutor.services import (
    accounts,
    lesson_list,
    logins,
    personal_data,
    signin,
    students,
)

NOW = datetime(2026, 11, 23, 8, 0)


def found(search):
    return [s.login for s in students.student_list(students.StudentFilter(search)).items]


@pytest.fixture
def people(app_ctx, create_student):
    create_student(login="semyon", first_name="Семён", last_name="Фёдоров")
    create_student(login="semenov", first_name="Пётр", last_name="Семенов")
    create_student(login="anna", first_name="Анна Мария", last_name="Ёлкина")


@pytest.mark.parametrize("search,expected", [
    ("семен федоров", ["semyon"]),  # typed without the dots, stored with them
    ("Семён Федоров", ["semyon"]),
    ("семен", ["semenov", "semyon"]),  # Семенов and Семён (by last name)
    ("семёнов", ["semenov"]),  # and the other way round
    ("ФЁДОРОВ", ["semyon"]),
    ("елкина", ["anna"]),
    ("ЁЛКИНА", ["anna"]),
    ("мария", ["anna"]),  # a middle name
    ("мария ёлк анна", ["anna"]),
    ("сем", ["semenov", "semyon"]),  # Семенов, Семён (by last name)
    ("ё", ["anna", "semenov", "semyon"]),  # е in all three
])
def test_yo_and_ye_are_one_letter(people, search, expected):
    assert found(search) == expected


def test_the_stored_copy_is_folded(people):
    stored = {u.login: u.search_name for u in User.select().where(User.role == User.STUDENT)}
    assert stored == {"semyon": "семен федоров", "semenov": "петр семенов",
                      "anna": "анна мария елкина"}


def test_the_lesson_list_finds_by_folded_names(app_ctx, teacher, create_student):
    from tutor.models import Lesson

    student = create_student(login="semyon", first_name="Семён", last_name="Фёдоров")
    Lesson.create(teacher=teacher, student=student, start=NOW, end=datetime(2026, 11, 23, 9),
                  status=Lesson.CONFIRMED, price="1000")
    lessons = lesson_list.lesson_list(teacher, lesson_list.LessonFilter(student="Семен"))
    assert [lesson.student.login for lesson in lessons.items] == ["semyon"]


# --- kept in step with the names ------------------------------------------------------

def test_registration(app_ctx):
    registration = accounts.Registration(
        first_name="Алёна", last_name="Ершова", login="alyona", password="Vp9#kLm2!qRt")
    accounts.register_student(registration)
    assert found("алена ершова") == ["alyona"]


def test_the_students_own_profile(people):
    anna = User.get(User.login == "anna")
    accounts.update_profile(anna, first_name="Анна", last_name="Зуева", login="anna",
                            goal_id=None, timezone=None, locale="ru")
    assert found("ёлкина") == [] and found("мария") == []
    assert found("зуева") == ["anna"]


def test_the_teachers_edit(people, teacher):
    semyon = User.get(User.login == "semyon")
    students.update_student(teacher, semyon, first_name="Сёма", last_name="Фёдоров",
                            login="semyon", email=None, channel=User.NO_CHANNEL,
                            goal_id=None, timezone=None)
    assert found("сема") == ["semyon"] and found("семен федоров") == []


def test_a_new_person_the_teacher_places(app_ctx):
    student, _ = logins.new_student("Фёкла", "Королёва")
    assert found("фекла королева") == [student.login]


def test_yandex_sign_up(app_ctx):
    registration = accounts.Registration(
        first_name="Лёва", last_name="Орлов", login="lyova", password="Vp9#kLm2!qRt")
    signin.register_with_identity(registration, signin.YANDEX, "42")
    assert found("лева орлов") == ["lyova"]


def test_deleting_the_account_forgets_the_names(people):
    anna = User.get(User.login == "anna")
    personal_data.delete_account(anna, STUDENT_PASSWORD, now=NOW)
    assert User.get_by_id(anna.id).search_name == ""
    assert found("ёлкина") == []


# --- the plan -------------------------------------------------------------------------


def test_the_search_reads_the_narrow_index_not_the_rows(app_ctx):
    """The search looks at the folded names, the login and the e-mail only. SQLite
    scans the index holding those (a fifth of a row) instead of the table; PostgreSQL
    (which picks its own scan) compares the stored text as it is: LIKE, not ILIKE,
    which folded every row's text again."""
    rows = [{"login": f"student{n:05d}", "password_hash": "x" * 100, "role": User.STUDENT,
             "first_name": "Иван", "last_name": f"Петров{n}",
             "search_name": f"иван петров{n}", "email": f"student{n:05d}@example.org"}
            for n in range(3000)]
    for batch in chunked(rows, 500):
        User.insert_many(batch).execute()
    if backend(db.database) == "postgresql":
        db.database.execute_sql("VACUUM ANALYZE users")
    where = students.StudentFilter("петров12").where()
    assert User.select().where(where).count() == 111  # 12, 120–129, 1200–1299
    if backend(db.database) == "sqlite":
        assert "COVERING INDEX user_role_search_name_login_email" in plan(
            User.select(User.id).where(where))
    else:
        assert "~~ '%петров12%'" in plan(User.select(User.id).where(where))
        assert "~~*" not in plan(User.select(User.id).where(where))


def test_rows_written_in_bulk_carry_the_copy_too(app_ctx):
    """insert_many (the bench's seed, a restored backup from before the column, tests)
    and update() write the folded copy as save() does."""
    User.insert_many([("a", "x", User.STUDENT, "Пётр", "Ёжиков")],
                     fields=[User.login, User.password_hash, User.role, User.first_name,
                             User.last_name]).execute()
    User.insert_many([{"login": "b", "password_hash": "x", "role": User.STUDENT,
                       "first_name": "Семён", "last_name": "", "search_name": "stale"}]).execute()
    User.update(first_name="Лёня", last_name="Ёлкин").where(User.login == "b").execute()
    assert found("петр ежиков") == ["a"] and found("леня елкин") == ["b"]
    with pytest.raises(ValueError):  # the copy is made of both names
        User.update(first_name="Ваня").where(User.login == "b")
