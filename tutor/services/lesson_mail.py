"""What an e-mail about a lesson carries beyond its words: absolute links to the
lesson's page (or the weekly lessons') and to the calendar at its week, and, for a
lesson confirmed, moved or cancelled, an .ics file a mail program puts in (or takes
out of) the reader's calendar. notify.enqueue adds both to e-mail only: a Telegram
message has its own Open button and the app's inbox links to the lesson already.

Decided rules (tests/services/test_lesson_mail.py pins each one):
- Links are built on PUBLIC_URL (or the address of the request that wrote the
  message); a job without either writes none rather than a wrong address. A lesson
  that is gone links to its page for its student only (the page says what happened);
  the teacher's page of it would be a 404.
- The .ics is an iTIP PUBLISH, not a REQUEST: the reader's calendar takes it as it
  is, with no "accept / decline" that would answer a no-reply address (the app's own
  links do that). A cancellation is METHOD:CANCEL, STATUS:CANCELLED.
- Every file names the lesson by the UID its feed uses (calendar_feed.uid), so a
  calendar updates or removes the event it has; SEQUENCE is Lesson.sequence, raised
  by booking with each change the calendar must take over, and one more for the
  cancellation (the lesson row is gone by then).
- Only a confirmed lesson gets a file: a request is not in anybody's calendar yet,
  and a request withdrawn or rejected was never there. Weekly lessons get links only
  (iTIP puts one UID in a message, and a series is one event per week)."""
from email.utils import parseaddr

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from tutor.integrations.attachments import Attachment
from tutor.models import Lesson, utcnow
from tutor.services import action_links, calendar_feed, notify, zones

PUBLISH, CANCEL = "PUBLISH", "CANCEL"
# The kinds whose e-mail carries the lesson's event, and how.
CALENDAR_METHODS = {"lesson_confirmed": PUBLISH, "lesson_moved": PUBLISH,
                    "lesson_rescheduled": PUBLISH, "lesson_cancelled": CANCEL}
LESSON_KINDS = ("lesson_", "series_")


def links(kind, user, context):
    """[(label, absolute URL)]: the page the notice is about and the calendar at its
    week, in `user`'s language; [] for other notices or without the site's address."""
    if not kind.startswith(LESSON_KINDS):
        return []
    lesson, series = context.get("lesson"), context.get("series")
    found = []
    with force_locale(notify.recipient_locale(user)):
        if lesson is not None and getattr(lesson, "id", None):
            gone = kind in notify.LESSON_GONE
            if not gone or user.id == lesson.student_id:
                found.append((_("The lesson's page:"),
                              action_links.site_url("lessons.show", lesson_id=lesson.id)))
            first = lesson.start
        elif series is not None and getattr(series, "id", None):
            if "rejected" not in kind:
                found.append((_("The weekly lessons' page:"),
                              action_links.site_url("series.show", series_id=series.id)))
            starts = [item.start for item in context.get("lessons") or ()]
            first = min(starts) if starts else None
        else:
            return []
        week = zones.local(first, notify.recipient_zone(user)).date() if first else None
        found.append((_("The calendar:"), action_links.site_url(
            "calendar.week", **({"week": week.isoformat()} if week else {}))))
    return [(label, url) for label, url in found if url]


def calendar_files(kind, user, context, now=None):
    """The .ics Attachment a `kind` e-mail to `user` carries ([] when none)."""
    method = CALENDAR_METHODS.get(kind)
    lesson = context.get("lesson")
    if method is None or lesson is None or lesson.status != Lesson.CONFIRMED:
        return []
    return [Attachment("lesson.ics", event_file(lesson, user, method, now),
                       f"text/calendar; charset=UTF-8; method={method}")]


def event_file(lesson, viewer, method=PUBLISH, now=None):
    """The lesson as an iTIP message (bytes) in `viewer`'s language."""
    now = now or utcnow()
    with force_locale(notify.recipient_locale(viewer)):
        calendar = calendar_feed.new_calendar(_("Lesson"))
        calendar.add("method", method)
        event = calendar_feed.event(lesson, viewer, now)
        event.add("organizer", _organizer(lesson))
        url = action_links.site_url("lessons.show", lesson_id=lesson.id)
        if url:
            event.add("url", url)
            # No room or meeting link is kept yet: the page is where the lesson's
            # details are, and calendars make LOCATION a link.
            event.add("location", url)
        if method == CANCEL:
            event["sequence"] = lesson.sequence + 1
            event["status"] = "CANCELLED"
        calendar.add_component(event)
    return calendar.to_ical()


def _organizer(lesson):
    """The teacher, at the address the e-mail comes from (RFC 5546 asks for an
    ORGANIZER in PUBLISH and CANCEL; the teacher's own address is not ours to give)."""
    address = parseaddr(current_app.config["EMAIL_FROM"])[1] or "no-reply@localhost"
    from icalendar import vCalAddress  # with the first calendar e-mail, not in every worker
    organizer = vCalAddress(f"mailto:{address}")
    teacher = lesson.teacher
    organizer.params["cn"] = teacher.full_name or teacher.login
    return organizer

