"""Booking a slot and everything done to a lesson afterwards: confirm, reject, cancel,
the teacher's attendance mark and the student's feedback; and the student's own page
of lessons and payments. Who may do what is checked here and again in the services."""

from flask import Blueprint, abort, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tutor.forms.lessons import (
    AttendanceForm,
    BookingForm,
    ConfirmLessonForm,
    FeedbackForm,
    ReasonForm,
    SeriesBookingForm,
)
from tutor.htmx import answer, changed, redirect_to, render
from tutor.models import EndedLesson, Lesson, Payment, utcnow
from tutor.services import (
    accounts,
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
from tutor.views.access import me
from tutor.views.feeds import ics_response
from tutor.views.lesson_page import (
    lesson_page,
    lesson_parts,
    viewer_zone,
    visible_lesson,
    week_url,
)
from tutor.views.refusals import attendance_error, booking_error, feedback_error

bp = Blueprint("lessons", __name__, url_prefix="/lessons")


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
    zone = viewer_zone(teacher)
    length = schedule.rules_for(teacher).lesson_length
    context = dict(form=form, start=zones.local(start, zone),
                   end=zones.local(start + length, zone), zone=zone,
                   back=week_url(start, teacher),
                   series_form=SeriesBookingForm(formdata=None, start=start.isoformat()))

    def page():
        # A full page (a visitor back from logging in or registering, or no
        # JavaScript): the slot's week with the booking dialog open over it.
        week = calendar.build_week(teacher, me(), context["start"].date(), utcnow())
        return render_template("lessons/new.html", week=week, **context), status

    return answer(lambda: render_template("lessons/partials/_book_dialog.html", **context),
                  page)


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
        return redirect_to(week_url(lesson.start, teacher))
    return _booking_page(form, teacher, start)


# --- one lesson ---------------------------------------------------------------------

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
    return lesson_page(lesson)


def _ended_page(ended):
    zone = viewer_zone(ended.teacher_id)
    return render_template("lessons/ended.html", ended=ended, zone=zone,
                           start=zones.local(ended.start, zone),
                           end=zones.local(ended.end, zone),
                           back=week_url(ended.start, ended.teacher_id))


@bp.get("/<int:lesson_id>/calendar.ics")
@login_required
def calendar_file(lesson_id):
    lesson = visible_lesson(lesson_id)
    body = calendar_feed.lesson_file(lesson, current_user._get_current_object())
    return ics_response(body, f"lesson-{lesson.id}.ics")


@bp.get("/<int:lesson_id>/student")
@login_required
def student(lesson_id):
    lesson = visible_lesson(lesson_id)
    return render_template("lessons/partials/_student_name.html", student=lesson.student)


@bp.post("/<int:lesson_id>/confirm")
@login_required
def confirm(lesson_id):
    lesson = visible_lesson(lesson_id, for_teacher=True)
    form = ConfirmLessonForm()
    if form.validate_on_submit():
        start = zones.to_utc(form.day.data, form.time.data, viewer_zone(lesson.teacher))
        try:
            lesson = booking.confirm_lesson(me(), lesson, form.price.data, form.people.data,
                                            comment=form.comment.data or "", start=start)
        except booking.BookingError as error:
            form.form_errors.append(booking_error(error))
        else:
            flash(_("The lesson is confirmed; the student is told."), "success")
            return redirect_to(week_url(lesson.start, lesson.teacher))
    return lesson_page(lesson, confirm_form=form)


@bp.post("/<int:lesson_id>/reject")
@login_required
def reject(lesson_id):
    lesson = visible_lesson(lesson_id, for_teacher=True)
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            booking.reject_lesson(me(), lesson, form.reason.data or "")
        except booking.BookingError as error:
            form.reason.errors.append(booking_error(error))
        else:
            flash(_("The request is rejected; the student is told."), "success")
            return redirect_to(week_url(lesson.start, lesson.teacher))
    return lesson_page(lesson, reason_form=form)


@bp.post("/<int:lesson_id>/cancel")
@login_required
def cancel(lesson_id):
    lesson = visible_lesson(lesson_id)
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            booking.cancel_lesson(me(), lesson, form.reason.data or "")
        except booking.BookingError as error:
            form.reason.errors.append(booking_error(error))
        else:
            flash(_("The lesson is cancelled."), "success")
            if current_user.id == lesson.student_id:  # where it now shows as cancelled
                return redirect_to(url_for("lessons.mine"))
            return redirect_to(week_url(lesson.start, lesson.teacher))
    return lesson_page(lesson, reason_form=form)


# --- attendance and feedback --------------------------------------------------------

@bp.post("/<int:lesson_id>/attendance")
@login_required
def attendance(lesson_id):
    lesson = visible_lesson(lesson_id, for_teacher=True)
    form = AttendanceForm()
    if form.validate_on_submit():
        try:
            lesson = balances.mark_attendance(me(), lesson, form.mark)
        except balances.BalanceError as error:
            form.attendance.errors.append(attendance_error(error))
        else:
            flash(_("Attendance is saved."), "success")
            return changed(lambda: _attendance_part(lesson, form),
                           url_for("lessons.show", lesson_id=lesson.id))
    return answer(lambda: _attendance_part(lesson, form),
                  lambda: lesson_page(lesson, attendance_form=form))


def _attendance_part(lesson, form):
    return render("lessons/show.html", "lessons/partials/_attendance.html",
                  lesson=lesson, **lesson_parts(lesson, attendance_form=form))


@bp.post("/<int:lesson_id>/feedback")
@login_required
def leave_feedback(lesson_id):
    lesson = visible_lesson(lesson_id)
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
            return changed(lambda: _feedback_part(lesson, None),
                           url_for("lessons.show", lesson_id=lesson.id))
    return answer(lambda: _feedback_part(lesson, form),
                  lambda: lesson_page(lesson, feedback_form=form))


def _feedback_part(lesson, form):
    return render("lessons/show.html", "lessons/partials/_feedback.html",
                  lesson=lesson, **lesson_parts(lesson, feedback_form=form))


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
    partial = MY_PARTS.get(part, "lessons/mine.html")
    return answer(  # a section's refresh builds only that section
        lambda: render("lessons/mine.html", partial, **_my_lessons(me(), utcnow(), only=part)),
        lambda: render("lessons/mine.html", partial, **_my_lessons(me(), utcnow(), only=None)))


def _my_lessons(student, now, only=None):
    """What the page's sections show (only=a part: that section's alone)."""
    wanted = set(MY_PARTS) if only is None else {only}
    context = dict(now=now, zone=viewer_zone(accounts.the_teacher()), local=zones.local,
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
