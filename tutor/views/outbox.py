"""The teacher's view of the outbox: what went out, what waits, what failed and why."""
from flask import Blueprint, flash, render_template, request, url_for
from flask_babel import gettext as _

from tutor.htmx import redirect_to
from tutor.models import Message
from tutor.services import outbox, outbox_faults
from tutor.views.access import teacher_only
from tutor.views.paging import requested_page

bp = teacher_only(Blueprint("outbox", __name__, url_prefix="/teacher/outbox"))
STATUSES = (Message.PENDING, Message.SENDING, Message.SENT, Message.FAILED, Message.HELD,
            Message.CONFIG)


@bp.get("")
def index():
    status = request.args.get("status")
    status = status if status in STATUSES else None
    return render_template("outbox/index.html",
                           outbox_page=requested_page(Message.newest(status), 50),
                           status=status, counts=outbox.counts(),
                           statuses=STATUSES, reasons=outbox_faults.REASONS)



@bp.post("/<int:message_id>/retry")
def retry(message_id):
    if outbox.retry(message_id):
        flash(_("The message will be sent again."), "success")
    else:
        flash(_("Only a failed message can be sent again."), "error")
    return redirect_to(url_for("outbox.index", status=Message.FAILED))
