"""The lesson lifecycle: booking, confirming (and moving), rejecting, cancelling,
expiry, lessons the teacher creates (with new students), the notifications each
writes, and no double booking across processes.

The teacher works every day 10:00-14:00 Moscow = 07:00-11:00 UTC, 60-minute lessons,
12 hours' notice. NOW is Monday 2026-06-01 00:00 UTC, so Monday's slots are too soon
and Tuesday 07:00 UTC (10:00 in Moscow) is the first bookable one."""
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest

from tests import racers
from tutor.models import InboxItem, Lesson, Message, User
from tutor.services import booking, expiry, logins, placing, recipients, schedule
from tutor.services.accounts import LOGIN_PATTERN, NewCredentials
from tutor.services.availability import Window
from tutor.services.passwords import verify_password

NOW = datetime(2026, 6, 1, 0, 0)
SLOT = datetime(2026, 6, 2, 7, 0)  # Tuesday 10:00 in Moscow
SLOT_TEXT = "Tuesday, 2 June 2026, 10:00 (Moscow, UTC+3)"


def at(text):
    return datetime.fromisoformat(text)


@pytest.fixture
def teacher(app_ctx, teacher):
    """conftest's teacher (Анна Петрова), reachable by e-mail in English, with the
    weekly windows above."""
    User.update(channel=User.EMAIL, email="anna@example.com", locale="en").where(
        User.id == teacher.id).execute()
    schedule.set_windows(teacher, [Window(day, time(10), time(14)) for day in range(7)])
    return User.get_by_id(teacher.id)


@pytest.fixture
def student(create_student):
    return create_student(first_name="Ivan", last_name="Petrov", channel=User.EMAIL,
                          email="ivan@example.com", locale="en")


@pytest.fixture
def other_student(create_student):
    return create_student(first_name="Olga", last_name="Smirnova", channel=User.EMAIL,
                          email="olga@example.com", locale="en")


@pytest.fixture
def other_teacher(create_user):
    return create_user("teacher2", "Teacher-two-password-1", role=User.TEACHER)


def outbox(kind=None):
    query = Message.select().order_by(Message.id)
    if kind:
        query = query.where(Message.kind == kind)
    return list(query)


def exists(lesson):
    return Lesson.get_or_none(Lesson.id == lesson.id) is not None


def book(student, teacher, start=SLOT, comment="", now=NOW):
    return booking.book_lesson(student, teacher, start, comment, now=now)


def confirmed(teacher, student, start, end, **fields):
    lesson, _ = placing.create_lesson_for(teacher, start, end, student=student,
                                          price=fields.pop("price", Decimal("1000")),
                                          people=fields.pop("people", 1), now=NOW, **fields)
    return lesson


# --- booking ------------------------------------------------------------------------

def test_a_student_books_a_free_slot(teacher, student):
    lesson = book(student, teacher, comment="  Past Perfect, please  ")
    stored = Lesson.get_by_id(lesson.id)
    assert (stored.teacher_id, stored.student_id) == (teacher.id, student.id)
    assert (stored.start, stored.end) == (SLOT, SLOT + timedelta(hours=1))
    assert stored.status == Lesson.PENDING
    assert stored.comment == "Past Perfect, please"
    assert stored.price is None and stored.confirmed_at is None and stored.people == 1
    message, requested = outbox()
    assert (message.kind, message.user_id, message.address) == (
        "lesson_booked", teacher.id, "anna@example.com")
    assert (requested.kind, requested.user_id) == ("lesson_requested", student.id)
    assert requested.subject == f"Request received: {SLOT_TEXT}"
    assert message.subject == f"New booking: {SLOT_TEXT}"
    assert f"Ivan Petrov has booked a lesson on {SLOT_TEXT}" in message.body_text
    assert "Comment: Past Perfect, please" in message.body_text
    assert "Comment: Past Perfect, please" in message.body_html


def test_the_slot_is_then_gone_from_the_calendar(teacher, student):
    day = (at("2026-06-02 00:00"), at("2026-06-03 00:00"))
    assert SLOT in [s.start for s in schedule.free_slots_for(teacher, *day, now=NOW)]
    book(student, teacher)
    assert SLOT not in [s.start for s in schedule.free_slots_for(teacher, *day, now=NOW)]


@pytest.mark.parametrize("start", [
    at("2026-06-02 07:30"),  # off the grid
    at("2026-06-02 11:00"),  # after the window
    at("2026-06-01 10:00"),  # inside the 12 hours' notice
    at("2026-05-31 10:00"),  # in the past
    at("2026-07-27 07:00"),  # exactly 56 days ahead: beyond the horizon
])
def test_only_a_slot_of_the_calendar_can_be_booked(teacher, student, start):
    with pytest.raises(booking.OutsideAvailability):
        book(student, teacher, start)
    assert Lesson.select().count() == 0
    assert outbox() == []


def test_an_unavailable_slot_cannot_be_booked(teacher, student):
    schedule.add_unavailable(teacher, at("2026-06-02 07:30"), at("2026-06-02 07:45"))
    with pytest.raises(booking.OutsideAvailability):
        book(student, teacher)
    schedule.add_unavailable_days(teacher, date(2026, 6, 3), date(2026, 6, 3))
    with pytest.raises(booking.OutsideAvailability):
        book(student, teacher, at("2026-06-03 08:00"))
    assert Lesson.select().count() == 0


def test_a_booked_slot_is_taken(teacher, student, other_student):
    book(student, teacher)
    with pytest.raises(booking.SlotTaken):
        book(other_student, teacher)
    with pytest.raises(booking.SlotTaken):
        book(student, teacher)
    assert Lesson.select().count() == 1
    assert len(outbox("lesson_booked")) == 1


def test_overlapping_but_different_slots_cannot_both_be_booked(teacher, student, other_student):
    book(student, teacher, at("2026-06-02 08:00"))  # 11:00-12:00 in Moscow
    # The teacher shifts the windows by half an hour: the new grid's 10:30 and 11:30
    # (07:30, 08:30 UTC) both overlap the booked lesson (slots right after each other,
    # from the window's start).
    schedule.update_settings(teacher, slot_step_minutes=0)
    schedule.set_windows(teacher, [Window(day, time(10, 30), time(14)) for day in range(7)])
    for start in (at("2026-06-02 07:30"), at("2026-06-02 08:30")):
        with pytest.raises(booking.SlotTaken):
            book(other_student, teacher, start)
    assert book(other_student, teacher, at("2026-06-02 09:30"))
    # A lesson the teacher placed off the grid takes both slots it touches.
    confirmed(teacher, student, at("2026-06-03 07:30"), at("2026-06-03 08:45"))
    for start in (at("2026-06-03 07:30"), at("2026-06-03 08:30")):
        with pytest.raises(booking.SlotTaken):
            book(other_student, teacher, start)
    assert Lesson.select().count() == 3


def test_the_buffer_keeps_the_neighbouring_slot_taken(teacher, student, other_student):
    # 10:00-14:00 Moscow with a 60-minute buffer: 10:00 and 12:00 slots.
    schedule.update_settings(teacher, buffer_minutes=60)
    confirmed(teacher, student, at("2026-06-02 08:30"), at("2026-06-02 08:45"))
    with pytest.raises(booking.SlotTaken):
        book(other_student, teacher, at("2026-06-02 07:00"))  # ends 08:00, +60 min buffer
    with pytest.raises(booking.SlotTaken):
        book(other_student, teacher, at("2026-06-02 09:00"))
    assert Lesson.select().count() == 1


def test_only_a_student_books_and_only_with_the_teacher(teacher, student, other_teacher):
    with pytest.raises(booking.NotAllowed):
        book(teacher, teacher)
    with pytest.raises(booking.NotAllowed):
        book(student, student)
    with pytest.raises(booking.NotAllowed):
        book(other_teacher, teacher)
    assert Lesson.select().count() == 0


def test_a_comment_has_a_limit(teacher, student):
    with pytest.raises(booking.InvalidDetails) as error:
        book(student, teacher, comment="x" * 2001)
    assert error.value.field == "comment"
    assert Lesson.select().count() == 0


def test_without_now_the_clock_decides(teacher, student, time_machine):
    time_machine.move_to(datetime(2026, 6, 2, 6, 0), tick=False)  # 1 hour before SLOT
    with pytest.raises(booking.OutsideAvailability):
        booking.book_lesson(student, teacher, SLOT, "")
    time_machine.move_to(datetime(2026, 6, 1, 19, 0), tick=False)  # exactly 12 hours before
    assert booking.book_lesson(student, teacher, SLOT, "").is_pending


# --- confirming ---------------------------------------------------------------------

def test_the_teacher_confirms_with_price_and_people(teacher, student):
    lesson = book(student, teacher, comment="Grammar")
    result = booking.confirm_lesson(teacher, lesson, Decimal("1500.50"), 2,
                                    now=NOW + timedelta(hours=1))
    stored = Lesson.get_by_id(lesson.id)
    assert result.is_confirmed and stored.is_confirmed
    assert stored.price == Decimal("1500.50")
    assert stored.people == 2
    assert stored.comment == "Grammar"  # no new comment: the student's stays
    assert stored.confirmed_at == NOW + timedelta(hours=1)
    assert (stored.start, stored.end) == (SLOT, SLOT + timedelta(hours=1))
    [message] = outbox("lesson_confirmed")
    assert (message.user_id, message.address) == (student.id, "ivan@example.com")
    assert message.subject == f"Your lesson on {SLOT_TEXT} is confirmed"
    assert "Price: 1,500.50" in message.body_text
    assert "Number of people: 2" in message.body_text
    assert outbox("lesson_moved") == []


def confirm_then_move(teacher, lesson):
    booking.confirm_lesson(teacher, lesson, Decimal("1500"), 3, now=NOW)
    booking.change_lesson(teacher, Lesson.get_by_id(lesson.id), Decimal("1500"), 3,
                          start=at("2026-06-03 08:00"), now=NOW)


@pytest.mark.parametrize("kind, answer", [
    ("lesson_confirmed", lambda teacher, lesson: booking.confirm_lesson(
        teacher, lesson, Decimal("1500"), 3, now=NOW)),
    ("lesson_moved", lambda teacher, lesson: booking.confirm_lesson(
        teacher, lesson, Decimal("1500"), 3, start=at("2026-06-03 08:00"), now=NOW)),
    ("lesson_rescheduled", confirm_then_move),
])
def test_every_message_with_a_lessons_terms_gives_all_of_them(teacher, student, kind, answer):
    """Price, number of people and comment, in the text and the HTML alike (the
    rescheduled lesson's message used to leave the number of people out)."""
    answer(teacher, book(student, teacher, comment="Grammar"))
    [message] = outbox(kind)
    for line in ("Price: 1,500 ₽", "Number of people: 3", "Comment: Grammar"):
        assert line in message.body_text
        assert f"<p>{line}</p>" in message.body_html


def test_confirming_may_replace_the_comment(teacher, student):
    lesson = book(student, teacher, comment="Grammar")
    booking.confirm_lesson(teacher, lesson, "1500", 1, comment=" Bring the book ", now=NOW)
    stored = Lesson.get_by_id(lesson.id)
    assert stored.comment == "Bring the book"
    [message] = outbox("lesson_confirmed")
    assert "Price: 1,500 ₽\n" in message.body_text
    assert "Number of people" not in message.body_text


def test_confirming_may_move_the_lesson_off_the_grid(teacher, student):
    lesson = book(student, teacher)
    new_start = at("2026-06-04 15:20")  # 18:20 in Moscow, outside every window
    booking.confirm_lesson(teacher, lesson, 1000, 1, start=new_start, now=NOW)
    stored = Lesson.get_by_id(lesson.id)
    assert (stored.start, stored.end) == (new_start, new_start + timedelta(hours=1))
    assert stored.is_confirmed
    assert outbox("lesson_confirmed") == []
    [message] = outbox("lesson_moved")
    assert message.user_id == student.id
    assert (f"moved it from {SLOT_TEXT} to Thursday, 4 June 2026, 18:20 (Moscow, UTC+3)"
            in message.body_text)


def test_moving_keeps_the_length_and_may_overlap_its_own_old_time(teacher, student):
    schedule.update_settings(teacher, lesson_length_minutes=90)
    lesson = book(student, teacher)
    booking.confirm_lesson(teacher, lesson, 1000, 1, start=SLOT + timedelta(minutes=30), now=NOW)
    stored = Lesson.get_by_id(lesson.id)
    assert stored.end - stored.start == timedelta(minutes=90)
    assert stored.start == SLOT + timedelta(minutes=30)


def test_confirming_at_the_same_time_is_not_a_move(teacher, student):
    lesson = book(student, teacher)
    booking.confirm_lesson(teacher, lesson, 1000, 1, start=SLOT, now=NOW)
    assert [m.kind for m in outbox()] == ["lesson_booked", "lesson_requested",
                                          "lesson_confirmed"]


def test_a_lesson_is_never_moved_onto_another(teacher, student, other_student):
    lesson = book(student, teacher)
    book(other_student, teacher, at("2026-06-02 09:00"))
    with pytest.raises(booking.SlotTaken):
        booking.confirm_lesson(teacher, lesson, 1000, 1, start=at("2026-06-02 08:30"), now=NOW)
    stored = Lesson.get_by_id(lesson.id)
    assert stored.is_pending and stored.start == SLOT
    assert outbox("lesson_confirmed") == outbox("lesson_moved") == []


def test_a_lesson_is_never_moved_onto_unavailable_time(teacher, student):
    lesson = book(student, teacher)
    schedule.add_unavailable_days(teacher, date(2026, 6, 5), date(2026, 6, 5))
    with pytest.raises(booking.OutsideAvailability):
        booking.confirm_lesson(teacher, lesson, 1000, 1, start=at("2026-06-05 08:00"), now=NOW)
    assert Lesson.get_by_id(lesson.id).is_pending


def test_a_lesson_is_never_moved_into_the_past(teacher, student):
    lesson = book(student, teacher)
    with pytest.raises(booking.InThePast):
        booking.confirm_lesson(teacher, lesson, 1000, 1, start=NOW, now=NOW)
    with pytest.raises(booking.InThePast):
        booking.confirm_lesson(teacher, lesson, 1000, 1, start=NOW - timedelta(days=1), now=NOW)
    assert Lesson.get_by_id(lesson.id).is_pending


def test_only_a_pending_lesson_of_this_teacher_is_confirmed(teacher, student, other_teacher):
    lesson = book(student, teacher)
    with pytest.raises(booking.NotAllowed):
        booking.confirm_lesson(other_teacher, lesson, 1000, 1, now=NOW)
    booking.confirm_lesson(teacher, lesson, 1000, 1, now=NOW)
    with pytest.raises(booking.NotPending):
        booking.confirm_lesson(teacher, lesson, 2000, 1, now=NOW)
    assert Lesson.get_by_id(lesson.id).price == 1000
    assert len(outbox("lesson_confirmed")) == 1


def test_a_lesson_gone_meanwhile_cannot_be_confirmed(teacher, student):
    lesson = book(student, teacher)
    booking.cancel_lesson(student, lesson, now=NOW)
    with pytest.raises(booking.LessonNotFound):
        booking.confirm_lesson(teacher, lesson, 1000, 1, now=NOW)
    assert Lesson.select().count() == 0


def test_a_pending_lesson_that_has_started_cannot_be_confirmed(teacher, student):
    lesson = book(student, teacher)
    with pytest.raises(booking.InThePast):
        booking.confirm_lesson(teacher, lesson, 1000, 1, now=SLOT)
    with pytest.raises(booking.InThePast):
        booking.confirm_lesson(teacher, lesson, 1000, 1, start=SLOT + timedelta(days=1), now=SLOT)
    assert Lesson.get_by_id(lesson.id).is_pending


@pytest.mark.parametrize("price,people,field", [
    (None, 1, "price"),
    ("-1", 1, "price"),
    ("12.345", 1, "price"),
    ("free", 1, "price"),
    (1.5, 1, "price"),
    ("100", 0, "people"),
    ("100", 51, "people"),
    ("100", "2", "people"),
    ("100", True, "people"),
])
def test_confirming_needs_a_price_and_a_number_of_people(teacher, student, price, people, field):
    lesson = book(student, teacher)
    with pytest.raises(booking.InvalidDetails) as error:
        booking.confirm_lesson(teacher, lesson, price, people, now=NOW)
    assert error.value.field == field
    assert Lesson.get_by_id(lesson.id).is_pending


# --- rejecting ----------------------------------------------------------------------

def test_the_teacher_rejects_a_booking(teacher, student):
    lesson = book(student, teacher)
    rejected = booking.reject_lesson(teacher, lesson, " Ill that day ")
    assert rejected.id == lesson.id
    assert not exists(lesson)
    [message] = outbox("lesson_rejected")
    assert message.user_id == student.id
    assert message.subject == f"Your booking for {SLOT_TEXT} has been declined"
    assert "Reason: Ill that day" in message.body_text
    # The slot is free again.
    assert book(student, teacher).is_pending


def test_rejecting_without_a_reason_says_none(teacher, student):
    booking.reject_lesson(teacher, book(student, teacher))
    [message] = outbox("lesson_rejected")
    assert "Reason" not in message.body_text


def test_only_a_pending_lesson_of_this_teacher_is_rejected(teacher, student, other_teacher):
    lesson = book(student, teacher)
    with pytest.raises(booking.NotAllowed):
        booking.reject_lesson(other_teacher, lesson)
    booking.confirm_lesson(teacher, lesson, 1000, 1, now=NOW)
    with pytest.raises(booking.NotPending):
        booking.reject_lesson(teacher, lesson)
    assert exists(lesson)
    assert outbox("lesson_rejected") == []


def test_a_lesson_gone_meanwhile_cannot_be_rejected(teacher, student):
    lesson = book(student, teacher)
    booking.reject_lesson(teacher, lesson)
    with pytest.raises(booking.LessonNotFound):
        booking.reject_lesson(teacher, lesson)
    assert len(outbox("lesson_rejected")) == 1


def test_every_rejection_is_told_even_when_the_id_comes_again(teacher, student, time_machine):
    # SQLite gives a deleted newest row's id to the next one: the messages' keys
    # must still tell the two lessons apart.
    time_machine.move_to(datetime(2026, 5, 31, 12, 0))
    first = book(student, teacher)
    booking.reject_lesson(teacher, first)
    time_machine.move_to(datetime(2026, 5, 31, 12, 5))
    second = book(student, teacher)
    booking.reject_lesson(teacher, second)
    assert len(outbox("lesson_rejected")) == 2
    assert len(outbox("lesson_booked")) == 2


# --- cancelling ---------------------------------------------------------------------

def test_a_student_cancels_a_pending_lesson_until_it_starts(teacher, student):
    lesson = book(student, teacher)
    deleted = booking.cancel_lesson(student, lesson, " Sorry ", now=SLOT - timedelta(minutes=1))
    assert deleted.id == lesson.id
    assert not exists(lesson)
    [message] = outbox("lesson_cancelled")
    assert (message.user_id, message.address) == (teacher.id, "anna@example.com")
    assert message.subject == f"The lesson on {SLOT_TEXT} has been cancelled"
    assert f"Ivan Petrov has cancelled the lesson on {SLOT_TEXT}." in message.body_text
    assert "Reason: Sorry" in message.body_text


def test_a_student_cancels_a_confirmed_lesson_up_to_the_notice(teacher, student):
    lesson = book(student, teacher)
    booking.confirm_lesson(teacher, lesson, 1000, 1, now=NOW)
    deadline = SLOT - timedelta(hours=24)
    with pytest.raises(booking.TooLateToCancel) as error:
        booking.cancel_lesson(student, lesson, now=deadline + timedelta(seconds=1))
    assert error.value.deadline == deadline
    assert exists(lesson)
    booking.cancel_lesson(student, lesson, now=deadline)
    assert not exists(lesson)
    assert len(outbox("lesson_cancelled")) == 1


def test_the_cancellation_notice_is_the_teachers_setting(teacher, student):
    schedule.update_settings(teacher, cancellation_notice_hours=2)
    lesson = confirmed(teacher, student, SLOT, SLOT + timedelta(hours=1))
    with pytest.raises(booking.TooLateToCancel):
        booking.cancel_lesson(student, lesson, now=SLOT - timedelta(hours=1))
    booking.cancel_lesson(student, lesson, now=SLOT - timedelta(hours=2))
    assert not exists(lesson)


def test_the_teacher_cancels_any_lesson_with_a_reason(teacher, student):
    lesson = confirmed(teacher, student, SLOT, SLOT + timedelta(hours=1))
    with pytest.raises(booking.InvalidDetails) as error:
        booking.cancel_lesson(teacher, lesson, "  ", now=SLOT - timedelta(minutes=5))
    assert error.value.field == "reason"
    assert exists(lesson)
    booking.cancel_lesson(teacher, lesson, "Power cut", now=SLOT - timedelta(minutes=5))
    assert not exists(lesson)
    [message] = outbox("lesson_cancelled")
    assert (message.user_id, message.address) == (student.id, "ivan@example.com")
    assert "Анна Петрова has cancelled the lesson" in message.body_text  # conftest's names
    assert "Reason: Power cut" in message.body_text


def test_the_teacher_cancels_a_pending_lesson_too(teacher, student):
    lesson = book(student, teacher)
    booking.cancel_lesson(teacher, lesson, "Moved away", now=NOW)
    assert not exists(lesson)
    assert [m.user_id for m in outbox("lesson_cancelled")] == [student.id]


def test_nobody_else_cancels(teacher, student, other_student, other_teacher):
    lesson = book(student, teacher)
    with pytest.raises(booking.NotAllowed):
        booking.cancel_lesson(other_student, lesson, now=NOW)
    with pytest.raises(booking.NotAllowed):
        booking.cancel_lesson(other_teacher, lesson, "mine now", now=NOW)
    assert exists(lesson)
    assert outbox("lesson_cancelled") == []


def test_a_lesson_that_has_started_is_not_cancelled(teacher, student):
    lesson = confirmed(teacher, student, SLOT, SLOT + timedelta(hours=1))
    for user, reason in ((teacher, "late"), (student, "")):
        with pytest.raises(booking.InThePast):
            booking.cancel_lesson(user, lesson, reason, now=SLOT)
    assert exists(lesson)


def test_a_lesson_gone_meanwhile_cannot_be_cancelled(teacher, student):
    lesson = book(student, teacher)
    booking.cancel_lesson(student, lesson, now=NOW)
    with pytest.raises(booking.LessonNotFound):
        booking.cancel_lesson(student, lesson, now=NOW)
    assert len(outbox("lesson_cancelled")) == 1


# --- expiry -------------------------------------------------------------------------

def test_unconfirmed_lessons_expire_when_they_start(teacher, student, other_student):
    due = book(student, teacher)
    also_due = book(other_student, teacher, SLOT + timedelta(hours=1))
    later = book(student, teacher, SLOT + timedelta(hours=2))
    kept = confirmed(teacher, other_student, SLOT - timedelta(hours=3), SLOT - timedelta(hours=2))
    now = SLOT + timedelta(hours=1)  # also_due starts exactly now
    assert expiry.expire_unconfirmed(now=now) == 2
    assert [exists(lesson) for lesson in (due, also_due, later, kept)] == [
        False, False, True, True]
    messages = outbox("lesson_expired")
    assert sorted(m.user_id for m in messages) == sorted([student.id, other_student.id])
    first = next(m for m in messages if m.user_id == student.id)
    assert first.subject == f"Your booking for {SLOT_TEXT} has expired"
    # The teacher is told too, once, who and when (in the teacher's language).
    [told] = outbox("requests_expired")
    assert told.user_id == teacher.id and told.subject == "2 unconfirmed requests expired"
    assert f"- Ivan Petrov, {SLOT_TEXT}\n" in told.body_text
    assert "- Olga Smirnova, Tuesday, 2 June 2026, 11:00 (Moscow, UTC+3)" in told.body_text
    # Idempotent: nothing more to delete, nothing more to say.
    assert expiry.expire_unconfirmed(now=now) == 0
    assert len(outbox("lesson_expired")) == 2
    assert len(outbox("requests_expired")) == 1


def test_expiry_without_now_uses_the_clock(teacher, student, time_machine):
    lesson = book(student, teacher)
    time_machine.move_to(SLOT - timedelta(seconds=1), tick=False)
    assert expiry.expire_unconfirmed() == 0
    time_machine.move_to(SLOT, tick=False)
    assert expiry.expire_unconfirmed() == 1
    assert not exists(lesson)


# --- lessons the teacher creates ----------------------------------------------------

def test_the_teacher_creates_a_lesson_for_a_student(teacher, student):
    start, end = at("2026-06-01 16:15"), at("2026-06-01 17:45")  # off the grid, 90 min
    lesson, credentials = placing.create_lesson_for(
        teacher, start, end, student=student, price="2000", people=3, comment=" Exam ", now=NOW)
    assert credentials is None
    stored = Lesson.get_by_id(lesson.id)
    assert (stored.start, stored.end, stored.status) == (start, end, Lesson.CONFIRMED)
    assert (stored.price, stored.people, stored.comment) == (Decimal("2000"), 3, "Exam")
    assert stored.confirmed_at == NOW
    [message] = outbox()
    assert (message.kind, message.user_id) == ("lesson_confirmed", student.id)
    assert "Monday, 1 June 2026, 19:15 (Moscow, UTC+3)" in message.subject


def test_the_teacher_creates_a_lesson_for_a_new_person(teacher):
    lesson, credentials = placing.create_lesson_for(
        teacher, SLOT, SLOT + timedelta(hours=1), first_name=" Иван ", last_name="Петров",
        price=Decimal("1000"), people=1, now=NOW)
    assert isinstance(credentials, NewCredentials)
    assert credentials.login == "ivan.petrov"
    new = User.by_login("ivan.petrov")
    assert lesson.student_id == new.id
    assert (new.role, new.first_name, new.last_name) == (User.STUDENT, "Иван", "Петров")
    assert new.channel == User.NO_CHANNEL
    assert verify_password(new.password_hash, credentials.password)
    assert Lesson.get_by_id(lesson.id).is_confirmed
    # A new student has no channel yet: what they are told waits in their inbox.
    assert {(m.user_id, m.status) for m in outbox()} == {(new.id, Message.HELD)}
    assert InboxItem.select().where(InboxItem.user == new).count() == len(outbox())


def test_a_taken_login_gets_a_number(teacher, create_student):
    create_student(login="ivan.petrov2")
    logins = []
    for day in range(3):
        start = SLOT + timedelta(days=day)
        _, credentials = placing.create_lesson_for(
            teacher, start, start + timedelta(hours=1), first_name="Иван", last_name="Петров",
            price=0, people=1, now=NOW)
        logins.append(credentials.login)
    assert logins == ["ivan.petrov", "ivan.petrov3", "ivan.petrov4"]


@pytest.mark.parametrize("first,last,login", [
    ("Иван", "Петров", "ivan.petrov"),
    ("Анна-Мария", "Сидорова", "anna-mariia.sidorova"),
    ("Юлия", "Щукина", "iuliia.shchukina"),
    ("Игорь", "", "igor"),
    ("Jean Luc", "O'Neil", "jean-luc.oneil"),
    ("Zoë", "Ødegård", "zoe.odegard"),
    ("Li", "", "li.student"),
    ("王", "", "wang"),
    ("!!!", "", "student"),
    ("Константин" * 3, "Иванов", "konstantinkonstantinkonstantin.i"),  # cut to 32
])
def test_logins_from_names(first, last, login):
    assert logins.login_from_names(first, last) == login
    assert LOGIN_PATTERN.match(login)


def test_a_long_login_is_cut_to_fit_its_number(app_ctx, create_student):
    base = "a" * 31 + "b"
    create_student(login=base)
    assert logins.unique_login(base) == "a" * 31 + "2"


def test_a_lesson_for_a_new_person_that_fails_leaves_no_account(teacher, student):
    confirmed(teacher, student, SLOT, SLOT + timedelta(hours=1))
    users = User.select().count()
    with pytest.raises(booking.SlotTaken):
        placing.create_lesson_for(teacher, SLOT + timedelta(minutes=59), SLOT + timedelta(hours=2),
                                  first_name="Иван", last_name="Петров", price=0, people=1,
                                  now=NOW)
    assert User.select().count() == users
    assert Lesson.select().count() == 1


def test_a_created_lesson_avoids_unavailable_time_and_the_past(teacher, student):
    schedule.add_unavailable(teacher, at("2026-06-03 10:00"), at("2026-06-03 12:00"))
    with pytest.raises(booking.OutsideAvailability):
        confirmed(teacher, student, at("2026-06-03 11:30"), at("2026-06-03 12:30"))
    with pytest.raises(booking.InThePast):
        confirmed(teacher, student, NOW, NOW + timedelta(hours=1))
    # Right after the unavailable time, and minutes from now (no notice for the teacher).
    assert confirmed(teacher, student, at("2026-06-03 12:00"), at("2026-06-03 13:00"))
    assert confirmed(teacher, student, NOW + timedelta(minutes=5), NOW + timedelta(minutes=50))


@pytest.mark.parametrize("fields,field", [
    ({"first_name": "  "}, "first_name"),
    ({"first_name": "x" * 101}, "first_name"),
    ({"first_name": "Иван", "last_name": "x" * 101}, "last_name"),
    ({"first_name": "Иван", "price": "-5"}, "price"),
    ({"first_name": "Иван", "people": 0}, "people"),
    ({"first_name": "Иван", "comment": "x" * 2001}, "comment"),
    ({"first_name": "Иван", "end": SLOT}, "end"),
    ({"first_name": "Иван", "end": SLOT - timedelta(hours=1)}, "end"),
    ({"first_name": "Иван", "end": SLOT + timedelta(hours=13)}, "end"),
])
def test_a_created_lesson_needs_its_details(teacher, fields, field):
    arguments = {"price": 0, "people": 1, "end": SLOT + timedelta(hours=1), **fields}
    end = arguments.pop("end")
    with pytest.raises(booking.InvalidDetails) as error:
        placing.create_lesson_for(teacher, SLOT, end, now=NOW, **arguments)
    assert error.value.field == field
    assert Lesson.select().count() == 0
    assert User.select().count() == 1


def test_only_the_teacher_creates_lessons_and_only_for_students(teacher, student, other_teacher):
    end = SLOT + timedelta(hours=1)
    with pytest.raises(booking.NotAllowed):
        placing.create_lesson_for(student, SLOT, end, student=student, price=0, people=1, now=NOW)
    with pytest.raises(booking.NotAllowed):
        placing.create_lesson_for(teacher, SLOT, end, student=other_teacher, price=0, people=1,
                                  now=NOW)
    assert Lesson.select().count() == 0


# --- messages -----------------------------------------------------------------------

def test_without_a_channel_messages_are_kept_in_the_app_and_held(teacher, create_student):
    quiet = create_student()
    lesson = book(quiet, teacher)
    booking.reject_lesson(teacher, lesson, "no")
    assert [(m.kind, m.status) for m in outbox()] == [
        ("lesson_booked", Message.PENDING), ("lesson_requested", Message.HELD),
        ("lesson_rejected", Message.HELD)]
    assert [i.kind for i in InboxItem.select().where(InboxItem.user == quiet)
            .order_by(InboxItem.id)] == ["lesson_requested", "lesson_rejected"]


def test_plain_text_is_not_html_escaped_but_html_is(teacher, student):
    book(student, teacher, comment="Tom & Jerry <3")
    [message] = outbox("lesson_booked")
    assert "Comment: Tom & Jerry <3" in message.body_text
    assert "Comment: Tom &amp; Jerry &lt;3" in message.body_html


def test_times_are_shown_in_the_recipients_zone_and_language(teacher, create_student):
    russian = create_student(channel=User.EMAIL, email="ru@example.com", locale="ru",
                             timezone="Asia/Yekaterinburg")
    lesson = book(russian, teacher)
    booking.reject_lesson(teacher, lesson)
    [message] = outbox("lesson_rejected")
    assert message.locale == "ru"
    # 07:00 UTC is 12:00 in Yekaterinburg (UTC+5).
    assert "вторник, 2 июня 2026, 12:00 (Екатеринбург, UTC+5)" in message.body_text
    # The teacher has no zone of their own: the teacher's settings decide.
    schedule.update_settings(teacher, timezone="Europe/Berlin")
    assert recipients.local_time(teacher, SLOT, "Europe/Berlin") == \
        "Tuesday, 2 June 2026, 09:00 (Berlin, UTC+2)"
    assert recipients.local_time(teacher, SLOT) == SLOT_TEXT  # the configured zone


# --- no double booking, whichever process -------------------------------------------

RACER = """
import sys
from datetime import datetime
from tutor import create_app
from tutor.models import User
from tutor.services import booking, placing

url, teacher_id, student_id, mode, now = sys.argv[1:]
app = create_app({"DATABASE_URL": url, "REDIS_URL": "", "TESTING": True,
                  "RATELIMIT_STORAGE_URI": "memory://"})
now = datetime.fromisoformat(now)
with app.app_context():
    teacher, student = User.get_by_id(int(teacher_id)), User.get_by_id(int(student_id))
    print("ready", flush=True)
    sys.stdin.readline()  # everyone starts together
    try:
        if mode == "book":
            booking.book_lesson(student, teacher, datetime(2026, 6, 2, 7, 0), "", now=now)
        else:
            placing.create_lesson_for(teacher, datetime(2026, 6, 2, 7, 30),
                                      datetime(2026, 6, 2, 8, 30), student=student,
                                      price=1000, people=1, now=now)
        print("booked", flush=True)
    except booking.SlotTaken:
        print("taken", flush=True)
"""


def race(database_url, teacher, students, modes):
    return sorted(racers.race(RACER, [(database_url, teacher.id, s.id, mode, NOW.isoformat())
                                      for s, mode in zip(students, modes)]))


@pytest.mark.slow
def test_sixteen_processes_booking_one_slot_make_one_lesson(database_url, teacher,
                                                            create_student):
    students = [create_student() for _ in range(16)]
    assert race(database_url, teacher, students, ["book"] * 16) == ["booked"] + ["taken"] * 15
    [lesson] = Lesson.select()
    assert lesson.start == SLOT and lesson.is_pending
    assert len(outbox("lesson_booked")) == 1


@pytest.mark.slow
def test_bookings_and_teacher_lessons_racing_for_overlapping_times_make_one(
        database_url, teacher, create_student):
    students = [create_student() for _ in range(16)]
    modes = ["book", "create"] * 8
    assert race(database_url, teacher, students, modes) == ["booked"] + ["taken"] * 15
    assert Lesson.select().count() == 1


# --- the audit trail is written with the change -----------------------------------------

def test_each_answer_to_a_lesson_is_audited_once_with_it(teacher, student):
    from tutor.models import AuditEntry
    first = book(student, teacher)
    booking.confirm_lesson(teacher, first, 1500, 1, now=NOW)
    booking.change_lesson(teacher, first, 1800, 1, now=NOW)
    booking.cancel_lesson(student, first, now=NOW)
    second = book(student, teacher)
    booking.reject_lesson(teacher, second, "Не могу")
    assert [(e.action, e.target_id) for e in AuditEntry.select().order_by(AuditEntry.id)] == [
        ("lesson.confirm", first.id), ("lesson.change", first.id),
        ("lesson.cancel", first.id), ("lesson.reject", second.id)]


def test_an_audit_entry_does_not_outlive_a_change_that_failed(teacher, student, monkeypatch):
    """The entry is written in the change's own transaction: when the change fails
    after it (here: telling the student), neither stays."""
    from tutor.models import AuditEntry
    pending = book(student, teacher)

    def broken(*args, **kwargs):
        raise RuntimeError("the outbox is gone")
    monkeypatch.setattr(booking, "tell", broken)
    with pytest.raises(RuntimeError):
        booking.reject_lesson(teacher, pending, "Не могу")
    assert exists(pending) and AuditEntry.select().count() == 0
