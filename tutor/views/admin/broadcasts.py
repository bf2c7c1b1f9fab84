"""Broadcasts to every active student: write, preview, edit, send; the history."""
from flask import flash, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from tutor.forms.admin import (
    BroadcastForm,
)
from tutor.htmx import redirect_to, render
from tutor.services import broadcasts as broadcasting
from tutor.services import errors
from tutor.views.access import me
from tutor.views.admin.blueprint import bp, own_zone
from tutor.views.paging import page_number


def _broadcast_page(form, preview=False):
    return render("admin/broadcasts.html", "admin/partials/_broadcast.html", form=form,
                  preview=preview, recipients=broadcasting.broadcast_recipients().count(),
                  history=broadcasting.broadcast_history(page_number()), zone=own_zone())


def _broadcast_error(form, error):
    if isinstance(error, broadcasting.RepeatedBroadcast):
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
            form.subject.data, form.body.data = broadcasting.check_broadcast(form.subject.data,
                                                                      form.body.data)
        except broadcasting.InvalidBroadcast as error:
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
            broadcast = broadcasting.send_broadcast(me(), form.subject.data, form.body.data)
        except errors.AdminError as error:
            _broadcast_error(form, error)
        else:
            flash(ngettext("The message is on its way to %(num)d student.",
                           "The message is on its way to %(num)d students.",
                           broadcast.recipients), "success")
            return redirect_to(url_for("admin.broadcasts"))
    return _broadcast_page(form)
