"""The page of a list a request asks for: ?page=, checked against
tutor.services.bounds; the rows come as a tutor.services.pages.Page and the links
from templates/macros/pages.html."""
from flask import abort, request

from tutor.services import bounds, pages


def page_number():
    """?page=, 1 when absent; a number beyond tutor.services.bounds is no page: 404."""
    number = bounds.parse_page(request.args.get("page"))
    if number is None:
        abort(404)
    return number


def requested_page(query, per_page):
    """The page of `query` the request asks for."""
    return pages.page_of(query, page_number(), per_page)
