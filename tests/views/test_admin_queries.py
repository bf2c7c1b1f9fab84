"""The student list costs a fixed number of SQL queries (the rows with their lesson
counts and totals in one, the total in another), whether there are four students or
5,000 with 50,000 lessons; so do the lesson list and the student page."""
import time as clock
from datetime import date, datetime, timedelta

from peewee import chunked

from tests.queries import counting_queries
from tutor.models import Lesson, Payment, User

STUDENTS = 5_000
LESSONS = 50_000
PAYMENTS = 20_000
PAGES = [
    "/teacher/students",
    "/teacher/students?sort=lessons&order=desc",
    "/teacher/students?sort=paid&order=desc&page=7",
    "/teacher/students?sort=balance",
    "/teacher/students?sort=last_login",
    "/teacher/students?q=иванов&status=active",
    "/teacher/lessons?first_day=",
    "/teacher/lessons?first_day=2025-03-01&status=confirmed&student=петров",
    "/teacher/lessons?first_day=&status=unmarked",
]


def add_students(count, offset=0):
    rows = [{"login": f"student-{offset + n}", "password_hash": "x", "role": User.STUDENT,
             "first_name": "Иван" if n % 2 else "Пётр", "last_name": f"Иванов{offset + n}",
             "email": f"s{offset + n}@example.org", "channel": User.EMAIL,
             "last_login_at": datetime(2026, 1, 1) + timedelta(minutes=n) if n % 3 else None,
             "inactive_since": datetime(2026, 1, 1) if n % 10 == 0 else None}
            for n in range(count)]
    for batch in chunked(rows, 500):
        User.insert_many(batch).execute()


def add_lessons(teacher, count):
    ids = [row.id for row in User.select(User.id).where(User.role == User.STUDENT)]
    first = datetime(2025, 1, 1, 6)
    rows = []
    for n in range(count):
        start = first + timedelta(hours=n)
        rows.append({"teacher": teacher.id, "student": ids[n % len(ids)], "start": start,
                     "end": start + timedelta(hours=1),
                     "status": Lesson.CONFIRMED if n % 4 else Lesson.PENDING,
                     "price": 1000 + n % 500 if n % 4 else None, "people": 1,
                     "attendance": Lesson.ATTENDED if n % 4 and n % 3 == 0 else None,
                     "comment": "", "created_at": first})
    for batch in chunked(rows, 1000):
        Lesson.insert_many(batch).execute()


def add_payments(teacher, count):
    """`count` payments spread over the students (the balance column sums them)."""
    ids = [row.id for row in User.select(User.id).where(User.role == User.STUDENT)]
    rows = [{"student": ids[n % len(ids)], "teacher": teacher.id, "amount": 500 + n % 700,
             "paid_on": date(2025, 1, 1) + timedelta(days=n % 600), "note": "",
             "created_at": datetime(2026, 1, 1), "created_by": teacher.id}
            for n in range(count)]
    for batch in chunked(rows, 1000):
        Payment.insert_many(batch).execute()


def test_admin_lists_do_not_grow_with_the_data(app, client, auth, teacher, record_property):
    with app.app_context():
        add_students(4)
        add_lessons(teacher, 10)
        add_payments(teacher, 5)
    auth.login()

    def queries(path):
        with counting_queries() as plain:
            assert client.get(path).status_code == 200
        with counting_queries() as fragment:
            assert client.get(path, headers={"HX-Request": "true"}).status_code == 200
        return len(plain), len(fragment)

    queries("/teacher/students")  # the first view creates the teacher's default settings
    few = {path: queries(path) for path in PAGES}
    with app.app_context():
        student = User.get(User.login == "student-1")
    few_student = queries(f"/teacher/students/{student.id}")

    with app.app_context():
        add_students(STUDENTS - 4, offset=4)
        add_lessons(teacher, LESSONS - 10)
        add_payments(teacher, PAYMENTS - 5)
        assert User.select().where(User.role == User.STUDENT).count() == STUDENTS
        assert Lesson.select().count() == LESSONS
    many, seconds = {}, {}
    for path in PAGES:
        started = clock.perf_counter()
        many[path] = queries(path)
        seconds[path] = round(clock.perf_counter() - started, 3)
    assert many == few
    assert queries(f"/teacher/students/{student.id}") == few_student
    # The student list: the session's user, the teacher's settings (the time zone),
    # the total and the page of rows; the full page's header also asks the bell's
    # unread count, the count of requests awaiting confirmation and the providers'
    # faults for the banner.
    assert few["/teacher/students"] == (7, 4)
    record_property("queries", {**few, "student page": few_student})
    # Recorded, not asserted: timings belong to bench/, where the machine is quiet.
    record_property("seconds (page and fragment) with 5,000 students", seconds)
