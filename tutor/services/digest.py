"""The daily digest: at the time each user chose, in their zone, a message listing
that day's lessons, and for the teacher what the jobs removed since the last digest
(NOTICES: expired requests, old days off, the activity check, the monthly purge), so
no automatic deletion goes by unmentioned. Nothing on a day without either; at most
one a day (the outbox key carries the local date), also when the job runs late or
twice."""
from collections import defaultdict
from datetime import timedelta
from zoneinfo import ZoneInfo

from tutor.extensions import db
from tutor.models import Lesson, Message, User, utcnow
from tutor.services import availability, notify, recipients, zones
from tutor.spans import overlap

BATCH = 200  # digests written per transaction
# The notices of automatic deletions that the next digest repeats.
NOTICES = ("requests_expired", "days_off_removed", "activity_check", "records_purged")


def send_due_digests(now=None):
    """Write the digests whose time has come today. Returns how many were written."""
    now = now or utcnow()
    users = list(User
                 .select()
                 .where((User.channel != User.NO_CHANNEL) & User.digest_time.is_null(False))
                 .order_by(User.id))
    if not users:
        return 0
    # Somewhere on Earth "today" reaches 14 hours either side of UTC's.
    window = timedelta(hours=38)
    by_person = defaultdict(list)
    for lesson in (Lesson
                   .select(Lesson, User)
                   .join(User, on=(Lesson.student == User.id))
                   .where(overlap(Lesson.start, Lesson.end, now - window, now + window))
                   .order_by(Lesson.start)):
        by_person[lesson.student_id].append(lesson)
        by_person[lesson.teacher_id].append(lesson)
    already, last_digest = set(), {}
    for key, user_id, created_at in (Message
                                     .select(Message.idempotency_key, Message.user,
                                             Message.created_at)
                                     .where(Message.idempotency_key.startswith("digest:")
                                            & (Message.created_at > now - window))
                                     .tuples()):
        already.add(key)
        last_digest[user_id] = max(created_at, last_digest.get(user_id, created_at))
    notices = defaultdict(list)
    for notice in (Message
                   .select(Message.user, Message.subject, Message.body_text,
                           Message.created_at)
                   .where(Message.kind.in_(NOTICES)
                          & (Message.created_at > now - window)
                          & (Message.created_at <= now))
                   .order_by(Message.created_at, Message.id)):
        if notice.created_at > last_digest.get(notice.user_id, now - window):
            notices[notice.user_id].append(notice)
    due = []
    for user in users:
        zone = ZoneInfo(recipients.recipient_zone(user))
        local_now = zones.local(now, zone)
        key = f"digest:{user.id}:{local_now.date().isoformat()}"
        if local_now.time().replace(tzinfo=None) < user.digest_time or key in already:
            continue
        day = availability.local_day_bounds(local_now.date(), zone.key)
        todays = [lesson for lesson in by_person.get(user.id, ())
                  if day.start <= lesson.start < day.end]
        if todays or notices.get(user.id):
            due.append((user, zone, local_now.date(), key, todays, notices.get(user.id, [])))

    for first in range(0, len(due), BATCH):
        with db.database.atomic():
            for user, zone, today, key, todays, told in due[first:first + BATCH]:
                notify.enqueue(user, "digest", {
                    "day": today,
                    "zone": zone.key,
                    "items": [{"start": zones.local(lesson.start, zone),
                               "end": zones.local(lesson.end, zone),
                               "lesson": lesson, "student": lesson.student}
                              for lesson in todays],
                    "notices": [{"subject": notice.subject, "text": notice.body_text}
                                for notice in told],
                }, key=key)
    return len(due)
