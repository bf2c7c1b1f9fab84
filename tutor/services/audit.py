"""The audit log: who did what to which record, when, and how it looked before and
after. Every administrative action writes one entry; the teacher browses them."""
import json
from dataclasses import dataclass
from datetime import datetime

from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from playhouse.shortcuts import model_to_dict

from tutor.models import AuditEntry
from tutor.services.pages import PER_PAGE, page_of

# Never written to the log, whatever the record (a form's data may be passed as is).
SECRET_FIELDS = {"password_hash", "reset_version", "telegram_chat_id", "csrf_token"}
# A form's buttons and bookkeeping: written with the form's data, said to nobody.
UNSAID_FIELDS = {"submit", "seen", "next"}

# Every action the log is written with, as the teacher reads it.
ACTIONS = {
    "student.update": _l("Student edited"),
    "student.password_reset": _l("Student's password reset"),
    "student.deactivate": _l("Student deactivated"),
    "student.reactivate": _l("Student reactivated"),
    "student.delete": _l("Student deleted"),
    "account.delete": _l("Student deleted their account"),
    "account.export": _l("Student downloaded their data"),
    "students.deactivate": _l("Students deactivated together"),
    "lesson.create": _l("Lesson created"),
    "lesson.enter_afterwards": _l("Past lesson entered"),
    "lesson.confirm": _l("Lesson confirmed"),
    "lesson.reject": _l("Request rejected"),
    "lesson.cancel": _l("Lesson cancelled"),
    "lesson.change": _l("Lesson changed"),
    "lesson.attendance": _l("Attendance marked"),
    "series.book": _l("Weekly lessons requested"),
    "series.create": _l("Weekly lessons created"),
    "series.confirm": _l("Weekly lessons confirmed"),
    "series.reject": _l("Weekly request rejected"),
    "series.cancel": _l("Weekly lessons cancelled"),
    "payment.record": _l("Payment recorded"),
    "payment.delete": _l("Payment deleted"),
    "goal.create": _l("Goal added"),
    "goal.rename": _l("Goal renamed"),
    "goal.move": _l("Goal moved"),
    "goal.retire": _l("Goal retired"),
    "goal.restore": _l("Goal restored"),
    "broadcast.send": _l("Broadcast sent"),
    "settings.update": _l("Booking rules changed"),
    "profile.update": _l("Public page changed"),
    "window.add": _l("Weekly hours added"),
    "window.remove": _l("Weekly hours removed"),
    "window.change": _l("Weekly hours changed"),
    "hours.copy": _l("Weekly hours copied to other days"),
    "hours.preset": _l("Weekly hours set from a preset"),
    "unavailable.add": _l("Time marked unavailable"),
    "unavailable.remove": _l("Time available again"),
    "calendar.add": _l("Other calendar added"),
    "calendar.remove": _l("Other calendar removed"),
}

# The kinds of record an entry is about (their tables), as the teacher reads them.
TARGETS = {
    "users": _l("Student No. %(id)s"), "lessons": _l("Lesson No. %(id)s"),
    "lesson_series": _l("Weekly lessons No. %(id)s"), "goals": _l("Goal No. %(id)s"),
    "broadcasts": _l("Broadcast No. %(id)s"), "payments": _l("Payment No. %(id)s"),
}

# The fields the entries hold, as the teacher reads them; others keep their name.
FIELDS = {
    "address": _l("Address"),
    "amount": _l("Amount"), "attendance": _l("Attendance"), "channel": _l("Notifications"),
    "comment": _l("Comment"), "count": _l("Number of students"), "day": _l("Day"),
    "digest_time": _l("Daily summary at"), "dropped": _l("Dates dropped"),
    "email": _l("E-mail"), "end": _l("End"), "end_time": _l("Until"),
    "first_day": _l("First day"), "first_name": _l("First name"), "from": _l("From"),
    "goal": _l("Goal"), "inactive_since": _l("Inactive since"), "kept": _l("Kept"),
    "last_day": _l("Last day"), "last_name": _l("Last name"), "lessons": _l("Lessons"),
    "lessons_cancelled": _l("Lessons cancelled"), "lessons_inside": _l("Lessons inside"),
    "lessons_kept": _l("Lessons kept"), "locale": _l("Language"), "login": _l("Login"),
    "name": _l("Name"), "note": _l("Note"), "paid_on": _l("Paid on"), "people": _l("People"),
    "position": _l("Place in the list"), "price": _l("Price"), "reason": _l("Reason"),
    "recipients": _l("Recipients"), "retired": _l("In the archive"), "role": _l("Role"),
    "selection": _l("Chosen by"), "skipped": _l("Dates not free"), "start": _l("Start"),
    "start_time": _l("From"), "status": _l("Status"), "students": _l("Students"),
    "subject": _l("Subject"), "subjects": _l("Subjects"), "about": _l("About"),
    "photo": _l("Photo"), "telegram_username": _l("Telegram username"),
    "timezone": _l("Time zone"), "weekday": _l("Day of the week"),
    "lesson_length_minutes": _l("Lesson length, minutes"),
    "buffer_minutes": _l("Break between lessons, minutes"),
    "horizon_days": _l("Book at most this many days ahead"),
    "min_notice_hours": _l("Book at least this many hours ahead"),
    "cancellation_notice_hours": _l("Students cancel a confirmed lesson up to this many "
                                    "hours before"),
    "slot_step_minutes": _l("Lessons start, minutes apart (0: after the break)"),
    "days": _l("Days"), "preset": _l("Preset"),
    "default_price": _l("Usual price, ₽"), "reminder_hours": _l("Reminder before each lesson"),
}
VALUES = {
    "pending": _l("awaiting confirmation"), "confirmed": _l("confirmed"),
    "attended": _l("attended"), "missed": _l("missed"), "late_cancel": _l("cancelled late"),
    "email": _l("e-mail"), "telegram": _l("Telegram"), "none": _l("only in the app"),
    "deleted": _l("deleted"),
}
WEEKDAYS = (_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"),
            _l("Saturday"), _l("Sunday"))
# The fields that hold a stored UTC moment ("2026-12-08 10:00:00").
MOMENTS = {"start", "end", "created_at", "confirmed_at", "inactive_since", "last_login_at",
           "last_seen_at"}


def target_label(entry):
    """What the entry is about ("Lesson No. 12"), or None."""
    if not entry.target_type:
        return None
    text = TARGETS.get(entry.target_type)
    return text % {"id": entry.target_id} if text else f"{entry.target_type} #{entry.target_id}"


def action_label(action):
    """An action as the teacher reads it ("Lesson confirmed"), its code if unknown."""
    return str(ACTIONS[action]) if action in ACTIONS else action


def record(actor, action, target=None, before=None, after=None):
    """Write one entry. `target` is a model instance (its table and id are kept, not a
    reference, so the entry outlives it) or None; `before`/`after` are dicts (see
    snapshot) or None. Returns the entry."""
    return AuditEntry.create(
        actor=actor.id if actor is not None else None,
        action=action,
        target_type=target._meta.table_name if target is not None else None,
        target_id=target.id if target is not None else None,
        before=_dump(before),
        after=_dump(after),
    )


def snapshot(instance, only=None):
    """A record's fields as a JSON-ready dict (foreign keys as ids), without secrets;
    `only` limits it to some field names."""
    data = model_to_dict(instance, recurse=False)
    data = {name: value for name, value in data.items() if name not in SECRET_FIELDS}
    if only is not None:
        data = {name: data[name] for name in only}
    return _plain(data)


def changes(before, after):
    """Only the fields that differ: (before, after), each a dict."""
    keys = [key for key in after if before.get(key) != after.get(key)]
    return {key: before.get(key) for key in keys}, {key: after[key] for key in keys}


def actions():
    """Every action the log holds, for the filter."""
    return [row.action for row in (AuditEntry
                                   .select(AuditEntry.action)
                                   .distinct()
                                   .order_by(AuditEntry.action))]


@dataclass(frozen=True)
class Change:
    field: str
    before: object
    after: object


def recorded(entry):
    """The entry's fields as Change rows, as they were stored: each field that is in
    before or after."""
    before, after = _load(entry.before), _load(entry.after)
    fields = list(before) + [key for key in after if key not in before]
    return [Change(key, before.get(key), after.get(key)) for key in fields]


def readable(entry):
    """The entry's fields as Change rows in the teacher's words: named and valued as a
    person says them (yes/no, the lesson's state, a moment in the viewer's zone), the
    form's own fields left out."""
    return [Change(str(FIELDS.get(c.field, c.field)), _said(c.field, c.before),
                   _said(c.field, c.after))
            for c in recorded(entry) if c.field not in UNSAID_FIELDS]


def _said(field, value):
    if value is None:
        return None
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if field == "weekday" and isinstance(value, int) and 0 <= value < 7:
        return str(WEEKDAYS[value])
    if isinstance(value, list):
        return str(len(value))
    if isinstance(value, str):
        if field in MOMENTS:
            try:
                return format_datetime(datetime.fromisoformat(value), "d MMMM y, HH:mm")
            except ValueError:
                return value
        if value in VALUES:
            return str(VALUES[value])
    return value


def _plain(data):
    # Dates, times and decimals as strings: what json.dumps(default=str) writes,
    # so a snapshot compares equal to the stored one.
    return json.loads(json.dumps(data, default=str))


def _dump(data):
    if data is None:
        return None
    data = {key: value for key, value in data.items() if key not in SECRET_FIELDS}
    return json.dumps(data, default=str, ensure_ascii=False, sort_keys=True)


def _load(text):
    if not text:
        return {}
    value = json.loads(text)
    return value if isinstance(value, dict) else {"value": value}



def audit_log(action=None, page=1, per_page=PER_PAGE):
    """A Page of the audit trail, newest first, of one `action` or all."""
    return page_of(AuditEntry.newest(action), page, per_page)
