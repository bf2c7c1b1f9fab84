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
from tutor.models import User, folded, search_name
from tutor.services import (
    accounts,
    backup,
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


# --- the trigram index -----------------------------------------------------------------

def search_plan(words):
    return plan(User.select(User.id).where(students.StudentFilter(words).where()))


@pytest.fixture
def many(app_ctx):
    """3,000 students, so that PostgreSQL's planner weighs an index against a scan."""
    rows = [{"login": f"student{n:05d}", "password_hash": "x" * 100, "role": User.STUDENT,
             "first_name": "Иван", "last_name": f"Петров{n}",
             "email": f"student{n:05d}@example.org"}
            for n in range(3000)]
    for batch in chunked(rows, 500):
        User.insert_many(batch).execute()
    if backend(db.database) == "postgresql":
        db.database.execute_sql("VACUUM ANALYZE users")


def test_words_of_three_letters_or_more_are_found_through_the_trigram_index(many):
    """A word inside a name is no prefix, so no B-tree finds it; the trigram index of
    migration 0033 does: SQLite's FTS5 table (the query names it), PostgreSQL's pg_trgm
    index (its planner picks it for the LIKE, which stays LIKE: ILIKE folded every
    row's text again)."""
    where = students.StudentFilter("петров12 иван").where()
    assert User.select().where(where).count() == 111  # 12, 120–129, 1200–1299
    if backend(db.database) == "sqlite":
        assert "SCAN user_search VIRTUAL TABLE INDEX 0:M" in search_plan("петров12 иван")
    else:
        # The planner weighs each word's trigrams against the table's size: at 3,000
        # short rows a word of three trigrams is worth the index, one of seven is not.
        assert "Bitmap Index Scan on user_search_trigrams" in search_plan("ов123")
        assert "~~ '%ов123%'" in search_plan("ов123")
        assert "~~*" not in search_plan("ов123")


def test_shorter_words_are_compared_row_by_row(many):
    """A trigram index cannot find one or two letters: SQLite scans the narrow index of
    what the search reads (a fifth of a row) instead of the table."""
    assert User.select().where(students.StudentFilter("12").where()).count() == 159  # 0–2999
    if backend(db.database) == "sqlite":
        assert "user_search" not in search_plan("12")
        assert "COVERING INDEX user_role_search_name_login_email" in search_plan("12")
        assert "user_search" in search_plan("12 иван")  # a longer word beside it


# Names with what LIKE, FTS5 queries and trigrams might read as more than letters.
ODD_PEOPLE = [
    ("gleb", "Глеб", "Яковлев", "gleb@example.org"),
    ("semyon", "Семён", "Фёдоров", None),
    ("anna", "Анна-Мария", "О'Нил", "a.m@example.org"),
    ("li", "Ли", "Ю", None),
    ("quotes", 'Кавычки "в"', "имени", "q@example.org"),
    ("percent", "50%", "скидка_и_всё", None),
    ("slash", "Back\\slash", "Иванов", "b\\s@example.org"),
    ("star", "Звёзд*чка", "AND OR NEAR", None),
]


def test_the_index_finds_what_comparing_each_row_finds(app_ctx, create_student):
    """Every part of every name, login and e-mail up to five characters long, and
    pairs of them: found exactly where Python finds the word in a field."""
    for login, first, last, email in ODD_PEOPLE:
        create_student(login=login, first_name=first, last_name=last, email=email)
    fields = {login: [search_name(first, last), login, email or ""]
              for login, first, last, email in ODD_PEOPLE}
    parts = sorted({text[i:i + n] for texts in fields.values() for text in texts
                    for n in range(1, 6) for i in range(len(text) - n + 1)} - {" "})
    queries = parts + [f"{a} {b}" for a, b in zip(parts[::7], parts[3::7])] + [
        '"', '""', "ле ле", "nope", "х" * 50]
    for query in queries:
        words = folded(query).split()
        expected = sorted(login for login, texts in fields.items()
                          if all(any(word in text for text in texts) for word in words))
        got = sorted(u.login for u in User.select(User.login).where(
            students.StudentFilter(query).where()))
        assert got == expected, query


def test_the_index_follows_every_write(app_ctx, create_student, teacher):
    """Inserts, changes of the names, the login or the e-mail, and deletions: the
    index never finds a user by what they no longer are, nor a new user by what the
    one deleted before them was (SQLite gives a new row the last id freed)."""
    gleb = create_student(login="gleb", first_name="Глеб", last_name="Яковлев",
                          email="gleb@example.org")
    assert found("яковлев") == found("gleb@exa") == ["gleb"]
    students.update_student(teacher, gleb, first_name="Глеб", last_name="Орлов",
                            login="glebushka", email="orlov@example.org",
                            channel=User.NO_CHANNEL, goal_id=None, timezone=None)
    assert found("яковлев") == found("gleb@exa") == []
    assert found("орлов") == found("glebushka") == found("orlov@exa") == ["glebushka"]
    gone_id = gleb.id
    students.delete_student(teacher, User.get_by_id(gone_id))
    assert found("орлов") == []
    newcomer = create_student(login="newcomer", first_name="Вера", last_name="Новикова")
    if backend(db.database) == "sqlite":
        assert newcomer.id == gone_id  # the case this guards
    assert found("орлов") == found("glebushka") == [] and found("новикова") == ["newcomer"]


def test_a_restored_backup_is_found(app_ctx, create_student, tmp_path):
    create_student(login="gleb", first_name="Глеб", last_name="Яковлев")
    path, _ = backup.make_backup(db.database, tmp_path, NOW)
    with db.database.atomic():
        for model in reversed(backup.ordered_models()):
            model.delete().execute()
    assert found("яковлев") == []
    backup.restore_backup(db.database, path)
    assert found("яковлев") == ["gleb"]


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
