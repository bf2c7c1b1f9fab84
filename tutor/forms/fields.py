"""Fields that read what people type the way they write it: a time zone by its
name in the reader's language, a sum of money in roubles."""
import zoneinfo
from decimal import Decimal
from functools import lru_cache

from babel.dates import get_timezone_location
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    SelectField,
    StringField,
)
from wtforms.fields.choices import Choice
from wtforms.validators import (
    StopValidation,
    ValidationError,
)

from tutor.formatting import money as format_money
from tutor.formatting import zone_label
from tutor.models import TeacherSettings, User
from tutor.services import accounts, money


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

