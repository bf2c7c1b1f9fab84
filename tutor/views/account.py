"""The user's own profile: names and login, password, notifications, deactivation.
Each section is a form of its own; htmx swaps a section with its errors, success
reloads the page."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tutor.forms import (
    ChangePasswordForm,
    EmptyForm,
    NotificationsForm,
    ProfileForm,
    account_error_message,
)
from tutor.htmx import is_fragment_request, redirect_to, render
from tutor.services import accounts, delivery, telegram_bot
from tutor.views.auth import end_session
from tutor.views.feeds import feed_url

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.before_request
@login_required
def require_login():
    pass


@bp.before_app_request
def telegram_lost_notice():
    """Once, on the first page a user opens after Telegram said they blocked the bot
    (or deleted their account): their chat was unlinked and notifications are now in
    the app. A page, not a fragment, so the notice is seen."""
    user = current_user
    if (request.method != "GET" or is_fragment_request() or not user.is_authenticated
            or user.telegram_lost_at is None):
        return
    if delivery.telegram_notice_seen(user):
        flash(_("Telegram notifications are off: Telegram told us the bot is blocked or "
                "your account there is gone. Your notifications are in the app; choose "
                "another channel in your profile if you like."), "warning")


def _page(**forms):
    forms = {
        "profile_form": ProfileForm(user=current_user, formdata=None),
        "password_form": ChangePasswordForm(user=current_user, formdata=None),
        "notifications_form": NotificationsForm(user=current_user, formdata=None),
        "telegram": telegram_bot.link_state(current_user),
        "unlink_form": EmptyForm(),
        "feed_url": feed_url(current_user),
        **forms,
    }
    return forms


@bp.get("")
def profile():
    return render_template("account/profile.html", **_page())


@bp.post("/profile")
def update_profile():
    form = ProfileForm(user=current_user)
    if form.validate_on_submit():
        try:
            accounts.update_profile(
                current_user, first_name=form.first_name.data, last_name=form.last_name.data,
                login=form.login.data, goal_id=form.goal.data, timezone=form.timezone.data,
                locale=form.locale.data)
        except accounts.AccountError as error:
            form.login.errors.append(account_error_message(error))
        else:
            flash(_("Your profile is saved."), "success")
            return redirect_to(url_for("account.profile"))
    return render("account/profile.html", "account/partials/_profile_form.html",
                  **_page(profile_form=form))


@bp.post("/password")
def change_password():
    form = ChangePasswordForm(user=current_user)
    if form.validate_on_submit():
        try:
            accounts.change_password(current_user, form.current_password.data,
                                     form.password.data)
        except accounts.AccountError as error:
            getattr(form, error.field).errors.append(account_error_message(error))
        else:
            # This session stays; every other one is logged out.
            flash(_("Your password is changed. Other devices have been logged out."), "success")
            return redirect_to(url_for("account.profile"))
    return render("account/profile.html", "account/partials/_password_form.html",
                  **_page(password_form=form))


@bp.post("/notifications")
def change_notifications():
    form = NotificationsForm(user=current_user)
    if form.validate_on_submit():
        try:
            accounts.change_notifications(current_user, channel=form.channel.data,
                                          email=form.email.data,
                                          digest_time=form.digest_time.data,
                                          reminder_hours=form.reminder_hours.data)
        except accounts.AccountError as error:
            form.email.errors.append(account_error_message(error))
        else:
            flash(_("Your notification settings are saved."), "success")
            return redirect_to(url_for("account.profile"))
    return render("account/profile.html", "account/partials/_notifications_form.html",
                  **_page(notifications_form=form))


@bp.get("/telegram")
def telegram():
    """The "Link Telegram" step: its own page after registering, and the fragment
    that the profile's "check" button reloads."""
    return render("account/telegram.html", "account/partials/_telegram.html",
                  telegram=telegram_bot.link_state(current_user), unlink_form=EmptyForm())


@bp.post("/telegram/open")
def open_telegram_bot():
    """A fresh one-time deep link, and off to Telegram with it (the form opens a new
    tab). A plain redirect even for htmx: the browser itself must go to t.me."""
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        return redirect(telegram_bot.make_link(current_user))
    except telegram_bot.BotNotConfigured:
        flash(_("The Telegram bot is not set up on this site yet."), "error")
        return redirect(url_for("account.profile"))


@bp.post("/telegram/unlink")
def unlink_telegram():
    form = EmptyForm()
    if form.validate_on_submit():
        telegram_bot.unlink(current_user)
        flash(_("Telegram is unlinked. Messages for Telegram wait until you link a chat "
                "again."), "success")
    return redirect_to(url_for("account.profile"))


@bp.route("/deactivate", methods=["GET", "POST"])
def deactivate():
    if current_user.is_teacher:
        flash(_("The teacher's account cannot be deactivated."), "error")
        return redirect_to(url_for("account.profile"))
    form = EmptyForm()
    if form.validate_on_submit():
        accounts.deactivate(current_user)
        end_session()
        flash(_("Your account is deactivated. Log in any time to use it again."), "info")
        return redirect_to(url_for("calendar.week"))
    return render_template("account/deactivate.html", form=form)
