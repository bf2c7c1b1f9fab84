"""The start page: the teacher's calendar, a week at a time or a month overview."""
from datetime import datetime

from flask import Blueprint, render_template, request
from flask_login import current_user

from tutor.htmx import render
from tutor.models import User, utcnow
from tutor.services import calendar

bp = Blueprint("calendar", __name__)


class NoTeacher(Exception):
    """The database has no teacher yet (`flask db upgrade` creates one)."""


def the_teacher():
    teacher = User.teachers().first()
    if teacher is None:
        raise NoTeacher()
    return teacher


@bp.app_errorhandler(NoTeacher)
def no_teacher(error):
    return render_template("calendar/not_ready.html"), 503


def viewer():
    return current_user if current_user.is_authenticated else None


def _date_arg(name, fmt):
    value = request.args.get(name, "")
    try:
        return datetime.strptime(value, fmt).date() if value else None
    except ValueError:
        return None


@bp.get("/")
def week():
    week = calendar.build_week(the_teacher(), viewer(), _date_arg("week", "%Y-%m-%d"),
                               utcnow())
    return render("calendar/week.html", "calendar/partials/_week.html", week=week)


@bp.get("/month")
def month():
    month = calendar.build_month(the_teacher(), viewer(), _date_arg("month", "%Y-%m"),
                                 utcnow())
    return render("calendar/month.html", "calendar/partials/_month.html", month=month)
