"""Weekly series: the dates (across both DST changes, until vs count), what a student
and the teacher may book, conflicts skipped and reported, the booking lock across
processes, confirming once, rejecting, single occurrences moved/cancelled/repriced on
their own, the one message per series, and the monthly report.

The teacher works in Berlin (DST: 29 March and 25 October 2026), every day 10:00-14:00,
60-minute lessons, 12 hours' notice, a 120-day horizon. NOW is Monday 2 March 2026,
00:00 UTC. Tuesday 17 March 10:00 in Berlin is 09:00 UTC (CET, UTC+1); from 31 March
the same 10:00 is 08:00 UTC (CEST, UTC+2)."""
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest

from tests import racers
from tutor.models import Lesson, LessonSeries, Message, User
from tutor.services import booking, expiry, placing, schedule, series, zones
from tutor.services.reports import figures
from tutor.services.availability import Window

NOW = datetime(2026, 3, 2, 0, 0)
FIRST = datetime(2026, 3, 17, 9, 0)  # Tuesday 10:00 in Berlin, before the change
SPRING = [datetime(2026, 3, 17, 9, 0), datetime(2026, 3, 24, 9, 0),
          datetime(2026, 3, 31, 8, 0), datetime(2026, 4, 7, 8, 0)]


@pytest.fixture
def teacher(app_ctx, teacher):
    User.update(channel=User.EMAIL, email="anna@example.com", locale="en").where(
        User.id == teacher.id).execute()
    schedule.update_settings(teacher, timezone="Europe/Berlin", horizon_days=120)
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


def outbox(kind=None):
    query = Message.select().order_by(Message.id)
    if kind:
        query = query.where(Message.kind == kind)
    return list(query)


def starts(lessons):
    return [lesson.start for lesson in lessons]


def stored(series_row):
    return list(LessonSeries.get_by_id(series_row.id).occurrences())


def book(student, teacher, first=FIRST, **kwargs):
    kwargs.setdefault("count", 4)
    return series.book_series(student, teacher, first, now=kwargs.pop("now", NOW), **kwargs)


# --- dates ------------------------------------------------------------------------

def test_a_weekly_series_keeps_the_wall_time_across_the_spring_change(teacher, student):
    plan = series.plan_series(student, teacher, FIRST, count=4, now=NOW)
    assert [o.start for o in plan.occurrences] == SPRING
    assert [o.day for o in plan.occurrences] == [
        date(2026, 3, 17), date(2026, 3, 24), date(2026, 3, 31), date(2026, 4, 7)]
    assert all(o.free for o in plan.occurrences)
    created, lessons, skipped = book(student, teacher)
    assert starts(lessons) == SPRING and skipped == []
    assert all(lesson.end - lesson.start == timedelta(hours=1) for lesson in lessons)
    assert (created.weekday, created.start_time, created.first_day) == (1, time(10),
                                                                        date(2026, 3, 17))


def test_and_across_the_autumn_change(teacher, student):
    days = series.weekly_days(date(2026, 10, 13), count=4)
    assert [zones.to_utc(day, time(10), "Europe/Berlin") for day in days] == [
        datetime(2026, 10, 13, 8, 0), datetime(2026, 10, 20, 8, 0),
        datetime(2026, 10, 27, 9, 0), datetime(2026, 11, 3, 9, 0)]
    # 02:30 happens twice on 25 October: the first one (still CEST) counts.
    plan = series.plan_series(teacher, teacher, datetime(2026, 10, 18, 0, 30), count=3,
                              now=NOW)
    assert [o.start for o in plan.occurrences] == [
        datetime(2026, 10, 18, 0, 30), datetime(2026, 10, 25, 0, 30),
        datetime(2026, 11, 1, 1, 30)]


def test_a_wall_time_the_clocks_skip_is_read_as_for_a_single_lesson(teacher, student):
    # Sunday 02:30 does not exist on 29 March in Berlin. A single lesson typed for then
    # is at 03:30 summer time (zones.to_utc); that week's lesson of a series is too.
    # It used to be a conflict ("the clocks skip this time"): the two disagreed.
    plan = series.plan_series(teacher, teacher, datetime(2026, 3, 22, 1, 30), count=3,
                              now=NOW)
    assert [(o.day, o.start, o.problem) for o in plan.occurrences] == [
        (date(2026, 3, 22), datetime(2026, 3, 22, 1, 30), None),
        (date(2026, 3, 29), datetime(2026, 3, 29, 1, 30), None),
        (date(2026, 4, 5), datetime(2026, 4, 5, 0, 30), None)]
    assert plan.occurrences[1].start == zones.to_utc(date(2026, 3, 29), time(2, 30),
                                                     "Europe/Berlin")
    created, lessons, skipped = series.book_series(
        teacher, teacher, datetime(2026, 3, 22, 1, 30), student=student, count=3,
        price=1000, now=NOW)
    assert starts(lessons) == [o.start for o in plan.occurrences] and skipped == []


def test_until_is_the_last_date_and_count_the_number_of_weeks(teacher, student):
    by_count = series.weekly_days(date(2026, 3, 17), count=4)
    assert series.weekly_days(date(2026, 3, 17), until=date(2026, 4, 7)) == by_count
    assert series.weekly_days(date(2026, 3, 17), until=date(2026, 4, 13)) == by_count
    assert series.weekly_days(date(2026, 3, 17), until=date(2026, 4, 6)) == by_count[:3]
    created, lessons, _ = book(student, teacher, count=None, until=date(2026, 4, 7))
    assert starts(lessons) == SPRING
    assert (created.until, created.count) == (date(2026, 4, 7), None)


@pytest.mark.parametrize("ends, field", [
    ({}, "until"),
    ({"until": date(2026, 4, 7), "count": 4}, "until"),
    ({"count": 1}, "count"),
    ({"count": 53}, "count"),
    ({"count": "4"}, "count"),
    ({"until": date(2026, 3, 23)}, "until"),  # under a week: one lesson, not a series
    ({"until": date(2027, 3, 16)}, "until"),  # 52 weeks later: the 53rd
])
def test_a_bad_end_is_refused_and_nothing_is_written(teacher, student, ends, field):
    with pytest.raises(series.InvalidDetails) as error:
        series.book_series(student, teacher, FIRST, now=NOW, **ends)
    assert error.value.field == field
    assert LessonSeries.select().count() == Lesson.select().count() == 0
    assert outbox() == []


# --- a student books --------------------------------------------------------------

def test_taken_dates_are_skipped_and_reported_once_to_the_teacher(teacher, student,
                                                                  other_student):
    booking.book_lesson(other_student, teacher, SPRING[2], now=NOW)
    plan = series.plan_series(student, teacher, FIRST, count=4, now=NOW)
    assert [o.problem for o in plan.occurrences] == [None, None, series.TAKEN, None]
    created, lessons, skipped = book(student, teacher, comment=" Grammar ")
    assert starts(lessons) == [SPRING[0], SPRING[1], SPRING[3]]
    assert [o.start for o in skipped] == [SPRING[2]]
    assert created.status == LessonSeries.PENDING and created.comment == "Grammar"
    assert all(lesson.is_pending and lesson.series_id == created.id
               and lesson.comment == "Grammar" for lesson in lessons)
    assert len(outbox("lesson_booked")) == 1  # Olga's, not one per occurrence
    [message] = outbox("series_booked")
    assert message.user_id == teacher.id
    assert message.subject == ("New weekly booking: 3 lessons from "
                               "Tuesday, 17 March 2026, 10:00 (Berlin, UTC+1)")
    assert "- Tuesday, 24 March 2026, 10:00 (Berlin, UTC+1)" in message.body_text
    assert "- Tuesday, 7 April 2026, 10:00 (Berlin, UTC+2)" in message.body_text
    not_booked = message.body_text.split("Not booked")[1]
    assert "Tuesday, 31 March 2026, 10:00 (Berlin, UTC+2)" in not_booked
    assert "Comment: Grammar" in message.body_text


def test_each_week_is_checked_like_a_single_booking(teacher, student):
    schedule.update_settings(teacher, horizon_days=30)
    schedule.add_unavailable_days(teacher, date(2026, 3, 24), date(2026, 3, 24))
    plan = series.plan_series(student, teacher, datetime(2026, 3, 3, 9, 0), count=6,
                              now=datetime(2026, 3, 2, 22, 0))
    assert [o.problem for o in plan.occurrences] == [
        series.TOO_SOON, None, None, series.UNAVAILABLE, None, series.TOO_FAR]
    # Off the grid of the weekly windows, every week.
    plan = series.plan_series(student, teacher, datetime(2026, 3, 5, 9, 30), count=2,
                              now=NOW)
    assert [o.problem for o in plan.occurrences] == [series.OUTSIDE] * 2


def test_the_teachers_break_counts_as_taken_for_a_student(teacher, student, other_student):
    schedule.update_settings(teacher, buffer_minutes=15)
    schedule.set_windows(teacher, [Window(day, time(10), time(14)) for day in range(7)])
    placing.create_lesson_for(teacher, SPRING[1] - timedelta(minutes=60),
                              SPRING[1] - timedelta(minutes=5), student=other_student,
                              price=500, people=1, now=NOW)
    plan = series.plan_series(student, teacher, FIRST, count=2, now=NOW)
    assert [o.problem for o in plan.occurrences] == [None, series.TAKEN]


def test_when_no_week_is_free_nothing_is_written(teacher, student):
    with pytest.raises(series.NothingFree):
        book(student, teacher, datetime(2026, 3, 17, 9, 30), count=3)
    assert LessonSeries.select().count() == Lesson.select().count() == 0
    assert outbox() == []


def test_only_a_student_or_the_teacher_books(teacher, student, create_user):
    other_teacher = create_user("teacher2", "Teacher-two-password-1", role=User.TEACHER)
    with pytest.raises(series.NotAllowed):
        book(other_teacher, teacher)
    with pytest.raises(series.NotAllowed):
        book(student, student)
    with pytest.raises(series.NotAllowed):  # the teacher books for a registered student
        series.book_series(teacher, teacher, FIRST, count=2, student=None, price=1, now=NOW)
    assert LessonSeries.select().count() == 0


# --- the teacher books ------------------------------------------------------------

def test_the_teacher_books_a_confirmed_series_outside_the_windows_never_over_a_lesson(
        teacher, student, other_student):
    booking.book_lesson(other_student, teacher, SPRING[1], now=NOW)
    evening = datetime(2026, 3, 17, 17, 0)  # 18:00 in Berlin: outside the windows
    placing.create_lesson_for(teacher, evening + timedelta(weeks=2, minutes=-60),
                              evening + timedelta(weeks=2, minutes=15), student=other_student,
                              price=500, people=1, now=NOW)
    created, lessons, skipped = series.book_series(
        teacher, teacher, evening, student=student, count=4, minutes=90, price="1200.50",
        people=2, now=NOW)
    assert created.status == LessonSeries.CONFIRMED and created.minutes == 90
    assert [o.problem for o in skipped] == [series.TAKEN]
    assert [(lesson.start, lesson.end - lesson.start, lesson.status, lesson.price,
             lesson.people) for lesson in lessons] == [
        (evening, timedelta(minutes=90), Lesson.CONFIRMED, Decimal("1200.50"), 2),
        (evening + timedelta(weeks=1), timedelta(minutes=90), Lesson.CONFIRMED,
         Decimal("1200.50"), 2),
        # 31 March is after the change: 18:00 in Berlin is 16:00 UTC.
        (datetime(2026, 4, 7, 16, 0), timedelta(minutes=90), Lesson.CONFIRMED,
         Decimal("1200.50"), 2)]
    [message] = outbox("series_confirmed")
    assert message.user_id == student.id
    assert "Price of each lesson: 1,200.50 ₽" in message.body_text
    assert "Number of people: 2" in message.body_text
    assert [m.user_id for m in outbox("lesson_confirmed")] == [other_student.id]


@pytest.mark.parametrize("details, field", [
    ({"price": "-1"}, "price"), ({"price": "abc"}, "price"), ({"people": 0}, "people"),
    ({"minutes": 0}, "minutes"), ({"minutes": 721}, "minutes"),
    ({"comment": "x" * 2001}, "comment"),
])
def test_the_teachers_bad_details_write_nothing(teacher, student, details, field):
    fields = {"price": 1000, "people": 1, **details}
    with pytest.raises(series.InvalidDetails) as error:
        series.book_series(teacher, teacher, FIRST, student=student, count=3, now=NOW,
                           **fields)
    assert error.value.field == field
    assert LessonSeries.select().count() == Lesson.select().count() == 0


# --- confirming and rejecting -----------------------------------------------------

def test_confirming_once_prices_every_pending_occurrence(teacher, student):
    created, lessons, _ = book(student, teacher)
    # The teacher had confirmed the second one alone, at another price.
    booking.confirm_lesson(teacher, lessons[1], 700, 1, now=NOW)
    Message.delete().execute()
    confirmed, dropped = series.confirm_series(teacher, created, "1500", 3,
                                               comment="Group", now=NOW)
    assert starts(confirmed) == [SPRING[0], SPRING[2], SPRING[3]] and dropped == []
    assert [(lesson.status, lesson.price, lesson.people, lesson.comment)
            for lesson in stored(created)] == [
        (Lesson.CONFIRMED, Decimal("1500.00"), 3, "Group"),
        (Lesson.CONFIRMED, Decimal("700.00"), 1, ""),
        (Lesson.CONFIRMED, Decimal("1500.00"), 3, "Group"),
        (Lesson.CONFIRMED, Decimal("1500.00"), 3, "Group")]
    assert LessonSeries.get_by_id(created.id).status == LessonSeries.CONFIRMED
    [message] = outbox()
    assert (message.kind, message.user_id) == ("series_confirmed", student.id)
    assert message.subject == ("Your weekly lessons are confirmed: 3 lessons from "
                               "Tuesday, 17 March 2026, 10:00 (Berlin, UTC+1)")
    with pytest.raises(series.NotPending):
        series.confirm_series(teacher, created, 1500, 1, now=NOW)
    with pytest.raises(series.NotPending):
        series.reject_series(teacher, created)


def test_occurrences_that_became_impossible_are_listed_then_dropped(teacher, student):
    created, lessons, _ = book(student, teacher)
    schedule.add_unavailable_days(teacher, date(2026, 3, 31), date(2026, 3, 31))
    later = datetime(2026, 3, 17, 9, 30)  # the first one has started, unconfirmed
    found = series.conflicts(created, now=later)
    assert [(o.lesson.id, o.problem) for o in found] == [
        (lessons[0].id, series.PAST), (lessons[2].id, series.UNAVAILABLE)]
    confirmed, dropped = series.confirm_series(teacher, created, 1000, 1, now=later)
    assert starts(confirmed) == [SPRING[1], SPRING[3]]
    assert starts(dropped) == [SPRING[0], SPRING[2]]
    assert starts(stored(created)) == [SPRING[1], SPRING[3]]
    [message] = outbox("series_confirmed")
    removed = message.body_text.split("could not take place")[1]
    assert "Tuesday, 31 March 2026, 10:00" in removed
    assert "Tuesday, 17 March 2026, 10:00" in removed


def test_a_series_with_nothing_left_to_confirm_stays_as_it_was(teacher, student):
    created, lessons, _ = book(student, teacher, count=2)
    schedule.add_unavailable_days(teacher, date(2026, 3, 16), date(2026, 3, 25))
    with pytest.raises(series.NothingFree):
        series.confirm_series(teacher, created, 1000, 1, now=NOW)
    assert [lesson.status for lesson in stored(created)] == [Lesson.PENDING] * 2
    assert LessonSeries.get_by_id(created.id).is_pending


def test_rejecting_deletes_the_pending_occurrences_and_tells_the_student_once(
        teacher, student):
    created, lessons, _ = book(student, teacher)
    Message.delete().execute()
    deleted = series.reject_series(teacher, created, "  On holiday  ")
    assert starts(deleted) == SPRING
    assert Lesson.select().count() == 0
    assert LessonSeries.get_or_none(LessonSeries.id == created.id) is None
    [message] = outbox()
    assert (message.kind, message.user_id) == ("series_rejected", student.id)
    assert "Reason: On holiday" in message.body_text
    assert "- Tuesday, 7 April 2026, 10:00 (Berlin, UTC+2)" in message.body_text
    with pytest.raises(series.SeriesNotFound):
        series.reject_series(teacher, created)


def test_rejecting_keeps_an_occurrence_confirmed_on_its_own(teacher, student):
    created, lessons, _ = book(student, teacher)
    booking.confirm_lesson(teacher, lessons[0], 900, 1, now=NOW)
    series.reject_series(teacher, created)
    assert starts(stored(created)) == [SPRING[0]]
    assert LessonSeries.get_by_id(created.id).status == LessonSeries.CONFIRMED


def test_only_the_series_teacher_answers(teacher, student, create_user):
    created, _, _ = book(student, teacher)
    other = create_user("teacher2", "Teacher-two-password-1", role=User.TEACHER)
    for act in (lambda: series.confirm_series(other, created, 1, 1, now=NOW),
                lambda: series.reject_series(other, created)):
        with pytest.raises(series.NotAllowed):
            act()
    assert [lesson.status for lesson in stored(created)] == [Lesson.PENDING] * 4


# --- single occurrences afterwards ------------------------------------------------

def test_a_moved_occurrence_stays_in_the_series_and_the_others_do_not_move(teacher,
                                                                          student):
    created, lessons, _ = book(student, teacher)
    series.confirm_series(teacher, created, 1500, 1, now=NOW)
    Message.delete().execute()
    thursday = datetime(2026, 3, 26, 11, 0)  # 12:00 in Berlin
    moved = booking.change_lesson(teacher, lessons[1], 1800, 2, start=thursday, now=NOW)
    assert (moved.start, moved.end, moved.series_id) == (
        thursday, thursday + timedelta(hours=1), created.id)
    assert [(lesson.start, lesson.price, lesson.people) for lesson in stored(created)] == [
        (SPRING[0], Decimal("1500.00"), 1),
        (thursday, Decimal("1800.00"), 2),
        (SPRING[2], Decimal("1500.00"), 1),
        (SPRING[3], Decimal("1500.00"), 1)]
    [message] = outbox()
    assert (message.kind, message.user_id) == ("lesson_rescheduled", student.id)
    assert ("moved your lesson from Tuesday, 24 March 2026, 10:00 (Berlin, UTC+1) to "
            "Thursday, 26 March 2026, 12:00 (Berlin, UTC+1)") in message.body_text
    # Moving it again (even back) is news again.
    booking.change_lesson(teacher, moved, 1800, 2, start=SPRING[1], now=NOW)
    assert len(outbox("lesson_rescheduled")) == 2


def test_cancelling_or_repricing_one_occurrence_leaves_the_rest(teacher, student):
    created, lessons, _ = book(student, teacher)
    series.confirm_series(teacher, created, 1500, 1, now=NOW)
    Message.delete().execute()
    booking.change_lesson(teacher, lessons[3], "0", 1, now=NOW)
    booking.cancel_lesson(student, lessons[0], now=NOW)
    assert [(lesson.start, lesson.price) for lesson in stored(created)] == [
        (SPRING[1], Decimal("1500.00")), (SPRING[2], Decimal("1500.00")),
        (SPRING[3], Decimal("0.00"))]
    assert [m.kind for m in outbox()] == ["lesson_cancelled"]  # a new price is no news


def test_change_lesson_refuses_what_it_must(teacher, student, other_student):
    created, lessons, _ = book(student, teacher)
    with pytest.raises(booking.NotPending):  # a pending lesson is confirmed instead
        booking.change_lesson(teacher, lessons[0], 1, 1, now=NOW)
    series.confirm_series(teacher, created, 1500, 1, now=NOW)
    with pytest.raises(booking.SlotTaken):
        booking.change_lesson(teacher, lessons[0], 1, 1, start=SPRING[1], now=NOW)
    schedule.add_unavailable_days(teacher, date(2026, 3, 19), date(2026, 3, 19))
    with pytest.raises(booking.OutsideAvailability):
        booking.change_lesson(teacher, lessons[0], 1, 1, start=datetime(2026, 3, 19, 9, 0),
                              now=NOW)
    with pytest.raises(booking.InThePast):
        booking.change_lesson(teacher, lessons[0], 1, 1, start=SPRING[1] + timedelta(hours=2),
                              now=SPRING[0] + timedelta(minutes=5))
    with pytest.raises(booking.NotAllowed):
        booking.change_lesson(other_student, lessons[0], 1, 1, now=NOW)
    with pytest.raises(booking.InvalidDetails):
        booking.change_lesson(teacher, lessons[0], -5, 1, now=NOW)
    assert [(lesson.start, lesson.price) for lesson in stored(created)] == [
        (start, Decimal("1500.00")) for start in SPRING]
    # Repricing a lesson that has taken place is fine.
    booking.change_lesson(teacher, lessons[0], 1200, 1, now=SPRING[0] + timedelta(days=1))
    assert Lesson.get_by_id(lessons[0].id).price == Decimal("1200.00")


def test_an_unconfirmed_occurrence_expires_alone(teacher, student):
    created, lessons, _ = book(student, teacher)
    assert expiry.expire_unconfirmed(now=SPRING[0] + timedelta(minutes=1)) == 1
    assert starts(stored(created)) == SPRING[1:]


def test_a_deleted_series_leaves_its_lessons(teacher, student):
    created, lessons, _ = book(student, teacher, count=2)
    series.confirm_series(teacher, created, 1000, 1, now=NOW)
    LessonSeries.delete().where(LessonSeries.id == created.id).execute()
    assert [lesson.series_id for lesson in Lesson.select()] == [None, None]


# --- reports ------------------------------------------------------------------------

def test_a_confirmed_series_counts_in_the_monthly_report(teacher, student):
    schedule.set_windows(teacher, [Window(day, time(10), time(14)) for day in range(7)])
    created, lessons, _ = book(student, teacher, count=None, until=date(2026, 4, 28))
    assert len(lessons) == 7  # 17, 24, 31 March; 7, 14, 21, 28 April
    series.confirm_series(teacher, created, 1500, 1, now=NOW)
    # One April occurrence moved to the next day at another price, one cancelled.
    booking.change_lesson(teacher, lessons[4], 2000, 1,
                          start=lessons[4].start + timedelta(days=1), now=NOW)
    booking.cancel_lesson(teacher, lessons[5], "Ill", now=NOW)
    after = datetime(2026, 5, 5)
    march = figures.monthly_report(teacher, date(2026, 3, 1), now=after)
    assert (march.totals.lessons, march.totals.hours, march.totals.cost) == (
        3, Decimal("3.00"), Decimal("4500.00"))
    april = figures.monthly_report(teacher, date(2026, 4, 1), now=after)
    assert (april.totals.lessons, april.totals.hours, april.totals.cost) == (
        3, Decimal("3.00"), Decimal("5000.00"))
    assert april.student_count == 1
    assert [line.start.strftime("%d %H:%M") for line in april.lines] == [
        "07 10:00", "15 10:00", "28 10:00"]


# --- no overlap, whichever process --------------------------------------------------

RACER = """
import sys
from datetime import datetime
from tutor import create_app
from tutor.models import User
from tutor.services import booking, series

url, teacher_id, student_id, mode, now = sys.argv[1:]
app = create_app({"DATABASE_URL": url, "REDIS_URL": "", "TESTING": True,
                  "RATELIMIT_STORAGE_URI": "memory://"})
now = datetime.fromisoformat(now)
with app.app_context():
    teacher, student = User.get_by_id(int(teacher_id)), User.get_by_id(int(student_id))
    print("ready", flush=True)
    sys.stdin.readline()  # everyone starts together
    try:
        if mode == "series":
            _, lessons, _ = series.book_series(student, teacher, datetime(2026, 3, 17, 9, 0),
                                               count=4, now=now)
            print(len(lessons), flush=True)
        else:
            booking.book_lesson(student, teacher, datetime(2026, 3, 31, 8, 0), now=now)
            print(1, flush=True)
    except (series.NothingFree, booking.SlotTaken):
        print(0, flush=True)
"""


@pytest.mark.slow
def test_series_and_single_bookings_racing_never_overlap(database_url, teacher,
                                                         create_student):
    students = [create_student() for _ in range(8)]
    modes = ["series", "single"] * 4
    results = racers.race(RACER, [(database_url, teacher.id, s.id, mode, NOW.isoformat())
                                  for s, mode in zip(students, modes)])
    booked = sum(int(out) for out in results)
    assert booked == 4  # the four weeks, each taken once
    assert sorted(lesson.start for lesson in Lesson.select()) == SPRING
    # A series is written whole or not at all: its lessons are all the ones it reported.
    assert LessonSeries.select().count() <= 1
    assert len(outbox("series_booked")) == LessonSeries.select().count()


# --- cancelling the rest ------------------------------------------------------------

def test_the_teacher_cancels_the_rest_from_a_date(teacher, student):
    created, lessons, _ = book(student, teacher)
    series.confirm_series(teacher, created, 1500, 1, now=NOW)
    Message.delete().execute()
    with pytest.raises(series.InvalidDetails):  # the teacher gives a reason
        series.cancel_from(teacher, created, date(2026, 3, 24), now=NOW)
    cancelled, kept = series.cancel_from(teacher, created, date(2026, 3, 24), "Moving away",
                                         now=NOW)
    assert starts(cancelled) == SPRING[1:] and kept == []
    assert starts(stored(created)) == [SPRING[0]]
    [message] = outbox()
    assert (message.kind, message.user_id) == ("series_cancelled", student.id)
    assert message.subject == ("3 weekly lessons cancelled from "
                               "Tuesday, 24 March 2026, 10:00 (Berlin, UTC+1)")
    assert "Reason: Moving away" in message.body_text
    with pytest.raises(series.NothingToCancel):
        series.cancel_from(teacher, created, date(2026, 3, 24), "again", now=NOW)


def test_a_student_cancels_the_rest_but_not_inside_the_notice(teacher, student,
                                                              other_student):
    created, lessons, _ = book(student, teacher)
    series.confirm_series(teacher, created, 1500, 1, now=NOW)
    with pytest.raises(series.NotAllowed):
        series.cancel_from(other_student, created, date(2026, 3, 1), now=NOW)
    evening_before = SPRING[1] - timedelta(hours=10)  # inside the 24 hours' notice
    cancelled, kept = series.cancel_from(student, created, date(2026, 3, 18),
                                         now=evening_before)
    assert starts(kept) == [SPRING[1]] and starts(cancelled) == SPRING[2:]
    assert starts(stored(created)) == SPRING[:2]
    [message] = outbox("series_cancelled")
    assert message.user_id == teacher.id and "Ivan Petrov has cancelled" in message.body_text


def test_cancelling_every_lesson_removes_the_series(teacher, student):
    created, lessons, _ = book(student, teacher)
    series.cancel_from(student, created, date(2026, 3, 1), now=NOW)
    assert Lesson.select().count() == 0
    assert LessonSeries.get_or_none(LessonSeries.id == created.id) is None


# --- the audit trail --------------------------------------------------------------------

def test_each_answer_to_a_series_is_audited_once_with_it(teacher, student):
    from tutor.models import AuditEntry
    from tutor.services import audit
    setup = AuditEntry.select().count()  # the teacher's settings, audited by schedule
    asked, _, _ = book(student, teacher)
    series.confirm_series(teacher, asked, 1500, 1, now=NOW)
    series.cancel_from(student, asked, date(2026, 3, 31), now=NOW)
    refused, _, _ = book(student, teacher, first=datetime(2026, 3, 18, 9, 0))
    series.reject_series(teacher, refused, "On holiday")
    given, _, _ = series.book_series(teacher, teacher, datetime(2026, 3, 19, 9, 0),
                                     student=student, count=2, price=1500, now=NOW)
    entries = list(AuditEntry.select().order_by(AuditEntry.id))[setup:]
    assert [(e.action, e.actor_id, e.target_id) for e in entries] == [
        ("series.book", student.id, asked.id), ("series.confirm", teacher.id, asked.id),
        ("series.cancel", student.id, asked.id), ("series.book", student.id, refused.id),
        ("series.reject", teacher.id, refused.id), ("series.create", teacher.id, given.id)]
    assert {c.field: c.after for c in audit.recorded(entries[2])}["lessons"] == 2
