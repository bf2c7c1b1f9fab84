"""Signing in with Yandex ID and the Telegram Login Widget, and linking both from the
profile. Each route answers 404 while its way is not configured.

Yandex ID: a POST (CSRF-protected) keeps a fresh state and PKCE verifier in the
session and sends the browser to Yandex; the callback, a GET Yandex redirects to, is
protected by that state (equal, single-use) and the verifier (the code is useless
without it). A Yandex account linked to nobody goes to a short registration."""
import hmac

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tutor.extensions import limiter
from tutor.forms.accounts import account_error_message
from tutor.forms.signin import TelegramLoginForm, YandexRegistrationForm
from tutor.htmx import redirect_to, safe_next
from tutor.integrations import yandex_id
from tutor.models import User
from tutor.services import accounts, signin
from tutor.views.auth import start_session

bp = Blueprint("signin", __name__)

OAUTH_KEY = "yandex_oauth"  # the session's pending authorisation: state, verifier, purpose
SIGNUP_KEY = "yandex_signup"  # the Yandex user to register, between callback and form
SIGN_IN, LINK = "signin", "link"



def _require(offered):
    if not offered():
        abort(404)


def _callback_url():
    base = current_app.config["PUBLIC_URL"] or request.url_root
    return base.rstrip("/") + url_for("signin.yandex_callback")


def _send_to_yandex(purpose, next_page=None):
    config = current_app.config
    authorization = yandex_id.authorization(
        client_id=config["YANDEX_CLIENT_ID"], redirect_uri=_callback_url(),
        oauth_url=config["YANDEX_OAUTH_URL"])
    session[OAUTH_KEY] = {"state": authorization.state, "verifier": authorization.verifier,
                          "purpose": purpose, "next": next_page,
                          "user": current_user.id if purpose == LINK else None}
    return redirect_to(authorization.url)


# --- Yandex ID -----------------------------------------------------------------------

@bp.post("/login/yandex")
@limiter.limit("30 per minute")
def yandex_start():
    _require(signin.yandex_offered)
    if current_user.is_authenticated:
        return redirect_to(url_for("calendar.week"))
    return _send_to_yandex(SIGN_IN, safe_next(request.form.get("next")))


@bp.post("/account/yandex/link")
@login_required
def yandex_link():
    _require(signin.yandex_offered)
    return _send_to_yandex(LINK)


@bp.post("/account/yandex/unlink")
@login_required
def yandex_unlink():
    _require(signin.yandex_offered)
    try:
        if signin.unlink(current_user):
            flash(_("Yandex ID is unlinked: log in with your login and password."), "success")
    except signin.OnlyWayIn:
        flash(_("Set a password first (below, under Password): Yandex ID is now your only "
                "way to log in."), "warning")
    return redirect_to(url_for("account.profile"))


@bp.get("/login/yandex/callback")
@limiter.limit("30 per minute")
def yandex_callback():
    _require(signin.yandex_offered)
    pending = session.pop(OAUTH_KEY, None)
    state = request.args.get("state", "")
    if not pending or not state or not hmac.compare_digest(pending["state"], state):
        flash(_("Logging in with Yandex ID did not complete. Please try again."), "error")
        return redirect_to(url_for("auth.login"))
    back = url_for("account.profile") if pending["purpose"] == LINK else url_for("auth.login")
    if request.args.get("error") or not request.args.get("code"):
        flash(_("Yandex ID did not let us in: access was not allowed."), "warning")
        return redirect_to(back)
    config = current_app.config
    try:
        person = yandex_id.user_for_code(
            request.args["code"][:512], pending["verifier"],
            client_id=config["YANDEX_CLIENT_ID"], client_secret=config["YANDEX_CLIENT_SECRET"],
            redirect_uri=_callback_url(), oauth_url=config["YANDEX_OAUTH_URL"],
            login_url=config["YANDEX_LOGIN_URL"])
    except yandex_id.YandexUnavailable as error:
        current_app.logger.warning("Yandex ID sign-in failed: %s", error)
        flash(_("Yandex ID is not answering. Please try again in a minute."), "error")
        return redirect_to(back)
    if pending["purpose"] == LINK:
        return _linked(pending, person)
    return _signed_in(pending, person)


def _linked(pending, person):
    if not current_user.is_authenticated or current_user.id != pending["user"]:
        flash(_("Log in first, then link Yandex ID from your profile."), "error")
        return redirect_to(url_for("auth.login"))
    try:
        signin.link(current_user, signin.YANDEX, person.id, person.login)
    except signin.IdentityTaken:
        flash(_("This Yandex account is already linked to another account here."), "error")
    else:
        flash(_("Yandex ID is linked: you can log in with it."), "success")
    return redirect_to(url_for("account.profile"))


def _signed_in(pending, person):
    if current_user.is_authenticated:
        return redirect_to(url_for("calendar.week"))
    try:
        user = signin.user_for_identity(signin.YANDEX, person.id)
    except signin.NotLinked:
        session[SIGNUP_KEY] = {"id": person.id, "login": person.login,
                               "first_name": person.first_name,
                               "last_name": person.last_name, "email": person.email,
                               "next": pending.get("next")}
        return redirect_to(url_for("signin.yandex_register"))
    start_session(signin.signed_in(user))
    flash(_("You are logged in."), "success")
    return redirect_to(safe_next(pending.get("next")) or url_for("calendar.week"))


@bp.route("/register/yandex", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["REGISTER_RATE_LIMIT"], methods=["POST"])
def yandex_register():
    _require(signin.yandex_offered)
    person = session.get(SIGNUP_KEY)
    if current_user.is_authenticated or not isinstance(person, dict):
        return redirect_to(url_for("auth.login"))
    form = YandexRegistrationForm(default_timezone=current_app.config["TEACHER_TIMEZONE"])
    if not form.is_submitted():
        form.first_name.data = person.get("first_name")
        form.last_name.data = person.get("last_name")
        form.login.data = signin.login_suggestion(person.get("login"))
        form.email.data = person.get("email")
    if form.validate_on_submit():
        try:
            user = signin.register_with_identity(
                form.registration(locale=str(get_locale())), signin.YANDEX, person["id"],
                person.get("login") or "")
        except signin.IdentityTaken:
            session.pop(SIGNUP_KEY, None)
            flash(_("This Yandex account is already linked to another account here."),
                  "error")
            return redirect_to(url_for("auth.login"))
        except accounts.AccountError as error:
            getattr(form, error.field).errors.append(account_error_message(error))
        else:
            session.pop(SIGNUP_KEY, None)
            start_session(user)
            flash(_("Your account has been created."), "dialog")
            if user.channel == User.TELEGRAM:
                return redirect_to(url_for("account.telegram", next=person.get("next")))
            return redirect_to(safe_next(person.get("next")) or url_for("calendar.week"))
    return render_template("auth/register_yandex.html", form=form, person=person)


# --- the Telegram Login Widget ---------------------------------------------------------

def _telegram_login():
    form = TelegramLoginForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        return signin.verify_telegram(form.payload(),
                                      current_app.config["TELEGRAM_BOT_TOKEN"])
    except signin.ForgedLogin:
        flash(_("Telegram's answer could not be checked. Please try again."), "error")
    except signin.ExpiredLogin:
        flash(_("Telegram's answer is too old. Please log in with Telegram again."), "error")
    return None


@bp.post("/login/telegram")
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"])
def telegram_login():
    _require(signin.telegram_offered)
    if current_user.is_authenticated:
        return redirect_to(url_for("calendar.week"))
    login = _telegram_login()
    if login is None:
        return redirect_to(url_for("auth.login"))
    try:
        user = signin.user_for_telegram(login)
    except signin.NotLinked:
        flash(_("No account here is linked to this Telegram. Log in or register, then link "
                "Telegram in your profile."), "warning")
        return redirect_to(url_for("auth.login"))
    start_session(signin.signed_in(user))
    flash(_("You are logged in."), "success")
    return redirect_to(url_for("calendar.week"))


@bp.post("/account/telegram/login")
@login_required
def telegram_link():
    _require(signin.telegram_offered)
    login = _telegram_login()
    if login is not None:
        signin.link_telegram(current_user, login)
        flash(_("Telegram is linked: you can log in with it."), "success")
    return redirect_to(url_for("account.profile"))
