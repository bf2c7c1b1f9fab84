"""A lesson's own page, as its teacher or its student sees it, and what the blueprints
that act on a lesson share: the lesson lookup that 404s for strangers, the viewer's
zone and the calendar week a lesson is in."""
from datetime import timedelta

from flask import abort, render_template, url_for
from flask_login import current_user

from tutor.forms.lessons import (
    AttendanceForm,
    ConfirmLessonForm,
    FeedbackForm,
    ReasonForm,
)
from tutor.models import Lesson, utcnow
from tutor.services import (
    balances,
    calendar,
    feedback,
    schedule,
    student_lessons,
    zones,
)
from tutor.views.access import me


def viewer_zone(teacher):
    return calendar.viewer_timezone(me(), schedule.settings_for(teacher))


def week_url(moment, teacher):
    return url_for("calendar.week", week=zones.local(moment, viewer_zone(teacher)).date().isoformat())


def visible_lesson(lesson_id, for_teacher=False):
    """The lesson when the viewer is its teacher or its student; 404 otherwise, so
    nobody learns that someone else's lesson exists. With `for_teacher`, its student
    gets 403: what follows is the teacher's to do."""
    return seen_by_its_people(Lesson.get_or_none(Lesson.id == lesson_id), for_teacher)


def seen_by_its_people(record, for_teacher=False):
    """A lesson or series `record` (None: gone) checked as visible_lesson checks it."""
    if record is None or current_user.id not in (record.teacher_id, record.student_id):
        abort(404)
    if for_teacher and not current_user.is_teacher:
        abort(403)
    return record


def lesson_page(lesson, confirm_form=None, reason_form=None, status=200,
                 attendance_form=None, feedback_form=None):
    teacher = lesson.teacher
    zone = viewer_zone(teacher)
    extra = lesson_parts(lesson, attendance_form, feedback_form)
    mine = (student_lessons.as_upcoming(lesson, now=extra["now"])
            if current_user.id == lesson.student_id else None)
    if confirm_form is None:
        start = zones.local(lesson.start, zone)
        settings = schedule.settings_for(teacher)
        confirm_form = ConfirmLessonForm(
            formdata=None, price=lesson.price if lesson.price is not None
            else settings.default_price, people=lesson.people, comment=lesson.comment,
            day=start.date(), time=start.time().replace(tzinfo=None))
    return render_template(
        "lessons/show.html", lesson=lesson, student=lesson.student, zone=zone,
        start=zones.local(lesson.start, zone), end=zones.local(lesson.end, zone),
        confirm_form=confirm_form, reason_form=reason_form or ReasonForm(formdata=None),
        back=week_url(lesson.start, teacher), **extra, mine=mine,
        cancel_until=mine and zones.local(mine.cancel_until, zone)), status


def lesson_parts(lesson, attendance_form=None, feedback_form=None, now=None):
    """What the attendance and feedback partials of the lesson page need."""
    now = now or utcnow()
    given = feedback.for_lesson(lesson)
    if feedback_form is None:
        feedback_form = FeedbackForm(formdata=None, rating=given.rating if given else None,
                                     comment=given.comment if given else "")
    settings = schedule.settings_for(lesson.teacher_id)
    notice_from = lesson.start - timedelta(hours=settings.cancellation_notice_hours)
    return dict(
        now=now, can_mark=balances.can_mark(lesson, now),
        attendance_form=attendance_form or AttendanceForm(formdata=None,
                                                          attendance=lesson.attendance or ""),
        given=given, feedback_form=feedback_form,
        feedback_open=feedback.is_open(me(), lesson, now),
        feedback_deadline=zones.local(feedback.deadline(lesson), viewer_zone(lesson.teacher)),
        inside_notice=lesson.is_confirmed and notice_from <= now < lesson.start)
