"""Your data: a student's export of everything the app holds about them, and the
deletion of their own account.

Export. The request (request_export) is recorded in the audit log, and that record
is also the rate limit: one export per EXPORT_EVERY and user, checked under a lock so
two clicks make one. The huey consumer builds the ZIP (build_export: JSON and CSV of
the profile, lessons, payments, feedback, notifications, outbox messages and login
sessions, with a README in the student's language) and hands it to notify.enqueue,
so it waits in the student's inbox as a file only they can download, named by the
request so a retried task keeps one copy.

Deletion (delete_account). The student's future lessons are cancelled through
booking.cancel_lesson, so the teacher gets the usual notices, as from the student;
a confirmed lesson already inside the teacher's cancellation notice stops the
deletion (LessonTooSoon), as it would stop the student cancelling it.

What stays is the user row, anonymised: role "deleted", login "~deleted-<id>" (a
login nobody can register: LOGIN_PATTERN has no "~"), no names, e-mail, Telegram,
goal, time zone, feed, digest or reminders, and a password hash that matches nothing.
It keeps the past lessons and the payments pointing at one row, so that:
- the teacher's monthly reports (reports.monthly_report) and balances
  (balances.movements, which group by student id) come out exactly as before, the
  student's lines named "Deleted student" (User.full_name) instead of the name;
- nothing looks the row up as a student: every student list, broadcast, reminder,
  activity check (which would delete it with its lessons) and booking asks for role
  "student", so the placeholder is in none of them, and its debt, if any, drops off
  the teacher's "in debt" list while staying in the reports.
Reassigning the lessons to one shared placeholder was the other way; it would merge
the balances of every student who ever left into one, which the reports must not do.

What goes: the login sessions (every device is signed out), feedback (the student's
own words about the lessons), the inbox with its files, Telegram link tokens, and
outbox messages not yet sent; those already sent are kept without the user, as when
the teacher deletes a student. The audit log gets one entry by the student,
"account.delete", with who they were and what was cancelled and kept. Teachers are
never deleted this way (NotAStudent)."""
import csv
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from flask import current_app, render_template
from flask_babel import force_locale

from tutor.database import exclusive
from tutor.extensions import db
from tutor.integrations.attachments import Attachment
from tutor.models import (
    AuditEntry,
    Feedback,
    InboxItem,
    Lesson,
    LinkedIdentity,
    LoginSession,
    Message,
    Payment,
    StoredFile,
    TelegramLink,
    TrialRequest,
    User,
    utcnow,
)
from tutor.services import (
    accounts,
    audit,
    booking,
    notify,
    recipients,
    schedule,
    work,
    zones,
)
from tutor.services.passwords import verify_password

EXPORT_EVERY = timedelta(hours=1)  # one export per user this often
EXPORT_ACTION = "account.export"
DELETE_ACTION = "account.delete"
DELETED_LOGIN = "~deleted-{id}"
# Not an argon2 hash, so verify_password says no to every password; not a secret.
NO_HASH = "!"


class NotAStudent(Exception):
    """Only a student can export or delete their account here."""


class ExportTooSoon(Exception):
    def __init__(self, next_at):
        super().__init__(f"the next export can be requested at {next_at}")
        self.next_at = next_at  # naive UTC


class WrongPassword(Exception):
    """The password typed to confirm the deletion is not the account's."""


class LessonTooSoon(Exception):
    """A confirmed lesson is inside the cancellation notice: the student cannot cancel
    it, so the account cannot go before it has taken place."""

    def __init__(self, lesson, deadline):
        super().__init__(f"lesson {lesson.id} can no longer be cancelled (since {deadline})")
        self.lesson = lesson
        self.deadline = deadline  # naive UTC


def _require_student(user):
    if user is None or user.role != User.STUDENT:
        raise NotAStudent()


# --- the export -------------------------------------------------------------------

def request_export(user, now=None):
    """Record an export request; returns its audit entry, whose id names the export.
    Raises ExportTooSoon when the user asked less than EXPORT_EVERY ago."""
    _require_student(user)
    now = now or utcnow()
    with exclusive(db.database, f"export:{user.id}"):
        last = (AuditEntry
                .select()
                .where((AuditEntry.action == EXPORT_ACTION)
                       & (AuditEntry.actor == user.id)
                       & (AuditEntry.created_at > now - EXPORT_EVERY))
                .order_by(AuditEntry.created_at.desc())
                .first())
        if last is not None:
            raise ExportTooSoon(last.created_at + EXPORT_EVERY)
        entry = audit.record(user, EXPORT_ACTION, user)
        AuditEntry.update(created_at=now).where(AuditEntry.id == entry.id).execute()
        # Saved with the request, for a consumer to build (send_export).
        work.submit(work.DATA_EXPORT, {"user_id": user.id, "request_id": entry.id},
                    key=f"{work.DATA_EXPORT}:{entry.id}")
    return entry


def _moment(value):
    return value.isoformat() + "Z" if value is not None else None


def _text(value):
    return None if value is None else str(value)


def _money(value):
    return None if value is None else f"{Decimal(value):.2f}"


def _profile(user):
    return {
        "login": user.login,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "telegram_username": user.telegram_username,
        "telegram_linked": user.telegram_chat_id is not None,
        "notification_channel": user.channel,
        "daily_summary_at": _text(user.digest_time),
        "reminder_hours": user.reminder_hours,
        "goal": user.goal.name if user.goal_id else None,
        "timezone": user.timezone,
        "language": user.locale,
        "calendar_feed": user.feed_version is not None,
        "registered_at": _moment(user.created_at),
        "last_login_at": _moment(user.last_login_at),
        "last_seen_at": _moment(user.last_seen_at),
        "inactive_since": _moment(user.inactive_since),
    }


def _lessons(user):
    return [{"id": lesson.id, "start": _moment(lesson.start), "end": _moment(lesson.end),
             "teacher": lesson.teacher.full_name, "status": lesson.status,
             "attendance": lesson.attendance, "price": _money(lesson.price),
             "people": lesson.people, "comment": lesson.comment, "series": lesson.series_id,
             "requested_at": _moment(lesson.created_at),
             "confirmed_at": _moment(lesson.confirmed_at),
             "entered_afterwards": lesson.entered_afterwards}
            for lesson in (Lesson.for_student(user)
                           .select_extend(User)
                           .join(User, on=(Lesson.teacher == User.id)))]


def _payments(user):
    return [{"paid_on": payment.paid_on.isoformat(), "amount": _money(payment.amount),
             "note": payment.note, "recorded_at": _moment(payment.created_at)}
            for payment in Payment.of(user).order_by(Payment.paid_on, Payment.id)]


def _feedback(user):
    return [{"lesson": item.lesson_id, "lesson_start": _moment(item.lesson.start),
             "rating": item.rating, "comment": item.comment,
             "written_at": _moment(item.created_at), "changed_at": _moment(item.updated_at)}
            for item in (Feedback
                         .select(Feedback, Lesson)
                         .join(Lesson)
                         .where(Feedback.student == user.id)
                         .order_by(Lesson.start))]


def _notifications(user):
    files = {}
    for stored in StoredFile.listed().where(StoredFile.owner == user.id):
        files.setdefault(stored.item_id, []).append(stored.filename)
    return [{"written_at": _moment(item.created_at), "kind": item.kind,
             "subject": item.subject, "text": item.body_text,
             "read_at": _moment(item.read_at), "files": ", ".join(files.get(item.id, []))}
            for item in InboxItem.of(user).order_by(InboxItem.id)]


def _messages(user):
    return [{"written_at": _moment(message.created_at), "kind": message.kind,
             "channel": message.channel, "address": message.address,
             "subject": message.subject, "status": message.status,
             "sent_at": _moment(message.sent_at)}
            for message in Message.select().where(Message.user == user.id).order_by(Message.id)]


def _sessions(user):
    return [{"device": record.device, "ip": record.ip,
             "signed_in_at": _moment(record.created_at),
             "last_seen_at": _moment(record.last_seen_at)}
            for record in LoginSession.of(user)]


TABLES = (("lessons", _lessons), ("payments", _payments), ("feedback", _feedback),
          ("notifications", _notifications), ("messages", _messages),
          ("sessions", _sessions))


def _csv(rows):
    if not rows:
        return b""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")  # the BOM: spreadsheets read UTF-8


def _json(data):
    return json.dumps(data, ensure_ascii=False, indent=2).encode()


def export_filename(user, now):
    day = zones.local(now, recipients.recipient_zone(user))
    return f"tutor-data-{user.login}-{day:%Y-%m-%d}.zip"


def build_export(user, now=None):
    """Everything the app holds about `user` as a ZIP (bytes): profile.json, and for
    each table (lessons, payments, feedback, notifications, messages, sessions) a
    .json and a .csv, with README.txt in the user's language. Times are UTC."""
    now = now or utcnow()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        with force_locale(recipients.recipient_locale(user)):
            readme = render_template("account/export_readme.html", user=user,
                                     made_at=_moment(now))
        archive.writestr("README.txt", readme.encode())
        archive.writestr("profile.json", _json(_profile(user)))
        for name, rows_of in TABLES:
            rows = rows_of(user)
            archive.writestr(f"{name}.json", _json(rows))
            archive.writestr(f"{name}.csv", _csv(rows))
    return buffer.getvalue()


def send_export(user_id, request_id, now=None):
    """The consumer's half: build the export and put it in the user's inbox (and on
    their channel) as data_export. Once per request: a retry finds the key taken.
    Returns the outbox message, or None when the user is no longer a student."""
    now = now or utcnow()
    user = User.get_or_none(User.id == user_id)
    if user is None or user.role != User.STUDENT:
        return None
    filename = export_filename(user, now)
    content = build_export(user, now)
    current_app.logger.info("personal data export for user %s: %d bytes", user.id,
                            len(content))
    return notify.enqueue(user, "data_export", {"filename": filename},
                          key=f"data_export:{user.id}:{request_id}",
                          attachments=[Attachment(filename, content, "application/zip")])


# --- the deletion -----------------------------------------------------------------

@dataclass(frozen=True)
class DeletionPlan:
    """What deleting the account would do, for the confirmation page."""
    cancelled: list  # the future lessons, cancelled (the teacher is told)
    kept: int  # past lessons, kept anonymised in the teacher's records
    blocking: object  # a lesson that cannot be cancelled any more, or None
    deadline: object  # its cancellation deadline (naive UTC), or None


def _future(user, now):
    return list(Lesson.for_student(user).where(Lesson.start > now))


def deletion_plan(user, now=None):
    _require_student(user)
    now = now or utcnow()
    future = _future(user, now)
    blocking = deadline = None
    # One notice per teacher and lessons in start order: when a teacher's first
    # confirmed lesson can still be cancelled, so can their later ones.
    asked = set()
    for lesson in future:
        if lesson.is_confirmed and lesson.teacher_id not in asked:
            asked.add(lesson.teacher_id)
            notice = schedule.settings_for(lesson.teacher_id).cancellation_notice_hours
            limit = lesson.start - timedelta(hours=notice)
            if now > limit:
                blocking, deadline = lesson, limit
                break
    kept = Lesson.for_student(user).where(Lesson.start <= now).count()
    return DeletionPlan(cancelled=future, kept=kept, blocking=blocking, deadline=deadline)


def delete_account(user, password, now=None):
    """Delete the student's own account, confirmed by their password (see the module
    docstring for what goes and what stays). Raises NotAStudent, WrongPassword or
    LessonTooSoon, changing nothing. Returns the DeletionPlan carried out."""
    _require_student(user)
    if not verify_password(user.password_hash, password or ""):
        raise WrongPassword()
    now = now or utcnow()
    plan = deletion_plan(user, now)
    if plan.blocking is not None:
        raise LessonTooSoon(plan.blocking, plan.deadline)
    before = audit.snapshot(user, only=["login", "first_name", "last_name", "email",
                                        "telegram_username", "created_at"])
    cancelled = 0
    for lesson in plan.cancelled:
        try:
            booking.cancel_lesson(user, lesson, now=now)
            cancelled += 1
        except booking.LessonNotFound:  # gone meanwhile (the teacher rejected it)
            pass
    with db.database.atomic():
        accounts.end_sessions(user)
        TelegramLink.delete().where(TelegramLink.user == user.id).execute()
        LinkedIdentity.delete().where(LinkedIdentity.user == user.id).execute()
        TrialRequest.delete().where(TrialRequest.student == user.id).execute()
        Feedback.delete().where(Feedback.student == user.id).execute()
        StoredFile.delete().where(StoredFile.owner == user.id).execute()
        InboxItem.delete().where(InboxItem.user == user.id).execute()
        (Message
         .delete()
         .where((Message.user == user.id) & (Message.status != Message.SENT))
         .execute())
        Message.update(user=None).where(Message.user == user.id).execute()
        User.update(
            role=User.DELETED, login=DELETED_LOGIN.format(id=user.id),
            password_hash=NO_HASH, first_name="", last_name="", email=None,
            telegram_chat_id=None, telegram_username=None, channel=User.NO_CHANNEL,
            digest_time=None, goal=None, timezone=None, locale=None, feed_version=None,
            reminder_hours=None, inactive_since=now, reset_version=User.reset_version + 1,
            password_generated_at=None, telegram_lost_at=None,
        ).where(User.id == user.id).execute()
        audit.record(user, DELETE_ACTION, user, before=before,
                     after={"role": User.DELETED, "lessons_cancelled": cancelled,
                            "lessons_kept": plan.kept})
    return plan
