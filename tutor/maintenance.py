"""A restore replaces every row of the database; meanwhile requests are answered 503
with Retry-After (tutor/views/errors.py) instead of meeting a database half replaced.
Each request passes the gate of tutor.database.enter_request() before anything else
reads or writes (the rate limiter, the user's session), and leaves it at teardown,
before the database's own teardown (extensions.TutorDB) gives the connection back to
the pool: a pooled PostgreSQL connection would keep its shared lock, and a restore
would wait for it forever."""
from flask import current_app, g, request

from tutor.database import enter_request, leave_request
from tutor.extensions import db


def register(app):
    # First of all before_request functions: the rate limiter writes its counters.
    app.before_request_funcs.setdefault(None, []).insert(0, _enter)
    # First of all teardown functions (Flask runs them in reverse): before TutorDB's.
    app.teardown_request_funcs.setdefault(None, []).append(_leave)


def _enter():
    if request.endpoint in current_app.config["FLASKDB_EXCLUDED_ROUTES"]:
        return  # static files and probes do not open the database
    g.maintenance_gate = enter_request(db.database)  # raises InMaintenance


def _leave(exc):
    token = g.pop("maintenance_gate", None)
    if token is not None:
        leave_request(db.database, token)
