"""The periodic job of the lesson lifecycle (services/booking.py): a pending lesson
nobody confirmed before it starts expires. Run by
jobs.expire_unconfirmed_lessons, every minute."""
import hashlib

from tutor.models import EndedLesson, Lesson, User, utcnow
from tutor.services import booking, notify, recipients, schedule


def expire_unconfirmed(now=None):
    """Delete every pending lesson whose start has come, telling each student, and
    each teacher in one notice which requests went (who, when), in the same
    transaction. Returns how many; running it again (or in two processes at once)
    deletes nothing twice and tells nothing twice."""
    now = now or utcnow()
    due = (Lesson.status == Lesson.PENDING) & (Lesson.start <= now)
    teacher_ids = [row.teacher_id for row in (Lesson
                                              .select(Lesson.teacher)
                                              .where(due)
                                              .distinct())]
    expired = 0
    for teacher_id in teacher_ids:
        with schedule.lock(teacher_id):
            settings = schedule.settings_for(teacher_id)
            gone = list(Lesson
                        .select()
                        .where(due & (Lesson.teacher == teacher_id))
                        .order_by(Lesson.start))
            for lesson in gone:
                lesson.delete_instance()
                booking.tell(lesson.student, "lesson_expired", lesson, settings)
                expired += 1
            booking.record_ended(gone, EndedLesson.EXPIRED, now=now)
            if gone:
                _tell_expired(User.get_by_id(teacher_id), gone, settings)
    return expired


def _tell_expired(teacher, lessons, settings):
    """The teacher's notice of requests that expired: each one's student and time.
    Its key names the lessons, so the same requests are never told twice."""
    refs = ",".join(lesson.ref for lesson in lessons)
    notify.enqueue(teacher, "requests_expired", {
        "count": len(lessons),
        "items": [{"student": booking.person_name(lesson.student),
                   "when": recipients.local_time(teacher, lesson.start, settings.timezone)}
                  for lesson in lessons],
    }, key=f"requests-expired:{teacher.id}:{hashlib.sha256(refs.encode()).hexdigest()[:24]}")
