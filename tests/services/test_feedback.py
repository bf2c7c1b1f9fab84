"""Feedback without the web: only the lesson's own student, only after a confirmed
lesson that took place, within FEEDBACK_DAYS, a rating from 1 to 5, once per lesson
(changed, never doubled)."""
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from tutor.models import Feedback, Lesson, User
from tutor.services import feedback

NOW = datetime(2026, 11, 23, 8, 0)


@pytest.fixture
def teacher(app_ctx, teacher):
    return User.get_by_id(teacher.id)


@pytest.fixture
def student(app_ctx, create_student):
    return User.get_by_id(create_student(login="alisa").id)


@pytest.fixture
def past(teacher, student):
    """A confirmed lesson that ended an hour before NOW."""
    return Lesson.create(teacher=teacher, student=student, start=NOW - timedelta(hours=2),
                         end=NOW - timedelta(hours=1), status=Lesson.CONFIRMED,
                         price=Decimal("1000"))


def test_the_student_rates_a_lesson_they_had(student, past):
    left = feedback.leave_feedback(student, past, 5, "  Very clear, thank you!\r\n ", now=NOW)
    assert (left.lesson_id, left.student_id, left.rating, left.comment, left.created_at,
            left.updated_at) == (past.id, student.id, 5, "Very clear, thank you!", NOW, None)
    assert feedback.for_lesson(past).id == left.id


def test_feedback_is_changed_not_doubled(student, past):
    feedback.leave_feedback(student, past, 2, "Too fast", now=NOW)
    later = NOW + timedelta(days=1)
    changed = feedback.leave_feedback(student, past, 4, "", now=later)
    assert Feedback.select().count() == 1
    assert (changed.rating, changed.comment, changed.created_at, changed.updated_at) == (
        4, "", NOW, later)


def test_until_fourteen_days_after_the_end(student, past):
    last_moment = past.end + timedelta(days=feedback.FEEDBACK_DAYS)
    feedback.leave_feedback(student, past, 3, now=last_moment)
    with pytest.raises(feedback.TooLate) as error:
        feedback.leave_feedback(student, past, 5, now=last_moment + timedelta(seconds=1))
    assert error.value.deadline == last_moment
    assert feedback.for_lesson(past).rating == 3
    assert not feedback.is_open(student, past, now=last_moment + timedelta(seconds=1))


def test_not_before_the_lesson_has_ended(teacher, student):
    going_on = Lesson.create(teacher=teacher, student=student, start=NOW - timedelta(minutes=30),
                             end=NOW + timedelta(minutes=30), status=Lesson.CONFIRMED,
                             price=Decimal("1000"))
    with pytest.raises(feedback.NotEnded):
        feedback.leave_feedback(student, going_on, 5, now=NOW)
    feedback.leave_feedback(student, going_on, 5, now=going_on.end)


def test_only_its_own_student(teacher, student, past, create_student):
    stranger = create_student(login="stranger")
    for who in (stranger, teacher, None):
        with pytest.raises(feedback.NotAllowed):
            feedback.leave_feedback(who, past, 5, now=NOW)
        assert not feedback.is_open(who, past, now=NOW)
    assert Feedback.select().count() == 0


def test_only_a_confirmed_lesson(teacher, student):
    pending = Lesson.create(teacher=teacher, student=student, start=NOW - timedelta(hours=2),
                            end=NOW - timedelta(hours=1), status=Lesson.PENDING)
    with pytest.raises(feedback.NotConfirmed):
        feedback.leave_feedback(student, pending, 5, now=NOW)


@pytest.mark.parametrize("mark,allowed", [(None, True), (Lesson.ATTENDED, True),
                                          (Lesson.MISSED, False), (Lesson.LATE_CANCEL, False)])
def test_not_on_a_lesson_that_did_not_take_place(student, past, mark, allowed):
    Lesson.update(attendance=mark).where(Lesson.id == past.id).execute()
    past = Lesson.get_by_id(past.id)
    assert feedback.is_open(student, past, now=NOW) is allowed
    if not allowed:
        with pytest.raises(feedback.DidNotTakePlace):
            feedback.leave_feedback(student, past, 5, now=NOW)


@pytest.mark.parametrize("rating", [0, 6, -1, None, "5", 4.5, True])
def test_the_rating_is_one_to_five(student, past, rating):
    with pytest.raises(feedback.InvalidRating):
        feedback.leave_feedback(student, past, rating, now=NOW)


def test_the_comment_has_a_limit(student, past):
    with pytest.raises(feedback.CommentTooLong):
        feedback.leave_feedback(student, past, 5, "x" * (feedback.MAX_COMMENT + 1), now=NOW)
    feedback.leave_feedback(student, past, 5, "x" * feedback.MAX_COMMENT, now=NOW)


def test_the_students_feedback_newest_lesson_first(teacher, student, past):
    older = Lesson.create(teacher=teacher, student=student, start=NOW - timedelta(days=3),
                          end=NOW - timedelta(days=3) + timedelta(hours=1),
                          status=Lesson.CONFIRMED, price=Decimal("1000"))
    feedback.leave_feedback(student, older, 3, "ok", now=NOW)
    feedback.leave_feedback(student, past, 5, "great", now=NOW)
    assert [(f.lesson.id, f.rating) for f in feedback.of_student(student)] == [
        (past.id, 5), (older.id, 3)]


def test_feedback_goes_with_its_lesson(student, past):
    feedback.leave_feedback(student, past, 5, now=NOW)
    past.delete_instance()
    assert Feedback.select().count() == 0
