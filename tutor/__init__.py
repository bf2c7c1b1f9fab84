"""The app factory."""
import logging
from pathlib import Path

from flask import Flask, current_app, flash, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from peewee import OperationalError
from werkzeug.middleware.proxy_fix import ProxyFix

from config import load_config
from tutor import cli
from tutor.database import open_database
from tutor.extensions import babel, csrf, db, limiter, login_manager, opens_database
from tutor.htmx import add_vary, current_page, redirect_to
from tutor.models import User, utcnow
from tutor import formatting, logs, maintenance, metrics, security, sessions, template_globals
from tutor.services import activity
from tutor import ratelimits  # noqa: F401 (registers RATELIMIT_STORAGE_URI database://)
from tutor.services import zones
from tutor.urls import IdConverter
from tutor.views import (account, actions, admin, auth, busy_calendars, calendar, errors,
                         feeds, inbox, jobs_page, lessons, main, ops, outbox, profile, reports,
                         series, signin, teacher, telegram, trials)
from tutor.views import hours  # noqa: F401 (the weekly grid's routes, on teacher.bp)

ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger(__name__)


def create_app(test_config=None):
    app = Flask(__name__, template_folder=str(ROOT / "templates"),
                static_folder=str(ROOT / "static"))
    app.config.update(load_config())
    app.config.update(test_config or {})
    # Probes manage their own connection (readyz must answer when the database is down).
    app.config["FLASKDB_EXCLUDED_ROUTES"] = ("static", "ops.healthz", "ops.readyz")
    app.instance_path = app.config["INSTANCE_PATH"]
    app.session_interface = sessions.SessionInterface()
    logs.configure(app)
    app.config["DATABASE"] = open_database(app.config["DATABASE_URL"],
                                           app.config["DATABASE_POOL_SIZE"])

    db.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.user_loader(User.from_session_id)
    # Flask-Login's "basic" protection only marks a session not fresh when the IP or
    # browser changes (nothing here asks for fresh logins), and does it by writing to
    # an anonymous visitor's session on their first POST: a write that, answering a
    # page already left, could replace a newer cookie (tutor/sessions.py).
    login_manager.session_protection = None
    login_manager.unauthorized_handler(_unauthorized)
    babel.init_app(app, locale_selector=_select_locale, timezone_selector=_select_timezone)
    app.after_request(add_vary)
    app.after_request(_note_activity)
    security.register(app)
    metrics.register(app)
    if app.config["PROXY_COUNT"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_COUNT"],
                                x_proto=app.config["PROXY_COUNT"],
                                x_host=app.config["PROXY_COUNT"])

    formatting.register(app)
    template_globals.register(app)
    app.url_map.converters["int"] = IdConverter
    maintenance.register(app)
    for blueprint in (main.bp, calendar.bp, auth.bp, account.bp, lessons.bp, teacher.bp,
                      admin.bp, outbox.bp, jobs_page.bp, reports.bp, feeds.bp, ops.bp,
                      telegram.bp, series.bp, inbox.bp, actions.bp, busy_calendars.bp,
                      profile.bp, profile.edit_bp, signin.bp, trials.bp):
        app.register_blueprint(blueprint)
    errors.register(app)
    for command in cli.COMMANDS:
        app.cli.add_command(command)
    return app


def _select_locale():
    languages = current_app.config["LANGUAGES"]
    if request and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    if request and session.get("lang") in languages:
        return session["lang"]
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _select_timezone():
    """The zone dates are formatted in: the viewer's own, else the teacher's saved one
    (services/zones.py), as every page's times are shown."""
    if request and current_user.is_authenticated and current_user.timezone:
        return current_user.timezone
    return str(zones.teacher_zone())



def _note_activity(response):
    """Every signed-in request is a sign of use, remember-me visits included
    (services/activity.py: one comparison, a write at most hourly). Requests that do
    not open the database (static files, probes) are not looked at, and a request
    still inside a transaction leaves it to the next one; a write that cannot be made
    now (the database busy) is not worth failing the page for."""
    if not opens_database():
        return response
    user = current_user._get_current_object()
    if (user.is_authenticated and activity.is_due(user, utcnow())
            and not db.database.in_transaction()):
        try:
            activity.record_seen(user)
        except OperationalError:
            log.warning("could not record that user %s was seen", user.id, exc_info=True)
    return response


def _unauthorized():
    flash(_("Please log in to open this page."), "info")
    return redirect_to(url_for("auth.login", next=current_page()))
