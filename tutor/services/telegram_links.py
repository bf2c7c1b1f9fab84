"""Binding a Telegram chat to an account from the site: the one-time deep link the
profile page makes, what the profile shows, unlinking; and the id of an incoming
Update, which the webhook checks. The web pages need these; the bot itself
(telegram_bot, its commands and buttons) loads only where updates are handled."""
import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app

from tutor.extensions import db
from tutor.models import Message, TelegramLink, User, utcnow
from tutor.services import bounds, channels, outbox

LINK_LIFETIME = timedelta(hours=24)
LINKS_KEPT = 5  # unexpired links one user may hold at once (one per open page, say)
# All the bot reads; asked for in setWebhook/getUpdates.
ALLOWED_UPDATES = ("message", "callback_query")


class BotNotConfigured(Exception):
    """TELEGRAM_BOT_TOKEN or TELEGRAM_BOT_NAME is not set."""


class InvalidUpdate(Exception):
    """Not a Telegram Update: no integer update_id."""


@dataclass(frozen=True)
class LinkState:
    """What the profile shows about Telegram: linked (as whom), or that the link step
    is due. The deep link itself is made only when the user asks for it (a POST), so
    showing a page never writes a token."""

    linked: bool
    username: str | None = None
    due: bool = False  # Telegram is the channel and no chat is linked yet
    configured: bool = True


# --- linking from the site -------------------------------------------------------------

def bot_name():
    return current_app.config["TELEGRAM_BOT_NAME"].strip().removeprefix("@")


def configured():
    return channels.telegram_delivers()


def make_link(user, now=None):
    """A new deep link https://t.me/<bot>?start=<token> that binds the chat opening
    it to `user`: valid LINK_LIFETIME, once. Earlier links stay valid (another tab
    may show one) up to LINKS_KEPT. Raises BotNotConfigured."""
    if not configured():
        raise BotNotConfigured()
    now = now or utcnow()
    token = secrets.token_urlsafe(24)  # 32 characters of A-Z a-z 0-9 _ -, as Telegram allows
    with db.database.atomic():
        TelegramLink.delete().where(TelegramLink.expires_at <= now).execute()  # anyone's
        kept = (TelegramLink
                .select(TelegramLink.id)
                .where((TelegramLink.user == user) & (TelegramLink.expires_at > now))
                .order_by(TelegramLink.id.desc())
                .limit(LINKS_KEPT - 1))
        (TelegramLink
         .delete()
         .where((TelegramLink.user == user) & TelegramLink.id.not_in(kept))
         .execute())
        TelegramLink.create(user=user, token_hash=token_hash(token), created_at=now,
                            expires_at=now + LINK_LIFETIME)
    return f"https://t.me/{bot_name()}?start={token}"


def link_state(user):
    """For the profile: linked, or the link step when Telegram is the user's channel
    and no chat is bound yet."""
    if user.telegram_chat_id:
        return LinkState(linked=True, username=user.telegram_username)
    if user.channel != User.TELEGRAM:
        return LinkState(linked=False)
    if not configured():
        return LinkState(linked=False, configured=False)
    return LinkState(linked=False, due=True)


def unlink(user):
    """Forget the user's chat and username. Telegram messages not sent yet wait
    (held) for the next chat instead of going to the old one."""
    with db.database.atomic():
        (User
         .update(telegram_chat_id=None, telegram_username=None)
         .where(User.id == user.id)
         .execute())
        (Message
         .update(status=Message.HELD, address=None)
         .where((Message.user == user) & (Message.channel == User.TELEGRAM)
                & (Message.status == Message.PENDING))
         .execute())
    user.telegram_chat_id = user.telegram_username = None


def token_hash(token):
    """How a link's token is stored (the bot looks it up the same way)."""
    return hashlib.sha256(token.encode()).hexdigest()


def update_id_of(update):
    """The Update's id, one that TelegramUpdate.update_id (a bigint) holds: 2**70 is
    refused here, not by the database in a task retried for ever. Raises InvalidUpdate."""
    update_id = update.get("update_id") if isinstance(update, dict) else None
    if not bounds.is_big_integer(update_id):
        raise InvalidUpdate()
    return update_id


def bind_chat(user, chat_id, username):
    """Link the Telegram chat `chat_id` (a private chat's id is its person's) to
    `user`, by the bot's /start or the Login Widget. The chat is one Telegram person:
    an account that had it loses it, and its name; messages held for a chat go."""
    chat = str(chat_id)
    (User
     .update(telegram_chat_id=None, telegram_username=None)
     .where((User.telegram_chat_id == chat) & (User.id != user.id))
     .execute())
    if username:
        # Telegram usernames change hands: the one who holds it now is this sender.
        (User
         .update(telegram_username=None)
         .where((User.telegram_username == username) & (User.id != user.id))
         .execute())
    (User
     .update(telegram_chat_id=chat, telegram_username=username)
     .where(User.id == user.id)
     .execute())
    TelegramLink.delete().where(TelegramLink.user == user).execute()
    user.telegram_chat_id, user.telegram_username = chat, username
    outbox.release_held(user)


def username_of(username):
    """A Telegram username as stored: lower-case, without @ (None: none)."""
    if not isinstance(username, str) or not username.strip():
        return None
    return username.strip().removeprefix("@").lower()[:64]
