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
  and a request withdrawn or rejected was never there. A reminder carries the event
  too (the same UID and SEQUENCE: a calendar that has it changes nothing).
- Weekly lessons confirmed (or cancelled) get one plain calendar file, lessons.ics,
  with one event per lesson under the feed's UIDs: iTIP allows one UID per message,
  so it has no METHOD; a calendar importing it updates the events it has. Cancelled
  ones are STATUS:CANCELLED with SEQUENCE one more, as in a single cancellation.
- An e-mail held while its reader had no channel gets its links and file when the
  reader sets an e-mail address (carried_now, for notify.deliver_waiting), made
  from the lesson as it is THEN: a lesson moved since goes at its new time, one
  cancelled since gets no event in its old confirmation (its cancellation, released
  beside it, carries the CANCEL). The held message names its lesson or series by
  its key (booking.tell and series._notify build it on the `ref`); a lesson gone is
  rebuilt from the snapshot its cancellation wrote to the audit log. A series
  cancelled before its notice was released gets links only: no snapshot of its
  lessons is kept."""
import json
import re
from datetime import datetime
from email.utils import parseaddr

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from tutor.integrations.attachments import Attachment
from tutor.models import AuditEntry, EndedLesson, Lesson, LessonSeries, utcnow
from tutor.services import app_urls, calendar_feed, recipients, zones

PUBLISH, CANCEL = "PUBLISH", "CANCEL"
# The kinds whose e-mail carries the lesson's event, and how.
CALENDAR_METHODS = {"lesson_confirmed": PUBLISH, "lesson_moved": PUBLISH,
                    "lesson_rescheduled": PUBLISH, "lesson_reminder": PUBLISH,
                    "lesson_cancelled": CANCEL}
# The series' kinds whose e-mail carries its confirmed lessons, and how.
SERIES_METHODS = {"series_confirmed": PUBLISH, "series_cancelled": CANCEL}
LESSON_KINDS = ("lesson_", "series_")
# Kinds whose lesson is gone when they are written: no link to it (in the e-mail, nor
# the inbox's: notify.default_link).
LESSON_GONE = frozenset({"lesson_cancelled", "lesson_rejected", "lesson_expired"})
# A lesson's or series' notice key: "<kind>:<ref>[:...]" or "<kind>:series:<ref>".
KEY = re.compile(r"^[a-z_]+:(?P<series>series:)?(?P<id>\d+)-(?P<created>\d{20})")
SNAPSHOT_FIELDS = ("teacher", "student", "start", "end", "created_at", "sequence",
                   "status", "comment", "confirmed_at")


def links(kind, user, context, gone=False):
    """[(label, absolute URL)]: the page the notice is about and the calendar at its
    week, in `user`'s language; [] for other notices or without the site's address.
    `gone`: the lesson has been deleted since the notice was written."""
    if not kind.startswith(LESSON_KINDS):
        return []
    lesson, series = context.get("lesson"), context.get("series")
    found = []
    with force_locale(recipients.recipient_locale(user)):
        if lesson is not None and getattr(lesson, "id", None):
            gone = gone or kind in LESSON_GONE
            if not gone or user.id == lesson.student_id:
                found.append((_("The lesson's page:"),
                              app_urls.site_url("lessons.show", lesson_id=lesson.id)))
            first = lesson.start
        elif series is not None and getattr(series, "id", None):
            if "rejected" not in kind and not gone:
                found.append((_("The weekly lessons' page:"),
                              app_urls.site_url("series.show", series_id=series.id)))
            starts = [item.start for item in context.get("lessons") or ()]
            first = min(starts) if starts else None
        else:
            return []
        week = zones.local(first, recipients.recipient_zone(user)).date() if first else None
        found.append((_("The calendar:"), app_urls.site_url(
            "calendar.week", **({"week": week.isoformat()} if week else {}))))
    return [(label, url) for label, url in found if url]


def calendar_files(kind, user, context, now=None):
    """The .ics Attachment a `kind` e-mail to `user` carries ([] when none)."""
    if kind in SERIES_METHODS:
        lessons = [lesson for lesson in context.get("lessons") or ()
                   if lesson.status == Lesson.CONFIRMED]
        if not lessons:
            return []
        return [Attachment("lessons.ics", series_file(lessons, user, SERIES_METHODS[kind],
                                                      now), "text/calendar; charset=UTF-8")]
    method = CALENDAR_METHODS.get(kind)
    lesson = context.get("lesson")
    if method is None or lesson is None or lesson.status != Lesson.CONFIRMED:
        return []
    return [Attachment("lesson.ics", event_file(lesson, user, method, now),
                       f"text/calendar; charset=UTF-8; method={method}")]


def event_file(lesson, viewer, method=PUBLISH, now=None):
    """The lesson as an iTIP message (bytes) in `viewer`'s language."""
    with force_locale(recipients.recipient_locale(viewer)):
        calendar = calendar_feed.new_calendar(_("Lesson"))
        calendar.add("method", method)
        calendar.add_component(_event(lesson, viewer, method, now or utcnow()))
    return calendar.to_ical()


def series_file(lessons, viewer, method=PUBLISH, now=None):
    """Weekly lessons as one calendar file (bytes) to import, one event each."""
    with force_locale(recipients.recipient_locale(viewer)):
        calendar = calendar_feed.new_calendar(_("Weekly lessons"))
        for lesson in lessons:
            calendar.add_component(_event(lesson, viewer, method, now or utcnow()))
    return calendar.to_ical()


def _event(lesson, viewer, method, now):
    event = calendar_feed.event(lesson, viewer, now)
    event.add("organizer", _organizer(lesson))
    url = app_urls.site_url("lessons.show", lesson_id=lesson.id)
    if url:
        event.add("url", url)
        # No room or meeting link is kept yet: the page is where the lesson's
        # details are, and calendars make LOCATION a link.
        event.add("location", url)
    if method == CANCEL:
        event["sequence"] = lesson.sequence + 1
        event["status"] = "CANCELLED"
    return event


def carried_now(message, user, now=None):
    """([(label, URL)], [Attachment]): the links and .ics that `message`, held while
    `user` had no channel, carries when it goes out by e-mail now, those a lesson
    e-mail sent at once carries, made from the lesson or series as it is now
    (notify.deliver_waiting puts them in). ([], []) for a message about neither."""
    found = _context_now(message)
    if found is None:
        return [], []
    context, gone = found
    found_links = links(message.kind, user, context, gone)
    if gone and CALENDAR_METHODS.get(message.kind) == PUBLISH:
        return found_links, []  # its lesson was cancelled since: no stale event
    if SERIES_METHODS.get(message.kind) == CANCEL:
        return found_links, []  # the lessons it cancelled are gone, with their SEQUENCE
    return found_links, calendar_files(message.kind, user, context, now)


def _context_now(message):
    """({"lesson"| "series", "lessons"}, gone) for a held lesson notice, as things are
    now; None for a message about neither."""
    if not message.kind.startswith(LESSON_KINDS):
        return None
    match = KEY.match(message.idempotency_key)
    if match is None:
        return None
    ref = f"{match['id']}-{match['created']}"
    if match["series"]:
        series = LessonSeries.get_or_none(LessonSeries.id == int(match["id"]))
        if series is None or series.ref != ref:
            return {"series": LessonSeries(id=int(match["id"])), "lessons": []}, True
        return {"series": series, "lessons": list(series.occurrences())}, False
    lesson = Lesson.get_or_none(Lesson.id == int(match["id"]))
    if lesson is not None and lesson.ref == ref:
        return {"lesson": lesson}, False
    return {"lesson": _gone_lesson(int(match["id"]), ref)}, True


def _gone_lesson(lesson_id, ref):
    """A deleted lesson as it was: from the snapshot its cancellation put in the audit
    log; else its times from EndedLesson (no event can be made without its SEQUENCE)."""
    entries = (AuditEntry.select()
               .where((AuditEntry.target_type == Lesson._meta.table_name)
                      & (AuditEntry.target_id == lesson_id)
                      & (AuditEntry.action == "lesson.cancel"))
               .order_by(AuditEntry.id.desc()))
    for entry in entries:
        before = json.loads(entry.before or "{}")
        fields = {name: before.get(name) for name in SNAPSHOT_FIELDS}
        for name in ("start", "end", "created_at", "confirmed_at"):
            fields[name] = datetime.fromisoformat(fields[name]) if fields[name] else None
        lesson = Lesson(id=lesson_id, **fields)
        if fields["created_at"] and lesson.ref == ref:
            return lesson
    ended = (EndedLesson.select().where(EndedLesson.lesson_id == lesson_id)
             .order_by(EndedLesson.id.desc()).first())
    if ended is None:
        return Lesson(id=lesson_id, status=Lesson.PENDING)
    return Lesson(id=lesson_id, teacher=ended.teacher_id, student=ended.student_id,
                  start=ended.start, end=ended.end, status=Lesson.PENDING)


def _organizer(lesson):
    """The teacher, at the address the e-mail comes from (RFC 5546 asks for an
    ORGANIZER in PUBLISH and CANCEL; the teacher's own address is not ours to give)."""
    address = parseaddr(current_app.config["EMAIL_FROM"])[1] or "no-reply@localhost"
    from icalendar import vCalAddress  # with the first calendar e-mail, not in every worker
    organizer = vCalAddress(f"mailto:{address}")
    teacher = lesson.teacher
    organizer.params["cn"] = teacher.full_name or teacher.login
    return organizer

