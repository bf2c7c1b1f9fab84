"""The user's own profile: names and login, password, notifications, deactivation.
Each section is a form of its own; htmx swaps a section with its errors, success
reloads the page."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from tutor.extensions import opens_database
from tutor.formatting import local_datetime
from tutor.forms.accounts import (
    ChangePasswordForm,
    DeleteAccountForm,
    NotificationsForm,
    ProfileForm,
    account_error_message,
)
from tutor.forms.base import EmptyForm
from tutor.htmx import is_fragment_request, redirect_to, render, safe_next
from tutor.models import User
from tutor.services import (accounts, devices, outbox, personal_data, signin, telegram_links,
                            work)
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
    if request.method != "GET" or is_fragment_request() or not opens_database():
        return  # a static file reading the user would cost a query each
    user = current_user
    if not user.is_authenticated or user.telegram_lost_at is None:
        return
    if outbox.telegram_notice_seen(user):
        flash(_("Telegram notifications are off: Telegram told us the bot is blocked or "
                "your account there is gone. Your notifications are in the app; choose "
                "another channel in your profile if you like."), "warning")


def _page(**forms):
    forms = {
        "profile_form": ProfileForm(user=current_user, formdata=None),
        "password_form": ChangePasswordForm(user=current_user, formdata=None),
        "notifications_form": NotificationsForm(user=current_user, formdata=None),
        "telegram": telegram_links.link_state(current_user),
        "feed_url": feed_url(current_user),
        "devices": devices.devices_of(current_user),
        "yandex_identity": signin.identity_of(current_user),
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
            accounts.change_password(current_user, form.current,
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
                  telegram=telegram_links.link_state(current_user),
                  next_page=safe_next(request.args.get("next")))


@bp.post("/telegram/open")
def open_telegram_bot():
    """A fresh one-time deep link, and off to Telegram with it (the form opens a new
    tab). A plain redirect even for htmx: the browser itself must go to t.me."""
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        return redirect(telegram_links.make_link(current_user))
    except telegram_links.BotNotConfigured:
        flash(_("The Telegram bot is not set up on this site yet."), "error")
        return redirect(url_for("account.profile"))


@bp.post("/telegram/unlink")
def unlink_telegram():
    form = EmptyForm()
    if form.validate_on_submit():
        telegram_links.unlink(current_user)
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


# --- your devices -------------------------------------------------------------------

@bp.post("/devices/<int:session_id>/sign-out")
def sign_out_device(session_id):
    """End one of the user's own sessions; another's, or an unknown id, is not found.
    Signing out the current one is a logout."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    current = devices.is_current(current_user, session_id)
    try:
        devices.sign_out(current_user, session_id)
    except devices.NotYours:
        abort(404)
    if current:
        end_session()
        flash(_("You are logged out."), "info")
        return redirect_to(url_for("auth.login"))
    flash(_("That device is signed out: its next page asks it to log in."), "success")
    return redirect_to(url_for("account.profile", _anchor="devices-heading"))


@bp.post("/devices/sign-out-others")
def sign_out_other_devices():
    if not EmptyForm().validate_on_submit():
        abort(400)
    count = devices.sign_out_others(current_user)
    flash(ngettext("%(num)d other device is signed out.", "%(num)d other devices are signed out.",
                   count) if count else _("No other device was signed in."), "success")
    return redirect_to(url_for("account.profile", _anchor="devices-heading"))


# --- your data ----------------------------------------------------------------------

@bp.post("/export")
def export_data():
    """Ask for one's data: made by the consumer, it arrives in the inbox."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    if current_user.role != User.STUDENT:
        flash(_("Only a student's data is exported here."), "error")
        return redirect_to(url_for("account.profile"))
    try:
        personal_data.request_export(current_user)
    except personal_data.ExportTooSoon as error:
        flash(_("You asked for your data less than an hour ago. You can ask again after "
                "%(time)s.", time=local_datetime(error.next_at)), "warning")
    else:
        work.wake()
        flash(_("We are collecting your data. You will find the file in your notifications "
                "in a few minutes."), "success")
    return redirect_to(url_for("account.profile", _anchor="data-heading"))


@bp.route("/delete", methods=["GET", "POST"])
def delete_account():
    """Deleting one's own account, confirmed with the password: a page of its own that
    says what happens to the lessons first."""
    if current_user.role != User.STUDENT:
        flash(_("The teacher's account cannot be deleted."), "error")
        return redirect_to(url_for("account.profile"))
    form = DeleteAccountForm()
    if form.validate_on_submit():
        try:
            personal_data.delete_account(current_user, form.password.data)
        except personal_data.WrongPassword:
            form.password.errors.append(_("That is not your password."))
        except personal_data.LessonTooSoon as error:
            form.password.errors.append(_(
                "Your lesson on %(time)s can no longer be cancelled. You can delete the "
                "account after it.", time=local_datetime(error.lesson.start)))
        else:
            end_session()
            flash(_("Your account is deleted. Thank you for the lessons!"), "info")
            return redirect_to(url_for("calendar.week"))
    return render_template("account/delete.html", form=form,
                           plan=personal_data.deletion_plan(current_user))
