"""Reminders before lessons: who gets one and when, once per lesson and person,
again for a moved lesson, never for a lesson that has started or is unconfirmed."""
from datetime import datetime, time, timedelta

import pytest

from tutor.models import Lesson, Message, User
from tutor.services import reminders

START = datetime(2026, 12, 10, 12, 0)  # 15:00 in Moscow


@pytest.fixture
def lesson(app_ctx, teacher, create_student):
    teacher.channel, teacher.email = User.EMAIL, "teacher@example.org"
    teacher.save()
    anna = create_student(login="anna", channel=User.EMAIL, email="anna@example.org",
                          locale="en")
    return Lesson.create(teacher=teacher, student=anna, start=START,
                         end=START + timedelta(hours=1), status=Lesson.CONFIRMED)


def reminded():
    return sorted((m.user.login, m.idempotency_key) for m in
                  Message.select().where(Message.kind == "lesson_reminder"))


@pytest.mark.parametrize("fields, hours", [
    ({}, 2),
    ({"digest_time": time(8)}, 0),
    ({"digest_time": time(8), "reminder_hours": 6}, 6),
    ({"reminder_hours": 0}, 0),
    ({"reminder_hours": 24}, 24),
])
def test_how_long_before(fields, hours):
    assert reminders.hours_for(User(**fields)) == hours


def test_two_hours_before_once_for_the_student_and_the_teacher(lesson):
    assert reminders.send_due_reminders(START - timedelta(hours=2, seconds=1)) == 0
    assert reminders.send_due_reminders(START - timedelta(hours=2)) == 2
    assert [login for login, _ in reminded()] == ["anna", "teacher"]
    assert reminders.send_due_reminders(START - timedelta(minutes=90)) == 0
    assert len(reminded()) == 2
    message = Message.get(Message.user == lesson.student_id)
    assert message.subject == "Reminder: a lesson on Thursday, 10 December 2026, 15:00 (Moscow, UTC+3)"


def test_a_late_check_still_reminds_but_not_once_the_lesson_started(lesson):
    assert reminders.send_due_reminders(START - timedelta(minutes=5)) == 2
    Message.delete().execute()
    assert reminders.send_due_reminders(START) == 0


def test_choices_are_respected(lesson, teacher):
    User.update(reminder_hours=0).where(User.id == teacher.id).execute()
    User.update(reminder_hours=24).where(User.id == lesson.student_id).execute()
    assert reminders.send_due_reminders(START - timedelta(hours=24)) == 1
    assert [login for login, _ in reminded()] == ["anna"]
    User.update(channel=User.NO_CHANNEL).where(User.id == lesson.student_id).execute()
    Message.delete().execute()
    assert reminders.send_due_reminders(START - timedelta(hours=1)) == 0


def test_a_moved_lesson_is_reminded_of_again_and_a_request_never(lesson, teacher):
    reminders.send_due_reminders(START - timedelta(hours=1))
    later = START + timedelta(days=1)
    Lesson.update(start=later, end=later + timedelta(hours=1)).where(
        Lesson.id == lesson.id).execute()
    assert reminders.send_due_reminders(later - timedelta(hours=1)) == 2
    assert len(reminded()) == 4
    Lesson.update(status=Lesson.PENDING).where(Lesson.id == lesson.id).execute()
    Message.delete().execute()
    assert reminders.send_due_reminders(later - timedelta(hours=1)) == 0
