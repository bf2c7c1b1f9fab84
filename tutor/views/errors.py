"""Error pages in the viewer's language; htmx requests get a toast instead of a page."""
from flask import g, make_response, render_template
from flask.globals import request_ctx
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from tutor.database import InMaintenance
from tutor.extensions import login_manager
from tutor.htmx import answer
from tutor.services import errors

# How soon to try again while the database is being restored (a restore takes seconds).
MAINTENANCE_RETRY_SECONDS = 10


def _messages():
    return {
        400: _("The request could not be understood."),
        403: _("You do not have access to this page."),
        404: _("This page does not exist."),
        405: _("This action is not available here."),
        413: _("The upload is too large."),
        429: _("Too many attempts. Please wait a minute and try again."),
        503: _("The site is being restored from a backup. Please try again in a minute."),
        500: _("Something went wrong on our side. Nothing you saved is lost; please try again."),
    }


def _respond(status, message):
    if request_ctx.url_adapter is None:
        # The Host header is not in TRUSTED_HOSTS: no address of ours can be built for
        # it, so the page, full of links, cannot be either.
        return message, status, {"Content-Type": "text/plain; charset=utf-8"}
    # For htmx the toast is handed to the template rather than flashed, so an error
    # answer leaves the session (and the messages waiting in it for another page) as
    # it found them, and sends no cookie (tutor/sessions.py).
    return answer(lambda: (render_template("partials/_toasts.html", oob=True,
                                           messages=[("error", message)]), status),
                  lambda: (render_template("errors/error.html", status=status,
                                           message=message), status))


def register(app):
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return _respond(400, _("The form has expired. Please reload the page and try again."))

    @app.errorhandler(InMaintenance)
    def in_maintenance(error):
        # Nobody's account is read or written meanwhile (the page would load the user,
        # and a signed-in request notes when it was seen).
        g._login_user = login_manager.anonymous_user()
        response = make_response(_respond(503, _messages()[503]))
        response.headers["Retry-After"] = str(MAINTENANCE_RETRY_SECONDS)
        return response

    @app.errorhandler(errors.NotAllowed)
    def not_allowed(error):
        # A refusal a view did not answer itself: the same 403 as the page checks give.
        return _respond(403, _messages()[403])

    @app.errorhandler(HTTPException)
    def http_error(error):
        status = error.code or 500
        return _respond(status, _messages().get(status, error.description))

    @app.errorhandler(Exception)
    def server_error(error):
        app.logger.exception("unhandled error")
        return _respond(500, _messages()[500])
