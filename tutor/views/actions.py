"""The confirmation page an e-mail's one-tap link opens: the lesson and ONE button.
Opening it (GET) changes nothing, so a mail scanner following links does no harm;
the button (a POST with the CSRF token) does the action without a login, authorised
by the link's signed, single-use token, which expires when the lesson starts."""
from flask import Blueprint, render_template
from flask_babel import force_locale

from tutor.forms import EmptyForm
from tutor.services import action_links, booking, notify, quick_actions, schedule
from tutor.services.calendar import local

bp = Blueprint("actions", __name__, url_prefix="/act")


@bp.route("/<token>", methods=["GET", "POST"])
def confirm(token):
    try:
        action = action_links.read_token(token)
    except action_links.Forged:
        return render_template("actions/refused.html", reason=quick_actions.refusal_text(
            action_links.Forged())), 404
    try:
        lesson = quick_actions.check(action)
    except quick_actions.ActionRefused as error:
        return render_template("actions/refused.html",
                               reason=quick_actions.refusal_text(error)), 410
    actor = action_links.actor_of(action.code, lesson)
    form = EmptyForm()
    with force_locale(notify.recipient_locale(actor)):
        if form.validate_on_submit():
            try:
                outcome = quick_actions.perform(action, actor)
            except (quick_actions.ActionRefused, booking.BookingError) as error:
                return render_template("actions/refused.html",
                                       reason=quick_actions.refusal_text(error)), 409
            return render_template("actions/done.html", lesson=outcome.lesson,
                                   outcome=quick_actions.outcome_text(outcome))
        settings = schedule.settings_for(lesson.teacher_id)
        zone = notify.recipient_zone(actor, settings.timezone)
        return render_template(
            "actions/confirm.html", form=form, lesson=lesson, code=action.code,
            codes=action_links, zone=zone, start=local(lesson.start, zone),
            end=local(lesson.end, zone), price=settings.default_price,
            label=action_links.button_label(action.code, lesson, actor))
