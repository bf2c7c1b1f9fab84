"""The monthly housekeeping jobs: the activity check, old days off, and the purge of
log and monitoring records. Each takes the moment it runs (an aware datetime) and
returns what it counted; running one twice changes nothing more."""
import calendar
import hashlib
import json
import logging
from datetime import timezone
from pathlib import Path

from babel.dates import format_date
from flask import current_app
from flask_babel import force_locale
from peewee import fn

from tutor import formatting
from tutor.extensions import db
from tutor.integrations.attachments import Attachment
from tutor.models import (AuditEntry, InboxItem, JobRun, Lesson, Message, StoredFile,
                          UnavailableInterval, User)
from tutor.services import (
    backup_store,
    notify,
    recipients,
    schedule,
    students,
    trials,
    work,
    zones,
)

log = logging.getLogger(__name__)

INACTIVE_AFTER_MONTHS = 2  # not seen, no lesson in it and none ahead: inactive
DELETE_AFTER_MONTHS = 3  # inactive for this long: reported to the teacher, then deleted
INBOX_KEEP_MONTHS = 12  # notices read longer ago than this leave the inbox
# Why the activity check kept a long-inactive student (messages/activity_check.html):
# lessons ahead, a lesson in the last months, seen on the site lately, a lesson booked
# while the check ran, or the report on them could not be kept.
KEPT_REASONS = ("ahead", "recent", "seen", "booked", "unkept")


def months_back(moment, months):
    """The same local wall time `months` calendar months earlier; the day is clamped
    to the shorter month (31 May - 3 months = 28 or 29 February)."""
    month_index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(month_index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def naive_utc(moment):
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def _teacher():
    return User.first_teacher()


def last_seen():
    """SQL: when a user was last seen on the site (services/activity.py), for rows
    from before that was recorded their last login, else when the account was made."""
    return fn.COALESCE(User.last_seen_at, User.last_login_at, User.created_at)


def _students_with_lessons_after(moment):
    """SQL: the ids of students with a lesson starting after `moment` (one in the
    months looked back over, or one still ahead)."""
    return Lesson.select(Lesson.student).where(Lesson.start > moment)


def check_activity(now):
    """The monthly activity check, from `now` (an aware datetime).

    A student is in use when seen on the site in the last two months (any signed-in
    request, remember-me visits included), or with a lesson in those months or any
    lesson ahead: a student the teacher created, who never signs in but has weekly
    lessons, is in use. A student not in use becomes inactive. A student inactive for
    three months is deleted, with their lessons, once the report on them is kept in
    the teacher's inbox (in the same transaction as the deletion); one still in use
    (above all, one with lessons ahead) is never deleted but named to the teacher
    instead. Deletions come first, so nobody goes both ways in one run.

    The check never makes anybody active again: an inactive mark may be the teacher's
    or the student's own choice, which it cannot tell from its own. Signing in (or a
    password reset) clears it, as does the teacher's "Reactivate"; the notice names the
    inactive students kept for being in use, so the teacher can decide."""
    zone = zones.teacher_zone()
    local = now.astimezone(zone)
    moment = naive_utc(now)
    delete_before = naive_utc(months_back(local, DELETE_AFTER_MONTHS))
    inactive_before = naive_utc(months_back(local, INACTIVE_AFTER_MONTHS))
    teacher = _teacher()
    students = User.role == User.STUDENT

    deleted, kept = [], []
    doomed = list(User  # read out first: the loop deletes rows of this table
                  .select()
                  .where(students
                         & User.inactive_since.is_null(False)
                         & (User.inactive_since <= delete_before))
                  .order_by(User.id))
    for student in doomed if teacher is not None else ():  # no teacher: no report
        kept_for = (_kept_because(student, moment, inactive_before, zone, teacher)
                    or _delete_with_report(teacher, student, moment))
        if kept_for is not None:
            kept.append({"name": _name(student), **kept_for})
        else:
            deleted.append(_name(student))

    in_use = ((last_seen() > inactive_before)
              | User.id.in_(_students_with_lessons_after(inactive_before)))
    going = students & User.inactive_since.is_null() & ~in_use
    newly_inactive = list(User.select().where(going).order_by(User.id))
    deactivated = (User
                   .update(inactive_since=moment)
                   .where(going & User.id.in_([u.id for u in newly_inactive]))
                   .execute()) if newly_inactive else 0

    if teacher is not None and (deleted or deactivated or kept):
        _tell_activity(teacher, local, {
            "deleted": deleted,
            "deactivated": [_name(u) for u in newly_inactive][:deactivated],
            "kept": kept,
        })
    return {"deactivated": deactivated, "deleted": len(deleted), "kept": len(kept)}


def _kept_because(student, moment, inactive_before, zone, teacher):
    """Why a long-inactive student is not deleted, for the teacher's notice
    ({"reason": one of KEPT_REASONS, "when": the teacher's local time}), or None."""
    lessons = Lesson.for_student(student)
    upcoming = lessons.where(Lesson.end > moment).first()
    if upcoming is not None:
        return {"reason": "ahead",
                "when": recipients.local_time(teacher, upcoming.start, zone.key)}
    recent = (lessons
              .where(Lesson.start > inactive_before)
              .order_by(Lesson.start.desc())
              .first())
    if recent is not None:
        return {"reason": "recent", "when": recipients.local_time(teacher, recent.start, zone.key)}
    seen = student.last_seen_at or student.last_login_at or student.created_at
    if seen > inactive_before:
        return {"reason": "seen", "when": recipients.local_time(teacher, seen, zone.key)}
    return None


def _delete_with_report(teacher, student, moment):
    """Delete `student` once the report on them is kept for the teacher, in one
    transaction under the calendar's lock, so a lesson booked for them meanwhile
    keeps them. Returns None when deleted, else why not."""
    from tutor.services.reports import files  # reports render templates; import late

    report = files.deleted_student_report(student, moment)
    with schedule.lock(teacher):
        if Lesson.for_student(student).where(Lesson.end > moment).exists():
            return {"reason": "booked", "when": ""}
        stored = notify.enqueue(
            teacher, "student_deleted", {"student": student, "report": report},
            key=f"student-deleted:{student.id}:{student.created_at:%Y%m%d%H%M%S}",
            attachments=report.attachments())
        if stored is None:  # nowhere to keep the report: nothing is deleted
            return {"reason": "unkept", "when": ""}
        students.delete_student(None, student)
    return None


def _tell_activity(teacher, local, notice):
    """One notice per run that changed something. A run that only kept students
    (a second run in a month) names them again only if no notice came this month."""
    period = f"{local:%Y-%m}"
    if not (notice["deleted"] or notice["deactivated"]):
        told = (Message
                .select()
                .where((Message.user == teacher)
                       & Message.idempotency_key.startswith(f"activity-check:{period}:"))
                .exists())
        if told:
            return None
    content = json.dumps(notice, sort_keys=True, ensure_ascii=False)
    digest = hashlib.sha256(content.encode()).hexdigest()[:16]
    return notify.enqueue(teacher, "activity_check", notice,
                          key=f"activity-check:{period}:{digest}")


def _name(user):
    return user.full_name or user.login


def _local_day(user, moment, zone):
    """A naive UTC moment's date in `zone`, in `user`'s language: "1 December 2026"."""
    day = zones.local_date(moment, zone)
    return format_date(day, "long", locale=recipients.recipient_locale(user))


def remove_old_days_off(now):
    """Unavailable intervals that ended before this month (teacher's zone) go; the
    current and future ones stay. The teacher is told how many went and which, in
    the same transaction."""
    zone = zones.teacher_zone()
    cutoff = zones.month_start(zones.local_date(now, zone), zone)
    teacher = _teacher()
    with db.database.atomic():
        old = list(UnavailableInterval
                   .select()
                   .where(UnavailableInterval.end < cutoff)
                   .order_by(UnavailableInterval.start))
        removed = (UnavailableInterval
                   .delete()
                   .where(UnavailableInterval.id.in_([i.id for i in old]))
                   .execute()) if old else 0
        if removed and teacher is not None:
            reader_zone = recipients.recipient_zone(teacher, zone.key)
            with force_locale(recipients.recipient_locale(teacher)):
                spans = [formatting.day_off_span(i.start, i.end, reader_zone, zone.key)
                         for i in old]
            notify.enqueue(teacher, "days_off_removed", {
                "count": removed,
                "intervals": [{"span": span, "reason": i.reason}
                              for span, i in zip(spans, old)],
            }, key=f"days-off-removed:{cutoff:%Y-%m}")
    return {"removed": removed}


def send_backup(now):
    """A new backup in the backup store (BACKUP_DIR or the bucket; the oldest beyond
    BACKUP_KEEP removed), kept in the teacher's inbox with its file and sent to the
    teacher as an attachment."""
    config = current_app.config
    made = backup_store.configured().create(db.database, now, keep=config["BACKUP_KEEP"])
    size = len(made.content)
    teacher = _teacher()
    if teacher is not None:
        notify.enqueue(teacher, "backup", {"filename": made.name, "counts": made.counts,
                                           "size": size},
                       key=f"backup:{made.name}",
                       attachments=[Attachment(made.name, made.content,
                                               backup_store.CONTENT_TYPE)])
        _forget_old_backups(teacher, config["BACKUP_KEEP"])
    return {"rows": sum(made.counts.values()), "bytes": size}


def _forget_old_backups(teacher, keep):
    """The inbox keeps the files of the newest `keep` backups, as BACKUP_DIR does; the
    notices of older ones stay, without their file."""
    backups = (InboxItem
               .select(InboxItem.id)
               .where((InboxItem.user == teacher) & (InboxItem.kind == "backup")))
    newest = backups.order_by(InboxItem.id.desc()).limit(keep)
    return (StoredFile
            .delete()
            .where(StoredFile.item.in_(backups) & StoredFile.item.not_in(newest))
            .execute())


def purge_records(now):
    """Log and monitoring records of the previous month and older: audit entries,
    delivered outbox messages, job records, requests given up (services/work.py) and
    rotated log files; notices read in the inbox more than INBOX_KEEP_MONTHS ago, and
    trial requests answered more than trials.ANSWERED_KEPT_MONTHS ago. Failed and waiting messages and
    unread notices stay, so nothing undelivered disappears unseen."""
    zone = zones.teacher_zone()
    cutoff = zones.month_start(zones.local_date(now, zone), zone)
    audit = AuditEntry.delete().where(AuditEntry.created_at < cutoff).execute()
    # Sent, and kept in the app only (held for want of a channel, with no files to
    # send once there is one): the inbox has them.
    old_sent = Message.select().where(
        (Message.status == Message.SENT)
        | ((Message.status == Message.HELD) & (Message.channel == User.NO_CHANNEL)
           & (Message.attachments == "[]")),
        Message.created_at < cutoff)
    files = _remove_attachment_files(old_sent)
    messages = Message.delete().where(
        Message.id.in_(old_sent.select(Message.id))).execute()
    jobs = (JobRun.delete()
            .where(JobRun.started_at < cutoff, JobRun.status != JobRun.RUNNING).execute())
    given_up = work.purge_failed(cutoff)
    logs = _remove_rotated_logs(cutoff)
    inbox = _forget_read_notices(months_back(now.astimezone(zone), INBOX_KEEP_MONTHS))
    answered = trials.purge_answered(naive_utc(months_back(now.astimezone(zone),
                                                           trials.ANSWERED_KEPT_MONTHS)))
    counts = {"audit": audit, "messages": messages, "jobs": jobs, "log_files": len(logs),
              "attachment_files": files, "inbox": inbox, "work": given_up,
              "trials": answered}
    teacher = _teacher()
    if teacher is not None and any(counts.values()):
        notify.enqueue(teacher, "records_purged", {
            "counts": counts, "log_files": logs, "before": _local_day(teacher, cutoff, zone),
        }, key=f"records-purged:{now.astimezone(zone):%Y-%m}")
    return counts


def _forget_read_notices(before):
    """Notices read and older than `before` (a local moment) leave the inbox; unread
    ones and those carrying files (reports, backups) stay."""
    return (InboxItem
            .delete()
            .where(InboxItem.read_at.is_null(False)
                   & (InboxItem.created_at < naive_utc(before))
                   & InboxItem.id.not_in(StoredFile.select(StoredFile.item)))
            .execute())


def _remove_attachment_files(messages):
    """Files that messages written before the inbox kept their attachments in
    (instance/outbox-files) go with their message; files elsewhere (backups, which
    have their own retention) are left alone. Newer attachments live in the database
    with the inbox item and stay with it."""
    instance = Path(current_app.instance_path).resolve()
    directory = instance / "outbox-files"
    removed = 0
    for message in messages.select(Message.attachments):
        for reference in json.loads(message.attachments or "[]"):
            if "path" not in reference:
                continue
            path = (instance / reference["path"]).resolve()
            if directory in path.parents and path.exists():
                path.unlink()
                removed += 1
    return removed


def _remove_rotated_logs(cutoff):
    """TimedRotatingFileHandler's old files (tutor.log.2026-10-31) last written before
    the cutoff; the live file is never touched. Returns the names of those removed."""
    live = current_app.config["LOG_FILE"]
    if not live:
        return []
    live = Path(live)
    removed = []
    cutoff_timestamp = cutoff.replace(tzinfo=timezone.utc).timestamp()
    for path in live.parent.glob(live.name + ".*"):
        if path.is_file() and path.stat().st_mtime < cutoff_timestamp:
            path.unlink()
            removed.append(path.name)
    return sorted(removed)
