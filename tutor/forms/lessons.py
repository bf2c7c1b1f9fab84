"""Booking, confirming and cancelling lessons and weekly series; attendance,
payments and feedback."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import (
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import HiddenInput

from tutor.forms.base import FlaskForm, optional_int, person_name
from tutor.forms.fields import MoneyField
from tutor.models import Lesson, User
from tutor.services import (
    balances,
    booking,
    bounds,
    feedback,
    schedule,
    series,
)


def price_field(label=_l("Price, ₽")):
    """The teacher's price of a lesson, up to what the price columns hold."""
    return MoneyField(label, high=schedule.MAX_PRICE, validators=[
        InputRequired(_l("Enter the price (0 for a free lesson)."))])


def people_field():
    return IntegerField(_l("Number of people"), default=1, validators=[
        InputRequired(_l("Enter the number of people.")),
        NumberRange(min=1, max=booking.MAX_PEOPLE, message=_l("From %(min)s to %(max)s."))])


def comment_field(rows):
    """The teacher's comment on a lesson (the terms' fields are made afresh for each
    form, in the order the form lists them)."""
    return TextAreaField(_l("Comment"), validators=[Length(max=booking.MAX_COMMENT)],
                         render_kw={"rows": rows})


class BookingForm(FlaskForm):
    start = HiddenField(validators=[InputRequired()])
    comment = TextAreaField(_l("Comment for the teacher (optional)"), validators=[
        Length(max=booking.MAX_COMMENT,
               message=_l("At most %(max)d characters.", max=booking.MAX_COMMENT))],
        render_kw={"rows": 3})

    def start_utc(self):
        return bounds.parse_moment(self.start.data)


class ConfirmLessonForm(FlaskForm):
    price = price_field()
    people = people_field()
    comment = comment_field(rows=3)
    day = DateField(_l("Date"), validators=[InputRequired(_l("Enter the date."))])
    time = TimeField(_l("Start time"), validators=[InputRequired(_l("Enter the time."))])


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[Length(max=booking.MAX_REASON)],
                           render_kw={"rows": 2})



class NewLessonForm(FlaskForm):
    student = SelectField(_l("Student"), coerce=optional_int, validate_choice=False)
    first_name = StringField(_l("First name of a new student"), validators=[
        Length(max=booking.MAX_NAME), person_name])
    last_name = StringField(_l("Last name of a new student"), validators=[
        Length(max=booking.MAX_NAME), person_name])
    day = DateField(_l("Date"), validators=[InputRequired(_l("Enter the date."))])
    time = TimeField(_l("Start time"), validators=[InputRequired(_l("Enter the time."))])
    minutes = IntegerField(_l("Length, minutes"), default=60, validators=[
        InputRequired(_l("Enter a whole number.")),
        NumberRange(min=10, max=720, message=_l("From %(min)s to %(max)s."))])
    price = price_field()
    people = people_field()
    comment = comment_field(rows=2)

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


class PastLessonForm(NewLessonForm):
    """A lesson that already took place, entered afterwards with its attendance mark
    (services/placing.py)."""

    attendance = SelectField(_l("Attendance"), default=Lesson.ATTENDED, choices=[
        SelectChoice(value, label) for value, label in ATTENDANCE_CHOICES])


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
    price = price_field(_l("Price of each lesson, ₽"))
    people = people_field()
    comment = comment_field(rows=3)


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
