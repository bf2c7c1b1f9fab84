"""The teacher's home page (services/agenda.py) asks two questions whose cost grew
with the history: how many past lessons wait for an attendance mark, and who is in
debt. The first is counted up to balances.UNMARKED_COUNTED through the lessons'
(teacher, status, attendance, start) index; the second sums the charged lessons once,
grouped by student (on SQLite in the order of the (student, status, attendance,
price) index), and joins the sums to the students: no sum correlated with each
student. The plans are checked on both databases over a history large enough for
the planners to care."""
from datetime import datetime

from tests.queries import counting_queries, history
from tests.query_plans import plan
from tutor.database import backend
from tutor.extensions import db
from tutor.models import User
from tutor.services import agenda, balances

NOW = datetime(2026, 11, 23, 8, 0)


def test_unmarked_lessons_are_counted_up_to_a_bound(app_ctx, teacher, create_student):
    history(teacher, [create_student()], balances.UNMARKED_COUNTED * 2)
    assert balances.unmarked(teacher, NOW).count() == balances.UNMARKED_COUNTED * 2
    assert balances.unmarked_count(teacher, NOW) == balances.UNMARKED_COUNTED
    home = agenda.for_teacher(teacher, NOW)
    assert home.unmarked == balances.UNMARKED_COUNTED and not home.unmarked_counted_all
    assert balances.unmarked_count(teacher, NOW, limit=1000) == balances.UNMARKED_COUNTED * 2


def test_the_home_pages_questions_seek_their_indexes(app_ctx, teacher, create_student):
    students = [create_student() for _ in range(40)]
    history(teacher, students, 20_000, unmarked_every=50)  # a teacher who marks
    unmarked = balances.unmarked(teacher, NOW).order_by().limit(balances.UNMARKED_COUNTED)
    assert "lesson_teacher_id_status_attendance_start" in plan(unmarked)
    charged = (User
               .select(User.id, balances.charged_subquery())
               .where(User.role == User.STUDENT))
    assert "lesson_student_id_status_attendance_price" in plan(charged)
    debtors = balances.debts()
    assert len(debtors) == 40 and debtors[0].charged == 500 * 1000


def test_the_debtors_sums_are_grouped_once(app_ctx, teacher, create_student):
    students = [create_student() for _ in range(40)]
    history(teacher, students, 20_000, unmarked_every=50)
    with counting_queries() as queries:
        debtors = balances.debts()
    assert len(queries) == 2 and len(debtors) == 40  # the debts' version, the sums
    found = plan(balances.debtors())
    if backend(db.database) == "sqlite":
        # Read in student order from the covering index: no temporary B-tree to group,
        # not the (status, start) index that would need one.
        assert "CORRELATED" not in found, found
        assert "USING COVERING INDEX lesson_student_id_status_attendance_price" in found
        assert "TEMP B-TREE FOR GROUP BY" not in found, found
    else:
        assert "SubPlan" not in found, found
