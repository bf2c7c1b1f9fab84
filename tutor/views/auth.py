"""Registration, logging in and out, password recovery, and the interface language."""
from flask import (
    Blueprint,
    current_app,
    flash,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from tutor import ratelimits, sessions
from tutor.extensions import csrf, limiter
from tutor.forms.accounts import (
    ForgotPasswordForm,
    LanguageForm,
    LoginForm,
    RegistrationForm,
    ResetPasswordForm,
    account_error_message,
)
from tutor.htmx import redirect_to, safe_next
from tutor.integrations import dadata
from tutor.models import User
from tutor.services import accounts, bounds, recovery, work
from tutor.services.password_strength import evaluate

bp = Blueprint("auth", __name__)


def _limit(name):
    return lambda: current_app.config[name]


def _account_of(field, key):
    """A per-account limit's key: the account the posted `field` resolves to (or its
    normalised value when it names nobody), so no spelling of a name walks around it."""
    return lambda: f"{request.endpoint}:{key(request.form.get(field))}"


def start_session(user, remember=False):
    """A fresh session for the user (no id carried over from before the login),
    named by a new LoginSession record. A language picked before logging in is kept
    and saved on the account."""
    sessions.renew()
    accounts.start_session(user, request.user_agent.string, request.remote_addr)
    login_user(user, remember=remember)
    if session.get("lang"):
        accounts.set_locale(user, session["lang"])


def end_session():
    """Log out here: the LoginSession is deleted, so copies of this browser's
    session and remember-me cookies open nothing any more."""
    accounts.end_session(current_user)
    logout_user()  # asks for the remember-me cookie to be deleted ("_remember")
    sessions.renew(keep=("lang", "_remember"), new_token=False)


# --- logging in and out -------------------------------------------------------------

@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_limit("LOGIN_RATE_LIMIT"), methods=["POST"])
@limiter.limit(_limit("LOGIN_ACCOUNT_RATE_LIMIT"), methods=["POST"],
               key_func=_account_of("login", ratelimits.login_key))
def login():
    if current_user.is_authenticated:
        return redirect_to(url_for("calendar.week"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next"))
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(form.login.data, form.password.data)
        except accounts.InvalidCredentials:
            form.form_errors.append(_("Wrong login or password."))
        else:
            start_session(user, remember=form.remember.data)
            flash(_("You are logged in."), "success")
            return redirect_to(safe_next(form.next.data) or url_for("calendar.week"))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    end_session()
    flash(_("You are logged out."), "info")
    return redirect_to(url_for("calendar.week"))


@bp.post("/language/<lang>")
def set_language(lang):
    form = LanguageForm()
    if lang in current_app.config["LANGUAGES"] and form.validate_on_submit():
        session["lang"] = lang
        if current_user.is_authenticated:
            accounts.set_locale(current_user, lang)
    return redirect_to(safe_next(form.next.data) or url_for("calendar.week"))


# --- registration -------------------------------------------------------------------

@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_limit("REGISTER_RATE_LIMIT"), methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect_to(url_for("calendar.week"))
    form = RegistrationForm(default_timezone=current_app.config["TEACHER_TIMEZONE"])
    # Where to go once registered (a slot picked before, say): kept in the address,
    # which the form posts back to.
    next_page = safe_next(request.args.get("next"))
    if form.validate_on_submit():
        try:
            user = accounts.register_student(form.registration(locale=str(get_locale())))
        except accounts.AccountError as error:
            getattr(form, error.field).errors.append(account_error_message(error))
        else:
            start_session(user)
            flash(_("Your account has been created."), "dialog")
            if user.channel == User.TELEGRAM:  # the link step comes next
                return redirect_to(url_for("account.telegram", next=next_page))
            return redirect_to(next_page or url_for("calendar.week"))
    # The password field comes back empty (never echoed), so its meter starts empty
    # too; the field's error says why the password was refused.
    return render_template("auth/register.html", form=form, strength=None,
                           suggestions=bool(current_app.config["DADATA_API_KEY"]),
                           next_page=next_page)


@bp.get("/register/suggest/<any(first_name, last_name):field>")
@limiter.limit("60 per minute")
def suggest_name(field):
    names = []
    api_key = current_app.config["DADATA_API_KEY"]
    if api_key:
        try:
            names = dadata.suggest_fio(
                request.args.get(field, ""), "name" if field == "first_name" else "surname",
                api_key=api_key, base_url=current_app.config["DADATA_URL"])
        except dadata.DadataError as error:
            current_app.logger.warning("DaData suggestions unavailable: %s", error)
    return render_template("auth/partials/_name_suggestions.html", field=field, names=names)


@bp.post("/password-strength")
@limiter.limit("120 per minute")
@csrf.exempt
def password_strength():
    """The live strength meter under a new-password field. It changes nothing (a POST
    only to keep the password out of URLs and logs), so it needs no CSRF token: the
    registration page's last check, sent as the registration logs the user in, would
    otherwise carry the token of a session just ended and answer 400."""
    words = [request.form.get(name) for name in ("login", "first_name", "last_name", "email")]
    if current_user.is_authenticated:
        words += [current_user.login, current_user.first_name, current_user.last_name,
                  current_user.email]
    password = request.form.get("password", "")[:1024]
    strength = evaluate(password, words, current_app.config["PASSWORD_MIN_SCORE"]) \
        if password else None
    return render_template("auth/partials/_password_strength.html", strength=strength)


# --- password recovery --------------------------------------------------------------

@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit(_limit("RESET_RATE_LIMIT"), methods=["POST"])
@limiter.limit(_limit("RESET_RATE_LIMIT"), methods=["POST"],
               key_func=_account_of("identifier", ratelimits.identifier_key))
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        work.request_password_reset(form.identifier.data,
                                    current_app.config["PUBLIC_URL"] or request.url_root)
        work.wake()
        flash(_("If this account exists and has notifications turned on, a link to set a "
                "new password has been sent there. It works once, within an hour."), "dialog")
        return redirect_to(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit(_limit("RESET_RATE_LIMIT"), methods=["POST"])
def reset_password(token):
    try:
        user = recovery.user_for_reset_token(token)
    except recovery.InvalidResetLink:
        return render_template("auth/reset_invalid.html"), 400
    form = ResetPasswordForm(user=user)
    if form.validate_on_submit():
        try:
            user = recovery.reset_password(token, form.password.data)
        except recovery.InvalidResetLink:
            return render_template("auth/reset_invalid.html"), 400
        except accounts.WeakPassword as error:
            form.password.errors.append(account_error_message(error))
        else:
            start_session(user)
            flash(_("Your new password is set. You are logged in."), "success")
            lesson_id = bounds.parse_id(request.args.get("lesson"))  # a trial's welcome
            if lesson_id is not None:
                return redirect_to(url_for("lessons.show", lesson_id=lesson_id))
            return redirect_to(url_for("calendar.week"))
    return render_template("auth/reset.html", form=form, token=token)
