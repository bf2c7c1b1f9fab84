"""The base every form builds on: what is posted is cleaned before any field
reads it, dates and numbers stay within tutor.services.bounds; small validators
the forms share."""
import re
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm as _FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import (
    DateField,
    IntegerField,
)
from wtforms.validators import (
    InputRequired,
    NumberRange,
    StopValidation,
    ValidationError,
)

from tutor.models import CONTROL_CHARACTERS
from tutor.services import bounds

NAME = re.compile(r"^[^\W\d_]+(?:[ '’-][^\W\d_]+)*$")


def _cleaned(value):
    """Without control characters, and with every line break one "\n": a browser sends
    CRLF but counts it as one character against maxlength, so a length counted on
    what it sent would refuse a text the browser let through."""
    if not isinstance(value, str):
        return value
    return CONTROL_CHARACTERS.sub("", value).replace("\r\n", "\n").replace("\r", "\n")


def _within_calendar(form, field):
    if field.data is not None and not bounds.within_calendar(field.data):
        raise ValidationError(field.gettext("Not a valid date value."))


def _within_numbers(form, field):
    """Numbers the database can hold and other validators can compare, checked before
    them: NumberRange on a signalling NaN ("sNaN") raises, and an id of 31 digits
    overflows SQLite's integer and PostgreSQL's."""
    for value in field.data if isinstance(field.data, (list, tuple)) else [field.data]:
        if isinstance(value, Decimal) and not bounds.is_amount(value, -bounds.MAX_AMOUNT):
            raise StopValidation(field.gettext("Not a valid decimal value."))
        if (isinstance(value, int) and not isinstance(value, bool)
                and abs(value) > bounds.MAX_ID):
            raise StopValidation(field.gettext("Not a valid integer value."))


class FlaskForm(_FlaskForm):
    """The base of every form: control characters are taken out of everything posted
    and line breaks made "\n" before any field reads it (so a required field of NUL
    alone is empty, and Length counts as the browser's maxlength does), every date and
    every number must lie within tutor.services.bounds."""

    class Meta(_FlaskForm.Meta):
        def wrap_formdata(self, form, formdata):
            formdata = super().wrap_formdata(form, formdata)
            if formdata is None:
                return None
            return MultiDict([(key, _cleaned(value))
                              for key in formdata for value in formdata.getlist(key)])

        def bind_field(self, form, unbound_field, options):
            field = super().bind_field(form, unbound_field, options)
            if isinstance(field, DateField):
                field.validators = [*field.validators, _within_calendar]
            field.validators = [_within_numbers, *field.validators]
            return field


def shows_saved(form, kwargs):
    """True when `form` shows the saved object rather than what was posted: a page,
    or a page re-rendered around another section's POST (formdata=None)."""
    return kwargs.get("formdata", True) is None or not form.is_submitted()


def optional_int(value):
    return int(value) if value not in (None, "", "None") else None


def person_name(form, field):
    field.data = " ".join((field.data or "").split())
    if field.data and not NAME.match(field.data):
        raise ValidationError(_l("Use letters only (a hyphen or an apostrophe between them is fine)."))



class EmptyForm(FlaskForm):
    """For button-only POSTs: carries the CSRF token and nothing else."""


class QueryForm(FlaskForm):
    """Filters read from the query string of a GET: nothing to protect from CSRF."""

    class Meta:
        csrf = False


def whole_number(label, low, high):
    return IntegerField(label, validators=[
        InputRequired(_l("Enter a whole number.")),
        NumberRange(min=low, max=high, message=_l("From %(min)s to %(max)s."))])

