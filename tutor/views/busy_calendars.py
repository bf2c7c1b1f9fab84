"""The teacher's other calendars (Google, Yandex, Outlook...): add an iCal address,
see how its last read went, refresh it now, remove it. Reading is a consumer's work
(services/busy_import.py); these pages only ask for it."""
from flask import Blueprint, abort, flash, url_for
from flask_babel import format_number, format_timedelta, ngettext
from flask_babel import gettext as _

from tutor.forms.calendars import CalendarAddressForm
from tutor.htmx import redirect_to, render
from tutor.models import utcnow
from tutor.services import busy_import, work
from tutor.views.access import me, teacher_only

bp = teacher_only(Blueprint("calendars", __name__, url_prefix="/teacher/calendars"))

ADD_ERRORS = {
    busy_import.InvalidAddress: lambda: _(
        "This is not a calendar's web address. Copy the address that starts with "
        "https:// (or webcal://) from your calendar's settings."),
    busy_import.AlreadySubscribed: lambda: _("This calendar is added already."),
    busy_import.TooManySubscriptions: lambda: _(
        "You can add at most %(num)d calendars.", num=busy_import.MAX_SUBSCRIPTIONS),
}


def status(subscription, now):
    """How the calendar's reads went, as the teacher reads it."""
    count = ngettext("%(amount)s busy interval", "%(amount)s busy intervals",
                     subscription.busy_count, amount=format_number(subscription.busy_count))
    read = None
    if subscription.fetched_at is not None:
        age = now - subscription.fetched_at
        when = _("just now") if age.total_seconds() < 60 else \
            format_timedelta(-age, add_direction=True)
        read = _("updated %(when)s, %(count)s", when=when, count=count)
    return {"problem": busy_import.problem(subscription), "read": read,
            "left_out": busy_import.left_out(subscription),
            "waiting": busy_import.refresh_waiting(subscription)}


def _page(form=None, status_code=200):
    now = utcnow()
    subscriptions = [(s, status(s, now)) for s in busy_import.subscriptions(me())]
    return render("calendars/index.html", "calendars/partials/_calendars.html",
                  subscriptions=subscriptions, form=form or CalendarAddressForm(formdata=None),
                  waiting=any(s["waiting"] for _, s in subscriptions),
                  max_count=busy_import.MAX_SUBSCRIPTIONS), status_code


@bp.get("")
def index():
    return _page()


@bp.post("")
def add():
    form = CalendarAddressForm()
    if form.validate_on_submit():
        try:
            subscription = busy_import.subscribe(me(), form.url.data)
        except busy_import.SubscriptionError as error:
            form.url.errors.append(ADD_ERRORS[type(error)]())
        else:
            busy_import.request_refresh(me(), subscription.id)
            work.wake()
            flash(_("The calendar is added and is being read now."), "success")
            return redirect_to(url_for("calendars.index"))
    return _page(form)


@bp.post("/<int:subscription_id>/refresh")
def refresh(subscription_id):
    try:
        busy_import.request_refresh(me(), subscription_id)
    except busy_import.SubscriptionNotFound:
        abort(404)
    work.wake()
    flash(_("The calendar is being read now."), "success")
    return redirect_to(url_for("calendars.index"))


@bp.post("/<int:subscription_id>/delete")
def remove(subscription_id):
    try:
        busy_import.unsubscribe(me(), subscription_id)
    except busy_import.SubscriptionNotFound:
        abort(404)
    flash(_("The calendar is removed; its busy time no longer closes your hours."),
          "success")
    return redirect_to(url_for("calendars.index"))
