"""Who is asking, and who may open a blueprint's pages or a route."""
from flask import abort
from flask_login import current_user, login_required


def teacher_only(blueprint):
    """Every route of `blueprint`: anonymous visitors go to the login page, students
    get 403."""
    @blueprint.before_request
    @login_required
    def require_teacher():
        if not current_user.is_teacher:
            abort(403)
    return blueprint


def me():
    """The signed-in user, the object itself (not Flask-Login's proxy)."""
    return current_user._get_current_object()

