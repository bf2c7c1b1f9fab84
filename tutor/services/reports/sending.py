"""Delivering the monthly report to the teacher: kept in their inbox with both files
and sent on their channel, once per month."""
from datetime import timezone

from tutor.models import Lesson, Message, User, utcnow
from tutor.services import accounts, notify, recipients, zones
from tutor.services.reports.figures import month_key, previous_month
from tutor.services.reports.files import monthly_files


def monthly_message_key(month):
    return f"report:{month_key(month)}"


def send_monthly_report(month, now=None):
    """Keep the report on `month` in the teacher's inbox, both files stored with it,
    and send it on the teacher's channel (held until there is one). Once per month: a
    second call returns the message already written (the outbox key)."""
    teacher = accounts.the_teacher()
    key = monthly_message_key(month)
    existing = Message.get_or_none(Message.idempotency_key == key)
    if existing is not None:
        return existing
    files = monthly_files(teacher, month, now)
    report = files.figures
    return notify.enqueue(teacher, "monthly_report", {
        "month": month, "report": report,
        "cost": recipients.local_amount(teacher, report.totals.cost),
        "hours": recipients.local_amount(teacher, report.totals.hours),
    }, key=key, attachments=files.attachments())


def send_previous_month(now=None):
    """The monthly job's body (tutor/jobs.py; the job framework decides when it is
    due, from the 1st in the teacher's zone): the report on the month before the one
    `now` (aware UTC, or naive UTC) falls in there. Returns what it counted."""
    now = now or utcnow()
    if now.tzinfo is not None:
        now = now.astimezone(timezone.utc).replace(tzinfo=None)
    teacher = User.first_teacher()
    if teacher is None:
        return {"messages": 0}
    month = previous_month(zones.teacher_today(teacher, now))
    if _before_the_teacher(teacher, month):
        return {"messages": 0}
    message = send_monthly_report(month, now)
    return {"messages": int(message is not None)}


def _before_the_teacher(teacher, month):
    """True for a month that was over before the teacher's account was made and has
    no lessons in it: a new install's first run has nothing to report on it."""
    first, after = zones.month_bounds(month, zones.teacher_zone(teacher))
    return after <= teacher.created_at and not Lesson.select().where(
        (Lesson.teacher == teacher) & (Lesson.start >= first) & (Lesson.start < after)).exists()
