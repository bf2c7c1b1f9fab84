"""Private iCalendar feeds of a user's lessons (the teacher's: all of them), and a
single lesson as an .ics file.

The feed address carries a token signed with the app's secret over (user id, feed
version): nothing to look up, shown again whenever the user asks, and revoked by
moving the version on (or set to None: no feed). Each lesson keeps one UID in
every feed and file (lesson-<id>-<install>@tutor, the install part drawn from the
secret key so two installations never clash), so a calendar updates the event it
has instead of adding another; a cancelled lesson leaves the feed and the calendar
drops it.
"""
import hashlib
from datetime import timedelta, timezone

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer

from tutor.models import Lesson, User, utcnow
from tutor.services import recipients

SALT = "calendar-feed"
PAST = timedelta(days=180)  # how far back a feed reaches; calendars keep older events


def _serializer():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def feed_token(user):
    """The token of the user's current feed, or None when the feed is off."""
    if user.feed_version is None:
        return None
    return _serializer().dumps([user.id, user.feed_version])


def user_for_token(token):
    """The user whose current feed this token opens, or None (bad, revoked, off)."""
    try:
        user_id, version = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    user = User.get_or_none(User.id == user_id)
    if user is None or user.feed_version is None or user.feed_version != version:
        return None
    return user


def turn_on(user):
    """A feed for the user; a new address (the old one stops working) if there was one."""
    current = (User.select(User.feed_version).where(User.id == user.id).scalar())
    user.feed_version = 1 if current is None else current + 1
    User.update(feed_version=user.feed_version).where(User.id == user.id).execute()
    return feed_token(user)


def turn_off(user):
    user.feed_version = None
    User.update(feed_version=None).where(User.id == user.id).execute()


def lessons_for(user, now=None):
    now = now or utcnow()
    query = (Lesson.select(Lesson, User).join(User, on=(Lesson.student == User.id))
             .where(Lesson.end >= now - PAST).order_by(Lesson.start))
    if user.is_teacher:
        return query.where(Lesson.teacher == user.id)
    return query.where(Lesson.student == user.id)


def uid(lesson):
    install = hashlib.sha256(current_app.config["SECRET_KEY"].encode()).hexdigest()[:10]
    return f"lesson-{lesson.id}-{install}@tutor"


def feed(user, now=None):
    """The user's lessons as an iCalendar feed (bytes)."""
    with force_locale(recipients.recipient_locale(user)):
        calendar = new_calendar(_("Lessons: %(name)s", name=user.full_name or user.login))
        # How often calendar apps should fetch the feed again (RFC 7986, and Outlook's).
        calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", timedelta(hours=1))
        for lesson in lessons_for(user, now):
            calendar.add_component(event(lesson, user, now))
    return calendar.to_ical()


def lesson_file(lesson, viewer, now=None):
    """One lesson as an .ics file to add to a calendar by hand."""
    with force_locale(recipients.recipient_locale(viewer)):
        calendar = new_calendar(_("Lesson"))
        calendar.add_component(event(lesson, viewer, now))
    return calendar.to_ical()


def new_calendar(name):
    from icalendar import Calendar  # loaded by the first feed asked for, not by every worker
    calendar = Calendar()
    calendar.add("prodid", "-//tutor//lessons//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    return calendar


def _aware(moment):
    return moment.replace(tzinfo=timezone.utc)


def event(lesson, viewer, now=None):
    from icalendar import Event
    event = Event()
    event.add("uid", uid(lesson))
    event.add("dtstamp", _aware(now or utcnow()))
    event.add("dtstart", _aware(lesson.start))
    event.add("dtend", _aware(lesson.end))
    event.add("created", _aware(lesson.created_at))
    # Confirming and each move raise it (booking): a calendar that compares SEQUENCE
    # takes the newer event, from the feed or from an e-mail's file alike.
    event.add("sequence", lesson.sequence)
    if lesson.confirmed_at:
        event.add("last-modified", _aware(lesson.confirmed_at))
    confirmed = lesson.status == Lesson.CONFIRMED
    event.add("status", "CONFIRMED" if confirmed else "TENTATIVE")
    if viewer.is_teacher:
        student = lesson.student
        summary = _("Lesson: %(name)s", name=student.full_name or student.login)
    else:
        summary = _("Lesson with the tutor")
    if not confirmed:
        summary = _("%(summary)s (awaiting confirmation)", summary=summary)
    event.add("summary", summary)
    if lesson.comment:
        event.add("description", lesson.comment)
    return event
