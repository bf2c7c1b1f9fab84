"""Pressing a one-tap answer (a Telegram button, an e-mail confirmation page): the
same booking function the lesson page calls, with its checks and its notices to the
other side, after checking that the signed action is still about the lesson as it
is, that the one pressing is the one it was for, and that it was not used before.

The check, the change and the record of the use are one transaction under the
teacher's calendar lock, so a double press changes the lesson once."""
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _

from tutor.models import ActionUse, Lesson, utcnow
from tutor.services import booking, recipients, schedule
from tutor.services.action_links import (
    ACCEPT,
    CANCEL,
    CONFIRM,
    REJECT,
    Forged,
    actor_of,
    version,
)
from tutor.services.zones import local

USES_KEPT = timedelta(days=1)  # after the lesson's start, past any token's expiry


class ActionRefused(Exception):
    """The answer changes nothing; the subclass says why."""


class NotYours(ActionRefused):
    """Somebody else pressed: not the lesson's teacher (or student) chat."""


class AlreadyUsed(ActionRefused):
    """This button or link was used before."""


class Changed(ActionRefused):
    """The lesson is gone or was moved since the message was written."""


class Expired(ActionRefused):
    """The lesson has started: the link expired."""


@dataclass(frozen=True)
class Outcome:
    code: str
    lesson: Lesson
    actor: object
    at: datetime  # naive UTC


def check(action, now=None):
    """The lesson `action` is about, as it is now; raises AlreadyUsed, Changed or
    Expired when pressing it would change nothing."""
    now = now or utcnow()
    if ActionUse.select().where(ActionUse.key == action.key).exists():
        raise AlreadyUsed()
    lesson = Lesson.get_or_none(Lesson.id == action.lesson_id)
    if lesson is None or version(lesson) != action.version:
        raise Changed()
    if now >= (action.expires_at or lesson.start) or now >= lesson.start:
        raise Expired()
    return lesson


def perform(action, user, now=None):
    """Do `action` as `user` (the chat's user, or for an e-mail link the one it was
    sent to). Returns an Outcome; raises ActionRefused or booking.BookingError, and
    nothing is changed then."""
    now = now or utcnow()
    lesson = Lesson.get_or_none(Lesson.id == action.lesson_id)
    if lesson is not None and (user is None or user.id != actor_of(action.code, lesson).id):
        raise NotYours()
    teacher_id = lesson.teacher_id if lesson is not None else 0
    with schedule.lock(teacher_id):
        lesson = check(action, now)
        if user is None or user.id != actor_of(action.code, lesson).id:
            raise NotYours()
        if action.code == CONFIRM:
            price = schedule.settings_for(lesson.teacher_id).default_price
            lesson = booking.confirm_lesson(user, lesson, price, lesson.people, now=now)
        elif action.code == REJECT:
            booking.reject_lesson(user, lesson)
        elif action.code == CANCEL:
            booking.cancel_lesson(user, lesson, now=now)
        # ACCEPT: the lesson is confirmed at the new time already; the answer is noted.
        ActionUse.delete().where(ActionUse.expires_at < now - USES_KEPT).execute()
        ActionUse.create(key=action.key, used_at=now,
                         expires_at=action.expires_at or lesson.start)
    return Outcome(action.code, lesson, user, now)


def outcome_text(outcome):
    """"Confirmed by you at 14:02", in the actor's zone (call inside their locale)."""
    settings = schedule.settings_for(outcome.lesson.teacher_id)
    zone = recipients.recipient_zone(outcome.actor, settings.timezone)
    time = local(outcome.at, zone).strftime("%H:%M")
    if outcome.code == CONFIRM:
        return _("Confirmed by you at %(time)s.", time=time)
    if outcome.code == REJECT:
        return _("Rejected by you at %(time)s.", time=time)
    if outcome.code == ACCEPT:
        return _("You accepted the new time at %(time)s.", time=time)
    return _("Cancelled by you at %(time)s.", time=time)


def refusal_text(error):
    """Why pressing changed nothing, in the current locale."""
    if isinstance(error, Forged):
        return _("This button does not work: nothing was changed.")
    if isinstance(error, NotYours):
        return _("This is not for you to answer: nothing was changed.")
    if isinstance(error, AlreadyUsed):
        return _("This has already been answered: nothing was changed.")
    if isinstance(error, Changed | booking.LessonNotFound):
        return _("This lesson has changed or no longer exists since the message was sent: "
                 "nothing was changed.")
    if isinstance(error, Expired | booking.InThePast):
        return _("This lesson has already started: nothing was changed.")
    if isinstance(error, booking.NotPending):
        return _("This lesson has already been confirmed: nothing was changed.")
    if isinstance(error, booking.TooLateToCancel):
        return _("It is too late to cancel this lesson here: please contact the teacher.")
    return _("This cannot be done: nothing was changed.")
