"""Forms. Labels and messages are lazy so they follow the viewer's language; the
validate_<field> methods call the account services so every rule lives once."""
import json
import re
import zoneinfo
from datetime import time
from decimal import Decimal
from functools import lru_cache

from babel.dates import get_timezone_location
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm as _FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import Choice
from wtforms.validators import (
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
    ValidationError,
)
from wtforms.widgets import HiddenInput

from tutor.formatting import money as format_money
from tutor.formatting import zone_label
from tutor.integrations import email_verifier
from tutor.models import CONTROL_CHARACTERS, Goal, TeacherSettings, User
from tutor.services import accounts, balances, bounds, booking, channels, feedback, money
from tutor.services import reminders
from tutor.services import schedule, series
from tutor.services.password_strength import MAX_LENGTH as PASSWORD_MAX
from tutor.services.schedule import SETTING_LIMITS

NAME = re.compile(r"^[^\W\d_]+(?:[ '’-][^\W\d_]+)*$")


def _without_control_characters(value):
    return CONTROL_CHARACTERS.sub("", value) if isinstance(value, str) else value


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
    """The base of every form below: control characters are taken out of everything
    posted before any field reads it (so a required field of NUL alone is empty), every
    date and every number must lie within tutor.services.bounds."""

    class Meta(_FlaskForm.Meta):
        def wrap_formdata(self, form, formdata):
            formdata = super().wrap_formdata(form, formdata)
            if formdata is None:
                return None
            return MultiDict([(key, _without_control_characters(value))
                              for key in formdata for value in formdata.getlist(key)])

        def bind_field(self, form, unbound_field, options):
            field = super().bind_field(form, unbound_field, options)
            if isinstance(field, DateField):
                field.validators = [*field.validators, _within_calendar]
            field.validators = [_within_numbers, *field.validators]
            return field


def _shows_saved(form, kwargs):
    """True when `form` shows the saved object rather than what was posted: a page,
    or a page re-rendered around another section's POST (formdata=None)."""
    return kwargs.get("formdata", True) is None or not form.is_submitted()


def _optional_int(value):
    return int(value) if value not in (None, "", "None") else None


def _person_name(form, field):
    field.data = " ".join((field.data or "").split())
    if field.data and not NAME.match(field.data):
        raise ValidationError(_l("Use letters only (a hyphen or an apostrophe between them is fine)."))


@lru_cache(maxsize=1)
def zone_aliases():
    """Each zone name tzdata keeps for a place mapped to the one the lists offer: of
    Europe/Kiev and Europe/Kyiv, Asia/Calcutta and Asia/Kolkata, the one named like
    the city. (Browsers still report some old names.)"""
    by_place = {}
    for zone in sorted(zoneinfo.available_timezones()):
        if "/" in zone and not zone.startswith(("Etc/", "SystemV/")):
            by_place.setdefault(get_timezone_location(zone, "en", return_city=True),
                                []).append(zone)
    aliases = {}
    for place, zones in by_place.items():
        named = [z for z in zones if z.rsplit("/", 1)[-1].replace("_", " ") == place]
        kept = (named or [z for z in zones if not z.startswith("US/")] or zones)[0]
        aliases.update((zone, kept) for zone in zones)
    return aliases


def offered_zones():
    """One zone per place, the ones a zone select lists."""
    return sorted(set(zone_aliases().values()))


class ZoneField(SelectField):
    """A time zone picked by its name in the reader's language, "Москва (UTC+3)",
    sorted by that name. The saved zone is always among the choices (also one the
    list leaves out, such as UTC), so a page posted as shown keeps it. With
    `empty_label`, "" comes first: no zone of one's own (None), the teacher's."""

    def __init__(self, label=None, validators=None, empty_label=None, **kwargs):
        super().__init__(label, validators, validate_choice=False, **kwargs)
        self.empty_label = empty_label

    def iter_choices(self):
        current = self.data or ""
        zones = set(offered_zones())
        if current and accounts.valid_timezone(current):
            zones.add(current)
        labelled = sorted(((zone_label(zone), zone) for zone in zones),
                          key=lambda pair: pair[0].casefold())
        if self.empty_label is not None:
            labelled.insert(0, (self.empty_label, ""))
        return [Choice(zone, label, zone == current, None) for label, zone in labelled]

    def pre_validate(self, form):
        if self.data == "" and self.empty_label is not None:
            return
        if not accounts.valid_timezone(self.data):
            raise ValidationError(_l("Choose a time zone from the list."))


def teachers_zone_choice():
    """The label of "" in a student's zone select: the teacher's zone, named."""
    teacher = User.first_teacher()
    zone = TeacherSettings.for_teacher(teacher).timezone if teacher else None
    return (_("The teacher's time zone: %(zone)s", zone=zone_label(zone)) if zone
            else _("The teacher's time zone"))


_AMOUNT_ERRORS = {
    money.NOT_A_NUMBER: _l("Enter the amount in digits, for example 1500 or 1500.50."),
    money.AMBIGUOUS: _l("Write the amount without a point or comma between thousands: "
                        "2000.50 or 2 000.50."),
    money.TOO_PRECISE: _l("At most two digits after the decimal point (kopecks)."),
}


class MoneyField(StringField):
    """A sum of money in roubles, typed as people write it (services.money decides
    what is read how) into a text field, never a browser's number field, whose
    decimal sign depends on the browser. `low` to `high` come from the service that
    stores the sum; `positive` excludes `low` itself. data: a Decimal, or None."""

    def __init__(self, label=None, validators=None, *, high, low=Decimal(0), positive=False,
                 **kwargs):
        kwargs["render_kw"] = {"inputmode": "decimal", "autocomplete": "off",
                               **kwargs.get("render_kw", {})}
        super().__init__(label, validators, **kwargs)
        self.low, self.high, self.positive = low, high, positive

    def process_formdata(self, valuelist):
        if valuelist:
            self.data = None
            if valuelist[0].strip():
                try:
                    self.data = money.parse_amount(valuelist[0])
                except money.InvalidAmount as error:
                    raise ValueError(str(_AMOUNT_ERRORS[error.kind])) from None

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return money.input_text(self.data, get_locale())

    def pre_validate(self, form):
        # Before the base form's bounds check, which would call a sum beyond the
        # column's capacity "not a valid decimal value".
        if self.data is None:
            return
        too_low = self.data <= self.low if self.positive else self.data < self.low
        if too_low or self.data > self.high:
            limits = {"min": format_money(self.low), "max": format_money(self.high)}
            raise StopValidation(_("More than %(min)s and at most %(max)s ₽.", **limits)
                                 if self.positive else _("From %(min)s to %(max)s ₽.", **limits))


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
        accounts.EmailMalformed: _l("This does not look like an e-mail address."),
        accounts.WrongCurrentPassword: _l("The current password is not right."),
    }
    if isinstance(error, accounts.WeakPassword):
        return _("This password is too easy to guess. %(advice)s", advice=error.strength.advice)
    if isinstance(error, accounts.EmailRejected):
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


class EmptyForm(FlaskForm):
    """For button-only POSTs: carries the CSRF token and nothing else."""


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


class RegistrationForm(_PasswordRules, FlaskForm):
    first_name = StringField(_l("First name"), validators=[
        InputRequired(_l("Enter your first name.")), Length(max=100), _person_name],
        render_kw={"autocomplete": "given-name"})
    last_name = StringField(_l("Last name"), validators=[
        InputRequired(_l("Enter your last name.")), Length(max=100), _person_name],
        render_kw={"autocomplete": "family-name"})
    login = StringField(_l("Login"), validators=[InputRequired(_l("Choose a login.")),
                                                 Length(max=64)],
                        render_kw={"autocomplete": "username", "autocapitalize": "none",
                                   "spellcheck": "false"})
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
    goal = SelectField(_l("Learning goal"), coerce=_optional_int, validate_choice=False)
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
            field.data = accounts.check_email_address(field.data)
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
    first_name = StringField(_l("First name"), validators=[
        InputRequired(_l("Enter your first name.")), Length(max=100), _person_name],
        render_kw={"autocomplete": "given-name"})
    last_name = StringField(_l("Last name"), validators=[
        InputRequired(_l("Enter your last name.")), Length(max=100), _person_name],
        render_kw={"autocomplete": "family-name"})
    login = StringField(_l("Login"), validators=[InputRequired(_l("Choose a login.")),
                                                 Length(max=64)],
                        render_kw={"autocomplete": "username", "autocapitalize": "none",
                                   "spellcheck": "false"})
    goal = SelectField(_l("Learning goal"), coerce=_optional_int, validate_choice=False)
    timezone = ZoneField(_l("Time zone"), empty_label="")
    locale = SelectField(_l("Language"), choices=[SelectChoice("ru", "Русский"),
                                                  SelectChoice("en", "English")])

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, obj=user, **kwargs)
        self.user = user
        self.goal.choices = goal_choices(current=user.goal)
        self.timezone.empty_label = teachers_zone_choice()
        if _shows_saved(self, kwargs):
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
        if _shows_saved(self, kwargs):
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
            field.data = accounts.check_email_address(field.data)
            accounts.check_email_free(field.data, user=self.user)
        except accounts.AccountError as error:
            raise ValidationError(account_error_message(error))


# --- lessons ------------------------------------------------------------------------

class BookingForm(FlaskForm):
    start = HiddenField(validators=[InputRequired()])
    comment = TextAreaField(_l("Comment for the teacher (optional)"), validators=[
        Length(max=booking.MAX_COMMENT,
               message=_l("At most %(max)d characters.", max=booking.MAX_COMMENT))],
        render_kw={"rows": 3})

    def start_utc(self):
        return bounds.parse_moment(self.start.data)


class ConfirmLessonForm(FlaskForm):
    price = MoneyField(_l("Price, ₽"), high=schedule.MAX_PRICE, validators=[
        InputRequired(_l("Enter the price (0 for a free lesson)."))])
    people = IntegerField(_l("Number of people"), default=1, validators=[
        InputRequired(_l("Enter the number of people.")),
        NumberRange(min=1, max=booking.MAX_PEOPLE,
                    message=_l("From %(min)s to %(max)s."))])
    comment = TextAreaField(_l("Comment"), validators=[Length(max=booking.MAX_COMMENT)],
                            render_kw={"rows": 3})
    day = DateField(_l("Date"), validators=[InputRequired(_l("Enter the date."))])
    time = TimeField(_l("Start time"), validators=[InputRequired(_l("Enter the time."))])


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[Length(max=booking.MAX_REASON)],
                           render_kw={"rows": 2})


# --- the teacher's availability and lessons ------------------------------------------

WEEKDAYS = (_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"),
            _l("Saturday"), _l("Sunday"))


def _whole(label, low, high):
    return IntegerField(label, validators=[
        InputRequired(_l("Enter a whole number.")),
        NumberRange(min=low, max=high, message=_l("From %(min)s to %(max)s."))])


class ScheduleSettingsForm(FlaskForm):
    lesson_length_minutes = _whole(_l("Lesson length, minutes"),
                                   *SETTING_LIMITS["lesson_length_minutes"])
    buffer_minutes = _whole(_l("Break between lessons, minutes"),
                            *SETTING_LIMITS["buffer_minutes"])
    min_notice_hours = _whole(_l("Book at least this many hours ahead"),
                              *SETTING_LIMITS["min_notice_hours"])
    horizon_days = _whole(_l("Book at most this many days ahead"),
                          *SETTING_LIMITS["horizon_days"])
    cancellation_notice_hours = _whole(
        _l("Students cancel a confirmed lesson up to this many hours before"),
        *SETTING_LIMITS["cancellation_notice_hours"])
    default_price = MoneyField(_l("Usual price, ₽"), high=schedule.MAX_PRICE, validators=[
        InputRequired(_l("Enter the price (0 for a free lesson)."))])
    timezone = ZoneField(_l("Time zone"))
    max_pending_lessons = _whole(_l("Requests one student may have awaiting your answer"),
                                 *SETTING_LIMITS["max_pending_lessons"])
    max_pending_series = _whole(
        _l("Weekly bookings one student may have awaiting your answer (0: none)"),
        *SETTING_LIMITS["max_pending_series"])



class WindowForm(FlaskForm):
    weekday = SelectField(_l("Day"), coerce=int, choices=[
        SelectChoice(number, name) for number, name in enumerate(WEEKDAYS)])
    start = TimeField(_l("From"), validators=[InputRequired(_l("Enter the time."))])
    end = TimeField(_l("To"), validators=[InputRequired(_l("Enter the time."))])

    def validate_end(self, field):
        if self.start.data and field.data and field.data <= self.start.data:
            raise ValidationError(_l("The end must come after the start."))


class DaysOffForm(FlaskForm):
    """Unavailable time from one moment to another in the teacher's zone: whole days
    when the times are left empty, or from a time on the first day to a time on the
    last. `seen` carries the ids of the lessons inside that the teacher was shown."""

    first_day = DateField(_l("First day"), validators=[InputRequired(_l("Enter the date."))])
    start_time = TimeField(_l("From (time, optional)"), validators=[Optional()])
    last_day = DateField(_l("Last day"), validators=[InputRequired(_l("Enter the date."))])
    end_time = TimeField(_l("Until (time, optional)"), validators=[Optional()])
    reason = StringField(_l("Note (only you see it)"),
                         validators=[Length(max=schedule.MAX_REASON)])
    seen = HiddenField()

    def validate_last_day(self, field):
        if self.first_day.data and field.data and field.data < self.first_day.data:
            raise ValidationError(_l("The last day must not come before the first."))

    def validate_end_time(self, field):
        if (field.data is not None and self.first_day.data
                and self.first_day.data == self.last_day.data
                and field.data <= (self.start_time.data or time())):
            raise ValidationError(_l("The end must come after the start."))

    def seen_lessons(self):
        return {int(part) for part in (self.seen.data or "").split(",") if part.isdigit()}

    def show_lessons(self, lessons):
        """Carry `lessons`, listed to the teacher, as seen (read by seen_lessons)."""
        self.seen.data = ",".join(str(lesson.id) for lesson in lessons)


class DayOffForm(FlaskForm):
    day = DateField(validators=[InputRequired()])


class NewLessonForm(FlaskForm):
    student = SelectField(_l("Student"), coerce=_optional_int, validate_choice=False)
    first_name = StringField(_l("First name of a new student"), validators=[
        Length(max=booking.MAX_NAME), _person_name])
    last_name = StringField(_l("Last name of a new student"), validators=[
        Length(max=booking.MAX_NAME), _person_name])
    day = DateField(_l("Date"), validators=[InputRequired(_l("Enter the date."))])
    time = TimeField(_l("Start time"), validators=[InputRequired(_l("Enter the time."))])
    minutes = IntegerField(_l("Length, minutes"), default=60, validators=[
        InputRequired(_l("Enter a whole number.")),
        NumberRange(min=10, max=720, message=_l("From %(min)s to %(max)s."))])
    price = MoneyField(_l("Price, ₽"), high=schedule.MAX_PRICE, validators=[
        InputRequired(_l("Enter the price (0 for a free lesson)."))])
    people = IntegerField(_l("Number of people"), default=1, validators=[
        InputRequired(_l("Enter the number of people.")),
        NumberRange(min=1, max=booking.MAX_PEOPLE,
                    message=_l("From %(min)s to %(max)s."))])
    comment = TextAreaField(_l("Comment"), validators=[Length(max=booking.MAX_COMMENT)],
                            render_kw={"rows": 2})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        students = (User.select().where(User.role == User.STUDENT)
                    .order_by(User.last_name, User.first_name, User.login))
        self.student.choices = [SelectChoice("", _l("A new person (enter the names below)"))] + [
            SelectChoice(s.id, f"{s.full_name} ({s.login})" if s.full_name else s.login)
            for s in students]

    def validate_student(self, field):
        if field.data is not None and not User.select().where(
                (User.id == field.data) & (User.role == User.STUDENT)).exists():
            raise ValidationError(_l("Choose a student from the list."))

    def validate_first_name(self, field):
        if self.student.data is None and not field.data:
            raise ValidationError(_l("Choose a student, or enter a new person's first name."))


# --- the teacher's administration ----------------------------------------------------
# (imported here, where this section starts; the section was appended as a whole)
from wtforms import SelectMultipleField  # noqa: E402

from tutor.services import admin as admin_service  # noqa: E402


def _student_filter(search, status):
    if status not in admin_service.STATUSES:
        status = admin_service.EVERYONE
    return admin_service.StudentFilter(search=(search or "")[:100], status=status)


class _QueryForm(FlaskForm):
    """Filters read from the query string of a GET: nothing to protect from CSRF."""

    class Meta:
        csrf = False


class StudentSearchForm(_QueryForm):
    q = StringField(_l("Search"), validators=[Length(max=100)],
                    render_kw={"type": "search", "autocomplete": "off",
                               "placeholder": _l("Name, login or e-mail")})
    status = SelectField(_l("Show"), default="all", validate_choice=False, choices=[
        SelectChoice("all", _l("All students")), SelectChoice("active", _l("Active only")),
        SelectChoice("inactive", _l("Inactive only"))])

    def student_filter(self):
        return _student_filter(self.q.data, self.status.data)


class StudentSelectionForm(FlaskForm):
    """Students picked in the list for a mass action: the ticked rows, or everybody
    matching the list's filter (scope "all")."""

    scope = HiddenField(default="selected")
    ids = SelectMultipleField(coerce=int, validate_choice=False)
    q = HiddenField()
    status = HiddenField()

    def selection(self):
        search = _student_filter(self.q.data, self.status.data)
        if self.scope.data == "all":
            return admin_service.Selection(ids=None, filter=search)
        return admin_service.Selection(ids=tuple(self.ids.data or ()), filter=search)


class StudentForm(FlaskForm):
    """Everything the teacher may change about a student."""

    first_name = StringField(_l("First name"), validators=[
        InputRequired(_l("Enter the first name.")), Length(max=100), _person_name])
    last_name = StringField(_l("Last name"), validators=[Length(max=100), _person_name])
    login = StringField(_l("Login"), validators=[InputRequired(_l("Choose a login.")),
                                                 Length(max=64)],
                        render_kw={"autocapitalize": "none", "spellcheck": "false"})
    email = StringField(_l("E-mail address"), validators=[Length(max=254)],
                        render_kw={"type": "email", "inputmode": "email"})
    channel = RadioField(_l("Notifications go by"), validate_choice=False)
    goal = SelectField(_l("Learning goal"), coerce=_optional_int, validate_choice=False)
    timezone = ZoneField(_l("Time zone"), empty_label="")

    def __init__(self, *args, student, **kwargs):
        super().__init__(*args, obj=student, **kwargs)
        self.student = student
        self.channel.choices = channel_choices(student.channel)
        self.goal.choices = goal_choices(current=student.goal)
        self.timezone.empty_label = teachers_zone_choice()
        if _shows_saved(self, kwargs):
            self.goal.data = student.goal_id

    def validate_login(self, field):
        try:
            field.data = accounts.check_login(field.data, user=self.student)
        except accounts.AccountError as error:
            raise ValidationError(account_error_message(error))

    def validate_channel(self, field):
        check_channel(field.data, self.student.channel)

    def validate_email(self, field):
        value = (field.data or "").strip()
        if not value:
            if self.channel.data == User.EMAIL:
                raise ValidationError(_l("Enter an e-mail address for the e-mail channel."))
            return
        if value.lower() == (self.student.email or ""):
            field.data = self.student.email  # unchanged: no need to ask the verifier again
            return
        try:
            field.data = accounts.check_email_address(value)
            accounts.check_email_free(field.data, user=self.student)
        except accounts.AccountError as error:
            raise ValidationError(account_error_message(error))

    def validate_goal(self, field):
        if (field.data not in (None, self.student.goal_id)
                and accounts.offered_goal(field.data) is None):
            raise ValidationError(_l("Choose a goal from the list."))


class GoalForm(FlaskForm):
    name = StringField(_l("Goal"), validators=[
        InputRequired(_l("Enter the goal's name.")),
        Length(max=200, message=_l("At most %(max)d characters.", max=200))])


class BroadcastForm(FlaskForm):
    subject = StringField(_l("Subject"), validators=[
        InputRequired(_l("Enter a subject.")),
        Length(max=200, message=_l("At most %(max)d characters.", max=200))])
    body = TextAreaField(_l("Message"), validators=[
        InputRequired(_l("Write the message.")),
        Length(max=5000, message=_l("At most %(max)d characters.", max=5000))],
        render_kw={"rows": 8})


class LessonFilterForm(_QueryForm):
    first_day = DateField(_l("From"), validators=[Optional()])
    last_day = DateField(_l("To (inclusive)"), validators=[Optional()])
    status = SelectField(_l("Status"), default="", validate_choice=False, choices=[
        SelectChoice("", _l("Any")), SelectChoice("pending", _l("Awaiting confirmation")),
        SelectChoice("confirmed", _l("Confirmed")),
        SelectChoice("unmarked", _l("Past, attendance not marked"))])
    student = StringField(_l("Student"), validators=[Length(max=100)],
                          render_kw={"type": "search", "autocomplete": "off"})

    def lesson_filter(self, zone):
        valid = self.validate()  # a malformed date counts as no bound
        return admin_service.LessonFilter(
            first_day=self.first_day.data if valid or not self.first_day.errors else None,
            last_day=self.last_day.data if valid or not self.last_day.errors else None,
            status=(self.status.data if self.status.data in ("pending", "confirmed", "unmarked")
                    else ""),
            student=(self.student.data or "")[:100], zone=zone)


class LessonActionForm(ReasonForm):
    """Reject or cancel from the lesson list: the reason, and the list to go back to."""

    next = HiddenField()


class ReportMonthForm(_QueryForm):
    """The month a report covers, YYYY-MM (a month picker where the browser has one)."""

    month = StringField(_l("Month"), validators=[InputRequired(_l("Choose a month."))],
                        render_kw={"type": "month", "pattern": "[0-9]{4}-[0-9]{2}",
                                   "placeholder": "YYYY-MM", "required": True})

    def validate_month(self, field):
        from tutor.services import reports as report_service  # loaded by reports alone
        try:
            field.month = report_service.parse_month(field.data)
        except report_service.InvalidMonth:
            raise ValidationError(_("Enter a month as YYYY-MM, e.g. 2026-10.")) from None


# --- attendance, payments and feedback ------------------------------------------------

ATTENDANCE_CHOICES = (("attended", _l("attended")), ("missed", _l("missed")),
                      ("late_cancel", _l("cancelled late")))


class AttendanceForm(FlaskForm):
    """The teacher's mark on a lesson that has started ("" takes the mark back)."""

    attendance = SelectField(_l("Attendance"), default="", choices=[
        SelectChoice("", _l("not marked")),
        *(SelectChoice(value, label) for value, label in ATTENDANCE_CHOICES)])
    next = HiddenField()

    @property
    def mark(self):
        return self.attendance.data or None


class PaymentForm(FlaskForm):
    amount = MoneyField(_l("Amount, ₽"), high=balances.MAX_AMOUNT, positive=True,
                        validators=[InputRequired(_l("Enter the amount."))])
    paid_on = DateField(_l("Paid on"), validators=[InputRequired(_l("Enter the date."))])
    note = StringField(_l("Note (optional)"), validators=[
        Length(max=200, message=_l("At most %(max)d characters.", max=200))])


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class FeedbackForm(FlaskForm):
    rating = RadioField(_l("Your rating"), coerce=_int_or_none, validate_choice=False,
                        choices=[SelectChoice(n, str(n)) for n in range(1, 6)],
                        validators=[InputRequired(_l("Choose a rating from 1 to 5."))])
    comment = TextAreaField(_l("Comment (only the teacher sees it)"), validators=[
        Length(max=feedback.MAX_COMMENT,
               message=_l("At most %(max)d characters.", max=feedback.MAX_COMMENT))],
        render_kw={"rows": 3})

    def validate_rating(self, field):
        if field.data not in range(1, 6):
            raise ValidationError(_l("Choose a rating from 1 to 5."))


# --- weekly series ----------------------------------------------------------------------

class SeriesBookingForm(BookingForm):
    """A booking repeated every week: until a date or a number of times. `previewed`
    carries the fingerprint of the dates the student was shown; the request is sent
    only when it still matches (otherwise the dates are shown first)."""

    until = DateField(_l("Until (inclusive)"), validators=[Optional()])
    times = IntegerField(_l("Number of lessons"), validators=[
        Optional(), NumberRange(min=2, max=series.MAX_WEEKS,
                                message=_l("From %(min)s to %(max)s."))])
    # Rendered by the preview partial, not with the form's other hidden fields.
    previewed = StringField(widget=HiddenInput())

    def validate_times(self, field):
        if field.data is not None and self.until.data is not None:
            raise ValidationError(_l("Give either the last date or the number of lessons."))

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if self.until.data is None and self.times.data is None and not (
                self.until.errors or self.times.errors):
            self.until.errors = [_l("Give the last date or the number of lessons.")]
            return False
        return valid

    def fingerprint(self):
        return "|".join(str(value or "") for value in (
            self.start.data, self.until.data, self.times.data))


class SeriesConfirmForm(FlaskForm):
    price = MoneyField(_l("Price of each lesson, ₽"), high=schedule.MAX_PRICE, validators=[
        InputRequired(_l("Enter the price (0 for a free lesson)."))])
    people = IntegerField(_l("Number of people"), default=1, validators=[
        InputRequired(_l("Enter the number of people.")),
        NumberRange(min=1, max=booking.MAX_PEOPLE,
                    message=_l("From %(min)s to %(max)s."))])
    comment = TextAreaField(_l("Comment"), validators=[Length(max=booking.MAX_COMMENT)],
                            render_kw={"rows": 3})


class NewLessonsForm(NewLessonForm):
    """The teacher's new lesson, optionally every week until a date or a number of
    times (for a registered student). `previewed` as in SeriesBookingForm."""

    until = DateField(_l("Until (inclusive)"), validators=[Optional()])
    times = IntegerField(_l("Number of lessons"), validators=[
        Optional(), NumberRange(min=2, max=series.MAX_WEEKS,
                                message=_l("From %(min)s to %(max)s."))])
    previewed = StringField(widget=HiddenInput())

    @property
    def weekly(self):
        return self.until.data is not None or self.times.data is not None

    def validate_times(self, field):
        if field.data is not None and self.until.data is not None:
            raise ValidationError(_l("Give either the last date or the number of lessons."))

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if self.weekly and self.student.data is None and not self.student.errors:
            self.student.errors = [_l("Weekly lessons are for a registered student: choose "
                                      "one from the list.")]
            return False
        return valid

    def fingerprint(self):
        return "|".join(str(value if value is not None else "") for value in (
            self.student.data, self.day.data, self.time.data, self.minutes.data,
            self.until.data, self.times.data))


class SeriesCancelForm(ReasonForm):
    """Cancel the lessons of a series from a date on."""

    first_day = DateField(_l("From (inclusive)"), validators=[
        InputRequired(_l("Enter the date."))])
