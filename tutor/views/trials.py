"""Trial lesson requests: the visitor's form (public, rate-limited, with a honeypot)
and the teacher's pages (the open requests, one request with "Offer a time" and
"Decline"). Offering a time is the new-lesson form (views/teacher.py) filled in from
the request."""
from flask import Blueprint, abort, current_app, flash, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from tutor.extensions import limiter
from tutor.forms.trials import TrialRequestForm
from tutor.htmx import redirect_to
from tutor.services import trials
from tutor.views.access import teacher_required

bp = Blueprint("trials", __name__)


@bp.route("/trial", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["TRIAL_RATE_LIMIT"], methods=["POST"])
def ask():
    form = TrialRequestForm()
    if form.validate_on_submit():
        if not form.is_spam:
            trials.ask(form.name.data, form.contact.data, form.goal.data,
                       form.preferred_times.data, locale=str(get_locale()))
        # The same answer whatever happened: kept, a repeat, or a bot's.
        flash(_("Thank you! The teacher will write to you at the contact you gave to "
                "agree on a time."), "dialog")
        return redirect_to(url_for("calendar.week"))
    return render_template("trials/ask.html", form=form)


@bp.get("/teacher/trials")
@teacher_required
def index():
    return render_template("trials/index.html",
                           requests=list(trials.open_requests(current_user)))


@bp.get("/teacher/trials/<int:trial_id>")
@teacher_required
def show(trial_id):
    try:
        trial = trials.request_for(current_user, trial_id)
    except trials.RequestNotFound:
        abort(404)
    return render_template("trials/show.html", trial=trial)


@bp.post("/teacher/trials/<int:trial_id>/decline")
@teacher_required
def decline(trial_id):
    try:
        trials.decline(current_user, trial_id)
    except trials.RequestNotFound:
        abort(404)
    except trials.AlreadyDecided:
        flash(_("This request has been answered already."), "info")
    else:
        flash(_("The request is declined."), "success")
    return redirect_to(url_for("trials.index"))
