"""The app's addresses as a message carries them, built with or without a request (a
job runs outside one): a path in the app, or an absolute URL on the site."""
from flask import current_app, has_request_context, request
from werkzeug.routing import BuildError


def app_path(endpoint, **values):
    """A URL path built without a request; "" for an endpoint the app lacks."""
    try:
        return current_app.url_map.bind("localhost").build(endpoint, values)
    except BuildError:
        return ""


def site_url(endpoint, **values):
    """An absolute URL on PUBLIC_URL, else on the request's address; None outside a
    request without PUBLIC_URL (a job cannot know the site's address)."""
    base = (current_app.config.get("PUBLIC_URL") or "").strip()
    if not base and has_request_context():
        base = request.url_root
    path = app_path(endpoint, **values)
    return base.rstrip("/") + path if base and path else None
