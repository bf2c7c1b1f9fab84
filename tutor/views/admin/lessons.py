"""The teacher's list of lessons and what is done from it: confirm as asked, reject,
cancel, mark attendance; the header's count of waiting requests."""
from flask import abort, flash, render_template, request, url_for
from flask_babel import gettext as _
from playhouse.flask_utils import get_object_or_404

from tutor.forms.admin import (
    LessonActionForm,
    LessonFilterForm,
)
from tutor.forms.lessons import AttendanceForm
from tutor.htmx import answer, redirect_to, render, safe_next
from tutor.models import Lesson, utcnow
from tutor.services import (
    agenda,
    balances,
    booking,
    lesson_list,
    zones,
)
from tutor.views.access import me
from tutor.views.admin.blueprint import bp, own_zone
from tutor.views.paging import page_number
from tutor.views.refusals import attendance_error, booking_error


def _lesson_filter_form():
    form = LessonFilterForm(formdata=request.args)
    if "first_day" not in request.args:  # first visit: from today on
        form.first_day.data = zones.local(utcnow(), own_zone()).date()
    return form


@bp.get("/lessons")
def lessons():
    zone = own_zone()
    form = _lesson_filter_form()
    page = lesson_list.lesson_list(me(), form.lesson_filter(zone), page_number())
    query = {"first_day": form.first_day.data.isoformat() if form.first_day.data else "",
             "last_day": form.last_day.data.isoformat() if form.last_day.data else None,
             "status": form.status.data or None, "student": form.student.data or None}
    return render("admin/lessons.html", "admin/partials/_lessons.html", form=form,
                  lessons=page, zone=zone, query=query, now=utcnow(),
                  here=request.full_path)


def _lesson_action(lesson_id, action, done_message):
    lesson = get_object_or_404(Lesson.select().where(Lesson.teacher == me().id),
                               Lesson.id == lesson_id)
    form = LessonActionForm()
    back = safe_next(form.next.data) or url_for("admin.lessons")
    error = None
    if not form.validate_on_submit():
        error = " ".join(form.reason.errors)
    else:
        try:
            action(me(), lesson, form.reason.data or "")
        except booking.BookingError as failure:
            error = booking_error(failure)
    if error is None:
        flash(done_message, "success")

    def page():
        if error:
            flash(error, "error")
        return redirect_to(back)

    # For htmx the row alone, with the message as a toast.
    return answer(lambda: render("admin/lessons.html", "admin/partials/_lesson_row.html",
                                 lesson=lesson, student=lesson.student, zone=own_zone(),
                                 now=utcnow(), gone=error is None, error=error, here=back),
                  page)


@bp.post("/lessons/<int:lesson_id>/confirm")
def confirm_lesson(lesson_id):
    """Confirm a request as it was made, at the usual price: the home page's button
    (the lesson page sets the price, the people and the time)."""
    lesson = get_object_or_404(Lesson.select().where(Lesson.teacher == me().id),
                               Lesson.id == lesson_id)
    form = LessonActionForm()
    back = safe_next(form.next.data) or url_for("calendar.week")
    if not form.validate_on_submit():
        abort(400)
    try:
        agenda.confirm_as_usual(me(), lesson)
    except booking.BookingError as failure:
        flash(booking_error(failure), "error")
    else:
        flash(_("The lesson is confirmed; the student is told."), "success")
    return redirect_to(back)


@bp.get("/requests/count")
def requests_badge():
    """The header's count of requests awaiting confirmation, which htmx polls."""
    return render_template("teacher/partials/_requests_badge.html",
                           waiting=agenda.awaiting_count(me()))


@bp.post("/lessons/<int:lesson_id>/reject")
def reject_lesson(lesson_id):
    return _lesson_action(lesson_id, booking.reject_lesson,
                          _("The request is rejected; the student is told."))


@bp.post("/lessons/<int:lesson_id>/cancel")
def cancel_lesson(lesson_id):
    return _lesson_action(lesson_id, booking.cancel_lesson,
                          _("The lesson is cancelled; the student is told."))


@bp.post("/lessons/<int:lesson_id>/attendance")
def mark_attendance(lesson_id):
    """The attendance of a lesson in the list: the row again for htmx, PRG back to
    the list otherwise."""
    lesson = get_object_or_404(Lesson.select().where(Lesson.teacher == me().id),
                               Lesson.id == lesson_id)
    form = AttendanceForm()
    back = safe_next(form.next.data) or url_for("admin.lessons")
    error = None
    if not form.validate_on_submit():
        error = " ".join(form.attendance.errors) or _("Choose attended, missed or "
                                                      "cancelled late.")
    else:
        try:
            lesson = balances.mark_attendance(me(), lesson, form.mark)
        except balances.BalanceError as failure:
            error = attendance_error(failure)
    def page():
        flash(error or _("Attendance is saved."), "error" if error else "success")
        return redirect_to(back)

    def row():  # the error beside the row's choices, not as a toast
        if error is None:
            flash(_("Attendance is saved."), "success")
        return render("admin/lessons.html", "admin/partials/_lesson_row.html", lesson=lesson,
                      student=lesson.student, zone=own_zone(), now=utcnow(), gone=False,
                      error=None, attendance_error=error, here=back)

    return answer(row, page)
