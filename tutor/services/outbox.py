"""The outbox as the app manages it, besides delivering (services/delivery.py): its
counts and standing faults for the teacher's page, a failed message sent again, held
messages released when their channel starts to work, a user's "Telegram unlinked"
notice seen."""
from peewee import fn

from tutor.database import Prepared
from tutor.models import Message, ProviderFault, User, utcnow
from tutor.services import channels


def faults():
    """The standing configuration faults, oldest first (the teacher's banner)."""
    return _FAULTS.all(ProviderFault)


_FAULTS = Prepared(lambda: ProviderFault.select().order_by(ProviderFault.since))


def telegram_notice_seen(user):
    """Clear the user's "your Telegram was unlinked" mark; True when this call did (so
    two requests at once show the notice once)."""
    return (User
            .update(telegram_lost_at=None)
            .where((User.id == user.id) & User.telegram_lost_at.is_null(False))
            .execute()) == 1


def release_held(user):
    """The user's Telegram chat is linked now: their held messages go out, and those
    written before the link and not tried yet get the chat too."""
    waiting = (Message.user == user) & (Message.channel == User.TELEGRAM)
    (Message.update(address=user.telegram_chat_id)
     .where(waiting & (Message.status == Message.PENDING) & Message.address.is_null())
     .execute())
    return (Message
            .update(status=Message.PENDING, address=user.telegram_chat_id,
                    next_attempt_at=utcnow())
            .where(waiting & (Message.status == Message.HELD))
            .execute())


def release_configured(now=None):
    """Messages held with an address because their channel did not deliver on this
    site yet (a trial's welcome by e-mail on a new install) go out once it does."""
    released = 0
    for channel in channels.delivering():
        released += (Message
                     .update(status=Message.PENDING, next_attempt_at=now or utcnow())
                     .where((Message.channel == channel) & (Message.status == Message.HELD)
                            & Message.address.is_null(False))
                     .execute())
    return released


def retry(message_id, now=None):
    """Send a failed message again, counting attempts from one. Telegram parts that
    went out already are not sent again, and an attempt in doubt is still checked
    first. Returns False when there is no failed message with that id."""
    return (Message
            .update(status=Message.PENDING, attempts=0, next_attempt_at=now or utcnow(),
                    last_error="")
            .where((Message.id == message_id) & (Message.status == Message.FAILED))
            .execute()) == 1


def counts():
    """How many messages are in each status, for the teacher's outbox page."""
    return dict(Message
                .select(Message.status, fn.COUNT(Message.id))
                .group_by(Message.status)
                .tuples())
