"""urls.url_of_each builds a list's links once: each id's address is the one url_for
gives, whatever the route and the other arguments."""
import pytest
from flask import url_for

from tutor.services.bounds import MAX_ID
from tutor.urls import url_of_each


@pytest.mark.parametrize("endpoint, name, values", [
    ("admin.student", "student_id", {}),
    ("lessons.show", "lesson_id", {}),
    ("series.show", "series_id", {"back": "/teacher/students?q=2147483647"}),
])
def test_the_same_address_as_url_for(app, endpoint, name, values):
    with app.test_request_context():
        each = url_of_each(endpoint, name, **values)
        for id_ in (1, 7, 90, 2147483, MAX_ID):
            assert each(id_) == url_for(endpoint, **{name: id_}, **values)


def test_only_whole_numbers(app):
    with app.test_request_context():
        each = url_of_each("admin.student", "student_id")
        with pytest.raises(ValueError):
            each("1/../../admin")
