"""What a run of a periodic job did, said as a sentence for the teacher ("Отчёт за
ноябрь отправлен на почту") instead of its raw counts. One describer per job name
(the names tutor/jobs.py registers); a job without one shows its counts as they are."""
from datetime import date

from flask_babel import format_date, ngettext
from flask_babel import gettext as _

from tutor.formatting import file_size
from tutor.models import User


def describe(job, counts, period=None):
    """A sentence for one run of `job` that counted `counts` (a dict); `period` is the
    run's month ("2026-12") for monthly jobs."""
    counts = counts or {}
    describer = _DESCRIBERS.get(job)
    if describer is None:
        return ", ".join(f"{key}: {value}" for key, value in counts.items())
    return describer(counts, period)


def _said(pieces, nothing):
    """The pieces said for non-zero counts (None for the others), joined; `nothing`
    when every count is zero."""
    said = [piece for piece in pieces if piece]
    return "; ".join(said) + "." if said else nothing


def _n(counts, key):
    return counts.get(key) or 0


def _month_before(period):
    if not period:
        return None
    year, month = (int(part) for part in period.split("-"))
    year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return format_date(date(year, month, 1), "LLLL y")


def _monthly_report(counts, period):
    month = _month_before(period) or "—"
    if not counts.get("messages"):
        return _("No new report for %(month)s: it was made before, or there was nothing to "
                 "report.", month=month)
    teacher = User.first_teacher()
    channel = teacher.channel if teacher else User.NO_CHANNEL
    if channel == User.EMAIL:
        return _("The report for %(month)s is sent to your e-mail.", month=month)
    if channel == User.TELEGRAM:
        return _("The report for %(month)s is sent to your Telegram.", month=month)
    return _("The report for %(month)s is waiting under the bell.", month=month)


def _activity_check(counts, period):
    return _said([
        _n(counts, "deactivated") and ngettext(
            "%(num)d student marked inactive",
            "%(num)d students marked inactive", _n(counts, "deactivated")),
        _n(counts, "deleted") and ngettext(
            "%(num)d student deleted after three months away",
            "%(num)d students deleted after three months away", _n(counts, "deleted")),
        _n(counts, "kept") and ngettext(
            "%(num)d student kept for lessons ahead",
            "%(num)d students kept for lessons ahead", _n(counts, "kept")),
    ], _("Every student is active: nothing to do."))


def _old_days_off(counts, period):
    return _said([
        _n(counts, "removed") and ngettext(
            "%(num)d past day off removed",
            "%(num)d past days off removed", _n(counts, "removed")),
    ], _("No past days off to remove."))


def _backup(counts, period):
    return _("A backup of %(rows)d records (%(size)s) is made and sent to you.",
             rows=counts.get("rows", 0), size=file_size(counts.get("bytes", 0)))


def _purge_records(counts, period):
    removed = _said([
        _n(counts, "audit") and ngettext(
            "%(num)d audit log entry",
            "%(num)d audit log entries", _n(counts, "audit")),
        _n(counts, "messages") and ngettext(
            "%(num)d delivered message",
            "%(num)d delivered messages", _n(counts, "messages")),
        _n(counts, "jobs") and ngettext(
            "%(num)d job record",
            "%(num)d job records", _n(counts, "jobs")),
        _n(counts, "log_files") and ngettext(
            "%(num)d old log file",
            "%(num)d old log files", _n(counts, "log_files")),
        _n(counts, "inbox") and ngettext(
            "%(num)d notice read over a year ago",
            "%(num)d notices read over a year ago", _n(counts, "inbox")),
        _n(counts, "work") and ngettext(
            "%(num)d request given up",
            "%(num)d requests given up", _n(counts, "work")),
        _n(counts, "trials") and ngettext(
            "%(num)d trial lesson request answered over 6 months ago",
            "%(num)d trial lesson requests answered over 6 months ago", _n(counts, "trials")),
    ], "")
    return _("Removed: %(what)s", what=removed) if removed else _("Nothing old to remove.")


def _expire_lessons(counts, period):
    return _said([
        _n(counts, "expired") and ngettext(
            "%(num)d unconfirmed request expired",
            "%(num)d unconfirmed requests expired", _n(counts, "expired")),
    ], _("No request expired."))


def _deliver_outbox(counts, period):
    return _said([
        _n(counts, "sent") and ngettext(
            "%(num)d message sent",
            "%(num)d messages sent", _n(counts, "sent")),
        _n(counts, "retried") and ngettext(
            "%(num)d will be tried again",
            "%(num)d will be tried again", _n(counts, "retried")),
        _n(counts, "failed") and ngettext(
            "%(num)d could not be delivered",
            "%(num)d could not be delivered", _n(counts, "failed")),
        _n(counts, "held") and ngettext(
            "%(num)d kept in the app until there is a channel",
            "%(num)d kept in the app until there is a channel", _n(counts, "held")),
        _n(counts, "waiting") and ngettext(
            "%(num)d waiting for the settings of the e-mail or Telegram service",
            "%(num)d waiting for the settings of the e-mail or Telegram service",
            _n(counts, "waiting")),
        _n(counts, "unclaimed") and ngettext(
            "%(num)d not taken because of a database error, tried again at the next run",
            "%(num)d not taken because of a database error, tried again at the next run",
            _n(counts, "unclaimed")),
    ], _("Nothing to send."))


def _digests(counts, period):
    return _said([
        _n(counts, "queued") and ngettext(
            "%(num)d daily summary sent",
            "%(num)d daily summaries sent", _n(counts, "queued")),
    ], _("No summary was due."))


def _reminders(counts, period):
    return _said([
        _n(counts, "queued") and ngettext(
            "%(num)d reminder sent",
            "%(num)d reminders sent", _n(counts, "queued")),
    ], _("No reminder was due."))


def _waiting_work(counts, period):
    return _said([
        _n(counts, "done") and ngettext(
            "%(num)d waiting request done",
            "%(num)d waiting requests done", _n(counts, "done")),
        _n(counts, "retried") and ngettext(
            "%(num)d will be tried again",
            "%(num)d will be tried again", _n(counts, "retried")),
        _n(counts, "failed") and ngettext(
            "%(num)d could not be done",
            "%(num)d could not be done", _n(counts, "failed")),
    ], _("Nothing was waiting."))


def _busy_calendars(counts, period):
    return _said([
        _n(counts, "changed") and ngettext(
            "%(num)d calendar brought changed busy time",
            "%(num)d calendars brought changed busy time", _n(counts, "changed")),
        _n(counts, "failed") and ngettext(
            "%(num)d calendar could not be read (the reason is on the Other calendars page)",
            "%(num)d calendars could not be read (the reason is on the Other calendars page)",
            _n(counts, "failed")),
    ], _("Your other calendars say what they said before."))


_DESCRIBERS = {
    "monthly_report": _monthly_report,
    "activity_check": _activity_check,
    "old_days_off": _old_days_off,
    "backup": _backup,
    "purge_records": _purge_records,
    "expire_lessons": _expire_lessons,
    "deliver_outbox": _deliver_outbox,
    "digests": _digests,
    "reminders": _reminders,
    "waiting_work": _waiting_work,
    "busy_calendars": _busy_calendars,
}
