"""The browser's side of a login: Flask's signed-cookie session, written back only
when a request changed it, and renewed (new CSRF token included) when a user logs in
or out. The server's side, the LoginSession record the cookie names, is in
services/accounts.py.

Why "only when changed": a browser keeps the cookie of whichever response arrived
last, and a page may still have requests in flight when the next page has begun. A
registration page's password-strength check, sent just after the registration had
logged the user in, failed its CSRF check (400) and answered with a toast; Flask wrote
the session back because the toast had put a message into it and taken it out again,
and that late cookie replaced the one the next page had just set, taking its CSRF
token with it: the next page's first form answered 400 too. (Sent a moment earlier,
with the old cookie, the check would have written the anonymous session back, as
Flask-Login's session protection marked it not fresh: logged out.) So:
- a request that leaves the session as it found it sends no cookie (this module);
- error answers show their toast without the session (views/errors.py);
- a login's session gets its new CSRF token in the response that starts it, and a
  logout keeps the token (renew below), so no later request has to add one;
- Flask-Login's session protection is off (tutor/__init__.py), and the strength
  check, which changes nothing, needs no token (views/auth.py).
tests/views/test_session_race.py replays the interleavings.
"""
from flask import current_app, g, session
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import generate_csrf
from itsdangerous import BadData


class SessionInterface(SecureCookieSessionInterface):
    """Flask's own, except that the cookie is rewritten only when the session's
    content differs from what the request brought (Flask rewrites it whenever the
    session was touched, even if it ends as it began)."""

    def open_session(self, app, request):
        opened = super().open_session(app, request)
        if opened is not None:
            opened.brought = request.cookies.get(self.get_cookie_name(app))
        return opened

    def save_session(self, app, session, response):
        if session.modified and dict(session) == self._brought(app, session):
            session.modified = False
        super().save_session(app, session, response)

    def _brought(self, app, session):
        """What the request's cookie held (decoded again only for a touched session)."""
        raw = getattr(session, "brought", None)
        if not raw:
            return {}
        try:
            return dict(self.get_signing_serializer(app).loads(raw))
        except (BadData, TypeError, ValueError):
            return {}


def renew(keep=("lang",), new_token=True):
    """Start the session over, as Django's cycle_key() on login and flush() on logout:
    nothing of the old one is carried but `keep` (the language picked).

    A login gets a new CSRF token (`new_token`), so a token planted before the login
    is worth nothing after it; it is made at once, to travel in this response's
    cookie. A logout keeps the token: nothing can be done with it that an anonymous
    visitor cannot do, and a late answer to the page left behind, which may still
    write the old session back (a "please log in" notice), then does not take the
    next page's token away with it."""
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    kept = {name: session[name] for name in (*keep, *(() if new_token else (field,)))
            if name in session}
    session.clear()
    session.update(kept)
    if new_token:
        g.pop(field, None)
    generate_csrf()
