"""A student's own lessons: which are upcoming and what the student may still do with
each, what is kept of a request or lesson that was rejected, expired or cancelled
(single lessons and weekly series alike), and how long it is listed.

The teacher works every day 10:00-14:00 Moscow = 07:00-11:00 UTC, 60-minute lessons,
12 hours' notice, 24 hours' cancellation notice. NOW is Monday 2026-06-01 00:00 UTC."""
from datetime import date, datetime, time, timedelta

import pytest

from tutor.models import EndedLesson, User
from tutor.services import booking, expiry, schedule, series, student_lessons
from tutor.services.availability import Window

NOW = datetime(2026, 6, 1, 0, 0)
TUESDAY = datetime(2026, 6, 2, 7, 0)  # 10:00 in Moscow
WEDNESDAY = datetime(2026, 6, 3, 7, 0)
THURSDAY = datetime(2026, 6, 4, 7, 0)


@pytest.fixture
def teacher(app_ctx, teacher):
    schedule.set_windows(teacher, [Window(day, time(10), time(14)) for day in range(7)])
    return User.get_by_id(teacher.id)


@pytest.fixture
def ivan(create_student):
    return create_student(first_name="Иван", last_name="Петров")


@pytest.fixture
def olga(create_student):
    return create_student(first_name="Ольга", last_name="Смирнова")


def test_upcoming_are_the_students_lessons_to_come_soonest_first(teacher, ivan, olga):
    later = booking.book_lesson(ivan, teacher, WEDNESDAY, now=NOW)
    sooner = booking.book_lesson(ivan, teacher, TUESDAY, now=NOW)
    booking.confirm_lesson(teacher, later, 1500, 1, now=NOW)
    booking.book_lesson(olga, teacher, THURSDAY, now=NOW)  # someone else's
    items = student_lessons.upcoming(ivan, now=NOW)
    assert [item.lesson.id for item in items] == [sooner.id, later.id]
    assert [item.is_pending for item in items] == [True, False]
    # A request lapses when its time comes; a confirmed lesson does not.
    assert [item.expires_at for item in items] == [TUESDAY, None]
    # Once a lesson has started it is no longer upcoming (nor is the request: it expires).
    assert [i.lesson.id for i in student_lessons.upcoming(ivan, now=TUESDAY)] == [later.id]


def test_what_the_student_may_still_do_follows_the_cancellation_notice(teacher, ivan):
    lesson = booking.book_lesson(ivan, teacher, WEDNESDAY, now=NOW)
    [item] = student_lessons.upcoming(ivan, now=NOW)
    assert item.can_cancel and item.cancel_until == WEDNESDAY  # a request: until it starts
    booking.confirm_lesson(teacher, lesson, 1500, 1, now=NOW)
    deadline = WEDNESDAY - timedelta(hours=24)
    [item] = student_lessons.upcoming(ivan, now=deadline)
    assert (item.can_cancel, item.cancel_until, item.notice_hours) == (True, deadline, 24)
    [item] = student_lessons.upcoming(ivan, now=deadline + timedelta(minutes=1))
    assert not item.can_cancel
    # The same rule the cancellation itself applies.
    with pytest.raises(booking.TooLateToCancel):
        booking.cancel_lesson(ivan, lesson, now=deadline + timedelta(minutes=1))
    schedule.update_settings(teacher, cancellation_notice_hours=6)
    [item] = student_lessons.upcoming(ivan, now=deadline + timedelta(minutes=1))
    assert item.can_cancel and item.notice_hours == 6


def test_a_rejected_request_is_kept_with_its_reason(teacher, ivan):
    lesson = booking.book_lesson(ivan, teacher, TUESDAY, now=NOW)
    booking.reject_lesson(teacher, lesson, "  Болею  ")
    ended = student_lessons.ended(ivan, lesson.id)
    assert (ended.state, ended.reason, ended.start, ended.end) == (
        EndedLesson.REJECTED, "Болею", TUESDAY, TUESDAY + timedelta(hours=1))
    assert ended.ended_by_id == teacher.id and not ended.was_confirmed
    assert student_lessons.upcoming(ivan, now=NOW) == []


def test_an_expired_request_is_kept(teacher, ivan):
    lesson = booking.book_lesson(ivan, teacher, TUESDAY, now=NOW)
    assert expiry.expire_unconfirmed(now=TUESDAY) == 1
    assert expiry.expire_unconfirmed(now=TUESDAY) == 0  # and only once
    ended = student_lessons.ended(ivan, lesson.id)
    assert (ended.state, ended.ended_by_id, ended.ended_at) == (
        EndedLesson.EXPIRED, None, TUESDAY)
    assert EndedLesson.select().count() == 1


def test_cancellations_say_who_cancelled_and_what(teacher, ivan):
    withdrawn = booking.book_lesson(ivan, teacher, TUESDAY, now=NOW)
    called_off = booking.book_lesson(ivan, teacher, WEDNESDAY, now=NOW)
    booking.confirm_lesson(teacher, called_off, 1500, 1, now=NOW)
    booking.cancel_lesson(ivan, withdrawn, now=NOW)
    booking.cancel_lesson(teacher, called_off, "Конференция", now=NOW)
    first = student_lessons.ended(ivan, withdrawn.id)
    second = student_lessons.ended(ivan, called_off.id)
    assert (first.state, first.ended_by_id, first.was_confirmed) == (
        EndedLesson.CANCELLED, ivan.id, False)
    assert (second.state, second.ended_by_id, second.was_confirmed, second.reason) == (
        EndedLesson.CANCELLED, teacher.id, True, "Конференция")


def test_series_answers_are_kept_for_each_lesson(teacher, ivan):
    rejected, lessons, _ = series.book_series(ivan, teacher, TUESDAY, count=3, now=NOW)
    kept, _, _ = series.book_series(ivan, teacher, WEDNESDAY, count=3, now=NOW)
    series.reject_series(teacher, rejected, "Только разовые")
    assert [(e.state, e.reason) for e in map(lambda l: student_lessons.ended(ivan, l.id),
                                             lessons)] == [
        (EndedLesson.REJECTED, "Только разовые")] * 3
    series.confirm_series(teacher, kept, 1500, 1, now=NOW)
    cancelled, _ = series.cancel_from(ivan, kept, date(2026, 6, 10), now=NOW)
    assert len(cancelled) == 2
    assert [(e.state, e.ended_by_id, e.was_confirmed)
            for e in map(lambda l: student_lessons.ended(ivan, l.id), cancelled)] == [
        (EndedLesson.CANCELLED, ivan.id, True)] * 2


def test_only_its_own_student_finds_an_ended_lesson(teacher, ivan, olga):
    lesson = booking.book_lesson(ivan, teacher, TUESDAY, now=NOW)
    booking.reject_lesson(teacher, lesson, "Нет")
    assert student_lessons.ended(olga, lesson.id) is None
    assert student_lessons.ended(teacher, lesson.id) is None
    assert student_lessons.ended(ivan, lesson.id + 1) is None


def test_ended_ones_are_listed_for_two_weeks_newest_first(teacher, ivan, time_machine):
    first = booking.book_lesson(ivan, teacher, TUESDAY, now=NOW)
    second = booking.book_lesson(ivan, teacher, WEDNESDAY, now=NOW)
    time_machine.move_to(NOW, tick=False)
    booking.reject_lesson(teacher, first)
    time_machine.move_to(NOW + timedelta(hours=1), tick=False)
    booking.reject_lesson(teacher, second)
    listed = student_lessons.recently_ended(ivan, now=NOW + timedelta(hours=2))
    assert [e.lesson_id for e in listed] == [second.id, first.id]
    gone_after = NOW + student_lessons.ENDED_SHOWN
    assert [e.lesson_id for e in student_lessons.recently_ended(ivan, now=gone_after)] == [
        second.id]
    assert student_lessons.recently_ended(ivan, now=gone_after + timedelta(hours=1)) == []


def test_past_lessons_are_confirmed_ones_that_started_newest_first(teacher, ivan):
    tuesday = booking.book_lesson(ivan, teacher, TUESDAY, now=NOW)
    wednesday = booking.book_lesson(ivan, teacher, WEDNESDAY, now=NOW)
    booking.book_lesson(ivan, teacher, THURSDAY, now=NOW)  # still pending
    for lesson in (tuesday, wednesday):
        booking.confirm_lesson(teacher, lesson, 1500, 1, now=NOW)
    later = THURSDAY + timedelta(minutes=30)
    assert [lesson.id for lesson in student_lessons.past(ivan, now=later)] == [
        wednesday.id, tuesday.id]
    assert [lesson.id for lesson in student_lessons.past(ivan, now=later, limit=1)] == [
        wednesday.id]
