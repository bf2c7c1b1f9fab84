"""The teacher's hours, days off and booking settings."""
from datetime import time

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    HiddenField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TimeField,
)
from wtforms.validators import (
    InputRequired,
    Length,
    Optional,
    ValidationError,
)

from tutor.forms.base import FlaskForm, whole_number
from tutor.forms.fields import MoneyField, ZoneField
from tutor.services import hours, schedule
from tutor.services.schedule import SETTING_LIMITS

WEEKDAYS = hours.WEEKDAYS

# The words for each of schedule.SLOT_STEP_CHOICES.
SLOT_STEP_LABELS = {
    60: _l("on the hour (16:00, 17:00)"),
    30: _l("every 30 minutes (16:00, 16:30)"),
    15: _l("every 15 minutes (16:00, 16:15)"),
    0: _l("right after the previous lesson and the break"),
}


class ScheduleSettingsForm(FlaskForm):
    lesson_length_minutes = whole_number(_l("Lesson length, minutes"),
                                   *SETTING_LIMITS["lesson_length_minutes"])
    buffer_minutes = whole_number(_l("Break between lessons, minutes"),
                            *SETTING_LIMITS["buffer_minutes"])
    min_notice_hours = whole_number(_l("Book at least this many hours ahead"),
                              *SETTING_LIMITS["min_notice_hours"])
    horizon_days = whole_number(_l("Book at most this many days ahead"),
                          *SETTING_LIMITS["horizon_days"])
    cancellation_notice_hours = whole_number(
        _l("Students cancel a confirmed lesson up to this many hours before"),
        *SETTING_LIMITS["cancellation_notice_hours"])
    default_price = MoneyField(_l("Usual price, ₽"), high=schedule.MAX_PRICE, validators=[
        InputRequired(_l("Enter the price (0 for a free lesson)."))])
    timezone = ZoneField(_l("Time zone"))
    max_pending_lessons = whole_number(_l("Requests one student may have awaiting your answer"),
                                 *SETTING_LIMITS["max_pending_lessons"])
    max_pending_series = whole_number(
        _l("Weekly bookings one student may have awaiting your answer (0: none)"),
        *SETTING_LIMITS["max_pending_series"])



class SlotStepForm(FlaskForm):
    """When lessons start within the weekly hours: set beside them (views/hours.py)."""

    slot_step_minutes = SelectField(_l("Lessons start"), coerce=int, choices=[
        SelectChoice(minutes, SLOT_STEP_LABELS[minutes])
        for minutes in schedule.SLOT_STEP_CHOICES])


class WindowForm(FlaskForm):
    weekday = SelectField(_l("Day"), coerce=int, choices=[
        SelectChoice(number, name) for number, name in enumerate(WEEKDAYS)])
    start = TimeField(_l("From"), validators=[InputRequired(_l("Enter the time."))])
    end = TimeField(_l("To"), validators=[InputRequired(_l("Enter the time."))])

    def validate_end(self, field):
        if self.start.data and field.data and field.data <= self.start.data:
            raise ValidationError(_l("The end must come after the start."))


class ChangeWindowForm(FlaskForm):
    """New times for one window of the weekly grid (its day and start are in the
    address)."""

    start = TimeField(_l("From"), validators=[InputRequired(_l("Enter the time."))])
    end = TimeField(_l("To"), validators=[InputRequired(_l("Enter the time."))])
    validate_end = WindowForm.validate_end


class CopyDayForm(FlaskForm):
    weekday = SelectField(coerce=int, choices=[SelectChoice(n, str(n)) for n in range(7)])
    days = SelectMultipleField(_l("Copy to"), coerce=int, choices=[
        SelectChoice(number, name) for number, name in enumerate(WEEKDAYS)])


class PresetForm(FlaskForm):
    preset = SelectField(choices=[
        SelectChoice(name, label) for name, (*_rest, label) in hours.PRESETS.items()])


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

