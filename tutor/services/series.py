"""Weekly series of lessons: "every week at this time, until a date or N times".

A series is a LessonSeries row and one ordinary Lesson per week that could be booked,
each pointing at the series; calendars, reports, reminders, feeds and digests see the
lessons and need to know nothing of series. Every datetime is naive UTC; the day and
the wall-clock time of a series are in the teacher's zone.

Decided rules (the tests pin each one):
- Occurrences keep the wall-clock time of the first one in the teacher's zone, so their
  UTC time shifts across a DST change. A wall time the clocks skip or repeat on some
  date is read as a single lesson's is (services/zones.py): a skipped 02:30 is the
  instant the clock shows 03:30, a repeated one its first occurrence.
- `until` is the last local date that may hold an occurrence (inclusive); `count` is
  the number of weeks from the first one. Exactly one of them; 2 to MAX_WEEKS weeks.
- A student's series: each occurrence is checked exactly like a single booking
  (booking.book_lesson): a free slot of the calendar, inside notice and horizon. The
  teacher's series: like a lesson placed by hand (future, no other lesson, not
  unavailable), confirmed at once with its price and people.
- Booking creates lessons for the free dates only, in one transaction under the
  booking lock, and reports the others; when no date is free nothing is written
  (NothingFree). The other side gets one message for the series, not one per lesson.
- The teacher confirms a pending series once: price, people (and the comment, when
  given) go to every occurrence still pending; pending occurrences that became
  impossible (started, or now unavailable) are dropped (deleted) and named in the
  student's one message. Occurrences already confirmed one by one stay as they are.
- Rejecting a pending series deletes its pending occurrences and tells the student
  once; the series row goes too unless an occurrence was confirmed on its own.
- Cancelling a series from a date on deletes its lessons from that local date that
  have not started, with the rules of cancelling one lesson (the teacher gives a
  reason; a student's confirmed lessons inside the notice stay), and tells the other
  side once; the series row goes when no lesson is left.
- After that each occurrence is an ordinary lesson: moving, cancelling or repricing
  one (booking.change_lesson, booking.cancel_lesson) leaves the others alone, and a
  moved occurrence stays in the series.
"""
from datetime import timedelta

from tutor.models import EndedLesson, Lesson, LessonSeries, User, utcnow
from tutor.services import audit, availability, booking, notify, recipients, schedule
from tutor.services.booking import (  # noqa: F401 (re-exported for the views)
    BookingError,
    InvalidDetails,
    NotAllowed,
    NotPending,
    TooManyPending,
)
from tutor.services.series_plan import (  # noqa: F401 (the dates, re-exported for the views)
    MAX_WEEKS,
    OUTSIDE,
    PAST,
    TAKEN,
    TOO_FAR,
    TOO_SOON,
    UNAVAILABLE,
    Occurrence,
    Plan,
    booked_by_teacher,
    conflicts,
    lesson_minutes,
    plan_series,
    weekly_days,
)


class SeriesNotFound(BookingError):
    """The series is gone: rejected, or its student deleted."""


class NothingToCancel(BookingError):
    """No lesson of the series from that date on can be cancelled."""

    field = "first_day"


class NothingFree(BookingError):
    """Not one date of the series can be booked (or confirmed): nothing was written."""

    field = "start"


# --- booking ----------------------------------------------------------------------

def book_series(requester, teacher, first_start, *, student=None, until=None, count=None,
                comment="", minutes=None, price=None, people=1, now=None):
    """Book the free weeks of a series. A student books for themselves: pending lessons,
    one "series_booked" message to the teacher. The teacher books for a registered
    `student` with `price` and `people`: confirmed lessons, one "series_confirmed"
    message to the student. Returns (series, its new lessons, the skipped
    occurrences). Raises NotAllowed, InvalidDetails, TooManyPending (a student's
    series beyond the teacher's cap) or NothingFree (nothing written)."""
    now = now or utcnow()
    as_teacher = booked_by_teacher(requester, teacher)
    if as_teacher:
        if student is None or student.role != User.STUDENT:
            raise NotAllowed("the teacher books a series for a registered student")
        price = booking.checked_price(price)
        people = booking.checked_people(people)
    else:
        student = requester
    comment = booking.checked_text(comment, "comment", booking.MAX_COMMENT)
    with schedule.lock(teacher):
        if not as_teacher:
            booking.check_pending_cap(student, teacher, schedule.settings_for(teacher),
                                      series=True)
        plan = plan_series(requester, teacher, first_start, until=until, count=count,
                           minutes=minutes, now=now)
        if not plan.free:
            raise NothingFree("no date of the series is free")
        series = LessonSeries.create(
            teacher=teacher, student=student, weekday=plan.first_day.weekday(),
            start_time=plan.start_time, minutes=plan.minutes, first_day=plan.first_day,
            until=plan.until, count=plan.count, comment=comment, created_by=requester,
            status=LessonSeries.CONFIRMED if as_teacher else LessonSeries.PENDING,
            confirmed_at=now if as_teacher else None)
        lessons = [Lesson.create(
            teacher=teacher, student=student, series=series, start=o.start, end=o.end,
            comment=comment,
            status=Lesson.CONFIRMED if as_teacher else Lesson.PENDING,
            price=price if as_teacher else None, people=people if as_teacher else 1,
            confirmed_at=now if as_teacher else None,
            sequence=1 if as_teacher else 0) for o in plan.free]
        audit.record(requester, "series.create" if as_teacher else "series.book", series,
                     after={"lessons": len(lessons), "skipped": len(plan.skipped)})
        settings = schedule.settings_for(teacher)
        if as_teacher:
            _notify(student, "series_confirmed", series, settings, lessons,
                    dropped=[], price=price, people=people)
        else:
            _notify(teacher, "series_booked", series, settings, lessons,
                    skipped=[o.start for o in plan.skipped],
                    student_name=booking.person_name(student))
    return series, lessons, plan.skipped


# --- the teacher's answer ---------------------------------------------------------

def confirm_series(teacher, series, price, people, comment=None, now=None):
    """Confirm every pending occurrence of a pending series with `price` and `people`
    (and `comment`, when given); drop the ones that became impossible. One
    "series_confirmed" message to the student. Returns (confirmed, dropped) lessons.
    Raises SeriesNotFound, NotAllowed, NotPending, InvalidDetails, or NothingFree
    when no occurrence can be confirmed (nothing changes then)."""
    now = now or utcnow()
    price = booking.checked_price(price)
    people = booking.checked_people(people)
    if comment is not None:
        comment = booking.checked_text(comment, "comment", booking.MAX_COMMENT)
    with schedule.lock(teacher):
        series = _teachers_series(teacher, series)
        if not series.is_pending:
            raise NotPending("the series is already confirmed")
        impossible = {o.lesson.id for o in conflicts(series, now)}
        pending = list(series.occurrences().where(Lesson.status == Lesson.PENDING))
        confirmed = [lesson for lesson in pending if lesson.id not in impossible]
        dropped = [lesson for lesson in pending if lesson.id in impossible]
        if not confirmed:
            raise NothingFree("no pending occurrence can be confirmed")
        for lesson in confirmed:
            lesson.status, lesson.price, lesson.people = Lesson.CONFIRMED, price, people
            lesson.confirmed_at = now
            lesson.sequence += 1
            if comment is not None:
                lesson.comment = comment
            lesson.save()
        for lesson in dropped:
            lesson.delete_instance()
        series.status, series.confirmed_at = LessonSeries.CONFIRMED, now
        if comment is not None:
            series.comment = comment
        series.save()
        audit.record(teacher, "series.confirm", series, after={
            "price": price, "people": people, "lessons": len(confirmed),
            "dropped": len(dropped)})
        _notify(series.student, "series_confirmed", series, schedule.settings_for(teacher),
                confirmed, dropped=[lesson.start for lesson in dropped], price=price,
                people=people)
    return confirmed, dropped


def reject_series(teacher, series, reason=""):
    """Reject a pending series: delete its pending occurrences and tell the student
    once. Returns the deleted lessons. Raises SeriesNotFound, NotAllowed, NotPending
    or InvalidDetails."""
    reason = booking.checked_text(reason, "reason", booking.MAX_REASON)
    with schedule.lock(teacher):
        series = _teachers_series(teacher, series)
        if not series.is_pending:
            raise NotPending("a confirmed series is cancelled lesson by lesson")
        pending = list(series.occurrences().where(Lesson.status == Lesson.PENDING))
        for lesson in pending:
            lesson.delete_instance()
        booking.record_ended(pending, EndedLesson.REJECTED, reason, by=teacher)
        audit.record(teacher, "series.reject", series,
                     after={"lessons": len(pending), "reason": reason})
        settings = schedule.settings_for(teacher)
        _notify(series.student, "series_rejected", series, settings, pending, reason=reason)
        if series.occurrences().exists():
            series.status = LessonSeries.CONFIRMED  # what is left was confirmed one by one
            series.save()
        else:
            series.delete_instance()
    return pending


def cancel_from(user, series, first_day, reason="", now=None):
    """Cancel (delete) every lesson of the series from the local date `first_day` on
    that has not started, by its student or the teacher, and tell the other side once.
    The teacher gives a reason. A student's confirmed lessons inside the cancellation
    notice stay (as with booking.cancel_lesson) and are returned as kept. Returns
    (cancelled, kept). Raises SeriesNotFound, NotAllowed, InvalidDetails or
    NothingToCancel (nothing changes then)."""
    now = now or utcnow()
    reason = booking.checked_text(reason, "reason", booking.MAX_REASON)
    with schedule.lock(series.teacher_id):
        series = _reload(series)
        settings = schedule.settings_for(series.teacher_id)
        recipient = booking.told_of_cancelling(user, series, reason, "series")
        from_moment = availability.local_day_bounds(first_day, settings.timezone).start
        ahead = list(series.occurrences().where((Lesson.start >= from_moment)
                                                & (Lesson.start > now)))
        deadline = now + timedelta(hours=settings.cancellation_notice_hours)
        kept = [lesson for lesson in ahead if user.id == series.student_id
                and lesson.is_confirmed and lesson.start < deadline]
        cancelled = [lesson for lesson in ahead if lesson not in kept]
        if not cancelled:
            raise NothingToCancel(f"no lesson of the series to cancel from {first_day}")
        for lesson in cancelled:
            lesson.delete_instance()
        booking.record_ended(cancelled, EndedLesson.CANCELLED, reason, by=user, now=now)
        audit.record(user, "series.cancel", series, after={
            "from": first_day, "lessons": len(cancelled), "kept": len(kept), "reason": reason})
        _notify(recipient, "series_cancelled", series, settings, cancelled,
                cancelled_by=booking.person_name(user), reason=reason)
        if not series.occurrences().exists():
            series.delete_instance()
    return cancelled, kept


# --- helpers ----------------------------------------------------------------------

def _reload(series):
    current = LessonSeries.get_or_none(LessonSeries.id == series.id)
    if current is None:
        raise SeriesNotFound(series.id)
    return current


def _teachers_series(teacher, series):
    """The series as it is now, refused unless it is `teacher`'s."""
    series = _reload(series)
    if series.teacher_id != teacher.id:
        raise NotAllowed("not your series")
    return series


def _notify(recipient, kind, series, settings, lessons, **context):
    """One message about the whole series; its key makes a repeat write nothing."""
    zone = settings.timezone

    def when(moment):
        return recipients.local_time(recipient, moment, zone)

    starts = [lesson.start for lesson in lessons]
    price = context.pop("price", None)
    notify.enqueue(recipient, kind, {
        "series": series,
        "lessons": lessons,
        "dates": [when(start) for start in starts],
        "first": when(starts[0]) if starts else None,
        "skipped": [when(start) for start in context.pop("skipped", [])],
        "dropped": [when(start) for start in context.pop("dropped", [])],
        "price": recipients.local_amount(recipient, price) if price is not None else None,
        **context,
    }, key=f"{kind}:series:{series.ref}")
