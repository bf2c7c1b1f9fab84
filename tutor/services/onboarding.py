"""The new teacher's checklist: what a fresh install still needs before students can
book and the teacher hears about it.

Each step is worked out from the data itself (a step done elsewhere, or undone, shows
as such at once); the only thing stored is that the teacher dismissed the list."""
from dataclasses import dataclass

from flask import current_app
from peewee import SQL

from tutor.database import Prepared
from tutor.extensions import db
from tutor.models import AvailabilityWindow, Goal, TeacherSettings, User, utcnow
from tutor.services import channels

# In the order the checklist shows them; the template knows each one's label and link.
PASSWORD = "password"  # nosec B105 (a step's name): the generated login/password changed
CHANNEL = "channel"  # an outside channel that delivers, with an address
HOURS = "hours"  # weekly hours
PRICE = "price"  # lesson length and the usual price
GOALS = "goals"  # learning goals students choose from
PUBLIC_URL = "public_url"  # the site's public address (links in messages and the feed)
STEPS = (PASSWORD, CHANNEL, HOURS, PRICE, GOALS, PUBLIC_URL)


@dataclass(frozen=True)
class Step:
    key: str
    done: bool


@dataclass(frozen=True)
class Checklist:
    steps: tuple
    dismissed: bool

    @property
    def done_count(self):
        return sum(step.done for step in self.steps)

    @property
    def complete(self):
        return self.done_count == len(self.steps)

    @property
    def shown(self):
        """On the teacher's home page until dismissed or done."""
        return not (self.dismissed or self.complete)


def checklist(teacher, settings=None):
    """The teacher's steps, worked out from the data (`settings`: theirs, when read
    already); none once they hid the list (it is asked on every visit to the
    calendar)."""
    if teacher.onboarding_dismissed_at is not None:
        return Checklist(steps=(), dismissed=True)
    settings = settings or TeacherSettings.for_teacher(teacher)
    done = {
        PASSWORD: teacher.password_generated_at is None,
        CHANNEL: channels.has_working_channel(teacher),
        HOURS: _ANY_WINDOW.scalar(db.database, teacher.id, 1) is not None,
        PRICE: settings.default_price > 0,
        GOALS: _ANY_GOAL.scalar(db.database, 1) is not None,
        PUBLIC_URL: bool((current_app.config.get("PUBLIC_URL") or "").strip()),
    }
    return Checklist(steps=tuple(Step(key, done[key]) for key in STEPS), dismissed=False)


# Asked on every visit while the list shows: their SQL built once.
_ANY_WINDOW = Prepared(lambda teacher_id, one: AvailabilityWindow.select(SQL("1")).where(
    AvailabilityWindow.teacher == teacher_id).limit(one))
_ANY_GOAL = Prepared(lambda one: Goal.select(SQL("1")).where(
    Goal.retired == False).limit(one))  # noqa: E712 (peewee expression)


def dismiss(teacher, now=None):
    """Hide the checklist for good (the banner about channels stays while it applies)."""
    now = now or utcnow()
    User.update(onboarding_dismissed_at=now).where(User.id == teacher.id).execute()
    teacher.onboarding_dismissed_at = now
