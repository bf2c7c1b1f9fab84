"""The calendar's version: the database raises it with every write to what the
calendar shows, whoever writes (the app, a bulk update, another connection, a
restore), and with nothing else."""
from datetime import datetime, time, timedelta

import pytest

from tests.conftest import POSTGRES_URL
from tests.queries import written_elsewhere
from tutor.database import backend
from tutor.extensions import db
from tutor.models import (AvailabilityWindow, ChangeCounter, Lesson, Message, TeacherSettings,
                          UnavailableInterval, User)
from tutor.services import backup, booking, changes, notify, schedule

MONDAY_9 = datetime(2026, 12, 7, 6, 0)  # naive UTC
BEFORE = datetime(2026, 12, 1)  # "now" for the writes that check the time


@pytest.fixture
def version(app_ctx, teacher):
    return changes.calendar_version


@pytest.fixture
def lesson(app_ctx, teacher, create_student):
    return Lesson.create(teacher=teacher, student=create_student(), start=MONDAY_9,
                         end=MONDAY_9 + timedelta(hours=1))


def test_the_version_names_the_teacher(version, teacher):
    assert version()[0] == teacher.id


WRITES = {
    "a lesson booked": lambda t, s, l: booking.book_lesson(s, t, MONDAY_9 + timedelta(days=1),
                                                           now=BEFORE),
    "a lesson confirmed": lambda t, s, l: booking.confirm_lesson(t, l, 1500, 1, now=BEFORE),
    "a lesson cancelled": lambda t, s, l: booking.cancel_lesson(t, l, "ill", now=BEFORE),
    "a lesson deleted": lambda t, s, l: l.delete_instance(),
    "every lesson updated": lambda t, s, l: Lesson.update(comment="x").execute(),
    "weekly windows set": lambda t, s, l: schedule.set_windows(t, [(0, time(9), time(12))]),
    "a window removed": lambda t, s, l: AvailabilityWindow.delete().execute(),
    "time blocked": lambda t, s, l: schedule.add_unavailable(
        t, MONDAY_9 + timedelta(days=2), MONDAY_9 + timedelta(days=2, hours=2)),
    "days off unblocked": lambda t, s, l: UnavailableInterval.delete().execute(),
    "settings changed": lambda t, s, l: schedule.update_settings(t, min_notice_hours=3),
    "the student deleted": lambda t, s, l: User.delete_by_id(s.id),
}


@pytest.mark.parametrize("write", WRITES)
def test_each_write_to_the_calendar_raises_the_version(version, teacher, lesson, write):
    schedule.set_windows(teacher, [(weekday, time(8), time(20)) for weekday in range(7)])
    UnavailableInterval.create(teacher=teacher, start=MONDAY_9 + timedelta(days=3),
                               end=MONDAY_9 + timedelta(days=4))
    TeacherSettings.for_teacher(teacher)
    before = version()
    WRITES[write](teacher, User.get_by_id(lesson.student_id), lesson)
    assert version()[1] > before[1]


def test_other_writes_leave_it_alone(version, teacher, lesson):
    before = version()
    student = User.get_by_id(lesson.student_id)
    student.first_name = "Пётр"
    student.save()
    notify.enqueue(student, "welcome", key="welcome:again")
    Message.update(attempts=1).execute()
    assert version() == before


def test_a_write_rolled_back_leaves_it_alone(version, lesson):
    before = version()
    with db.database.atomic() as transaction:
        Lesson.update(comment="undone").execute()
        transaction.rollback()
    assert version() == before


def test_a_write_from_another_connection_counts(version, app, lesson):
    before = version()
    written_elsewhere(app, "UPDATE lessons SET status = 'confirmed'")
    assert version()[1] > before[1]


@pytest.mark.skipif(not POSTGRES_URL, reason="PostgreSQL counts once per transaction")
def test_on_postgresql_a_transaction_counts_once(version, teacher, lesson):
    if backend(db.database) != "postgresql":
        pytest.skip("PostgreSQL only")
    before = version()
    with db.database.atomic():
        for hour in range(10):
            Lesson.create(teacher=teacher, student=lesson.student_id,
                          start=MONDAY_9 + timedelta(days=5, hours=hour),
                          end=MONDAY_9 + timedelta(days=5, hours=hour, minutes=50))
        schedule.update_settings(teacher, buffer_minutes=5)
    assert version()[1] == before[1] + 1


def test_a_restore_counts_and_is_not_undone_by_the_backup(version, app, lesson, tmp_path):
    path, counts = backup.make_backup(db.database, tmp_path, datetime(2026, 12, 3))
    assert ChangeCounter._meta.table_name not in counts
    Lesson.update(comment="after the backup").execute()
    before = version()
    backup.restore_backup(db.database, path)
    assert Lesson.get_by_id(lesson.id).comment == ""
    assert version()[1] > before[1]


def test_no_counter_no_version(version):
    ChangeCounter.delete().execute()
    assert version() is None
