"""Addresses that leave the app (in messages, feeds, calendar apps)."""
from flask import current_app, url_for


def external_url(endpoint, **values):
    """An absolute URL on PUBLIC_URL when it is set (never the request's Host header,
    which a client chooses), else on the request's own address."""
    base = current_app.config["PUBLIC_URL"]
    if not base:
        return url_for(endpoint, _external=True, **values)
    return base.rstrip("/") + url_for(endpoint, **values)
