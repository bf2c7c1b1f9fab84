"""Calendar feeds: the private feed address (no login: the token is the key), and
the profile's buttons that turn it on, give it a new address, or turn it off."""
from flask import Blueprint, Response, abort, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tutor.extensions import limiter
from tutor.forms.base import EmptyForm
from tutor.htmx import redirect_to
from tutor.services import calendar_feed
from tutor.urls import external_url

bp = Blueprint("feeds", __name__)


def ics_response(body, filename):
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "private, no-store"})


@bp.get("/calendar/<token>.ics")
@limiter.limit("120 per minute")
def feed(token):
    user = calendar_feed.user_for_token(token)
    if user is None:
        abort(404)
    return ics_response(calendar_feed.feed(user), "lessons.ics")


def feed_url(user):
    token = calendar_feed.feed_token(user)
    return external_url("feeds.feed", token=token) if token else None


@bp.post("/account/calendar-feed")
@login_required
def change():
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    action = request.form.get("action")
    me = current_user._get_current_object()
    if action == "on":
        calendar_feed.turn_on(me)
        flash(_("Your calendar feed has a new address; the old one no longer works.")
              if request.form.get("renew") else
              _("Your calendar feed is on. Add its address to your calendar app."), "success")
    elif action == "off":
        calendar_feed.turn_off(me)
        flash(_("Your calendar feed is off: its address no longer works."), "success")
    else:
        abort(400)
    return redirect_to(url_for("account.profile") + "#calendar-heading")
