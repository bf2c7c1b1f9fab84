"""Weekly series: the "repeat every week" part of the booking dialog (a live preview of
the dates with htmx, a plain preview step without it), the series page where the
teacher confirms or rejects the whole series once, and changing one confirmed lesson
(moving or repricing an occurrence leaves the rest of its series alone)."""
from flask import Blueprint, abort, flash, render_template, request, url_for
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tutor.forms.lessons import (
    ConfirmLessonForm,
    ReasonForm,
    SeriesBookingForm,
    SeriesCancelForm,
    SeriesConfirmForm,
)
from tutor.htmx import answer, redirect_to
from tutor.models import LessonSeries, utcnow
from tutor.services import accounts, booking, schedule, series, zones
from tutor.views.access import me
from tutor.views.lesson_page import (
    lesson_page,
    seen_by_its_people,
    viewer_zone,
    visible_lesson,
    week_url,
)
from tutor.views.refusals import booking_error, series_error, series_problem

bp = Blueprint("series", __name__, url_prefix="/lessons")



# --- booking ------------------------------------------------------------------------

def _plan(form, teacher):
    """The dates the form asks for, or (None, a message) when it asks for none."""
    try:
        return series.plan_series(me(), teacher, form.start_utc(), until=form.until.data,
                                  count=form.times.data), None
    except series.BookingError as error:
        return None, series_error(error)


def _booking_page(form, teacher, plan=None, plan_error=None):
    """The booking dialog (fragment) or page with the weekly part open."""
    start = form.start_utc()
    zone = viewer_zone(teacher)
    length = schedule.rules_for(teacher).lesson_length
    context = dict(form=form, series_form=form, series_open=True, plan=plan,
                   plan_error=plan_error, start=zones.local(start, zone),
                   end=zones.local(start + length, zone), zone=zone,
                   back=week_url(start, teacher))
    return answer(lambda: render_template("lessons/partials/_book_dialog.html", **context),
                  lambda: render_template("lessons/new.html", **context))



@bp.get("/series/preview")
@login_required
def preview():
    """The dates of a weekly booking, each free or why not: the partial for htmx, the
    booking page with it for a plain request."""
    teacher = accounts.the_teacher()
    form = SeriesBookingForm(formdata=request.args, meta={"csrf": False})
    if form.start_utc() is None:
        abort(404)
    if current_user.is_teacher:
        abort(403)
    plan, plan_error = None, None
    if any(f.raw_data and f.raw_data[0] for f in (form.until, form.times)):
        if form.validate():
            plan, plan_error = _plan(form, teacher)
        else:
            plan_error = " ".join(map(str, [*form.until.errors, *form.times.errors]))
    return answer(
        lambda: render_template("lessons/partials/_series_preview.html", series_form=form,
                                plan=plan, plan_error=plan_error, zone=viewer_zone(teacher)),
        lambda: _booking_page(form, teacher, plan, plan_error))


@bp.post("/series")
@login_required
def create():
    teacher = accounts.the_teacher()
    form = SeriesBookingForm()
    if form.start_utc() is None:
        abort(400)
    if current_user.is_teacher:
        abort(403)
    if not form.validate_on_submit():
        return _booking_page(form, teacher)
    plan, plan_error = _plan(form, teacher)
    if plan is None:
        return _booking_page(form, teacher, plan_error=plan_error)
    if form.previewed.data != form.fingerprint():
        # Without JavaScript (or with changed dates) the student sees them first.
        form.form_errors.append(_("Check the dates below, then send the request again."))
        return _booking_page(form, teacher, plan)
    try:
        created, lessons, skipped = series.book_series(
            me(), teacher, form.start_utc(), until=form.until.data, count=form.times.data,
            comment=form.comment.data or "")
    except series.BookingError as error:
        form.form_errors.append(series_error(error))
        plan, plan_error = _plan(form, teacher)
        return _booking_page(form, teacher, plan, plan_error)
    flash(ngettext("Your request for %(num)d weekly lesson is sent. They are booked once "
                   "the teacher confirms them.",
                   "Your request for %(num)d weekly lessons is sent. They are booked once "
                   "the teacher confirms them.", len(lessons)), "success")
    if skipped:
        flash(ngettext("%(num)d date was not free and is not booked.",
                       "%(num)d dates were not free and are not booked.", len(skipped)),
              "info")
    return redirect_to(url_for("series.show", series_id=created.id))


# --- the series page ----------------------------------------------------------------

def _visible_series(series_id, for_teacher=False):
    """The series when the viewer is its teacher or its student (views/lesson_page)."""
    return seen_by_its_people(LessonSeries.get_or_none(LessonSeries.id == series_id),
                              for_teacher)


def _after_change(found):
    """After a change to the series: its page while it exists (some lessons kept),
    else the calendar."""
    if LessonSeries.get_or_none(LessonSeries.id == found.id) is not None:
        return redirect_to(url_for("series.show", series_id=found.id))
    return redirect_to(url_for("calendar.week"))


def _series_page(found, confirm_form=None, reason_form=None, cancel_form=None):
    teacher = found.teacher
    zone = viewer_zone(teacher)
    settings = schedule.settings_for(teacher)
    teacher_zone = settings.timezone
    lessons = list(found.occurrences())
    upcoming = [lesson for lesson in lessons if lesson.start > utcnow()]
    first = zones.to_utc(found.first_day, found.start_time, teacher_zone)
    return render_template(
        "lessons/series.html", series=found, student=found.student, zone=zone,
        teacher_zone=teacher_zone, first=zones.local(first, teacher_zone),
        weekday=format_date(found.first_day, "EEEE"),
        lessons=[(lesson, zones.local(lesson.start, zone), zones.local(lesson.end, zone))
                 for lesson in lessons],
        pending=[lesson for lesson in lessons if lesson.is_pending],
        conflicts=[(o, zones.local(o.start, zone), series_problem(o.problem))
                   for o in series.conflicts(found)] if found.is_pending else [],
        confirm_form=confirm_form or SeriesConfirmForm(
            formdata=None, price=settings.default_price, people=1, comment=found.comment),
        reason_form=reason_form or ReasonForm(formdata=None),
        cancel_form=cancel_form or SeriesCancelForm(
            formdata=None, prefix="cancel",
            first_day=zones.local(upcoming[0].start, zone).date() if upcoming else None),
        upcoming=upcoming,
        back=week_url(lessons[0].start if lessons else first, teacher))


@bp.get("/series/<int:series_id>")
@login_required
def show(series_id):
    return _series_page(_visible_series(series_id))


@bp.post("/series/<int:series_id>/confirm")
@login_required
def confirm(series_id):
    found = _visible_series(series_id, for_teacher=True)
    form = SeriesConfirmForm()
    if form.validate_on_submit():
        try:
            confirmed, dropped = series.confirm_series(
                me(), found, form.price.data, form.people.data, comment=form.comment.data or "")
        except series.BookingError as error:
            form.form_errors.append(series_error(error))
        else:
            flash(ngettext("%(num)d lesson of the series is confirmed; the student is told.",
                           "%(num)d lessons of the series are confirmed; the student is told.",
                           len(confirmed)), "success")
            return redirect_to(url_for("series.show", series_id=found.id))
    return _series_page(found, confirm_form=form)


@bp.post("/series/<int:series_id>/reject")
@login_required
def reject(series_id):
    found = _visible_series(series_id, for_teacher=True)
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            series.reject_series(me(), found, form.reason.data or "")
        except series.BookingError as error:
            form.form_errors.append(series_error(error))
        else:
            flash(_("The weekly request is rejected; the student is told."), "success")
            return _after_change(found)
    return _series_page(found, reason_form=form)


@bp.post("/series/<int:series_id>/cancel")
@login_required
def cancel(series_id):
    """Cancel the series' lessons from a date on, by its student or the teacher."""
    found = _visible_series(series_id)
    form = SeriesCancelForm(prefix="cancel")  # beside the reject form's reason
    if form.validate_on_submit():
        try:
            cancelled, kept = series.cancel_from(me(), found, form.first_day.data,
                                                 form.reason.data or "")
        except series.BookingError as error:
            target = form.reason if error.field == "reason" else form.first_day
            target.errors.append(series_error(error))
        else:
            flash(ngettext("%(num)d lesson of the series is cancelled.",
                           "%(num)d lessons of the series are cancelled.", len(cancelled)),
                  "success")
            if kept:
                flash(ngettext("%(num)d confirmed lesson is too close to cancel here; "
                               "please contact the teacher.",
                               "%(num)d confirmed lessons are too close to cancel here; "
                               "please contact the teacher.", len(kept)), "info")
            return _after_change(found)
    return _series_page(found, cancel_form=form)


# --- one confirmed lesson -----------------------------------------------------------

@bp.post("/<int:lesson_id>/change")
@login_required
def change_lesson(lesson_id):
    """The teacher moves or reprices one confirmed lesson; the rest of its series (if
    any) stays as it was."""
    lesson = visible_lesson(lesson_id, for_teacher=True)
    form = ConfirmLessonForm()
    if form.validate_on_submit():
        start = zones.to_utc(form.day.data, form.time.data, viewer_zone(lesson.teacher))
        try:
            lesson = booking.change_lesson(me(), lesson, form.price.data, form.people.data,
                                           comment=form.comment.data or "", start=start)
        except booking.BookingError as error:
            form.form_errors.append(booking_error(error))
        else:
            flash(_("The lesson is saved."), "success")
            return redirect_to(url_for("lessons.show", lesson_id=lesson.id))
    return lesson_page(lesson, confirm_form=form)

