"""A reminder some hours before each confirmed lesson, to its student and its
teacher, exactly once: the outbox key names the lesson, the person and the lesson's
start, so a check that runs again (or after a consumer restart) writes nothing new,
and a lesson moved to another time is reminded of again.

Who gets one: a user's own choice (0: none); without a choice, those who get the
daily summary do not (it lists the day's lessons already) and the others are
reminded two hours before.
"""
from datetime import timedelta

from tutor.models import Lesson, Message, TeacherSettings, User, utcnow
from tutor.services import notify, recipients

CHOICES = (0, 1, 2, 3, 6, 12, 24)
DEFAULT_HOURS = 2
LONGEST = timedelta(hours=max(CHOICES))


def hours_for(user):
    """How many hours before a lesson `user` is reminded; 0: never."""
    if user.reminder_hours is not None:
        return user.reminder_hours
    return 0 if user.digest_time is not None else DEFAULT_HOURS


def key(lesson, user):
    return f"reminder:{lesson.id}:{user.id}:{lesson.start:%Y%m%dT%H%M}"


def send_due_reminders(now=None):
    """Write the reminders whose time has come for lessons that have not started.
    Returns how many were written."""
    now = now or utcnow()
    lessons = list(Lesson.select().where(Lesson.status == Lesson.CONFIRMED,
                                         Lesson.start > now, Lesson.start <= now + LONGEST))
    if not lessons:
        return 0
    people = {u.id: u for u in User.select().where(
        User.id.in_({lesson.student_id for lesson in lessons}
                    | {lesson.teacher_id for lesson in lessons}),
        User.channel != User.NO_CHANNEL)}
    candidates = [(lesson, people[person]) for lesson in lessons
                  for person in (lesson.student_id, lesson.teacher_id) if person in people]
    due = [(lesson, user) for lesson, user in candidates
           if hours_for(user) and lesson.start - timedelta(hours=hours_for(user)) <= now]
    if not due:
        return 0
    already = {k for (k,) in Message.select(Message.idempotency_key).where(
        Message.idempotency_key.in_([key(lesson, user) for lesson, user in due])).tuples()}
    zones = {}
    written = 0
    for lesson, user in due:
        if key(lesson, user) in already:
            continue
        if lesson.teacher_id not in zones:
            zones[lesson.teacher_id] = TeacherSettings.for_teacher(lesson.teacher_id).timezone
        notify.enqueue(user, "lesson_reminder", {
            "lesson": lesson,
            "when": recipients.local_time(user, lesson.start, zones[lesson.teacher_id]),
            "student": lesson.student if user.is_teacher else None,
            "hours": hours_for(user)}, key=key(lesson, user))
        written += 1
    return written
