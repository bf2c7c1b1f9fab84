"""The inbox: every notification the user was sent, kept in the app, with the bell
that counts the unread ones and the files the jobs made."""
from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_login import current_user, login_required

from tutor.forms.base import EmptyForm
from tutor.htmx import answer, redirect_to, render
from tutor.models import InboxItem
from tutor.services import inbox
from tutor.views.paging import requested_page

bp = Blueprint("inbox", __name__, url_prefix="/inbox")
PER_PAGE = 20


@bp.before_request
@login_required
def require_login():
    pass


@bp.get("")
def index():
    listed = requested_page(InboxItem.of(current_user), PER_PAGE)
    return render("inbox/index.html", "inbox/partials/_items.html", inbox_page=listed,
                  files=inbox.files_of(listed.items))


@bp.get("/bell")
def bell():
    """The bell alone: htmx polls it to keep the count current without a reload."""
    return render_template("inbox/partials/_bell.html",
                           unread=InboxItem.unread_count(current_user))


@bp.post("/<int:item_id>/read")
def read(item_id):
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        item = inbox.mark_read(current_user, item_id)
    except inbox.NotYours:
        abort(404)
    return answer(
        lambda: render_template("inbox/partials/_item.html", item=item,
                                files=inbox.files_of([item])[item.id],
                                unread=InboxItem.unread_count(current_user), bell_oob=True),
        lambda: redirect_to(url_for("inbox.index", page=request.args.get("page"))))


@bp.post("/read")
def read_all():
    if not EmptyForm().validate_on_submit():
        abort(400)
    inbox.mark_all_read(current_user)
    return redirect_to(url_for("inbox.index"))


@bp.get("/files/<token>")
def download(token):
    """A file the user owns; anyone else's, or a wrong token, is simply not found."""
    try:
        stored = inbox.file_for(current_user, token)
    except inbox.NotYours:
        abort(404)
    response = Response(bytes(stored.content), mimetype=stored.content_type)
    response.headers.set("Content-Disposition", "attachment", filename=stored.filename)
    response.headers["Cache-Control"] = "private, no-store"
    return response
