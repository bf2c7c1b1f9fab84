"""What needs the teacher, for their home page. It is Monday 23 November 2026, 11:00
in Moscow (08:00 UTC)."""
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest

from tests.queries import counting_queries
from tutor.models import AuditEntry, Lesson
from tutor.services import agenda, booking, schedule

NOW = datetime(2026, 11, 23, 8, 0)


@pytest.fixture
def hours(app_ctx, teacher):
    schedule.set_windows(teacher, [(day, time(8), time(22)) for day in range(7)])
    schedule.update_settings(teacher, min_notice_hours=0, default_price=Decimal("1500"))
    return teacher


def lesson(teacher, student, start, status=Lesson.CONFIRMED, **fields):
    return Lesson.create(teacher=teacher, student=student, start=start,
                         end=start + timedelta(hours=1), status=status, **fields)


def test_requests_still_to_come_soonest_first(hours, create_student):
    ivan, olga = create_student(), create_student()
    later = lesson(hours, ivan, datetime(2026, 11, 26, 9), Lesson.PENDING)
    sooner = lesson(hours, olga, datetime(2026, 11, 24, 9), Lesson.PENDING)
    lesson(hours, olga, datetime(2026, 11, 23, 7), Lesson.PENDING)  # started: expiring
    lesson(hours, ivan, datetime(2026, 11, 25, 9))  # confirmed
    found = agenda.for_teacher(hours, NOW)
    assert [r.id for r in found.requests] == [sooner.id, later.id]
    assert found.requests_total == agenda.awaiting_count(hours, NOW) == 2
    assert found.requests[0].student.id == olga.id


def test_only_some_requests_are_listed_and_all_are_counted(hours, create_student, monkeypatch):
    monkeypatch.setattr(agenda, "SHOWN", 2)
    student = create_student()
    for day in range(24, 28):
        lesson(hours, student, datetime(2026, 11, day, 9), Lesson.PENDING)
    found = agenda.for_teacher(hours, NOW)
    assert (len(found.requests), found.requests_total) == (2, 4)


def test_today_and_tomorrow_are_the_teachers_days(hours, create_student):
    student = create_student()
    morning = lesson(hours, student, datetime(2026, 11, 23, 5))  # 08:00 Moscow, past
    late = lesson(hours, student, datetime(2026, 11, 23, 20), Lesson.PENDING)  # 23:00
    after_midnight = lesson(hours, student, datetime(2026, 11, 23, 21))  # 00:00 Tuesday
    lesson(hours, student, datetime(2026, 11, 24, 21))  # 00:00 Wednesday
    lesson(hours, student, datetime(2026, 11, 22, 20))  # Sunday 23:00
    found = agenda.for_teacher(hours, NOW)
    assert [x.id for x in found.today] == [morning.id, late.id]
    assert [x.id for x in found.tomorrow] == [after_midnight.id]
    assert found.local(late.start).strftime("%H:%M") == "23:00"


def test_unmarked_lessons_and_debts(hours, create_student):
    ivan, olga, pavel = create_student(), create_student(), create_student()
    lesson(hours, ivan, datetime(2026, 11, 20, 9), price=Decimal(1000))
    lesson(hours, ivan, datetime(2026, 11, 21, 9), price=Decimal(1000), attendance="attended")
    lesson(hours, olga, datetime(2026, 11, 19, 9), price=Decimal(2500),
           attendance="late_cancel")
    lesson(hours, pavel, datetime(2026, 11, 18, 9), price=Decimal(900), attendance="missed")
    found = agenda.for_teacher(hours, NOW)
    assert found.unmarked == 1
    assert [(s.id, s.balance) for s in found.debtors] == [(olga.id, Decimal(-2500)),
                                                         (ivan.id, Decimal(-1000))]
    assert found.debtors_total == 2


def test_a_quiet_day(hours):
    found = agenda.for_teacher(hours, NOW)
    assert found.is_quiet and found.price == Decimal("1500")


def test_it_costs_six_queries(hours, create_student):
    """However many requests wait; the last one counts the waiting trial requests. The
    debtors are kept (balances.debts): the first time they are summed, one more."""
    student = create_student()
    for day in range(24, 28):
        lesson(hours, student, datetime(2026, 11, day, 9), Lesson.PENDING)
    with counting_queries() as first:
        agenda.for_teacher(hours, NOW)
    with counting_queries() as queries:
        agenda.for_teacher(hours, NOW)
    assert (len(first), len(queries)) == (7, 6)
    assert "COUNT" in queries[-1] and "trial_requests" in queries[-1]


def test_the_header_count_is_one_query(hours):
    with counting_queries() as queries:
        assert agenda.awaiting_count(hours, NOW) == 0
    assert len(queries) == 1 and "COUNT" in queries[0]


def test_confirming_as_usual_keeps_the_request_and_sets_the_usual_price(hours, create_student):
    request = booking.book_lesson(create_student(), hours, datetime(2026, 11, 24, 9),
                                  "Алгебра", now=NOW)
    confirmed = agenda.confirm_as_usual(hours, request, now=NOW)
    assert (confirmed.status, confirmed.price, confirmed.people, confirmed.comment,
            confirmed.start) == (Lesson.CONFIRMED, Decimal("1500"), 1, "Алгебра",
                                 datetime(2026, 11, 24, 9))
    assert AuditEntry.select().where(AuditEntry.action == "lesson.confirm").count() == 1
    with pytest.raises(booking.NotPending):
        agenda.confirm_as_usual(hours, confirmed, now=NOW)
