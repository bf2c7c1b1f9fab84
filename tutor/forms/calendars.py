"""The teacher's other calendars: the iCal address they paste."""
from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import InputRequired, Length

from tutor.forms.base import FlaskForm
from tutor.services import busy_import


class CalendarAddressForm(FlaskForm):
    url = StringField(_l("Calendar address (iCal)"),
                      validators=[InputRequired(_l("Paste the calendar's address.")),
                                  Length(max=busy_import.MAX_URL,
                                         message=_l("This address is too long."))])
