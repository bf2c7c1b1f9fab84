"""Addresses that leave the app (in messages, feeds, calendar apps), and the bounds of
the numbers in our own."""
from flask import current_app, url_for
from werkzeug.routing import IntegerConverter

from tutor.services import bounds


class IdConverter(IntegerConverter):
    """`<int:...>` in every route: a number beyond the database's integer (a 31-digit
    id overflows SQLite's, 2**31 PostgreSQL's) matches no route, so it is a 404 before
    any query sees it."""

    def __init__(self, map, fixed_digits=0, min=None, max=bounds.MAX_ID, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def external_url(endpoint, **values):
    """An absolute URL on PUBLIC_URL when it is set (never the request's Host header,
    which a client chooses), else on the request's own address."""
    base = current_app.config["PUBLIC_URL"]
    if not base:
        return url_for(endpoint, _external=True, **values)
    return base.rstrip("/") + url_for(endpoint, **values)


def url_of_each(endpoint, name, **values):
    """`url_for(endpoint, <name>=id)` for many ids at the cost of one: the address is
    built once with a stand-in id, and each id takes its place (a list of 50 students
    links each to their page). Integer ids only, as the routes' <int:...> are."""
    stand_in = str(bounds.MAX_ID)
    head, _, tail = url_for(endpoint, **{name: bounds.MAX_ID}, **values).partition(stand_in)

    def url(id_):
        return f"{head}{int(id_)}{tail}"
    return url
