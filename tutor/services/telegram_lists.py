"""What the bot's /today and /week list: a user's lessons in their zone and language
(a teacher's with the students' names), as Telegram HTML. Call inside the user's
locale."""
from datetime import timedelta
from zoneinfo import ZoneInfo

from flask_babel import format_date
from flask_babel import gettext as _

from tutor.formatting import clock_span, zone_label
from tutor.integrations.telegram import telegram_html
from tutor.models import Lesson, User
from tutor.services import availability, recipients, zones
from tutor.spans import overlap

WEEK = 7  # days /week lists, from today


def lessons_of(user):
    """The user's lessons, soonest first: the teacher's own lessons (with the
    students' names), a student's own ones."""
    owner = Lesson.teacher if user.is_teacher else Lesson.student
    return (Lesson
            .select(Lesson, User)
            .join(User, on=(Lesson.student == User.id))
            .where(owner == user)
            .order_by(Lesson.start))


def lessons_between(user, start, end):
    """The user's lessons overlapping [start, end)."""
    return list(lessons_of(user).where(overlap(Lesson.start, Lesson.end, start, end)))


def lesson_line(user, lesson, zone, day=False):
    start = zones.local(lesson.start, zone)
    end = zones.local(lesson.end, zone)
    parts = [clock_span(start, end)]
    if day:
        parts[0] = f"{format_date(start.date(), 'EEE d MMM')} {parts[0]}"
    if user.is_teacher:
        parts.append(lesson.student.full_name or lesson.student.login)
    parts.append(_("confirmed") if lesson.is_confirmed else _("awaiting confirmation"))
    return telegram_html(" · ".join(parts))


def today(user, now):
    """The user's lessons of their today, in their zone."""
    zone = ZoneInfo(recipients.recipient_zone(user))
    today = zones.local_date(now, zone)
    day = availability.local_day_bounds(today, zone.key)
    lessons = lessons_between(user, day.start, day.end)
    title = format_date(today, "EEEE, d MMMM")
    if not lessons:
        return telegram_html(_("No lessons today (%(day)s).", day=title))
    lines = [f"<b>{telegram_html(_('Your lessons today, %(day)s', day=title))}</b>",
             telegram_html(_("Times in %(zone)s.", zone=zone_label(zone.key))), ""]
    lines += [lesson_line(user, lesson, zone) for lesson in lessons]
    return "\n".join(lines)


def week(user, now):
    """The user's lessons from the start of their today for WEEK days, in their zone."""
    zone = ZoneInfo(recipients.recipient_zone(user))
    today = zones.local_date(now, zone)
    start = availability.local_day_bounds(today, zone.key).start
    end = availability.local_day_bounds(today + timedelta(days=WEEK - 1), zone.key).end
    lessons = lessons_between(user, start, end)
    if not lessons:
        return telegram_html(_("No lessons in the next 7 days."))
    lines = [f"<b>{telegram_html(_('Your lessons in the next 7 days'))}</b>",
             telegram_html(_("Times in %(zone)s.", zone=zone_label(zone.key))), ""]
    lines += [lesson_line(user, lesson, zone, day=True) for lesson in lessons]
    return "\n".join(lines)
