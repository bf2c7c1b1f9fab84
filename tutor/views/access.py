"""Who is asking, and who may open a blueprint's pages or a route: anonymous visitors
go to the login page, students get 403."""
from functools import wraps

from flask import abort
from flask_login import current_user, login_required


def teacher_required(view):
    """One route, the teacher's only."""
    @wraps(view)
    @login_required
    def checked(*args, **kwargs):
        if not current_user.is_teacher:
            abort(403)
        return view(*args, **kwargs)
    return checked


def teacher_only(blueprint):
    """Every route of `blueprint`, the teacher's only."""
    blueprint.before_request(teacher_required(lambda: None))
    return blueprint


def me():
    """The signed-in user, the object itself (not Flask-Login's proxy)."""
    return current_user._get_current_object()
