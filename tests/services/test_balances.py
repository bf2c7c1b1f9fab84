"""Attendance marks, payments and balances without the web: who may mark what and
when, payment validation, balances computed by hand (as of any day, in the teacher's
zone), the debtors, the movements a monthly report shows, and the audit entries."""
import json
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from tutor.models import AuditEntry, Lesson, Payment, User
from tutor.services import balances

NOW = datetime(2026, 11, 23, 8, 0)  # naive UTC: Monday 11:00 in Moscow


@pytest.fixture
def teacher(app_ctx, teacher):
    return User.get_by_id(teacher.id)


@pytest.fixture
def student(app_ctx, create_student):
    return User.get_by_id(create_student(login="alisa", first_name="Алиса").id)


@pytest.fixture
def other(app_ctx, create_student):
    return User.get_by_id(create_student(login="boris", first_name="Борис").id)


def lesson(teacher, student, start, price="1000", status=Lesson.CONFIRMED, attendance=None,
           minutes=60):
    return Lesson.create(teacher=teacher, student=student, start=start,
                         end=start + timedelta(minutes=minutes), status=status,
                         price=Decimal(price) if status == Lesson.CONFIRMED else None,
                         attendance=attendance)


def pay(teacher, student, amount, day, note=""):
    return balances.record_payment(teacher, student, amount, day, note, now=NOW)


def entries(action):
    return list(AuditEntry.newest(action))


# --- attendance -----------------------------------------------------------------------

@pytest.mark.parametrize("mark", [Lesson.ATTENDED, Lesson.MISSED, Lesson.LATE_CANCEL])
def test_the_teacher_marks_a_lesson_that_has_started(teacher, student, mark):
    past = lesson(teacher, student, NOW - timedelta(days=1))
    marked = balances.mark_attendance(teacher, past, mark, now=NOW)
    assert marked.attendance == mark == Lesson.get_by_id(past.id).attendance
    [entry] = entries("lesson.attendance")
    assert (entry.actor_id, entry.target_type, entry.target_id) == (teacher.id, "lessons",
                                                                    past.id)
    assert json.loads(entry.before) == {"attendance": None}
    assert json.loads(entry.after) == {"attendance": mark}


def test_a_lesson_going_on_can_be_marked_and_a_future_one_cannot(teacher, student):
    going_on = lesson(teacher, student, NOW - timedelta(minutes=30))
    assert balances.mark_attendance(teacher, going_on, Lesson.ATTENDED, now=NOW).attendance
    ahead = lesson(teacher, student, NOW + timedelta(minutes=1))
    with pytest.raises(balances.NotStarted):
        balances.mark_attendance(teacher, ahead, Lesson.LATE_CANCEL, now=NOW)
    exactly = lesson(teacher, student, NOW + timedelta(hours=3))
    balances.mark_attendance(teacher, exactly, Lesson.MISSED, now=exactly.start)
    assert Lesson.get_by_id(exactly.id).attendance == Lesson.MISSED
    assert Lesson.get_by_id(ahead.id).attendance is None


def test_only_a_confirmed_lesson_is_marked(teacher, student):
    pending = lesson(teacher, student, NOW - timedelta(days=1), status=Lesson.PENDING)
    with pytest.raises(balances.NotConfirmed):
        balances.mark_attendance(teacher, pending, Lesson.ATTENDED, now=NOW)


def test_only_its_teacher_marks_a_lesson(teacher, student, create_user):
    past = lesson(teacher, student, NOW - timedelta(days=1))
    other_teacher = create_user("teacher2", "Other-teacher-password-1", role=User.TEACHER)
    for who in (student, other_teacher, None):
        with pytest.raises(balances.NotAllowed):
            balances.mark_attendance(who, past, Lesson.ATTENDED, now=NOW)
    assert Lesson.get_by_id(past.id).attendance is None
    assert entries("lesson.attendance") == []


@pytest.mark.parametrize("mark", ["", "present", "ATTENDED", 1])
def test_an_unknown_mark_is_refused(teacher, student, mark):
    past = lesson(teacher, student, NOW - timedelta(days=1))
    with pytest.raises(balances.InvalidAttendance):
        balances.mark_attendance(teacher, past, mark, now=NOW)


def test_a_mark_changes_and_is_taken_back_each_audited_once(teacher, student):
    past = lesson(teacher, student, NOW - timedelta(days=1))
    balances.mark_attendance(teacher, past, Lesson.MISSED, now=NOW)
    balances.mark_attendance(teacher, past, Lesson.MISSED, now=NOW)  # no change, no entry
    balances.mark_attendance(teacher, past, Lesson.ATTENDED, now=NOW)
    balances.mark_attendance(teacher, past, None, now=NOW)
    assert Lesson.get_by_id(past.id).attendance is None
    assert [(json.loads(e.before), json.loads(e.after))
            for e in reversed(entries("lesson.attendance"))] == [
        ({"attendance": None}, {"attendance": "missed"}),
        ({"attendance": "missed"}, {"attendance": "attended"}),
        ({"attendance": "attended"}, {"attendance": None}),
    ]


def test_unmarked_lists_the_lessons_waiting_for_a_mark(teacher, student):
    first = lesson(teacher, student, NOW - timedelta(days=2))
    second = lesson(teacher, student, NOW - timedelta(days=1))
    lesson(teacher, student, NOW - timedelta(days=3), attendance=Lesson.ATTENDED)
    lesson(teacher, student, NOW - timedelta(days=4), status=Lesson.PENDING)
    lesson(teacher, student, NOW + timedelta(days=1))
    assert [l.id for l in balances.unmarked(teacher, now=NOW)] == [first.id, second.id]


# --- payments -------------------------------------------------------------------------

def test_a_payment_is_recorded_and_audited(teacher, student):
    payment = pay(teacher, student, "1500,50", date(2026, 11, 20), "  cash,  November ")
    stored = Payment.get_by_id(payment.id)
    assert (stored.student_id, stored.teacher_id, stored.created_by_id) == (
        student.id, teacher.id, teacher.id)
    assert (stored.amount, stored.paid_on, stored.note) == (
        Decimal("1500.50"), date(2026, 11, 20), "cash, November")
    [entry] = entries("payment.record")
    assert (entry.target_type, entry.target_id) == ("users", student.id)
    assert json.loads(entry.after) == {"payment": payment.id, "amount": "1500.50",
                                       "paid_on": "2026-11-20", "note": "cash, November"}


@pytest.mark.parametrize("amount,field", [
    ("0", "amount"), ("-100", "amount"), ("abc", "amount"), ("", "amount"),
    ("1000000.01", "amount"), ("10.005", "amount"), ("NaN", "amount"), ("Infinity", "amount"),
])
def test_a_bad_amount_is_refused(teacher, student, amount, field):
    with pytest.raises(balances.InvalidPayment) as error:
        pay(teacher, student, amount, date(2026, 11, 20))
    assert error.value.field == field
    assert Payment.select().count() == 0


def test_the_day_is_not_in_the_future_in_the_teachers_zone(teacher, student):
    # 23 Nov 22:00 UTC is already 24 Nov in Moscow.
    late = datetime(2026, 11, 23, 22, 0)
    assert balances.record_payment(teacher, student, "100", date(2026, 11, 24), now=late)
    with pytest.raises(balances.InvalidPayment) as error:
        balances.record_payment(teacher, student, "100", date(2026, 11, 25), now=late)
    assert error.value.field == "paid_on"
    with pytest.raises(balances.InvalidPayment):
        pay(teacher, student, "100", date(1999, 12, 31))


def test_a_long_note_is_refused(teacher, student):
    with pytest.raises(balances.InvalidPayment) as error:
        pay(teacher, student, "100", date(2026, 11, 20), "x" * 201)
    assert error.value.field == "note"


def test_only_the_teacher_records_and_only_for_a_student(teacher, student, other):
    with pytest.raises(balances.NotAllowed):
        pay(other, student, "100", date(2026, 11, 20))
    with pytest.raises(balances.NotAStudent):
        pay(teacher, teacher, "100", date(2026, 11, 20))
    with pytest.raises(balances.NotAllowed):
        balances.delete_payment(student, pay(teacher, student, "100", date(2026, 11, 20)))


def test_a_payment_is_deleted_once_and_audited(teacher, student):
    payment = pay(teacher, student, "700", date(2026, 11, 20), "by mistake")
    balances.delete_payment(teacher, payment)
    assert Payment.select().count() == 0
    with pytest.raises(balances.PaymentNotFound):
        balances.delete_payment(teacher, payment)
    [entry] = entries("payment.delete")
    assert (entry.target_type, entry.target_id) == ("users", student.id)
    assert json.loads(entry.before)["amount"] == "700.00"


# --- balances -------------------------------------------------------------------------

@pytest.fixture
def history(teacher, student, other):
    """Alisa, in Moscow time (UTC+3):
    paid 2000 on 1 Nov and 1500.50 on 20 Nov;
    attended 1000 (2 Nov), missed 1000 (5 Nov), cancelled late 800 (10 Nov),
    attended 1200.25 starting 00:30 on 21 Nov (20 Nov 21:30 UTC), unmarked 900
    (22 Nov), pending (15 Nov), and a confirmed lesson ahead (30 Nov).
    Boris: paid 100, attended 500."""
    lesson(teacher, student, datetime(2026, 11, 2, 7), "1000", attendance=Lesson.ATTENDED)
    lesson(teacher, student, datetime(2026, 11, 5, 7), "1000", attendance=Lesson.MISSED)
    lesson(teacher, student, datetime(2026, 11, 10, 7), "800", attendance=Lesson.LATE_CANCEL)
    lesson(teacher, student, datetime(2026, 11, 20, 21, 30), "1200.25",
           attendance=Lesson.ATTENDED)
    lesson(teacher, student, datetime(2026, 11, 22, 7), "900")
    lesson(teacher, student, datetime(2026, 11, 15, 7), status=Lesson.PENDING)
    lesson(teacher, student, datetime(2026, 11, 30, 7), "1000")
    pay(teacher, student, "2000", date(2026, 11, 1))
    pay(teacher, student, "1500.50", date(2026, 11, 20))
    lesson(teacher, other, datetime(2026, 11, 3, 7), "500", attendance=Lesson.ATTENDED)
    pay(teacher, other, "100", date(2026, 11, 3))


def test_the_balance_by_hand(history, student, other):
    # Paid 2000 + 1500.50 = 3500.50; charged 1000 + 800 + 1200.25 = 3000.25.
    assert balances.account(student) == balances.Account(paid=Decimal("3500.50"),
                                                         charged=Decimal("3000.25"))
    assert balances.balance(student) == Decimal("500.25")
    assert balances.balance(other) == Decimal("-400.00")


@pytest.mark.parametrize("day,expected", [
    (date(2026, 10, 31), Decimal("0")),
    (date(2026, 11, 1), Decimal("2000")),  # the payment of that day counts
    (date(2026, 11, 2), Decimal("1000")),  # 2000 − 1000
    (date(2026, 11, 9), Decimal("1000")),  # the missed lesson costs nothing
    (date(2026, 11, 10), Decimal("200")),  # − 800 cancelled late
    (date(2026, 11, 20), Decimal("1700.50")),  # + 1500.50; the 21 Nov lesson not yet
    (date(2026, 11, 21), Decimal("500.25")),  # 00:30 Moscow on 21 Nov: − 1200.25
    (date(2026, 12, 31), Decimal("500.25")),  # unmarked and future lessons: nothing
])
def test_the_balance_as_of_a_day_in_the_teachers_zone(history, student, day, expected):
    assert balances.balance(student, as_of=day) == expected


def test_a_student_without_anything_has_a_zero_balance(teacher, student):
    assert balances.account(student) == balances.Account()
    assert not balances.account(student).in_debt


def test_students_in_debt(history, teacher, student, other, create_student):
    create_student(login="clean")
    assert [(s.login, s.paid, s.charged, s.balance) for s in balances.debts()] == [
        ("boris", Decimal("100.00"), Decimal("500.00"), Decimal("-400.00"))]
    # One more attended lesson puts Alisa 699.75 in debt: the larger debt comes first.
    big = lesson(teacher, student, datetime(2026, 11, 22, 12), "1200")
    balances.mark_attendance(teacher, big, Lesson.ATTENDED, now=NOW)
    assert [(s.login, s.balance) for s in balances.debts()] == [
        ("alisa", Decimal("-699.75")), ("boris", Decimal("-400.00"))]


def test_movements_add_up(history, teacher, student, other):
    # 1–20 November: Alisa paid 3500.50, was charged 1000 + 800 (the 21 Nov one is
    # after); from 21 November on: opening 1700.50, charged 1200.25.
    first = balances.movements(teacher, date(2026, 11, 1), date(2026, 11, 20))
    assert first[student.id] == balances.Movement(student.id, opening=Decimal("0"),
                                                  paid=Decimal("3500.50"),
                                                  charged=Decimal("1800.00"))
    assert first[student.id].closing == balances.balance(student, date(2026, 11, 20))
    second = balances.movements(teacher, date(2026, 11, 21), date(2026, 11, 30))
    assert second[student.id] == balances.Movement(student.id, opening=Decimal("1700.50"),
                                                   paid=Decimal("0"),
                                                   charged=Decimal("1200.25"))
    assert second[student.id].closing == balances.balance(student) == Decimal("500.25")
    assert second[other.id].closing == Decimal("-400.00")
    assert balances.movements(teacher, date(2026, 10, 1), date(2026, 10, 31)) == {}
