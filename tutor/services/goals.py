"""The teacher's learning goals, offered at registration. A retired goal stays on
the students who have it; only registration and the profile stop offering it. Goals
are ordered by position, renumbered 0..n-1 on move. Every change is audited."""

from peewee import JOIN, fn

from tutor.database import exclusive
from tutor.extensions import db
from tutor.models import Goal, User
from tutor.services import audit
from tutor.services.errors import AdminError

MAX_GOAL_NAME = 200


class InvalidGoalName(AdminError):
    field = "name"


class GoalExists(AdminError):
    field = "name"


def goals_overview():
    """Every goal, retired ones too, in order, each with `student_count`."""
    return list(Goal
                .select(Goal, fn.COUNT(User.id).alias("student_count"))
                .join(User, JOIN.LEFT_OUTER, on=(User.goal == Goal.id))
                .group_by(Goal.id)
                .order_by(Goal.position, Goal.id))


def _goal_name(name, exclude=None):
    name = " ".join((name or "").split())
    if not name or len(name) > MAX_GOAL_NAME:
        raise InvalidGoalName(name)
    others = Goal.select(Goal.name)
    if exclude is not None:
        others = others.where(Goal.id != exclude.id)
    if name.lower() in {goal.name.lower() for goal in others}:
        raise GoalExists(name)
    return name


def create_goal(actor, name):
    """A new goal at the end of the list. Raises InvalidGoalName or GoalExists."""
    with exclusive(db.database, "goals"):
        name = _goal_name(name)
        last = Goal.select(fn.MAX(Goal.position)).scalar()
        goal = Goal.create(name=name, position=(last + 1) if last is not None else 0)
        audit.record(actor, "goal.create", goal, after=audit.snapshot(goal))
    return goal


def rename_goal(actor, goal, name):
    with exclusive(db.database, "goals"):
        name = _goal_name(name, exclude=goal)
        before = audit.snapshot(goal, only=["name"])
        Goal.update(name=name).where(Goal.id == goal.id).execute()
        goal = Goal.get_by_id(goal.id)
        if before["name"] != name:
            audit.record(actor, "goal.rename", goal, before=before, after={"name": name})
    return goal


def move_goal(actor, goal, offset):
    """Move the goal `offset` places (-1 up, +1 down) in the list; at an end it stays.
    Returns whether it moved."""
    with exclusive(db.database, "goals"):
        order = list(Goal.select().order_by(Goal.position, Goal.id))
        index = next((i for i, g in enumerate(order) if g.id == goal.id), None)
        target = index + offset if index is not None else -1
        if not 0 <= target < len(order):
            return False
        order[index], order[target] = order[target], order[index]
        for position, item in enumerate(order):
            if item.position != position:
                Goal.update(position=position).where(Goal.id == item.id).execute()
        audit.record(actor, "goal.move", goal, before={"position": index},
                     after={"position": target})
    return True


def retire_goal(actor, goal):
    return _set_retired(actor, goal, True)


def restore_goal(actor, goal):
    return _set_retired(actor, goal, False)


def _set_retired(actor, goal, retired):
    with db.database.atomic():
        changed = (Goal
                   .update(retired=retired)
                   .where((Goal.id == goal.id) & (Goal.retired != retired))
                   .execute())
        if changed:
            audit.record(actor, "goal.retire" if retired else "goal.restore", goal,
                         before={"retired": not retired}, after={"retired": retired})
    return Goal.get_by_id(goal.id)
