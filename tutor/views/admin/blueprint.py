"""The blueprint of the teacher's administration pages (teacher only) and what its
views share: the teacher's zone and the student lookup."""
from flask import Blueprint, abort

from tutor.services import calendar, schedule, students, zones
from tutor.views.access import me, teacher_only

bp = teacher_only(Blueprint("admin", __name__, url_prefix="/teacher"))


@bp.context_processor
def _helpers():
    return {"local": zones.local}


def own_zone():
    return calendar.viewer_timezone(me(), schedule.settings_for(me()))


def student_or_404(student_id):
    try:
        return students.get_student(student_id)
    except students.NotAStudent:
        abort(404)
