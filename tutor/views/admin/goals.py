"""The teacher's learning goals: add, rename, reorder, retire and restore."""
from flask import abort, flash, url_for
from flask_babel import gettext as _
from playhouse.flask_utils import get_object_or_404

from tutor.forms.admin import (
    GoalForm,
)
from tutor.forms.base import EmptyForm
from tutor.htmx import changed, render
from tutor.models import Goal
from tutor.services import errors
from tutor.services import goals as goal_list
from tutor.views.access import me
from tutor.views.admin.blueprint import bp


def _goals_page(form=None, rename=None):
    return render("admin/goals.html", "admin/partials/_goals.html",
                  goals=goal_list.goals_overview(), form=form or GoalForm(formdata=None),
                  rename=rename or {})


def _goals_changed(message):
    """Success: the list again for htmx (with the message as a toast), PRG otherwise."""
    flash(message, "success")
    return changed(_goals_page, url_for("admin.goals"))


@bp.get("/goals")
def goals():
    return _goals_page()


@bp.post("/goals")
def create_goal():
    form = GoalForm()
    if form.validate_on_submit():
        try:
            goal = goal_list.create_goal(me(), form.name.data)
        except errors.AdminError as error:
            form.name.errors.append(_goal_error(error))
        else:
            return _goals_changed(_("The goal “%(name)s” is added.", name=goal.name))
    return _goals_page(form=form)


def _goal_error(error):
    if isinstance(error, goal_list.GoalExists):
        return _("There is a goal with this name already.")
    return _("Enter a name of 1 to %(max)d characters.", max=goal_list.MAX_GOAL_NAME)


@bp.post("/goals/<int:goal_id>/rename")
def rename_goal(goal_id):
    goal = get_object_or_404(Goal, Goal.id == goal_id)
    form = GoalForm()
    if form.validate_on_submit():
        try:
            goal_list.rename_goal(me(), goal, form.name.data)
        except errors.AdminError as error:
            form.name.errors.append(_goal_error(error))
        else:
            return _goals_changed(_("The goal is renamed."))
    return _goals_page(rename={goal.id: form})


@bp.post("/goals/<int:goal_id>/move/<direction>")
def move_goal(goal_id, direction):
    goal = get_object_or_404(Goal, Goal.id == goal_id)
    if direction not in ("up", "down"):
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    goal_list.move_goal(me(), goal, -1 if direction == "up" else 1)
    return _goals_changed(_("The order is saved."))


@bp.post("/goals/<int:goal_id>/retire")
def retire_goal(goal_id):
    goal = get_object_or_404(Goal, Goal.id == goal_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    goal_list.retire_goal(me(), goal)
    return _goals_changed(_("The goal is retired: new students no longer see it."))


@bp.post("/goals/<int:goal_id>/restore")
def restore_goal(goal_id):
    goal = get_object_or_404(Goal, Goal.id == goal_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    goal_list.restore_goal(me(), goal)
    return _goals_changed(_("The goal is offered again."))
