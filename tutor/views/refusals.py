"""What a view tells a person when a service refuses: one message per refusal, in
the reader's language, for every blueprint that calls the service."""
from flask_babel import gettext as _
from flask_babel import ngettext

from tutor.formatting import local_datetime, money
from tutor.services import balances, booking, feedback, schedule, series, zones


def booking_error(error):
    messages = {
        booking.SlotTaken: _("Someone has just booked this time. Please pick another one."),
        booking.OutsideAvailability: _("This time is not free for booking any more."),
        booking.InThePast: _("This time has already passed."),
        booking.NotPending: _("This lesson has already been confirmed."),
        booking.LessonNotFound: _("This lesson no longer exists."),
        booking.NotAllowed: _("You cannot do this with this lesson."),
    }
    if isinstance(error, booking.TooLateToCancel):
        return _("A confirmed lesson can be cancelled only until %(deadline)s. Please "
                 "contact the teacher.", deadline=local_datetime(error.deadline))
    if isinstance(error, booking.TooManyPending):
        return pending_cap_message(error)
    if isinstance(error, booking.InvalidDetails):
        return {
            "reason": _("Please give the student a reason."),
            "price": _("Enter a price from 0 to %(max)s ₽.", max=money(schedule.MAX_PRICE)),
            "people": _("Enter a number of people from 1 to %(max)d.", max=booking.MAX_PEOPLE),
        }.get(error.field, _("Please check the details."))
    return messages.get(type(error), _("This cannot be done."))


def pending_cap_message(error):
    """Why a student's request is refused when too many of theirs await an answer."""
    if error.series and error.limit == 0:
        return _("The teacher does not take weekly bookings by request. Please book "
                 "lessons one at a time or ask the teacher.")
    if error.series:
        return ngettext(
            "You already have %(num)d weekly booking waiting for the teacher's answer, "
            "the most the teacher allows. Please wait for the answer or cancel it.",
            "You already have %(num)d weekly bookings waiting for the teacher's answer, "
            "the most the teacher allows. Please wait for an answer or cancel one.",
            error.limit)
    return ngettext(
        "You already have %(num)d request waiting for the teacher's answer, the most "
        "the teacher allows. Please wait for the answer or cancel it.",
        "You already have %(num)d requests waiting for the teacher's answer, the most "
        "the teacher allows. Please wait for an answer or cancel one.",
        error.limit)


def attendance_error(error):
    if isinstance(error, balances.NotStarted):
        return _("Attendance is marked once the lesson has started.")
    if isinstance(error, balances.NotConfirmed):
        return _("Only a confirmed lesson has an attendance.")
    if isinstance(error, balances.InvalidAttendance):
        return _("Choose attended, missed or cancelled late.")
    return _("You cannot do this with this lesson.")


def series_error(error):
    if isinstance(error, series.NothingFree):
        return _("None of these dates is free. Please pick another time or other dates.")
    if isinstance(error, series.InvalidDetails) and error.field in ("until", "count"):
        return _("Give the last date (at least a week after the first lesson, within a "
                 "year) or a number of lessons from 2 to %(max)d.", max=series.MAX_WEEKS)
    if isinstance(error, series.NothingToCancel):
        return _("No lesson of the series from this date on can be cancelled.")
    if isinstance(error, series.InvalidDetails) and error.field == "reason":
        return _("Please give the student a reason.")
    if isinstance(error, series.NotPending):
        return _("This series has already been answered.")
    if isinstance(error, series.SeriesNotFound):
        return _("This series no longer exists.")
    return booking_error(error)


def feedback_error(error):
    if isinstance(error, feedback.TooLate):
        return _("Feedback on this lesson closed on %(deadline)s.",
                 deadline=local_datetime(error.deadline))
    return {
        feedback.NotEnded: _("You can rate the lesson once it has ended."),
        feedback.DidNotTakePlace: _("This lesson did not take place."),
        feedback.InvalidRating: _("Choose a rating from 1 to 5."),
        feedback.CommentTooLong: _("At most %(max)d characters.", max=feedback.MAX_COMMENT),
    }.get(type(error), _("You cannot do this with this lesson."))


def series_problem(problem):
    """Why one date of a weekly booking cannot be booked."""
    return {
        series.TAKEN: _("taken"),
        series.UNAVAILABLE: _("the teacher is away"),
        series.PAST: _("already passed"),
        series.TOO_SOON: _("too soon to book"),
        series.TOO_FAR: _("too far ahead to book yet"),
        series.OUTSIDE: _("not a free time of the teacher"),
    }.get(problem, _("not free"))


def series_dates(plan, zone):
    """A series plan's dates as its preview lists them: local start, free or why not."""
    return [dict(day=o.day, start=zones.local(o.start, zone),
                 free=o.free, problem=None if o.free else series_problem(o.problem))
            for o in plan.occurrences]
