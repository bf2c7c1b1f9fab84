"""The daily digest: at the user's time in the user's zone, once, only on days with
lessons."""
from datetime import datetime, time, timedelta

import pytest

from tutor.models import Lesson, Message, UnavailableInterval, User
from tutor.services import digest, expiry, housekeeping, periodic


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
    assert "15:00–16:00" in message.body_text and "Yekaterinburg (UTC+5)" in message.body_text
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
    assert "22:00–23:00" in message.body_text or "23:00–24:00" in message.body_text
    late_is_same_day = day.month == 10
    assert ("23:30" in message.body_text) == late_is_same_day


def digests_of(user):
    return list(Message
                .select()
                .where((Message.user == user) & (Message.kind == "digest"))
                .order_by(Message.id))


def test_the_teachers_digest_repeats_what_was_removed_since_the_last_one(people, time_machine):
    """A day without lessons but with an automatic deletion still gets a digest naming
    it; the next digest does not repeat it; a day with neither gets nothing."""
    teacher, anna, boris = people
    request = lesson(teacher, boris, datetime(2026, 11, 23, 12, 0), status=Lesson.PENDING)
    time_machine.move_to(datetime(2026, 11, 23, 12, 1), tick=False)
    assert expiry.expire_unconfirmed() == 1
    assert not Lesson.select().where(Lesson.id == request.id).exists()

    time_machine.move_to(datetime(2026, 11, 24, 4, 0), tick=False)  # 07:00 in Moscow
    assert digest.send_due_digests() == 1
    [first] = digests_of(teacher)
    assert first.subject == "Ваша сводка за вторник, 24 ноября 2026"
    assert "Сегодня занятий нет." in first.body_text
    assert "Удалено автоматически после прошлой сводки:" in first.body_text
    assert "* 1 неподтверждённая заявка истекла" in first.body_text
    assert f"- {boris.full_name}, понедельник, 23 ноября 2026, 15:00 (Москва, UTC+3)" \
        in first.body_text
    assert boris.full_name in first.body_html

    # The next morning: no lessons, nothing new removed: nothing.
    time_machine.move_to(datetime(2026, 11, 25, 4, 0), tick=False)
    assert digest.send_due_digests() == 0
    # Old days off removed after that, on a day with a lesson: both in one digest.
    UnavailableInterval.create(teacher=teacher, start=datetime(2026, 10, 1),
                               end=datetime(2026, 10, 2), reason="Отпуск")
    time_machine.move_to(datetime(2026, 12, 1, 21, 5), tick=False)  # 2 Dec, 00:05 Moscow
    assert housekeeping.remove_old_days_off(periodic.aware_now()) == {"removed": 1}
    lesson(teacher, anna, datetime(2026, 12, 2, 10, 0))
    time_machine.move_to(datetime(2026, 12, 2, 4, 0), tick=False)
    assert digest.send_due_digests() == 2  # the teacher's and Anna's
    latest = digests_of(teacher)[-1]
    assert latest.subject == "Ваши занятия сегодня, среда, 2 декабря 2026"
    assert anna.full_name in latest.body_text and "Отпуск" in latest.body_text
    assert "заявка" not in latest.body_text  # told already
