"""Booking a slot and everything done to a lesson afterwards: confirm, reject, cancel,
the teacher's attendance mark and the student's feedback; and the student's own page
of lessons and payments. Who may do what is checked here and again in the services."""
from datetime import timedelta

from flask import Blueprint, abort, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from tutor.forms.lessons import (
    AttendanceForm,
    BookingForm,
    ConfirmLessonForm,
    FeedbackForm,
    ReasonForm,
    SeriesBookingForm,
)
from tutor.htmx import is_fragment_request, redirect_to, render
from tutor.models import EndedLesson, Lesson, Payment, utcnow
from tutor.services import (
    accounts,
    audit,
    balances,
    booking,
    bounds,
    calendar,
    calendar_feed,
    feedback,
    schedule,
    student_lessons,
    zones,
)
from tutor.views.feeds import ics_response

bp = Blueprint("lessons", __name__, url_prefix="/lessons")


def me():
    return current_user._get_current_object()


def _zone(teacher):
    return calendar.viewer_timezone(me(), schedule.settings_for(teacher))


def _week_url(moment, teacher):
    return url_for("calendar.week", week=zones.local(moment, _zone(teacher)).date().isoformat())


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
                 "contact the teacher.", deadline=zones.local(
                     error.deadline, _zone(accounts.the_teacher())).strftime("%d.%m.%Y %H:%M"))
    if isinstance(error, booking.TooManyPending):
        return pending_cap_message(error)
    if isinstance(error, booking.InvalidDetails):
        return {
            "reason": _("Please give the student a reason."),
            "price": _("Enter a price from 0 to 1,000,000."),
            "people": _("Enter a number of people from 1 to 50."),
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


# --- booking ------------------------------------------------------------------------

@bp.get("/new")
def new():
    teacher = accounts.the_teacher()
    start = bounds.parse_moment(request.args.get("start"))
    if start is None:
        abort(404)
    if not current_user.is_authenticated:
        flash(_("Log in or register to book this time."), "info")
        return redirect_to(url_for("auth.login", next=url_for("lessons.new",
                                                               start=start.isoformat())))
    if current_user.is_teacher:
        return redirect_to(url_for("teacher.new_lesson", start=start.isoformat()))
    form = BookingForm(start=start.isoformat())
    return _booking_page(form, teacher, start)


def _booking_page(form, teacher, start, status=200):
    zone = _zone(teacher)
    length = schedule.rules_for(teacher).lesson_length
    context = dict(form=form, start=zones.local(start, zone),
                   end=zones.local(start + length, zone), zone=zone,
                   back=_week_url(start, teacher),
                   series_form=SeriesBookingForm(formdata=None, start=start.isoformat()))
    if is_fragment_request():
        return render_template("lessons/partials/_book_dialog.html", **context)
    # A full page (a visitor back from logging in or registering, or no JavaScript):
    # the slot's week with the booking dialog open over it.
    week = calendar.build_week(teacher, me(), context["start"].date(), utcnow())
    return render_template("lessons/new.html", week=week, **context), status


@bp.post("")
@login_required
def create():
    teacher = accounts.the_teacher()
    form = BookingForm()
    start = form.start_utc()
    if start is None:
        abort(400)
    if current_user.is_teacher:
        abort(403)
    if form.validate_on_submit():
        try:
            lesson = booking.book_lesson(me(), teacher, start, form.comment.data or "")
        except booking.BookingError as error:
            form.form_errors.append(booking_error(error))
            conflict = isinstance(error, (booking.SlotTaken, booking.OutsideAvailability))
            return _booking_page(form, teacher, start, status=409 if conflict else 200)
        flash(_("Your request is sent. The lesson is booked once the teacher confirms it."),
              "success")
        return redirect_to(_week_url(lesson.start, teacher))
    return _booking_page(form, teacher, start)


# --- one lesson ---------------------------------------------------------------------

def _visible_lesson(lesson_id):
    """The lesson when the viewer is its teacher or its student; 404 otherwise, so
    nobody learns that someone else's lesson exists."""
    lesson = Lesson.get_or_none(Lesson.id == lesson_id)
    if lesson is None or current_user.id not in (lesson.teacher_id, lesson.student_id):
        abort(404)
    return lesson


def _lesson_page(lesson, confirm_form=None, reason_form=None, status=200,
                 attendance_form=None, feedback_form=None):
    teacher = lesson.teacher
    zone = _zone(teacher)
    extra = _lesson_parts(lesson, attendance_form, feedback_form)
    mine = (student_lessons.as_upcoming(lesson, now=extra["now"])
            if current_user.id == lesson.student_id else None)
    if confirm_form is None:
        start = zones.local(lesson.start, zone)
        settings = schedule.settings_for(teacher)
        confirm_form = ConfirmLessonForm(
            formdata=None, price=lesson.price if lesson.price is not None
            else settings.default_price, people=lesson.people, comment=lesson.comment,
            day=start.date(), time=start.time().replace(tzinfo=None))
    return render_template(
        "lessons/show.html", lesson=lesson, student=lesson.student, zone=zone,
        start=zones.local(lesson.start, zone), end=zones.local(lesson.end, zone),
        confirm_form=confirm_form, reason_form=reason_form or ReasonForm(formdata=None),
        back=_week_url(lesson.start, teacher), **extra, mine=mine,
        cancel_until=mine and zones.local(mine.cancel_until, zone)), status


def _lesson_parts(lesson, attendance_form=None, feedback_form=None, now=None):
    """What the attendance and feedback partials of the lesson page need."""
    now = now or utcnow()
    given = feedback.for_lesson(lesson)
    if feedback_form is None:
        feedback_form = FeedbackForm(formdata=None, rating=given.rating if given else None,
                                     comment=given.comment if given else "")
    settings = schedule.settings_for(lesson.teacher_id)
    notice_from = lesson.start - timedelta(hours=settings.cancellation_notice_hours)
    return dict(
        now=now, can_mark=balances.can_mark(lesson, now),
        attendance_form=attendance_form or AttendanceForm(formdata=None,
                                                          attendance=lesson.attendance or ""),
        given=given, feedback_form=feedback_form,
        feedback_open=feedback.is_open(me(), lesson, now),
        feedback_deadline=zones.local(feedback.deadline(lesson), _zone(lesson.teacher)),
        inside_notice=lesson.is_confirmed and notice_from <= now < lesson.start)


@bp.get("/<int:lesson_id>")
@login_required
def show(lesson_id):
    lesson = Lesson.get_or_none(Lesson.id == lesson_id)
    if lesson is None or current_user.id not in (lesson.teacher_id, lesson.student_id):
        # Gone (rejected, expired, cancelled): its student is told what happened.
        ended = student_lessons.ended(current_user.id, lesson_id)
        if ended is None:
            abort(404)
        return _ended_page(ended)
    return _lesson_page(lesson)


def _ended_page(ended):
    zone = _zone(ended.teacher_id)
    return render_template("lessons/ended.html", ended=ended, zone=zone,
                           start=zones.local(ended.start, zone),
                           end=zones.local(ended.end, zone),
                           back=_week_url(ended.start, ended.teacher_id))


@bp.get("/<int:lesson_id>/calendar.ics")
@login_required
def calendar_file(lesson_id):
    lesson = _visible_lesson(lesson_id)
    body = calendar_feed.lesson_file(lesson, current_user._get_current_object())
    return ics_response(body, f"lesson-{lesson.id}.ics")


@bp.get("/<int:lesson_id>/student")
@login_required
def student(lesson_id):
    lesson = _visible_lesson(lesson_id)
    return render_template("lessons/partials/_student_name.html", student=lesson.student)


@bp.post("/<int:lesson_id>/confirm")
@login_required
def confirm(lesson_id):
    lesson = _visible_lesson(lesson_id)
    if not current_user.is_teacher:
        abort(403)
    form = ConfirmLessonForm()
    if form.validate_on_submit():
        start = zones.to_utc(form.day.data, form.time.data, _zone(lesson.teacher))
        try:
            lesson = booking.confirm_lesson(me(), lesson, form.price.data, form.people.data,
                                            comment=form.comment.data or "", start=start)
        except booking.BookingError as error:
            form.form_errors.append(booking_error(error))
        else:
            audit.record(me(), "lesson.confirm", lesson, after=audit.snapshot(lesson))
            flash(_("The lesson is confirmed; the student is told."), "success")
            return redirect_to(_week_url(lesson.start, lesson.teacher))
    return _lesson_page(lesson, confirm_form=form)


@bp.post("/<int:lesson_id>/reject")
@login_required
def reject(lesson_id):
    lesson = _visible_lesson(lesson_id)
    if not current_user.is_teacher:
        abort(403)
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            booking.reject_lesson(me(), lesson, form.reason.data or "")
        except booking.BookingError as error:
            form.reason.errors.append(booking_error(error))
        else:
            audit.record(me(), "lesson.reject", lesson, audit.snapshot(lesson), form.data)
            flash(_("The request is rejected; the student is told."), "success")
            return redirect_to(_week_url(lesson.start, lesson.teacher))
    return _lesson_page(lesson, reason_form=form)


@bp.post("/<int:lesson_id>/cancel")
@login_required
def cancel(lesson_id):
    lesson = _visible_lesson(lesson_id)
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            booking.cancel_lesson(me(), lesson, form.reason.data or "")
        except booking.BookingError as error:
            form.reason.errors.append(booking_error(error))
        else:
            audit.record(me(), "lesson.cancel", lesson, audit.snapshot(lesson), form.data)
            flash(_("The lesson is cancelled."), "success")
            if current_user.id == lesson.student_id:  # where it now shows as cancelled
                return redirect_to(url_for("lessons.mine"))
            return redirect_to(_week_url(lesson.start, lesson.teacher))
    return _lesson_page(lesson, reason_form=form)


# --- attendance and feedback --------------------------------------------------------

def attendance_error(error):
    if isinstance(error, balances.NotStarted):
        return _("Attendance is marked once the lesson has started.")
    if isinstance(error, balances.NotConfirmed):
        return _("Only a confirmed lesson has an attendance.")
    if isinstance(error, balances.InvalidAttendance):
        return _("Choose attended, missed or cancelled late.")
    return _("You cannot do this with this lesson.")


@bp.post("/<int:lesson_id>/attendance")
@login_required
def attendance(lesson_id):
    lesson = _visible_lesson(lesson_id)
    if not current_user.is_teacher:
        abort(403)
    form = AttendanceForm()
    if form.validate_on_submit():
        try:
            lesson = balances.mark_attendance(me(), lesson, form.mark)
        except balances.BalanceError as error:
            form.attendance.errors.append(attendance_error(error))
        else:
            flash(_("Attendance is saved."), "success")
            if not is_fragment_request():
                return redirect_to(url_for("lessons.show", lesson_id=lesson.id))
    if is_fragment_request():
        return render("lessons/show.html", "lessons/partials/_attendance.html",
                      lesson=lesson, **_lesson_parts(lesson, attendance_form=form))
    return _lesson_page(lesson, attendance_form=form)


def feedback_error(error):
    if isinstance(error, feedback.TooLate):
        return _("Feedback on this lesson closed on %(deadline)s.",
                 deadline=zones.local(error.deadline, _zone(accounts.the_teacher()))
                 .strftime("%d.%m.%Y %H:%M"))
    return {
        feedback.NotEnded: _("You can rate the lesson once it has ended."),
        feedback.DidNotTakePlace: _("This lesson did not take place."),
        feedback.InvalidRating: _("Choose a rating from 1 to 5."),
        feedback.CommentTooLong: _("At most %(max)d characters.", max=feedback.MAX_COMMENT),
    }.get(type(error), _("You cannot do this with this lesson."))


@bp.post("/<int:lesson_id>/feedback")
@login_required
def leave_feedback(lesson_id):
    lesson = _visible_lesson(lesson_id)
    if current_user.is_teacher:
        abort(403)
    form = FeedbackForm()
    if form.validate_on_submit():
        try:
            feedback.leave_feedback(me(), lesson, form.rating.data, form.comment.data or "")
        except feedback.FeedbackError as error:
            target = form.comment if error.field == "comment" else form.rating
            target.errors.append(feedback_error(error))
        else:
            flash(_("Thank you! Your feedback is saved; only the teacher sees it."),
                  "success")
            if not is_fragment_request():
                return redirect_to(url_for("lessons.show", lesson_id=lesson.id))
            form = None
    if is_fragment_request():
        return render("lessons/show.html", "lessons/partials/_feedback.html",
                      lesson=lesson, **_lesson_parts(lesson, feedback_form=form))
    return _lesson_page(lesson, feedback_form=form)


# --- the student's own page ---------------------------------------------------------

MY_PARTS = {
    "upcoming": "lessons/partials/_my_upcoming.html",
    "past": "lessons/partials/_my_past.html",
    "payments": "lessons/partials/_my_payments.html",
}


@bp.get("/mine")
@login_required
def mine():
    """The student's upcoming lessons (with what they may still do) and the requests
    and lessons that did not go ahead lately, past lessons (with marks and feedback),
    balance and payments; the teacher has the administration pages for this."""
    return _mine_page(None)


@bp.get("/mine/<any(upcoming, past, payments):part>")
@login_required
def mine_part(part):
    """One section of the page: alone for a fragment request (its refresh), the
    whole page otherwise."""
    return _mine_page(part)


def _mine_page(part):
    if current_user.is_teacher:
        return redirect_to(url_for("admin.students"))
    context = _my_lessons(me(), utcnow(), only=part if is_fragment_request() else None)
    return render("lessons/mine.html", MY_PARTS.get(part, "lessons/mine.html"), **context)


def _my_lessons(student, now, only=None):
    """What the page's sections show (only=a part: that section's alone)."""
    wanted = set(MY_PARTS) if only is None else {only}
    context = dict(now=now, zone=_zone(accounts.the_teacher()), local=zones.local,
                   Ended=EndedLesson, book_url=url_for("calendar.week"))
    if "upcoming" in wanted:
        context["upcoming"] = student_lessons.upcoming(student, now)
        context["ended"] = student_lessons.recently_ended(student, now)
    if "past" in wanted:
        context["lessons"] = student_lessons.past(student, now)
        context["rated"] = {f.lesson_id for f in feedback.of_student(student)}
        context["feedback_open"] = lambda lesson: feedback.is_open(student, lesson, now)
    if "payments" in wanted:
        context["account"] = balances.account(student)
        context["payments"] = list(Payment.of(student))
    return context
