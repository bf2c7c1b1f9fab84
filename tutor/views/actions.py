"""The confirmation page an e-mail's one-tap link opens: the lesson and ONE button.
Opening it (GET) changes nothing, so a mail scanner following links does no harm;
the button (a POST with the CSRF token) does the action without a login, authorised
by the link's signed, single-use token, which expires when the lesson starts. The
page speaks the language of the one the link was sent to. A link used or expired
is an ordinary page (200) that says so: the request was not wrong, only late."""
from contextlib import nullcontext

from flask import Blueprint, render_template
from flask_babel import force_locale

from tutor.forms.base import EmptyForm
from tutor.models import Lesson
from tutor.services import action_links, booking, quick_actions, recipients, schedule
from tutor.services.zones import local

bp = Blueprint("actions", __name__, url_prefix="/act")


@bp.route("/<token>", methods=["GET", "POST"])
def confirm(token):
    try:
        action = action_links.read_token(token)
    except action_links.Forged as error:
        return render_template("actions/refused.html",
                               reason=quick_actions.refusal_text(error)), 404
    lesson = Lesson.get_or_none(Lesson.id == action.lesson_id)
    with (force_locale(recipients.recipient_locale(action_links.actor_of(action.code, lesson)))
          if lesson is not None else nullcontext()):
        return _confirm(action)


def _confirm(action):
    try:
        lesson = quick_actions.check(action)
    except quick_actions.ActionRefused as error:
        return render_template("actions/refused.html",
                               reason=quick_actions.refusal_text(error))
    actor = action_links.actor_of(action.code, lesson)
    form = EmptyForm()
    if form.validate_on_submit():
        try:
            outcome = quick_actions.perform(action, actor)
        except (quick_actions.ActionRefused, booking.BookingError) as error:
            return render_template("actions/refused.html",
                                   reason=quick_actions.refusal_text(error))
        return render_template("actions/done.html", lesson=outcome.lesson,
                               outcome=quick_actions.outcome_text(outcome))
    settings = schedule.settings_for(lesson.teacher_id)
    zone = recipients.recipient_zone(actor, settings.timezone)
    return render_template(
        "actions/confirm.html", form=form, lesson=lesson, code=action.code,
        codes=action_links, zone=zone, start=local(lesson.start, zone),
        end=local(lesson.end, zone), price=settings.default_price,
        label=action_links.button_label(action.code, lesson, actor))
