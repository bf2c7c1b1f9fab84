"""The teacher's own pages for the calendar: booking rules, weekly windows, days
off, and lessons placed by hand (for a new person too)."""
from datetime import timedelta

from flask import Blueprint, abort, flash, render_template, request, url_for
from flask_babel import format_date, ngettext
from flask_babel import gettext as _

from tutor.forms.base import EmptyForm
from tutor.forms.lessons import NewLessonsForm, PastLessonForm
from tutor.forms.schedule import DayOffForm, DaysOffForm, ScheduleSettingsForm
from tutor.htmx import changed, redirect_to, safe_next
from tutor.models import User
from tutor.services import (
    booking,
    bounds,
    calendar,
    onboarding,
    placing,
    schedule,
    series,
    trials,
    zones,
)
from tutor.views.access import me, teacher_only
from tutor.views.availability_page import availability_page
from tutor.views.refusals import booking_error, series_error

bp = teacher_only(Blueprint("teacher", __name__, url_prefix="/teacher"))


# --- availability -------------------------------------------------------------------

@bp.get("/availability")
def availability():
    """The page; with a range in the query string (the calendar's "day off" on a day
    with lessons) its form comes filled in, with the lessons inside listed."""
    if "first_day" not in request.args:
        return availability_page()
    form = DaysOffForm(formdata=request.args, meta={"csrf": False})
    lessons = []
    if form.validate():
        start, end = _range_of(form)
        if start < end:
            lessons = schedule.lessons_inside(me(), start, end)
            form.show_lessons(lessons)
    return availability_page(days_off_form=form, lessons_inside=lessons)


def _range_of(form):
    """The naive-UTC ends of the range in DaysOffForm, in the teacher's zone."""
    return calendar.range_to_utc(form.first_day.data, form.start_time.data,
                                 form.last_day.data, form.end_time.data,
                                 schedule.settings_for(me()).timezone)


@bp.post("/availability/settings")
def update_settings():
    # Built on the saved settings: a field the page did not post keeps its value.
    form = ScheduleSettingsForm(obj=schedule.settings_for(me()))
    if form.validate_on_submit():
        # The lessons' start step is set with the weekly hours (views/hours.py).
        fields = {name: getattr(form, name).data for name in schedule.SETTING_NAMES
                  if name in form}
        try:
            schedule.update_settings(me(), **fields)
        except schedule.InvalidSetting as error:
            getattr(form, error.field).errors.append(_("Please check this value."))
        else:
            flash(_("The booking rules are saved."), "success")
            return redirect_to(url_for("teacher.availability"))
    return availability_page(settings_form=form)


@bp.post("/unavailable")
def add_days_off():
    """Unavailable time from the availability page: whole days or from a time to a
    time, across days. Lessons inside are listed first and kept only once the teacher
    has seen them (schedule.LessonsInside)."""
    form = DaysOffForm()
    if form.validate_on_submit():
        start, end = _range_of(form)
        seen = form.seen_lessons()
        try:
            schedule.add_unavailable(me(), start, end, form.reason.data or "",
                                     seen_lessons=seen)
        except schedule.InvalidInterval:
            form.end_time.errors.append(_("The end must come after the start."))
        except schedule.LessonsInside as error:
            form.show_lessons(error.lessons)
            return availability_page(days_off_form=form, lessons_inside=error.lessons)
        else:
            kept = schedule.lessons_inside(me(), start, end)
            whole_days = form.start_time.data is None and form.end_time.data is None
            flash(_("These days are marked unavailable.") if whole_days
                  else _("This time is marked unavailable."), "success")
            _tell_clock_changes(form, start, end)
            if kept:
                flash(ngettext(
                    "%(num)d lesson inside it stays: cancel it on its page if it will not "
                    "take place.",
                    "%(num)d lessons inside it stay: cancel them on their pages if they "
                    "will not take place.", len(kept)), "info")
            return redirect_to(url_for("teacher.availability"))
    return availability_page(days_off_form=form)


def _tell_clock_changes(form, start, end):
    """A typed time the clocks skip or repeat that day is taken as zones.to_utc
    decides; the teacher is told which moment that is."""
    zone = schedule.settings_for(me()).timezone
    for day, wall, moment in ((form.first_day.data, form.start_time.data, start),
                              (form.last_day.data, form.end_time.data, end)):
        change = zones.clock_change_at(day, wall, zone) if wall is not None else None
        if change == zones.SKIPPED:
            flash(_("The clocks skip %(time)s on %(day)s: it is taken as %(taken)s.",
                    time=wall.strftime("%H:%M"), day=format_date(day, "d MMMM"),
                    taken=zones.local(moment, zone).strftime("%H:%M")), "info")
        elif change == zones.REPEATED:
            flash(_("%(time)s comes twice on %(day)s (the clocks go back): it is taken as "
                    "the first one.", time=wall.strftime("%H:%M"),
                    day=format_date(day, "d MMMM")), "info")


@bp.post("/unavailable/day")
def day_off():
    """A whole day off from the calendar. A day with lessons goes to the availability
    page instead, with the day filled in and its lessons listed."""
    form = DayOffForm()
    if not form.validate_on_submit():
        abort(400)
    day = form.day.data.isoformat()
    try:
        schedule.add_unavailable_days(me(), form.day.data, form.day.data, seen_lessons=())
    except schedule.LessonsInside:
        return redirect_to(url_for("teacher.availability", first_day=day, last_day=day,
                                   _anchor="days-off-title"))
    flash(_("The day is marked unavailable."), "success")
    return redirect_to(url_for("calendar.week", week=day))


@bp.post("/unavailable/slot")
def block_slot():
    """Mark one slot of the calendar unavailable, from the calendar itself: the
    slot's button sends its time as "start/end"."""
    slot = bounds.parse_interval(request.form.get("slot"))
    if slot is None:
        abort(400)
    start, end = slot
    try:
        schedule.add_unavailable(me(), start, end)
    except schedule.InvalidInterval:
        abort(400)
    flash(_("This time is marked unavailable."), "success")
    return redirect_to(safe_next(request.args.get("next")) or url_for("calendar.week"))


@bp.post("/unavailable/<int:interval_id>/delete")
def remove_unavailable(interval_id):
    try:
        schedule.remove_unavailable(me(), interval_id)
    except schedule.IntervalNotFound:
        abort(404)
    flash(_("The time is available again."), "success")
    return redirect_to(safe_next(request.args.get("next")) or url_for("teacher.availability"))


# --- the getting-started checklist ----------------------------------------------------

@bp.post("/onboarding/dismiss")
def dismiss_onboarding():
    if EmptyForm().validate_on_submit():
        onboarding.dismiss(me())
    # For htmx the checklist swaps itself out of the page.
    return changed(lambda: "", url_for("calendar.week"))


# --- lessons placed by hand ---------------------------------------------------------

@bp.route("/lessons/new", methods=["GET", "POST"])
def new_lesson():
    teacher = me()
    settings = schedule.settings_for(teacher)
    zone = settings.timezone
    trial = _trial_asked(teacher)
    form = NewLessonsForm(price=settings.default_price,
                          minutes=settings.lesson_length_minutes,
                          **(trials.lesson_defaults(trial) if trial else {}))
    if request.method == "GET":
        start = bounds.parse_moment(request.args.get("start"))
        if start is not None:
            local = zones.local(start, zone)
            form.day.data, form.time.data = local.date(), local.time().replace(tzinfo=None)
    credentials = None
    plan = None
    valid = form.validate_on_submit()
    if valid and form.weekly:
        plan, done = _weekly_lessons(form, teacher, zone)
        if done:
            return done
    elif valid:
        start = zones.to_utc(form.day.data, form.time.data, zone)
        student = User.get_or_none(User.id == form.student.data) if form.student.data else None
        try:
            lesson, credentials = placing.create_lesson_for(
                teacher, start, start + timedelta(minutes=form.minutes.data),
                student=student, first_name=form.first_name.data,
                last_name=form.last_name.data, price=form.price.data,
                people=form.people.data, comment=form.comment.data or "")
        except booking.BookingError as error:
            form.form_errors.append(booking_error(error))
            if isinstance(error, booking.InThePast):
                form.form_errors.append(_("A lesson that already took place is entered "
                                          "afterwards: see the link below the form."))
        else:
            told = None
            if trial is not None:  # a time offered for a trial request: it is answered
                told = _answer_trial(teacher, trial, lesson, credentials)
            if told is not None and not told.teacher_passes_on:
                flash(_("The lesson is created. %(name)s is told how to sign in, at the "
                        "contact they gave.", name=lesson.student.full_name), "success")
                credentials = None
            elif credentials is None:
                flash(_("The lesson is created; the student is told."), "success")
            if credentials is None:
                return redirect_to(url_for("calendar.week", week=zones.local(
                    lesson.start, zone).date().isoformat()))
            # Shown once, never stored in clear: the page is the only copy.
            return render_template("teacher/new_student_credentials.html", lesson=lesson,
                                   credentials=credentials, student=lesson.student,
                                   start=zones.local(lesson.start, zone), trial=trial,
                                   told=told)
    return render_template("teacher/new_lesson.html", form=form, zone=zone, plan=plan,
                           series_form=form, trial=trial)


def _trial_asked(teacher):
    """The open trial request the new-lesson form answers (?trial=<id>), or None."""
    trial_id = bounds.parse_id(request.args.get("trial"))
    if trial_id is None:
        return None
    try:
        trial = trials.request_for(teacher, trial_id)
    except trials.RequestNotFound:
        abort(404)
    return trial if trial.is_open else None


def _answer_trial(teacher, trial, lesson, credentials):
    """The request is answered; a new person is told how to sign in (trials.Told),
    None when the lesson went to an existing student or the request was answered
    meanwhile (the lesson stands)."""
    try:
        trials.offered(teacher, trial.id, lesson.student)
    except trials.TrialError:
        return None
    if credentials is None:
        return None
    return trials.tell_visitor(trial, lesson.student, lesson, lambda token: url_for(
        "auth.reset_password", token=token, lesson=lesson.id, _external=True))


@bp.route("/lessons/past", methods=["GET", "POST"])
def past_lesson():
    """A lesson that already took place, entered afterwards (services/placing.py)."""
    teacher = me()
    settings = schedule.settings_for(teacher)
    zone = settings.timezone
    form = PastLessonForm(price=settings.default_price, minutes=settings.lesson_length_minutes,
                          student=bounds.parse_id(request.args.get("student")))
    if form.validate_on_submit():
        start = zones.to_utc(form.day.data, form.time.data, zone)
        student = User.get_or_none(User.id == form.student.data) if form.student.data else None
        try:
            lesson, credentials = placing.enter_past_lesson(
                teacher, start, start + timedelta(minutes=form.minutes.data),
                attendance=form.attendance.data, student=student,
                first_name=form.first_name.data, last_name=form.last_name.data,
                price=form.price.data, people=form.people.data,
                comment=form.comment.data or "")
        except booking.BookingError as error:
            form.form_errors.append(_past_lesson_error(error))
        else:
            local = zones.local(lesson.start, zone)
            if credentials is not None:
                return render_template("teacher/new_student_credentials.html", lesson=lesson,
                                       credentials=credentials, student=lesson.student,
                                       start=local)
            flash(_("The lesson of %(day)s at %(time)s is entered; nobody is told.",
                    day=format_date(local.date(), "d MMMM y"),
                    time=local.strftime("%H:%M")), "success")
            # Back to the form for the next one, for the same student.
            return redirect_to(url_for("teacher.past_lesson", student=lesson.student_id))
    return render_template("teacher/past_lesson.html", form=form, zone=zone)


def _past_lesson_error(error):
    if isinstance(error, placing.NotYetStarted):
        return _("This lesson has not started yet: create it as a new lesson (the "
                 "student is told).")
    if isinstance(error, booking.SlotTaken):
        return _("Another of your lessons takes (part of) this time.")
    return booking_error(error)


def _weekly_lessons(form, teacher, zone):
    """The teacher's weekly series from the new-lesson form: the dates are shown first
    (each free or why not), then created, confirmed, for the free ones. Returns (the
    plan to show, or None; the response when done, or None)."""
    start = zones.to_utc(form.day.data, form.time.data, zone)
    student = User.get_or_none(User.id == form.student.data)
    try:
        plan = series.plan_series(teacher, teacher, start, until=form.until.data,
                                  count=form.times.data, minutes=form.minutes.data)
    except series.BookingError as error:
        form.form_errors.append(series_error(error))
        return None, None
    if form.previewed.data != form.fingerprint():
        form.form_errors.append(_("Check the dates below, then create the lessons."))
        return plan, None
    try:
        created, lessons, skipped = series.book_series(
            teacher, teacher, start, student=student, until=form.until.data,
            count=form.times.data, minutes=form.minutes.data, price=form.price.data,
            people=form.people.data, comment=form.comment.data or "")
    except series.BookingError as error:
        form.form_errors.append(series_error(error))
        return plan, None
    flash(ngettext("%(num)d weekly lesson is created; the student is told.",
                   "%(num)d weekly lessons are created; the student is told.", len(lessons)),
          "success")
    return plan, redirect_to(url_for("series.show", series_id=created.id))

