"""The teacher's list of students in debt is summed over the whole history, so it is
kept (services/balances.debts) under a counter the database raises with every write to
what the list shows (migration 0034): a price, a mark, a payment, a lesson gone, a
student's name or role. Whoever writes, and only then."""
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest

from tests.conftest import STUDENT_PASSWORD
from tests.queries import counting_queries, written_elsewhere
from tutor.database import backend
from tutor.extensions import db
from tutor.models import ChangeCounter, Lesson, Payment, User
from tutor.services import backup, balances, booking, changes, personal_data, schedule

NOW = datetime(2026, 11, 23, 8, 0)  # naive UTC


@pytest.fixture
def student(app_ctx, create_student):
    return User.get_by_id(create_student(login="alisa", first_name="Алиса", last_name="").id)


def attended(teacher, student, days_ago, price):
    start = NOW - timedelta(days=days_ago)
    return Lesson.create(teacher=teacher, student=student, start=start,
                         end=start + timedelta(hours=1), status=Lesson.CONFIRMED,
                         price=Decimal(price), attendance=Lesson.ATTENDED)


@pytest.fixture
def charged(teacher, student):
    """Alisa attended a lesson at 1000 and paid 200: she owes 800."""
    lesson = attended(teacher, student, 2, 1000)
    balances.record_payment(teacher, student, "200", date(2026, 11, 20), now=NOW)
    return lesson


def owed():
    return [(debtor.login, debtor.full_name, debtor.balance) for debtor in balances.debts()]


WRITES = {
    "a lesson marked": lambda t, s, l: balances.mark_attendance(t, l, Lesson.MISSED, now=NOW),
    "a mark taken back": lambda t, s, l: balances.mark_attendance(t, l, None, now=NOW),
    "a price changed": lambda t, s, l: Lesson.update(price=Decimal(900)).execute(),
    "a lesson deleted": lambda t, s, l: l.delete_instance(),
    "a charged lesson entered": lambda t, s, l: attended(t, s, 3, 500),
    "a payment recorded": lambda t, s, l: balances.record_payment(t, s, "100", date(2026, 11, 21),
                                                                  now=NOW),
    "a payment deleted": lambda t, s, l: balances.delete_payment(t, Payment.get()),
    "a payment's amount changed": lambda t, s, l: Payment.update(amount=Decimal(1)).execute(),
    "the student renamed": lambda t, s, l: User.update(first_name="Алла", last_name="").where(
        User.id == s.id).execute(),
    "the student's login changed": lambda t, s, l: User.update(login="alla").where(
        User.id == s.id).execute(),
    "the student removed": lambda t, s, l: User.delete_by_id(s.id),
}


@pytest.mark.parametrize("write", WRITES)
def test_each_write_to_the_debts_raises_their_version(teacher, student, charged, write):
    before = changes.debts_version()
    WRITES[write](teacher, student, charged)
    assert changes.debts_version() > before


def test_other_writes_leave_it_alone(teacher, student, charged):
    before = changes.debts_version()
    User.update(last_seen_at=NOW, timezone="Asia/Tomsk").execute()
    student.save()  # every column written again, none changed
    Lesson.update(comment="bring the book").execute()
    schedule.set_windows(teacher, [(weekday, time(8), time(20)) for weekday in range(7)])
    booking.book_lesson(student, teacher, datetime(2026, 11, 26, 9), now=NOW)
    assert changes.debts_version() == before


def test_the_list_is_kept_until_it_moves(teacher, student, charged):
    assert owed() == [("alisa", "Алиса", Decimal(-800))]
    with counting_queries() as queries:
        assert owed() == [("alisa", "Алиса", Decimal(-800))]
    assert len(queries) == 1, queries  # the version: the sums are kept
    balances.record_payment(teacher, student, "300", date(2026, 11, 22), now=NOW)
    assert owed() == [("alisa", "Алиса", Decimal(-500))]
    User.update(first_name="Алиса", last_name="Иванова").where(User.id == student.id).execute()
    assert owed() == [("alisa", "Алиса Иванова", Decimal(-500))]
    balances.record_payment(teacher, student, "500", date(2026, 11, 22), now=NOW)
    assert owed() == []


def test_a_student_who_deleted_their_account_is_no_longer_listed(teacher, student, charged):
    assert owed()
    personal_data.delete_account(student, STUDENT_PASSWORD, now=NOW)
    assert owed() == []


def test_a_write_from_another_connection_counts(app, teacher, student, charged):
    assert owed()
    written_elsewhere(app, "UPDATE lessons SET price = 100")
    assert owed() == []  # charged 100, paid 200


def test_on_postgresql_a_transaction_counts_once(teacher, student, charged):
    if backend(db.database) != "postgresql":
        pytest.skip("PostgreSQL only")
    before = changes.debts_version()
    with db.database.atomic():
        for day in range(5):
            balances.record_payment(teacher, student, "1", date(2026, 11, 10 + day), now=NOW)
        Lesson.update(price=Decimal(999)).execute()
    assert changes.debts_version() == before + 1


def test_without_the_counter_nothing_is_kept(teacher, student, charged):
    ChangeCounter.delete().where(ChangeCounter.name == ChangeCounter.DEBTS).execute()
    assert changes.debts_version() is None
    assert owed() == [("alisa", "Алиса", Decimal(-800))]
    Payment.update(amount=Decimal(1000)).execute()
    assert owed() == []


def test_a_restore_counts(teacher, student, charged, tmp_path):
    """A backup put back rewrites the payments and lessons: the list is summed again."""
    path, counts = backup.make_backup(db.database, tmp_path, datetime(2026, 11, 23))
    assert ChangeCounter._meta.table_name not in counts
    balances.record_payment(teacher, student, "800", date(2026, 11, 22), now=NOW)
    assert owed() == []
    backup.restore_backup(db.database, path)
    assert owed() == [("alisa", "Алиса", Decimal(-800))]
