"""One place that decides between a full page and an htmx fragment, and how to
leave a page for each kind of request."""
from flask import get_flashed_messages, redirect, render_template, request
from markupsafe import Markup

from tutor.services import bounds


def is_fragment_request():
    """True for an htmx request that swaps part of a page. Boosted navigation and
    history restores want the full page."""
    return (request.headers.get("HX-Request") == "true"
            and request.headers.get("HX-Boosted") != "true"
            and request.headers.get("HX-History-Restore-Request") != "true")


def answer(fragment, page):
    """The one choice between the two kinds of answer: `fragment()` for an htmx
    request that swaps part of a page, `page()` for any other (a plain request, a
    boosted navigation, a history restore). Only the chosen one is built."""
    return fragment() if is_fragment_request() else page()


def changed(fragment, url):
    """After a change that worked: the part again for htmx (the flashed message rides
    along as a toast when `fragment` uses `render`), PRG to `url` otherwise."""
    return answer(fragment, lambda: redirect_to(url))


def render(page, partial, **context):
    """The full page, or only its partial for a fragment request. Messages flashed
    while handling a fragment request ride along as an out-of-band toast swap."""
    return answer(lambda: with_toasts(render_template(partial, **context)),
                  lambda: render_template(page, **context))


def with_toasts(html):
    """A fragment's HTML with the messages flashed meanwhile as an out-of-band toast."""
    if has_flashes():
        toasts = render_template("partials/_toasts.html", oob=True)
        # Both are render_template output: Jinja has escaped every value in them.
        html = Markup(html) + Markup(toasts)  # nosec B704
    return html


def has_flashes():
    return bool(get_flashed_messages(with_categories=False)) if request else False


def redirect_to(url):
    """PRG for a plain request; HX-Redirect for htmx, which would otherwise swap the
    whole next page into a fragment."""
    if request.headers.get("HX-Request") == "true":
        return "", 204, {"HX-Redirect": url}
    return redirect(url)


def safe_next(target):
    """`target` when it is a path on this site, else None (no open redirects)."""
    return bounds.local_path(target)


def add_vary(response):
    if response.mimetype == "text/html":
        response.vary.add("HX-Request")
    return response


def current_page():
    """The page the user is looking at, to come back to after logging in: for htmx
    requests the page, not the fragment; for a form sent with POST the page it was
    on (the POST address itself cannot be opened again)."""
    if request.headers.get("HX-Request") == "true":
        return _same_site_path(request.headers.get("HX-Current-URL", ""))
    if request.method != "GET":
        return _same_site_path(request.referrer or "")
    return safe_next(request.full_path.rstrip("?"))


def _same_site_path(url):
    return bounds.same_site_path(url, request.host)
