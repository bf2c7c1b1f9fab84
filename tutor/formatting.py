"""Jinja filters for dates and times. Datetimes reaching templates are already in the
viewer's zone (aware), so these only format, never convert."""
from flask_babel import format_date, format_decimal


def hhmm(moment):
    return moment.strftime("%H:%M")


def day_label(day):
    """"пн, 23 нояб." / "Mon, 23 Nov"."""
    return format_date(day, "EEE, d MMM")


def weekday_short(day):
    return format_date(day, "EEEEEE")


def long_day(day):
    return format_date(day, "EEEE, d MMMM y")


def month_label(day):
    return format_date(day, "LLLL y")


def money(value):
    return format_decimal(value or 0, format="#,##0.##")


def register(app):
    for name, function in [("hhmm", hhmm), ("day_label", day_label), ("long_day", long_day),
                           ("weekday_short", weekday_short),
                           ("month_label", month_label), ("money", money)]:
        app.add_template_filter(function, name)
