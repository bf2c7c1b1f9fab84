"""The teacher's administration pages: students, the lesson list, learning goals,
broadcasts, settings and the audit log. Teacher only; each view checks who asks,
parses a form, calls one service function (services/admin.py) and responds."""
from flask import Blueprint, abort, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from playhouse.flask_utils import get_object_or_404

from tutor.formatting import money as format_money
from tutor.forms.accounts import account_error_message
from tutor.forms.admin import (
    BroadcastForm,
    GoalForm,
    LessonActionForm,
    LessonFilterForm,
    StudentForm,
    StudentSearchForm,
    StudentSelectionForm,
)
from tutor.forms.base import EmptyForm
from tutor.forms.lessons import AttendanceForm, PaymentForm
from tutor.htmx import is_fragment_request, redirect_to, render, safe_next
from tutor.models import AuditEntry, Goal, Lesson, Payment, utcnow
from tutor.services import (
    accounts,
    admin,
    agenda,
    audit,
    balances,
    booking,
    bounds,
    calendar,
    feedback,
    schedule,
    zones,
)
from tutor.views.access import teacher_only
from tutor.views.lessons import attendance_error, booking_error

bp = teacher_only(Blueprint("admin", __name__, url_prefix="/teacher"))


@bp.record_once
def _install_database_functions(state):
    admin.install_functions(state.app.config["DATABASE"])


@bp.context_processor
def _helpers():
    return {"local": zones.local}


def me():
    return current_user._get_current_object()


def _zone():
    return calendar.viewer_timezone(me(), schedule.settings_for(me()))


def _page_number():
    """?page=, 1 when absent; a number beyond tutor.services.bounds is no page: 404."""
    number = bounds.parse_page(request.args.get("page"))
    if number is None:
        abort(404)
    return number


def _student_or_404(student_id):
    try:
        return admin.get_student(student_id)
    except admin.NotAStudent:
        abort(404)


# --- students ---------------------------------------------------------------------------

def _list_query(form, sort="name", descending=False):
    """The list's state as query-string arguments, defaults left out."""
    status = form.status.data if form.status.data in admin.STATUSES else admin.EVERYONE
    return {"q": form.q.data or None,
            "status": status if status != admin.EVERYONE else None,
            "sort": sort if sort != "name" else None,
            "order": "desc" if descending else None}


@bp.get("/students")
def students():
    form = StudentSearchForm(formdata=request.args)
    sort = request.args.get("sort") if request.args.get("sort") in admin.SORTS else "name"
    descending = request.args.get("order") == "desc"
    page = admin.student_list(form.student_filter(), sort, descending, _page_number())
    return render("admin/students.html", "admin/partials/_students.html", form=form,
                  students=page, sort=sort, descending=descending, zone=_zone(),
                  query=_list_query(form, sort, descending))


def _selection_form(posted):
    """The picked students: from the list's GET (the confirmation page) or the
    confirmation's POST (CSRF-checked)."""
    form = StudentSelectionForm(formdata=request.form if posted else request.args,
                                meta={"csrf": posted})
    return form, form.selection()


@bp.get("/students/deactivate")
def confirm_deactivation():
    form, selection = _selection_form(posted=False)
    back = url_for("admin.students", q=form.q.data or None, status=form.status.data or None)
    if selection.ids is not None and not selection.ids:
        flash(_("Tick the students to deactivate first."), "error")
        return redirect_to(back)
    chosen = admin.to_deactivate(selection)
    count = chosen.count()
    return render_template("admin/confirm_deactivation.html", form=form, count=count,
                           sample=list(chosen.limit(20)), back=back)


@bp.post("/students/deactivate")
def deactivate_students():
    form, selection = _selection_form(posted=True)
    if not form.validate_on_submit():
        abort(400)
    back = url_for("admin.students", q=form.q.data or None, status=form.status.data or None)
    try:
        count = admin.deactivate_students(me(), selection)
    except admin.NothingSelected:
        flash(_("Tick the students to deactivate first."), "error")
        return redirect_to(back)
    flash(ngettext("%(num)d student is deactivated.", "%(num)d students are deactivated.",
                   count), "success")
    return redirect_to(back)


def _payments_context(student, payment_form=None):
    """What the payments partial needs: the form, the payments and the account."""
    if payment_form is None:
        payment_form = PaymentForm(formdata=None,
                                   paid_on=zones.teacher_today(me()))
    return dict(student=student, payment_form=payment_form,
                payments=list(Payment.of(student)), account=balances.account(student))


@bp.get("/students/<int:student_id>")
def student(student_id):
    student = _student_or_404(student_id)
    return render_template(
        "admin/student.html", totals=admin.student_totals(student),
        lessons=admin.student_lessons(student, _page_number()), zone=_zone(),
        history=list(AuditEntry.about(student).limit(10)), form=EmptyForm(),
        feedback=feedback.of_student(student, limit=20), **_payments_context(student))


def _payments_page(student, payment_form=None):
    if is_fragment_request():
        return render("admin/student.html", "admin/partials/_payments.html",
                      zone=_zone(), **_payments_context(student, payment_form))
    return redirect_to(url_for("admin.student", student_id=student.id) + "#payments")


def _payment_error(form, error):
    messages = {
        "amount": _("More than %(min)s and at most %(max)s ₽.", min=format_money(0),
                    max=format_money(balances.MAX_AMOUNT)),
        "paid_on": _("The day of a payment cannot be in the future."),
        "note": _("At most %(max)d characters.", max=balances.MAX_NOTE),
    }
    getattr(form, error.field or "amount").errors.append(
        messages.get(error.field, _("Please check this value.")))


@bp.post("/students/<int:student_id>/payments")
def record_payment(student_id):
    student = _student_or_404(student_id)
    form = PaymentForm()
    if form.validate_on_submit():
        try:
            payment = balances.record_payment(me(), student, form.amount.data,
                                              form.paid_on.data, form.note.data or "")
        except balances.InvalidPayment as error:
            _payment_error(form, error)
        else:
            flash(_("The payment of %(amount)s ₽ is recorded.",
                    amount=format_money(payment.amount)), "success")
            return _payments_page(student)
    if is_fragment_request():
        return _payments_page(student, form)
    # Without JavaScript: the whole student page, the form showing its errors.
    return render_template(
        "admin/student.html", totals=admin.student_totals(student),
        lessons=admin.student_lessons(student, _page_number()), zone=_zone(),
        history=list(AuditEntry.about(student).limit(10)), form=EmptyForm(),
        feedback=feedback.of_student(student, limit=20),
        **_payments_context(student, form))


@bp.post("/students/<int:student_id>/payments/<int:payment_id>/delete")
def delete_payment(student_id, payment_id):
    student = _student_or_404(student_id)
    payment = get_object_or_404(Payment.select().where(Payment.student == student.id),
                                Payment.id == payment_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        balances.delete_payment(me(), payment)
    except balances.PaymentNotFound:
        pass  # deleted a moment ago in another tab: the list shows it gone
    flash(_("The payment is deleted."), "success")
    return _payments_page(student)


@bp.route("/students/<int:student_id>/edit", methods=["GET", "POST"])
def edit_student(student_id):
    student = _student_or_404(student_id)
    form = StudentForm(student=student)
    if form.validate_on_submit():
        try:
            admin.update_student(
                me(), student, first_name=form.first_name.data, last_name=form.last_name.data,
                login=form.login.data, email=form.email.data, channel=form.channel.data,
                goal_id=form.goal.data, timezone=form.timezone.data or None)
        except accounts.AccountError as error:
            getattr(form, error.field or "login").errors.append(account_error_message(error))
        except admin.AdminError as error:
            getattr(form, error.field or "login").errors.append(_("Please check this value."))
        else:
            flash(_("The student's profile is saved."), "success")
            return redirect_to(url_for("admin.student", student_id=student.id))
    return render("admin/student_edit.html", "admin/partials/_student_form.html",
                  form=form, student=student)


@bp.post("/students/<int:student_id>/password")
def reset_password(student_id):
    student = _student_or_404(student_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    credentials = admin.reset_password(me(), student)
    # Shown once, never stored in clear: this page is the only copy.
    return render_template("admin/new_password.html", student=student,
                           credentials=credentials), 200, {"Cache-Control": "no-store"}


@bp.post("/students/<int:student_id>/deactivate")
def deactivate_student(student_id):
    student = _student_or_404(student_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if admin.deactivate_student(me(), student):
        flash(_("The student is deactivated: logged out on every device, and no messages "
                "to all students reach them until they log in again."), "success")
    return redirect_to(url_for("admin.student", student_id=student.id))


@bp.post("/students/<int:student_id>/reactivate")
def reactivate_student(student_id):
    student = _student_or_404(student_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if admin.reactivate_student(me(), student):
        flash(_("The student is active again."), "success")
    return redirect_to(url_for("admin.student", student_id=student.id))


@bp.route("/students/<int:student_id>/delete", methods=["GET", "POST"])
def delete_student(student_id):
    student = _student_or_404(student_id)
    form = EmptyForm()
    if form.validate_on_submit():
        admin.delete_student(me(), student)
        flash(_("%(name)s is deleted, with their lessons.",
                name=student.full_name or student.login), "success")
        return redirect_to(url_for("admin.students"))
    if request.method == "POST":
        abort(400)
    return render_template("admin/confirm_delete.html", student=student, form=form,
                           impact=admin.deletion_impact(student))


# --- lessons ----------------------------------------------------------------------------

def _lesson_filter_form():
    form = LessonFilterForm(formdata=request.args)
    if "first_day" not in request.args:  # first visit: from today on
        form.first_day.data = zones.local(utcnow(), _zone()).date()
    return form


@bp.get("/lessons")
def lessons():
    zone = _zone()
    form = _lesson_filter_form()
    page = admin.lesson_list(me(), form.lesson_filter(zone), _page_number())
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
    if not is_fragment_request():
        if error:
            flash(error, "error")
        return redirect_to(back)
    # The row alone, with the message as a toast.
    return render("admin/lessons.html", "admin/partials/_lesson_row.html", lesson=lesson,
                  student=lesson.student, zone=_zone(), now=utcnow(), gone=error is None,
                  error=error, here=back)


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
    return _lesson_action(lesson_id, admin.reject_lesson,
                          _("The request is rejected; the student is told."))


@bp.post("/lessons/<int:lesson_id>/cancel")
def cancel_lesson(lesson_id):
    return _lesson_action(lesson_id, admin.cancel_lesson,
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
    if not is_fragment_request():
        flash(error or _("Attendance is saved."), "error" if error else "success")
        return redirect_to(back)
    if error is None:
        flash(_("Attendance is saved."), "success")
    return render("admin/lessons.html", "admin/partials/_lesson_row.html", lesson=lesson,
                  student=lesson.student, zone=_zone(), now=utcnow(), gone=False,
                  error=None, attendance_error=error, here=back)


# --- learning goals ---------------------------------------------------------------------

def _goals_page(form=None, rename=None):
    return render("admin/goals.html", "admin/partials/_goals.html",
                  goals=admin.goals_overview(), form=form or GoalForm(formdata=None),
                  rename=rename or {}, button_form=EmptyForm())


def _goals_changed(message):
    """Success: the list again for htmx (with the message as a toast), PRG otherwise."""
    flash(message, "success")
    if is_fragment_request():
        return _goals_page()
    return redirect_to(url_for("admin.goals"))


@bp.get("/goals")
def goals():
    return _goals_page()


@bp.post("/goals")
def create_goal():
    form = GoalForm()
    if form.validate_on_submit():
        try:
            goal = admin.create_goal(me(), form.name.data)
        except admin.AdminError as error:
            form.name.errors.append(_goal_error(error))
        else:
            return _goals_changed(_("The goal “%(name)s” is added.", name=goal.name))
    return _goals_page(form=form)


def _goal_error(error):
    if isinstance(error, admin.GoalExists):
        return _("There is a goal with this name already.")
    return _("Enter a name of 1 to %(max)d characters.", max=admin.MAX_GOAL_NAME)


@bp.post("/goals/<int:goal_id>/rename")
def rename_goal(goal_id):
    goal = get_object_or_404(Goal, Goal.id == goal_id)
    form = GoalForm()
    if form.validate_on_submit():
        try:
            admin.rename_goal(me(), goal, form.name.data)
        except admin.AdminError as error:
            form.name.errors.append(_goal_error(error))
        else:
            return _goals_changed(_("The goal is renamed."))
    return _goals_page(rename={goal.id: form})


@bp.post("/goals/<int:goal_id>/move/<direction>")
def move_goal(goal_id, direction):
    goal = get_object_or_404(Goal, Goal.id == goal_id)
    if direction not in ("up", "down"):
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    admin.move_goal(me(), goal, -1 if direction == "up" else 1)
    return _goals_changed(_("The order is saved."))


@bp.post("/goals/<int:goal_id>/retire")
def retire_goal(goal_id):
    goal = get_object_or_404(Goal, Goal.id == goal_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    admin.retire_goal(me(), goal)
    return _goals_changed(_("The goal is retired: new students no longer see it."))


@bp.post("/goals/<int:goal_id>/restore")
def restore_goal(goal_id):
    goal = get_object_or_404(Goal, Goal.id == goal_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    admin.restore_goal(me(), goal)
    return _goals_changed(_("The goal is offered again."))


# --- broadcasts -------------------------------------------------------------------------

def _broadcast_page(form, preview=False):
    return render("admin/broadcasts.html", "admin/partials/_broadcast.html", form=form,
                  preview=preview, recipients=admin.broadcast_recipients().count(),
                  history=admin.broadcast_history(_page_number()), zone=_zone())


def _broadcast_error(form, error):
    if isinstance(error, admin.RepeatedBroadcast):
        form.form_errors.append(_("This message has just been sent. It is not sent twice."))
    else:
        getattr(form, error.field).errors.append(_("Please check this value."))


@bp.get("/broadcasts")
def broadcasts():
    return _broadcast_page(BroadcastForm(formdata=None))


@bp.post("/broadcasts/preview")
def preview_broadcast():
    form = BroadcastForm()
    if form.validate_on_submit():
        try:
            form.subject.data, form.body.data = admin.check_broadcast(form.subject.data,
                                                                      form.body.data)
        except admin.InvalidBroadcast as error:
            _broadcast_error(form, error)
        else:
            return _broadcast_page(form, preview=True)
    return _broadcast_page(form)


@bp.post("/broadcasts/edit")
def edit_broadcast():
    """Back from the preview to the form, with the text as it was."""
    return _broadcast_page(BroadcastForm())


@bp.post("/broadcasts")
def send_broadcast():
    form = BroadcastForm()
    if form.validate_on_submit():
        try:
            broadcast = admin.send_broadcast(me(), form.subject.data, form.body.data)
        except admin.AdminError as error:
            _broadcast_error(form, error)
        else:
            flash(ngettext("The message is on its way to %(num)d student.",
                           "The message is on its way to %(num)d students.",
                           broadcast.recipients), "success")
            return redirect_to(url_for("admin.broadcasts"))
    return _broadcast_page(form)


# --- settings and the audit log ---------------------------------------------------------

@bp.get("/settings")
def settings():
    return render_template("admin/settings.html", settings=schedule.settings_for(me()),
                           teacher=me())


@bp.get("/audit")
def audit_log():
    actions = audit.actions()
    action = request.args.get("action") if request.args.get("action") in actions else None
    return render_template("admin/audit.html", entries=admin.audit_log(action, _page_number()),
                           actions=actions, action=action, zone=_zone(),
                           readable=audit.readable)
