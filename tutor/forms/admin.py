"""The teacher's administration: the student list and its mass actions, goals,
broadcasts, the lesson list and the monthly report."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    InputRequired,
    Length,
    Optional,
    ValidationError,
)

from tutor.forms.accounts import (
    account_error_message,
    channel_choices,
    check_channel,
    goal_choices,
)
from tutor.forms.base import (
    FlaskForm,
    QueryForm,
    optional_int,
    person_name,
    shows_saved,
)
from tutor.forms.fields import ZoneField, teachers_zone_choice
from tutor.forms.lessons import ReasonForm
from tutor.models import User
from tutor.services import accounts, email_addresses, lesson_list, students


def _student_filter(search, status):
    if status not in students.STATUSES:
        status = students.EVERYONE
    return students.StudentFilter(search=(search or "")[:100], status=status)



class StudentSearchForm(QueryForm):
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
            return students.Selection(ids=None, filter=search)
        return students.Selection(ids=tuple(self.ids.data or ()), filter=search)


class StudentForm(FlaskForm):
    """Everything the teacher may change about a student."""

    first_name = StringField(_l("First name"), validators=[
        InputRequired(_l("Enter the first name.")), Length(max=100), person_name])
    last_name = StringField(_l("Last name"), validators=[Length(max=100), person_name])
    login = StringField(_l("Login"), validators=[InputRequired(_l("Choose a login.")),
                                                 Length(max=64)],
                        render_kw={"autocapitalize": "none", "spellcheck": "false"})
    email = StringField(_l("E-mail address"), validators=[Length(max=254)],
                        render_kw={"type": "email", "inputmode": "email"})
    channel = RadioField(_l("Notifications go by"), validate_choice=False)
    goal = SelectField(_l("Learning goal"), coerce=optional_int, validate_choice=False)
    timezone = ZoneField(_l("Time zone"), empty_label="")

    def __init__(self, *args, student, **kwargs):
        super().__init__(*args, obj=student, **kwargs)
        self.student = student
        self.channel.choices = channel_choices(student.channel)
        self.goal.choices = goal_choices(current=student.goal)
        self.timezone.empty_label = teachers_zone_choice()
        if shows_saved(self, kwargs):
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
            field.data = email_addresses.check_email_address(value)
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


class LessonFilterForm(QueryForm):
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
        return lesson_list.LessonFilter(
            first_day=self.first_day.data if valid or not self.first_day.errors else None,
            last_day=self.last_day.data if valid or not self.last_day.errors else None,
            status=(self.status.data if self.status.data in ("pending", "confirmed", "unmarked")
                    else ""),
            student=(self.student.data or "")[:100], zone=zone)


class LessonActionForm(ReasonForm):
    """Reject or cancel from the lesson list: the reason, and the list to go back to."""

    next = HiddenField()


class ReportMonthForm(QueryForm):
    """The month a report covers, YYYY-MM (a month picker where the browser has one)."""

    month = StringField(_l("Month"), validators=[InputRequired(_l("Choose a month."))],
                        render_kw={"type": "month", "pattern": "[0-9]{4}-[0-9]{2}",
                                   "placeholder": "YYYY-MM", "required": True})

    def validate_month(self, field):
        from tutor.services.reports import figures  # loaded by reports alone
        try:
            field.month = figures.parse_month(field.data)
        except figures.InvalidMonth:
            raise ValidationError(_("Enter a month as YYYY-MM, e.g. 2026-10.")) from None


