"""The daily digest: at the user's time in the user's zone, once, only on days with
lessons."""
from datetime import datetime, time, timedelta

import pytest

from tutor.models import Lesson, Message, User
from tutor.services import digest


@pytest.fixture
def people(app_ctx, teacher, create_student):
    User.update(channel=User.EMAIL, email="t@example.org", digest_time=time(7, 0)).where(
        User.id == teacher.id).execute()
    anna = create_student(login="anna", channel=User.EMAIL, email="anna@example.org",
                          digest_time=time(8, 0), timezone="Asia/Yekaterinburg", locale="en")
    boris = create_student(login="boris", channel=User.EMAIL, email="boris@example.org",
                           digest_time=time(8, 0))
    return User.get_by_id(teacher.id), anna, boris


def lesson(teacher, student, start, status=Lesson.CONFIRMED):
    return Lesson.create(teacher=teacher, student=student, start=start,
                         end=start.replace(hour=start.hour + 1), status=status)


def test_digest_at_the_users_local_time_once_a_day(people):
    teacher, anna, boris = people
    # Anna lives at UTC+5: her 8:00 is 03:00 UTC; her lesson at 15:00 local is 10:00 UTC.
    lesson(teacher, anna, datetime(2026, 11, 24, 10, 0))
    assert digest.send_due_digests(datetime(2026, 11, 24, 2, 59)) == 0
    assert digest.send_due_digests(datetime(2026, 11, 24, 3, 0)) == 1
    message = Message.get(Message.user == anna)
    assert message.kind == "digest" and message.locale == "en"
    assert "15:00–16:00" in message.body_text and "Asia/Yekaterinburg" in message.body_text
    assert digest.send_due_digests(datetime(2026, 11, 24, 3, 5)) == 0  # once
    # Boris (Moscow, UTC+3) has no lessons: nothing, ever, that day.
    assert digest.send_due_digests(datetime(2026, 11, 24, 18, 0)) == 1  # the teacher's
    assert Message.select().where(Message.user == boris).count() == 0


def test_the_teacher_hears_of_every_lesson_with_names(people):
    teacher, anna, boris = people
    lesson(teacher, anna, datetime(2026, 11, 24, 10, 0))
    lesson(teacher, boris, datetime(2026, 11, 24, 12, 0), status=Lesson.PENDING)
    lesson(teacher, boris, datetime(2026, 11, 25, 12, 0))  # tomorrow: not in today's
    digest.send_due_digests(datetime(2026, 11, 24, 4, 0))  # 07:00 in Moscow
    text = Message.get(Message.user == teacher).body_text
    assert "13:00–14:00" in text and "15:00–16:00" in text and "16:00" not in text.split("15:00–16:00")[1]
    assert anna.full_name in text and boris.full_name in text


def test_a_late_run_catches_up_the_same_day(people):
    teacher, anna, boris = people
    lesson(teacher, boris, datetime(2026, 11, 24, 15, 0))
    assert digest.send_due_digests(datetime(2026, 11, 24, 20, 59)) >= 1  # 23:59 Moscow
    assert Message.select().where(Message.user == boris).count() == 1


def test_no_channel_no_digest(people):
    teacher, anna, boris = people
    User.update(channel=User.NO_CHANNEL).where(User.id == boris.id).execute()
    lesson(teacher, boris, datetime(2026, 11, 24, 15, 0))
    digest.send_due_digests(datetime(2026, 11, 24, 12, 0))
    assert Message.select().where(Message.user == boris).count() == 0


@pytest.mark.parametrize("day,due_utc,lesson_utc,late_lesson_utc", [
    # The night clocks go forward: 08:00 in Berlin is 06:00 UTC, not 07:00; the day
    # is 23 hours long, so 22:30 UTC already belongs to the next day.
    (datetime(2026, 3, 29), datetime(2026, 3, 29, 6, 0), datetime(2026, 3, 29, 21, 0),
     datetime(2026, 3, 29, 22, 30)),
    # The night clocks go back: 08:00 is 07:00 UTC; the day is 25 hours long, so
    # 22:30 UTC is still 23:30 the same day.
    (datetime(2026, 10, 25), datetime(2026, 10, 25, 7, 0), datetime(2026, 10, 25, 21, 0),
     datetime(2026, 10, 25, 22, 30)),
])
def test_digest_across_daylight_saving_changes(people, day, due_utc, lesson_utc,
                                               late_lesson_utc):
    teacher, anna, boris = people
    User.update(timezone="Europe/Berlin").where(User.id == boris.id).execute()
    boris = User.get_by_id(boris.id)
    lesson(teacher, boris, lesson_utc)
    lesson(teacher, boris, late_lesson_utc)
    digest.send_due_digests(due_utc - timedelta(minutes=1))
    assert not Message.select().where(Message.user == boris).exists()
    digest.send_due_digests(due_utc)
    message = Message.get(Message.user == boris)
    assert message.idempotency_key == f"digest:{boris.id}:{day.date().isoformat()}"
    assert "22:00–23:00" in message.body_text or "23:00–00:00" in message.body_text
    late_is_same_day = day.month == 10
    assert ("23:30" in message.body_text) == late_is_same_day
