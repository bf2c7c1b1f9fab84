"""The periodic jobs, called the way huey calls them."""
from datetime import datetime, time, timedelta

from tutor import jobs
from tutor.models import Lesson, Message
from tutor.queue import huey
from tutor.services import booking, schedule


def test_expiry_is_a_periodic_task_every_minute():
    due = {task.name for task in huey.read_periodic(datetime(2026, 1, 1, 3, 17))}
    assert "expire_unconfirmed_lessons" in due


def test_expiry_removes_unconfirmed_lessons_once_they_start(app_ctx, teacher, create_student,
                                                            time_machine):
    time_machine.move_to(datetime(2026, 11, 23, 6, 0), tick=False)
    schedule.set_windows(teacher, [(day, time(9), time(17)) for day in range(7)])
    student = create_student(channel="email", email="s@example.org")
    lesson = booking.book_lesson(student, teacher, datetime(2026, 11, 24, 9, 0))

    time_machine.move_to(lesson.start - timedelta(minutes=1), tick=False)
    assert jobs.expire_unconfirmed_lessons.call_local() == {"expired": 0}
    time_machine.move_to(lesson.start, tick=False)
    assert jobs.expire_unconfirmed_lessons.call_local() == {"expired": 1}
    assert jobs.expire_unconfirmed_lessons.call_local() == {"expired": 0}  # idempotent
    assert Lesson.select().count() == 0
    assert Message.select().where(Message.kind == "lesson_expired").count() == 1
