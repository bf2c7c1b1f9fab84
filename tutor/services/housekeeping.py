"""The monthly housekeeping jobs: the activity check, old days off, and the purge of
log and monitoring records. Each takes the moment it runs (an aware datetime) and
returns what it counted; running one twice changes nothing more."""
import calendar
import logging
from datetime import datetime, timezone
from pathlib import Path

from flask import current_app
from peewee import fn

from tutor.extensions import db
from tutor.models import AuditEntry, JobRun, Message, UnavailableInterval, User
from tutor.services import admin, backup, notify
from tutor.services.periodic import teacher_zone

log = logging.getLogger(__name__)

INACTIVE_AFTER_MONTHS = 2  # no login for this long: inactive
DELETE_AFTER_MONTHS = 3  # inactive for this long: reported to the teacher, then deleted


def months_back(moment, months):
    """The same local wall time `months` calendar months earlier; the day is clamped
    to the shorter month (31 May - 3 months = 28 or 29 February)."""
    month_index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(month_index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def month_start(now, zone=None):
    """Midnight of the first day of `now`'s month in the teacher's zone, as naive UTC."""
    zone = zone or teacher_zone()
    local = now.astimezone(zone).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return naive_utc(datetime(local.year, local.month, 1, tzinfo=zone))


def naive_utc(moment):
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def _teacher():
    return User.first_teacher()


def check_activity(now):
    """Students with no login for two months become inactive (from `now`); students
    inactive for three months are reported to the teacher and deleted with their
    lessons. Those are deleted first, so nobody goes both ways in one run."""
    from tutor.services import reports  # reports render templates; import late

    zone = teacher_zone()
    local = now.astimezone(zone)
    delete_before = naive_utc(months_back(local, DELETE_AFTER_MONTHS))
    inactive_before = naive_utc(months_back(local, INACTIVE_AFTER_MONTHS))
    teacher = _teacher()
    students = User.role == User.STUDENT

    deleted = []
    doomed = (User.select().where(students, User.inactive_since.is_null(False),
                                  User.inactive_since <= delete_before).order_by(User.id))
    for student in doomed:
        report = reports.deleted_student_report(student, naive_utc(now))
        with db.database.atomic():
            if teacher is not None:
                notify.enqueue(teacher, "student_deleted",
                               {"student": student, "report": report},
                               key=f"student-deleted:{student.id}:{student.created_at:%Y%m%d%H%M%S}",
                               attachments=report.attachments())
            admin.delete_student(None, student)
        deleted.append(student.full_name or student.login)

    last_seen = fn.COALESCE(User.last_login_at, User.created_at)
    newly_inactive = [u.full_name or u.login for u in User.select().where(
        students, User.inactive_since.is_null(), last_seen <= inactive_before).order_by(User.id)]
    deactivated = (User.update(inactive_since=naive_utc(now))
                   .where(students, User.inactive_since.is_null(), last_seen <= inactive_before)
                   .execute())

    if teacher is not None and (deleted or deactivated):
        notify.enqueue(teacher, "activity_check",
                       {"deleted": deleted, "deactivated": newly_inactive[:deactivated]},
                       key=f"activity-check:{naive_utc(now):%Y%m%d%H%M%S}")
    return {"deactivated": deactivated, "deleted": len(deleted)}


def remove_old_days_off(now):
    """Unavailable intervals that ended before this month (teacher's zone) go; the
    current and future ones stay. The teacher is told how many went."""
    cutoff = month_start(now)
    removed = UnavailableInterval.delete().where(UnavailableInterval.end < cutoff).execute()
    teacher = _teacher()
    if removed and teacher is not None:
        notify.enqueue(teacher, "days_off_removed", {"count": removed},
                       key=f"days-off-removed:{cutoff:%Y-%m}")
    return {"removed": removed}


def send_backup(now):
    """A new backup in BACKUP_DIR (the oldest beyond BACKUP_KEEP removed), sent to the
    teacher as an attachment."""
    config = current_app.config
    path, counts = backup.make_backup(db.database, config["BACKUP_DIR"], now,
                                      keep=config["BACKUP_KEEP"])
    teacher = _teacher()
    if teacher is not None:
        notify.enqueue(teacher, "backup", {"filename": path.name, "counts": counts,
                                           "size": path.stat().st_size},
                       key=f"backup:{path.name}", attachments=[path])
    return {"rows": sum(counts.values()), "bytes": path.stat().st_size}


def purge_records(now):
    """Log and monitoring records of the previous month and older: audit entries,
    delivered outbox messages, job records and rotated log files. Failed and waiting
    messages stay, so nothing undelivered disappears unseen."""
    cutoff = month_start(now)
    audit = AuditEntry.delete().where(AuditEntry.created_at < cutoff).execute()
    old_sent = Message.select().where(Message.status == Message.SENT, Message.created_at < cutoff)
    files = _remove_attachment_files(old_sent)
    messages = Message.delete().where(
        Message.id.in_(old_sent.select(Message.id))).execute()
    jobs = (JobRun.delete()
            .where(JobRun.started_at < cutoff, JobRun.status != JobRun.RUNNING).execute())
    logs = _remove_rotated_logs(cutoff)
    return {"audit": audit, "messages": messages, "jobs": jobs, "log_files": logs,
            "attachment_files": files}


def _remove_attachment_files(messages):
    """Attachments written for the outbox alone (reports) go with their message;
    files elsewhere (backups, which have their own retention) are left alone."""
    directory = notify.attachment_directory().resolve()
    removed = 0
    for message in messages.select(Message.attachments):
        for path in notify.attachment_paths(message):
            path = Path(path).resolve()
            if directory in path.parents and path.exists():
                path.unlink()
                removed += 1
    return removed


def _remove_rotated_logs(cutoff):
    """TimedRotatingFileHandler's old files (tutor.log.2026-10-31) last written before
    the cutoff; the live file is never touched."""
    live = current_app.config["LOG_FILE"]
    if not live:
        return 0
    live = Path(live)
    removed = 0
    cutoff_timestamp = cutoff.replace(tzinfo=timezone.utc).timestamp()
    for path in live.parent.glob(live.name + ".*"):
        if path.is_file() and path.stat().st_mtime < cutoff_timestamp:
            path.unlink()
            removed += 1
    return removed
