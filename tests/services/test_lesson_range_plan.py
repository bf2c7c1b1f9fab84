"""Lesson.in_range reads the lessons overlapping a week through the (teacher, end)
index, so a week costs the same after years of history (bench/load.py measures it)."""
from datetime import datetime, timedelta

from peewee import chunked

from tutor.database import backend
from tutor.extensions import db
from tutor.models import Lesson


def add_history(teacher, student, count, first):
    rows = [{"teacher": teacher.id, "student": student.id,
             "start": first + timedelta(hours=n), "end": first + timedelta(hours=n, minutes=45),
             "status": Lesson.CONFIRMED, "created_at": first} for n in range(count)]
    for batch in chunked(rows, 500):
        Lesson.insert_many(batch).execute()


def plan(query):
    sql, params = query.sql()
    database = db.database
    if backend(database) == "sqlite":
        return " ".join(row[-1] for row in database.execute_sql(f"EXPLAIN QUERY PLAN {sql}",
                                                                params))
    return " ".join(row[0] for row in database.execute_sql(f"EXPLAIN {sql}", params))


def test_a_week_of_lessons_is_read_through_the_end_index(app_ctx, teacher, create_student):
    student = create_student()
    now = datetime(2026, 11, 23, 9, 0)
    add_history(teacher, student, 20_000, now - timedelta(hours=20_000))  # ~2.3 years
    add_history(teacher, student, 50, now + timedelta(days=1))
    if backend(db.database) == "postgresql":
        db.database.execute_sql("ANALYZE lessons")
    week = Lesson.in_range(teacher, now + timedelta(days=1), now + timedelta(days=8))
    assert len(list(week)) == 50
    assert "lesson_teacher_id_end" in plan(week)
    # An interval before the history and one inside it still find what overlaps them.
    assert len(list(Lesson.in_range(teacher, now - timedelta(days=3000),
                                    now - timedelta(days=2999)))) == 0
    inside = now - timedelta(hours=100, minutes=30)
    assert [lesson.start for lesson in Lesson.in_range(teacher, inside, inside
                                                       + timedelta(minutes=1))] \
        == [now - timedelta(hours=101)]
