"""The teacher's students: the list with its mass deactivation, one student's page
with payments, edits, password resets, deactivation and deletion."""
from flask import abort, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from playhouse.flask_utils import get_object_or_404

from tutor.formatting import money as format_money
from tutor.forms.accounts import account_error_message
from tutor.forms.admin import (
    StudentForm,
    StudentSearchForm,
    StudentSelectionForm,
)
from tutor.forms.base import EmptyForm
from tutor.forms.lessons import PaymentForm
from tutor.htmx import answer, changed, redirect_to, render
from tutor.models import AuditEntry, Payment
from tutor.services import accounts, balances, errors, feedback, zones
from tutor.services import students as roster
from tutor.views.access import me
from tutor.views.admin.blueprint import bp, own_zone, student_or_404
from tutor.views.paging import page_number


def _list_query(form, sort="name", descending=False):
    """The list's state as query-string arguments, defaults left out."""
    status = form.status.data if form.status.data in roster.STATUSES else roster.EVERYONE
    return {"q": form.q.data or None,
            "status": status if status != roster.EVERYONE else None,
            "sort": sort if sort != "name" else None,
            "order": "desc" if descending else None}


@bp.get("/students")
def students():
    form = StudentSearchForm(formdata=request.args)
    sort = request.args.get("sort") if request.args.get("sort") in roster.SORTS else "name"
    descending = request.args.get("order") == "desc"
    page = roster.student_list(form.student_filter(), sort, descending, page_number())
    return render("admin/students.html", "admin/partials/_students.html", form=form,
                  students=page, sort=sort, descending=descending, zone=own_zone(),
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
    chosen = roster.to_deactivate(selection)
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
        count = roster.deactivate_students(me(), selection)
    except roster.NothingSelected:
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
    student = student_or_404(student_id)
    return render_template(
        "admin/student.html", totals=roster.student_totals(student),
        lessons=roster.student_lessons(student, page_number()), zone=own_zone(),
        history=list(AuditEntry.about(student).limit(10)),
        feedback=feedback.of_student(student, limit=20), **_payments_context(student))


def _payments_part(student, payment_form=None):
    return render("admin/student.html", "admin/partials/_payments.html",
                  zone=own_zone(), **_payments_context(student, payment_form))


def _payments_changed(student):
    return changed(lambda: _payments_part(student),
                   url_for("admin.student", student_id=student.id) + "#payments")


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
    student = student_or_404(student_id)
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
            return _payments_changed(student)
    return answer(lambda: _payments_part(student, form), lambda: _student_page(student, form))


def _student_page(student, form):
    """Without JavaScript: the whole student page, the form showing its errors."""
    return render_template(
        "admin/student.html", totals=roster.student_totals(student),
        lessons=roster.student_lessons(student, page_number()), zone=own_zone(),
        history=list(AuditEntry.about(student).limit(10)),
        feedback=feedback.of_student(student, limit=20),
        **_payments_context(student, form))


@bp.post("/students/<int:student_id>/payments/<int:payment_id>/delete")
def delete_payment(student_id, payment_id):
    student = student_or_404(student_id)
    payment = get_object_or_404(Payment.select().where(Payment.student == student.id),
                                Payment.id == payment_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        balances.delete_payment(me(), payment)
    except balances.PaymentNotFound:
        pass  # deleted a moment ago in another tab: the list shows it gone
    flash(_("The payment is deleted."), "success")
    return _payments_changed(student)


@bp.route("/students/<int:student_id>/edit", methods=["GET", "POST"])
def edit_student(student_id):
    student = student_or_404(student_id)
    form = StudentForm(student=student)
    if form.validate_on_submit():
        try:
            roster.update_student(
                me(), student, first_name=form.first_name.data, last_name=form.last_name.data,
                login=form.login.data, email=form.email.data, channel=form.channel.data,
                goal_id=form.goal.data, timezone=form.timezone.data or None)
        except accounts.AccountError as error:
            getattr(form, error.field or "login").errors.append(account_error_message(error))
        except errors.AdminError as error:
            getattr(form, error.field or "login").errors.append(_("Please check this value."))
        else:
            flash(_("The student's profile is saved."), "success")
            return redirect_to(url_for("admin.student", student_id=student.id))
    return render("admin/student_edit.html", "admin/partials/_student_form.html",
                  form=form, student=student)


@bp.post("/students/<int:student_id>/password")
def reset_password(student_id):
    student = student_or_404(student_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    credentials = roster.reset_password(me(), student)
    # Shown once, never stored in clear: this page is the only copy.
    return render_template("admin/new_password.html", student=student,
                           credentials=credentials), 200, {"Cache-Control": "no-store"}


@bp.post("/students/<int:student_id>/deactivate")
def deactivate_student(student_id):
    student = student_or_404(student_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if roster.deactivate_student(me(), student):
        flash(_("The student is deactivated: logged out on every device, and no messages "
                "to all students reach them until they log in again."), "success")
    return redirect_to(url_for("admin.student", student_id=student.id))


@bp.post("/students/<int:student_id>/reactivate")
def reactivate_student(student_id):
    student = student_or_404(student_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if roster.reactivate_student(me(), student):
        flash(_("The student is active again."), "success")
    return redirect_to(url_for("admin.student", student_id=student.id))


@bp.route("/students/<int:student_id>/delete", methods=["GET", "POST"])
def delete_student(student_id):
    student = student_or_404(student_id)
    form = EmptyForm()
    if form.validate_on_submit():
        roster.delete_student(me(), student)
        flash(_("%(name)s is deleted, with their lessons.",
                name=student.full_name or student.login), "success")
        return redirect_to(url_for("admin.students"))
    if request.method == "POST":
        abort(400)
    return render_template("admin/confirm_delete.html", student=student, form=form,
                           impact=roster.deletion_impact(student))
