"""Calendar feeds and .ics files, read back by the icalendar parser: the right
lessons for each person, UTC times, one UID per lesson whatever happens to it, and
addresses that stop working when revoked."""
from datetime import datetime, timezone

import pytest
from icalendar import Calendar

from tutor.models import Lesson, User
from tutor.services import booking, calendar_feed

NOW = datetime(2026, 12, 1, 8, 0)


def events(ical):
    return {str(e["uid"]): e for e in Calendar.from_ical(ical).walk("VEVENT")}


@pytest.fixture
def lessons(app_ctx, teacher, create_student):
    anna = create_student(login="anna", first_name="Анна", last_name="Смирнова", locale="en")
    boris = create_student(login="boris", first_name="Борис", last_name="Ким", locale="en")
    made = {
        "anna_confirmed": Lesson.create(teacher=teacher, student=anna, status=Lesson.CONFIRMED,
                                        start=datetime(2026, 12, 3, 7), end=datetime(2026, 12, 3, 8),
                                        comment="Глава 3", confirmed_at=NOW),
        "anna_pending": Lesson.create(teacher=teacher, student=anna,
                                      start=datetime(2026, 12, 4, 7), end=datetime(2026, 12, 4, 8)),
        "boris": Lesson.create(teacher=teacher, student=boris, status=Lesson.CONFIRMED,
                               start=datetime(2026, 12, 5, 7), end=datetime(2026, 12, 5, 8)),
        "anna_long_ago": Lesson.create(teacher=teacher, student=anna, status=Lesson.CONFIRMED,
                                       start=datetime(2025, 1, 5, 7), end=datetime(2025, 1, 5, 8)),
    }
    return anna, boris, made


def test_each_feed_holds_its_owners_lessons(lessons, teacher):
    anna, boris, made = lessons
    mine = events(calendar_feed.feed(anna, NOW))
    assert set(mine) == {calendar_feed.uid(made["anna_confirmed"]),
                         calendar_feed.uid(made["anna_pending"])}
    confirmed = mine[calendar_feed.uid(made["anna_confirmed"])]
    assert confirmed.decoded("dtstart") == datetime(2026, 12, 3, 7, tzinfo=timezone.utc)
    assert confirmed.decoded("dtend") == datetime(2026, 12, 3, 8, tzinfo=timezone.utc)
    assert str(confirmed["status"]) == "CONFIRMED"
    assert str(confirmed["summary"]) == "Lesson with the tutor"
    assert str(confirmed["description"]) == "Глава 3"
    pending = mine[calendar_feed.uid(made["anna_pending"])]
    assert str(pending["status"]) == "TENTATIVE" and "awaiting confirmation" in str(pending["summary"])

    assert set(events(calendar_feed.feed(boris, NOW))) == {calendar_feed.uid(made["boris"])}
    everything = events(calendar_feed.feed(teacher, NOW))
    assert len(everything) == 3  # the 2025 lesson is past the feed's reach
    assert "Смирнова" in str(everything[calendar_feed.uid(made["anna_pending"])]["summary"])


def test_a_moved_or_confirmed_lesson_keeps_its_uid_and_a_cancelled_one_leaves(lessons):
    anna, _, made = lessons
    lesson = made["anna_pending"]
    before = events(calendar_feed.feed(anna, NOW))[calendar_feed.uid(lesson)]
    # Confirmed at another time, as the teacher does it: SEQUENCE rises (booking).
    booking.confirm_lesson(lesson.teacher, lesson, 1000, 1, start=datetime(2026, 12, 4, 9),
                           now=NOW)
    after = events(calendar_feed.feed(anna, NOW))[calendar_feed.uid(lesson)]
    assert after.decoded("dtstart") == datetime(2026, 12, 4, 9, tzinfo=timezone.utc)
    assert int(after["sequence"]) > int(before["sequence"])
    single = events(calendar_feed.lesson_file(Lesson.get_by_id(lesson.id), anna, NOW))
    assert list(single) == [calendar_feed.uid(lesson)]

    Lesson.delete().where(Lesson.id == lesson.id).execute()
    assert calendar_feed.uid(lesson) not in events(calendar_feed.feed(anna, NOW))


def test_addresses_open_only_the_current_feed(lessons, teacher):
    anna, boris, _ = lessons
    assert calendar_feed.feed_token(anna) is None
    first = calendar_feed.turn_on(anna)
    assert calendar_feed.user_for_token(first).id == anna.id
    second = calendar_feed.turn_on(anna)
    assert second != first
    assert calendar_feed.user_for_token(first) is None
    assert calendar_feed.user_for_token(second).id == anna.id
    calendar_feed.turn_off(anna)
    assert calendar_feed.user_for_token(second) is None
    assert User.get_by_id(anna.id).feed_version is None
    # Tampering with the signed ids opens nothing.
    boris_token = calendar_feed.turn_on(boris)
    assert calendar_feed.user_for_token(boris_token[:-2] + "xx") is None
    assert calendar_feed.user_for_token("not-a-token") is None


def test_the_feed_speaks_its_owners_language(lessons, create_student, teacher):
    vera = create_student(login="vera", locale="ru")
    Lesson.create(teacher=teacher, student=vera, start=datetime(2026, 12, 7, 7),
                  end=datetime(2026, 12, 7, 8))
    [event] = events(calendar_feed.feed(vera, NOW)).values()
    assert str(event["summary"]) == "Занятие с репетитором (ожидает подтверждения)"
