"""Forms of a person's own account: signing in and up, the password, the profile,
notifications. The validate_<field> methods call the account services so every rule
lives once."""
import json
from datetime import time

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TimeField,
)
from wtforms.validators import (
    EqualTo,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)

from tutor.forms.base import FlaskForm, optional_int, person_name, shows_saved
from tutor.forms.fields import ZoneField, teachers_zone_choice, zone_aliases
from tutor.integrations import email_verifier
from tutor.models import Goal, User
from tutor.services import (
    accounts,
    channels,
    email_addresses,
    reminders,
)
from tutor.services.password_strength import MAX_LENGTH as PASSWORD_MAX


def goal_choices(current=None):
    goals = list(Goal.offered())
    if current is not None and current.id not in {g.id for g in goals}:
        goals.append(current)  # a retired goal the student still has
    return [SelectChoice("", _l("Not chosen"))] + [SelectChoice(g.id, g.name) for g in goals]


CHANNEL_LABELS = {
    User.EMAIL: _l("E-mail"),
    User.TELEGRAM: _l("Telegram"),
    User.NO_CHANNEL: _l("Only in the app (the bell icon)"),
}
# A stored channel this site no longer delivers on: shown, not silently switched.
UNCONFIGURED_CHANNEL_LABELS = {
    User.EMAIL: _l("E-mail: not set up on this site, so only in the app for now"),
    User.TELEGRAM: _l("Telegram: not set up on this site, so only in the app for now"),
}


def channel_choices(stored=None):
    """The notification channels a form offers (channels.offered), labelled."""
    return [SelectChoice(channel, CHANNEL_LABELS[channel]
                         if channel == User.NO_CHANNEL or channels.delivers(channel)
                         else UNCONFIGURED_CHANNEL_LABELS[channel])
            for channel in channels.offered(stored)]


def check_channel(channel, stored=None):
    """A form's channel against what this site delivers (channels.acceptable)."""
    if channel not in User.CHANNELS:
        raise ValidationError(_l("Choose a channel from the list."))
    if not channels.acceptable(channel, stored):
        raise ValidationError(_l("This channel is not set up on this site. Choose another."))


def account_error_message(error):
    """The message for a service's AccountError, in the viewer's language."""
    messages = {
        accounts.InvalidLogin: _l("3 to 32 characters: Latin letters, digits, dot, hyphen or "
                                  "underscore, starting with a letter or digit."),
        accounts.LoginTaken: _l("This login is taken. Please choose another."),
        accounts.EmailTaken: _l("An account with this e-mail already exists. Forgot your "
                                "password? You can recover it from the login page."),
        email_addresses.EmailMalformed: _l("This does not look like an e-mail address."),
        accounts.WrongCurrentPassword: _l("The current password is not right."),
    }
    if isinstance(error, accounts.WeakPassword):
        return _("This password is too easy to guess. %(advice)s", advice=error.strength.advice)
    if isinstance(error, email_addresses.EmailRejected):
        # Our own words for the verifier's reason: its message is English only.
        refusals = {
            email_verifier.DISPOSABLE: _l("Addresses of disposable mailboxes are not "
                                          "accepted. Please give your usual e-mail."),
            email_verifier.SYNTAX: _l("This does not look like an e-mail address."),
            email_verifier.NO_MAIL: _l("This address cannot receive mail: the mailbox or "
                                       "its domain does not exist. Please check it."),
        }
        return str(refusals.get(error.kind,
                                _l("This address cannot receive mail. Please check it.")))
    return str(messages[type(error)])


class LoginForm(FlaskForm):
    login = StringField(_l("Login"),
                        validators=[InputRequired(_l("Enter your login.")), Length(max=254)],
                        render_kw={"autocomplete": "username", "autofocus": True})
    password = PasswordField(_l("Password"),
                             validators=[InputRequired(_l("Enter your password.")),
                                         Length(max=1024)],
                             render_kw={"autocomplete": "current-password"})
    remember = BooleanField(_l("Remember me on this device"))
    next = HiddenField()


class LanguageForm(FlaskForm):
    next = HiddenField()


class _PasswordRules:
    """validate_password for forms that set a new password."""

    def personal_words(self):
        return []

    def validate_password(self, field):
        try:
            accounts.check_password(field.data, self.personal_words())
        except accounts.WeakPassword as error:
            raise ValidationError(account_error_message(error))


def own_name_fields():
    """A person's own first name, last name and login, as registration and the profile
    ask for them (made afresh for each form, so each keeps its own order)."""
    return (
        StringField(_l("First name"), validators=[
            InputRequired(_l("Enter your first name.")), Length(max=100), person_name],
            render_kw={"autocomplete": "given-name"}),
        StringField(_l("Last name"), validators=[
            InputRequired(_l("Enter your last name.")), Length(max=100), person_name],
            render_kw={"autocomplete": "family-name"}),
        StringField(_l("Login"), validators=[InputRequired(_l("Choose a login.")),
                                             Length(max=64)],
                    render_kw={"autocomplete": "username", "autocapitalize": "none",
                               "spellcheck": "false"}),
    )


class RegistrationForm(_PasswordRules, FlaskForm):
    first_name, last_name, login = own_name_fields()
    password = PasswordField(_l("Password"), validators=[
        InputRequired(_l("Choose a password.")),
        Length(max=PASSWORD_MAX, message=_l("At most %(max)d characters.", max=PASSWORD_MAX))],
        render_kw={"autocomplete": "new-password"})
    channel = RadioField(_l("Send me notifications by"), validate_choice=False)
    email = StringField(_l("E-mail address"), validators=[Length(max=254)],
                        render_kw={"type": "email", "autocomplete": "email",
                                   "inputmode": "email"})
    digest_time = TimeField(_l("Daily summary of my lessons at"), default=time(8, 0),
                            validators=[Optional()])
    goal = SelectField(_l("Learning goal"), coerce=optional_int, validate_choice=False)
    timezone = ZoneField(_l("Time zone"))
    # Posted by pages from before "in the app only" became one of the channels.
    opt_out = BooleanField(_l("Only in the app"))

    def __init__(self, *args, default_timezone="Europe/Moscow", **kwargs):
        super().__init__(*args, **kwargs)
        self.channel.choices = channel_choices()
        if not self.is_submitted():
            self.channel.data = self.channel.choices[0].value
        self.goal.choices = goal_choices()
        if not self.timezone.data:
            self.timezone.data = default_timezone
        # For tutor.js, which suggests the browser's zone under the name offered.
        self.timezone.render_kw = {"data-zone-aliases": json.dumps(
            {old: new for old, new in zone_aliases().items() if old != new})}

    @property
    def chosen_channel(self):
        return User.NO_CHANNEL if self.opt_out.data else self.channel.data

    def personal_words(self):
        return [self.login.data, self.first_name.data, self.last_name.data, self.email.data]

    def validate_login(self, field):
        try:
            field.data = accounts.check_login(field.data)
        except accounts.AccountError as error:
            raise ValidationError(account_error_message(error))

    def validate_channel(self, field):
        check_channel(self.chosen_channel)

    def validate_email(self, field):
        if self.chosen_channel != User.EMAIL or not channels.email_delivers():
            return
        if not (field.data or "").strip():
            raise ValidationError(_l("Enter your e-mail, or choose another channel."))
        try:
            field.data = email_addresses.check_email_address(field.data)
            accounts.check_email_free(field.data)
        except accounts.AccountError as error:
            raise ValidationError(account_error_message(error))

    def validate_goal(self, field):
        if field.data is not None and accounts.offered_goal(field.data) is None:
            raise ValidationError(_l("Choose a goal from the list."))

    def registration(self, locale):
        return accounts.Registration(
            first_name=self.first_name.data, last_name=self.last_name.data,
            login=self.login.data, password=self.password.data,
            channel=self.chosen_channel, email=self.email.data or None,
            digest_time=self.digest_time.data, goal_id=self.goal.data,
            timezone=self.timezone.data, locale=locale)


class ForgotPasswordForm(FlaskForm):
    identifier = StringField(_l("Login, e-mail or Telegram username"),
                             validators=[InputRequired(_l("Enter your login, e-mail or "
                                                          "Telegram username.")),
                                         Length(max=254)],
                             render_kw={"autocomplete": "username", "autofocus": True})


class ResetPasswordForm(_PasswordRules, FlaskForm):
    password = PasswordField(_l("New password"), validators=[
        InputRequired(_l("Choose a password.")),
        Length(max=PASSWORD_MAX, message=_l("At most %(max)d characters.", max=PASSWORD_MAX))],
        render_kw={"autocomplete": "new-password", "autofocus": True})
    confirm = PasswordField(_l("New password again"), validators=[
        InputRequired(_l("Repeat the password.")),
        EqualTo("password", _l("The two passwords differ."))],
        render_kw={"autocomplete": "new-password"})

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def personal_words(self):
        user = self.user
        return [user.login, user.first_name, user.last_name, user.email] if user else []


class ProfileForm(FlaskForm):
    first_name, last_name, login = own_name_fields()
    goal = SelectField(_l("Learning goal"), coerce=optional_int, validate_choice=False)
    timezone = ZoneField(_l("Time zone"), empty_label="")
    locale = SelectField(_l("Language"), choices=[SelectChoice("ru", "Русский"),
                                                  SelectChoice("en", "English")])

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, obj=user, **kwargs)
        self.user = user
        self.goal.choices = goal_choices(current=user.goal)
        self.timezone.empty_label = teachers_zone_choice()
        if shows_saved(self, kwargs):
            self.goal.data = user.goal_id
            # No language chosen yet: the one the page is in, not the list's first.
            self.locale.data = user.locale or str(get_locale())

    def validate_login(self, field):
        try:
            field.data = accounts.check_login(field.data, user=self.user)
        except accounts.AccountError as error:
            raise ValidationError(account_error_message(error))

    def validate_goal(self, field):
        if field.data not in (None, self.user.goal_id) and accounts.offered_goal(field.data) is None:
            raise ValidationError(_l("Choose a goal from the list."))


class ChangePasswordForm(_PasswordRules, FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[
        InputRequired(_l("Enter your current password."))],
        render_kw={"autocomplete": "current-password"})
    password = PasswordField(_l("New password"), validators=[
        InputRequired(_l("Choose a password.")),
        Length(max=PASSWORD_MAX, message=_l("At most %(max)d characters.", max=PASSWORD_MAX))],
        render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("New password again"), validators=[
        InputRequired(_l("Repeat the password.")),
        EqualTo("password", _l("The two passwords differ."))],
        render_kw={"autocomplete": "new-password"})

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if not accounts.knows_password(user):  # registered with Yandex ID: none to type
            del self.current_password

    @property
    def current(self):
        return self.current_password.data if "current_password" in self else None

    def personal_words(self):
        return [self.user.login, self.user.first_name, self.user.last_name, self.user.email]


class DeleteAccountForm(FlaskForm):
    """Deleting one's own account: the password, typed again, confirms it."""

    password = PasswordField(_l("Your password"), validators=[
        InputRequired(_l("Enter your password to confirm."))],
        render_kw={"autocomplete": "current-password"})


class NotificationsForm(FlaskForm):
    channel = RadioField(_l("Send me notifications by"), validate_choice=False)
    email = StringField(_l("E-mail address"), validators=[Length(max=254)],
                        render_kw={"type": "email", "autocomplete": "email",
                                   "inputmode": "email"})
    digest_time = TimeField(_l("Daily summary of my lessons at"), validators=[Optional()])
    # Optional: a form posted without it (an older page) leaves the choice as it was.
    reminder_hours = SelectField(_l("Reminder before each lesson"), coerce=int,
                                 validators=[Optional()], choices=[
        SelectChoice(0, _l("No reminders")),
        *[SelectChoice(hours, _l("%(num)d h before", num=hours))
          for hours in reminders.CHOICES if hours]])

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, obj=user, **kwargs)
        self.user = user
        self.channel.choices = channel_choices(user.channel)
        if shows_saved(self, kwargs):
            self.reminder_hours.data = reminders.hours_for(user)

    def validate_channel(self, field):
        check_channel(field.data, self.user.channel)

    def validate_email(self, field):
        if self.channel.data != User.EMAIL:
            return
        if not (field.data or "").strip():
            raise ValidationError(_l("Enter your e-mail, or choose another channel."))
        if field.data.strip().lower() == (self.user.email or ""):
            # Unchanged (a digest time or reminder saved): it was verified when given.
            field.data = self.user.email
            return
        try:
            field.data = email_addresses.check_email_address(field.data)
            accounts.check_email_free(field.data, user=self.user)
        except accounts.AccountError as error:
            raise ValidationError(account_error_message(error))
