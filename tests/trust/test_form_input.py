"""What every form does with input before its own rules (tutor/forms/base.py FlaskForm):
control characters are taken out, dates far outside a tutor's calendar are refused in
the viewer's language. The fuzzing in test_fuzz_forms.py found both (PostgreSQL
refuses NUL in text; a series cancelled "from 9999-12-31" overflowed)."""
import pytest
from flask_babel import force_locale
from werkzeug.datastructures import MultiDict

from tutor.forms.admin import GoalForm, ReportMonthForm
from tutor.forms.lessons import BookingForm
from tutor.forms.schedule import DaysOffForm


def post_form(app, form_class, data):
    with app.test_request_context(method="POST", data=data), force_locale("ru"):
        form = form_class(meta={"csrf": False})
        form.validate()
        return form.data, {name: [str(error) for error in errors]
                           for name, errors in form.errors.items()}


def test_control_characters_are_taken_out_and_line_breaks_kept(app):
    data, errors = post_form(app, BookingForm, {
        "start": "2027-03-04T10:00\x00", "comment": "Иван\x00\x1b[0m\x7f\r\n\tПетров"})
    assert errors == {}
    assert data["start"] == "2027-03-04T10:00"
    assert data["comment"] == "Иван[0m\n\tПетров"


def test_a_text_as_long_as_the_browser_allows_is_accepted(app):
    """The browser counts a line break as one character against maxlength and sends
    it as CRLF; the feedback form once counted two and refused the text."""
    from tutor.forms.lessons import FeedbackForm
    from tutor.services import feedback
    lines = ["x" * 99] * (feedback.MAX_COMMENT // 100)
    text = "\r\n".join(lines) + "\r\n" + "y" * (feedback.MAX_COMMENT % 100)
    assert len(text.replace("\r\n", "\n")) <= feedback.MAX_COMMENT < len(text)
    data, errors = post_form(app, FeedbackForm, {"rating": "5", "comment": text})
    assert errors == {} and data["comment"] == text.replace("\r\n", "\n")


def test_a_required_field_of_control_characters_alone_is_empty(app):
    _, errors = post_form(app, GoalForm, {"name": "\x00\x01\x1b"})
    assert errors == {"name": ["Введите название цели."]}


def test_every_value_of_a_repeated_field_is_cleaned(app):
    with app.test_request_context(method="POST",
                                  data=MultiDict([("name", "a\x00"), ("name", "\x00b")])):
        form = GoalForm(meta={"csrf": False})
        assert form.name.raw_data == ["a", "b"]


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1899-12-31", "2200-01-01"])
def test_dates_beyond_the_calendar_are_refused_in_the_viewers_language(app, day):
    _, errors = post_form(app, DaysOffForm, {"first_day": day, "last_day": day})
    assert errors["first_day"] == ["Неверное значение даты."]


def test_dates_at_the_calendars_edges_are_accepted(app):
    _, errors = post_form(app, DaysOffForm, {"first_day": "1900-01-01",
                                                "last_day": "2199-12-31"})
    assert errors == {}


def test_query_forms_built_from_a_plain_dict_are_cleaned_too(app):
    class Args(dict):  # like reports' _Args
        def getlist(self, key):
            return [self[key]] if key in self else []

    with app.test_request_context():
        form = ReportMonthForm(formdata=Args({"month": "2027-02\x00"}))
        assert form.validate()
        assert form.month.data == "2027-02"
