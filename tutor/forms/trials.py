"""A visitor's request for a trial lesson."""
from flask_babel import lazy_gettext as _l
from wtforms import StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from tutor.forms.base import FlaskForm
from tutor.services import trials


class TrialRequestForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[
        InputRequired(_l("Tell us your name.")), Length(max=trials.MAX_NAME)],
        render_kw={"autocomplete": "name"})
    contact = StringField(_l("How to reach you: e-mail, phone or Telegram"), validators=[
        InputRequired(_l("Tell us how to reach you.")), Length(max=trials.MAX_CONTACT)])
    goal = TextAreaField(_l("What would you like to learn? (optional)"),
                         validators=[Length(max=trials.MAX_TEXT)])
    preferred_times = TextAreaField(_l("Which days and times suit you? (optional)"),
                                    validators=[Length(max=trials.MAX_TEXT)])
    # A honeypot: hidden from people (and from screen readers), filled in by bots.
    website = StringField(_l("Leave this field empty"),
                          render_kw={"autocomplete": "off", "tabindex": "-1"})

    @property
    def is_spam(self):
        return bool((self.website.data or "").strip())
