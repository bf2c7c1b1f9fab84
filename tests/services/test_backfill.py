"""Lessons entered afterwards, without the web: saved confirmed with the mark and
marked as such, counted in the month's report and the student's balance, never on
top of another lesson of the teacher, and told to nobody."""
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from tests import racers
from tests.pdfs import pdf_pages
from tutor.models import AuditEntry, InboxItem, Lesson, Message, User
from tutor.services import balances, booking, placing, schedule
from tutor.services.reports import csv as report_csv
from tutor.services.reports import figures
from tutor.services.reports import files as report_files

NOW = datetime(2026, 11, 10, 9, 0)  # naive UTC
OCTOBER_LESSON = datetime(2026, 10, 14, 12, 0)  # 15:00 in Moscow
OCTOBER = datetime(2026, 10, 1).date()


@pytest.fixture
def teacher(app_ctx, teacher):
    return User.get_by_id(teacher.id)


@pytest.fixture
def student(create_student):
    return create_student(first_name="Ivan", last_name="Petrov", channel=User.EMAIL,
                          email="ivan@example.com", locale="en")


def enter(teacher, student, start=OCTOBER_LESSON, minutes=60, attendance=Lesson.ATTENDED,
          price="1500", now=NOW, **fields):
    lesson, _ = placing.enter_past_lesson(
        teacher, start, start + timedelta(minutes=minutes), attendance=attendance,
        student=student, price=Decimal(price), people=fields.pop("people", 1), now=now,
        **fields)
    return lesson


def test_a_past_lesson_is_saved_confirmed_marked_and_entered_afterwards(teacher, student):
    lesson = Lesson.get_by_id(enter(teacher, student, comment="Past tense").id)
    assert lesson.status == Lesson.CONFIRMED
    assert lesson.attendance == Lesson.ATTENDED
    assert lesson.entered_afterwards is True
    assert (lesson.start, lesson.end) == (OCTOBER_LESSON, OCTOBER_LESSON + timedelta(hours=1))
    assert lesson.price == Decimal("1500.00") and lesson.comment == "Past tense"
    assert lesson.confirmed_at == NOW


def test_a_lesson_created_as_usual_is_not_entered_afterwards(teacher, student):
    lesson, _ = placing.create_lesson_for(teacher, NOW + timedelta(days=1),
                                          NOW + timedelta(days=1, hours=1), student=student,
                                          price=Decimal(1000), people=1, now=NOW)
    assert Lesson.get_by_id(lesson.id).entered_afterwards is False


def test_nobody_is_told(teacher, student):
    enter(teacher, student)
    assert Message.select().count() == 0
    assert InboxItem.select().count() == 0


def test_it_counts_in_the_report_and_the_balance(teacher, student):
    enter(teacher, student)
    enter(teacher, student, start=OCTOBER_LESSON + timedelta(days=1),
          attendance=Lesson.MISSED, price="1000")
    report = figures.monthly_report(teacher, OCTOBER, now=NOW)
    assert [(line.entered_afterwards, line.attendance) for line in report.lines] == [
        (True, Lesson.ATTENDED), (True, Lesson.MISSED)]
    assert report.totals.lessons == 1 and report.totals.cost == Decimal("1500.00")
    assert report.entered_afterwards == 2
    lessons = report_rows(report)
    assert lessons[1][-2:] == ["attended", "entered afterwards"]
    assert balances.balance(student) == Decimal("-1500.00")


def test_the_pdf_marks_it(teacher, student):
    enter(teacher, student)
    pdf = report_files.monthly_files(teacher, OCTOBER, now=NOW, locale="ru").pdf
    text = " ".join(pdf_pages(pdf))
    assert "посещено" in text and "внесено задним числом" in text


def report_rows(report):
    import csv
    import io
    text = report_csv.monthly_csv(report, "en").decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=";"))


@pytest.mark.parametrize("offset, minutes", [
    (timedelta(0), 60),  # the same time
    (timedelta(minutes=30), 60),  # starts inside
    (timedelta(minutes=-30), 45),  # ends inside
    (timedelta(minutes=-30), 120),  # covers it
])
def test_it_never_overlaps_another_lesson(teacher, student, create_student, offset, minutes):
    other = create_student()
    enter(teacher, other)
    with pytest.raises(booking.SlotTaken):
        enter(teacher, student, start=OCTOBER_LESSON + offset, minutes=minutes)
    assert Lesson.select().count() == 1


def test_it_may_touch_another_lesson(teacher, student):
    enter(teacher, student)
    enter(teacher, student, start=OCTOBER_LESSON + timedelta(hours=1))
    assert Lesson.select().count() == 2


def test_a_lesson_of_another_teacher_does_not_count(teacher, student, create_user):
    other_teacher = create_user("teacher2", "Teacher-two-password-1", role=User.TEACHER)
    Lesson.create(teacher=other_teacher, student=student, start=OCTOBER_LESSON,
                  end=OCTOBER_LESSON + timedelta(hours=1), status=Lesson.CONFIRMED, price=1)
    enter(teacher, student)
    assert Lesson.select().where(Lesson.teacher == teacher.id).count() == 1


def test_unavailable_time_does_not_refuse_what_took_place(teacher, student):
    schedule.add_unavailable(teacher, OCTOBER_LESSON - timedelta(days=1),
                             OCTOBER_LESSON + timedelta(days=1))
    assert enter(teacher, student).entered_afterwards


def test_a_lesson_still_ahead_is_refused(teacher, student):
    with pytest.raises(placing.NotYetStarted):
        enter(teacher, student, start=NOW + timedelta(minutes=1))
    assert Lesson.select().count() == 0


def test_a_lesson_under_way_may_be_entered(teacher, student):
    assert enter(teacher, student, start=NOW - timedelta(minutes=10)).entered_afterwards


@pytest.mark.parametrize("fields, error_field", [
    ({"attendance": None}, "attendance"),
    ({"attendance": "maybe"}, "attendance"),
    ({"price": "-1"}, "price"),
    ({"people": 0}, "people"),
    ({"minutes": 13 * 60}, "end"),
    ({"comment": "x" * (booking.MAX_COMMENT + 1)}, "comment"),
])
def test_bad_details_are_refused(teacher, student, fields, error_field):
    with pytest.raises(booking.InvalidDetails) as caught:
        enter(teacher, student, **fields)
    assert caught.value.field == error_field
    assert Lesson.select().count() == 0


def test_only_the_teacher_enters_lessons_and_only_for_students(teacher, student):
    with pytest.raises(booking.NotAllowed):
        enter(student, student)
    with pytest.raises(booking.NotAllowed):
        enter(teacher, teacher)


def test_a_new_person_gets_an_account(teacher):
    lesson, credentials = placing.enter_past_lesson(
        teacher, OCTOBER_LESSON, OCTOBER_LESSON + timedelta(hours=1),
        attendance=Lesson.LATE_CANCEL, first_name="Иван", last_name="Орлов",
        price=Decimal(700), people=1, now=NOW)
    assert credentials.login == "ivan.orlov"
    assert Lesson.get_by_id(lesson.id).student.login == "ivan.orlov"
    assert balances.balance(lesson.student) == Decimal("-700.00")


RACER = """
import sys
from datetime import datetime, timedelta
from tutor import create_app
from tutor.models import Lesson, User
from tutor.services import booking, placing

url, teacher_id, student_id, start, now = sys.argv[1:]
app = create_app({"DATABASE_URL": url, "REDIS_URL": "", "TESTING": True,
                  "RATELIMIT_STORAGE_URI": "memory://"})
start, now = datetime.fromisoformat(start), datetime.fromisoformat(now)
with app.app_context():
    teacher, student = User.get_by_id(int(teacher_id)), User.get_by_id(int(student_id))
    print("ready", flush=True)
    sys.stdin.readline()  # everyone starts together
    try:
        placing.enter_past_lesson(teacher, start, start + timedelta(hours=1),
                                   attendance=Lesson.ATTENDED, student=student,
                                   price=1000, people=1, now=now)
        print("entered", flush=True)
    except booking.SlotTaken:
        print("taken", flush=True)
"""


@pytest.mark.slow
def test_entries_at_the_same_instant_for_overlapping_times_make_one_lesson(
        database_url, teacher, create_student):
    students = [create_student() for _ in range(4)]
    starts = [OCTOBER_LESSON + timedelta(minutes=15 * n) for n in range(4)]
    outcomes = racers.race(RACER, [(database_url, teacher.id, s.id, start.isoformat(),
                                    NOW.isoformat()) for s, start in zip(students, starts)])
    assert sorted(outcomes) == ["entered"] + ["taken"] * 3
    assert Lesson.select().count() == 1


def test_the_audit_log_keeps_the_entry(teacher, student):
    lesson = enter(teacher, student)
    [entry] = AuditEntry.newest("lesson.enter_afterwards")
    assert (entry.actor_id, entry.target_type, entry.target_id) == (teacher.id, "lessons",
                                                                    lesson.id)
