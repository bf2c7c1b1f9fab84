"""The Telegram bot: binding a chat that opens a deep link (telegram_links makes them),
the commands /start, /today, /week, /pending and /stop, and the buttons under messages
(quick_actions: confirm or reject a request, accept or cancel a moved lesson).

Updates come from the webhook (views/telegram.py, through a huey task) or from long
polling (`flask telegram-poll`); either way handle_update() takes one Update, handles
each update_id once, and answers in the user's language straight through the Bot API
(an answer is not a notification: it does not go through the outbox)."""
import logging
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from flask_babel import force_locale
from flask_babel import gettext as _

from tutor.database import exclusive
from tutor.extensions import db
from tutor.formatting import zone_label
from tutor.integrations.telegram import (
    TelegramError,
    markup_on_last,
    split_message,
    telegram_html,
)
from tutor.models import Lesson, TelegramLink, TelegramUpdate, User, utcnow
from tutor.services import (
    action_links, booking, outbox_backends, quick_actions, recipients, schedule,
    telegram_lists, trial_chat, trials, zones)
from tutor.services.telegram_links import (  # noqa: F401 (the site's side, named here too)
    ALLOWED_UPDATES,
    LINKS_KEPT,
    LINK_LIFETIME,
    BotNotConfigured,
    InvalidUpdate,
    LinkState,
    bind_chat,
    bot_name,
    configured,
    link_state,
    make_link,
    token_hash,
    unlink,
    update_id_of,
    username_of,
)

log = logging.getLogger("tutor.telegram")

UPDATES_KEPT = timedelta(days=7)  # longer than Telegram retries a webhook delivery
PENDING_LISTED = 10  # requests /pending sends, each with its buttons, soonest first


@dataclass(frozen=True)
class Reply:
    chat_id: int
    text: str  # Telegram HTML
    markup: dict | None = None  # an inline keyboard under the (last piece of the) text
    more: tuple = ()  # further Replies sent after this one (a pending request each)


@dataclass(frozen=True)
class Press:
    """The answer to a button press: a notice (answerCallbackQuery) and, when the
    press did something, the message edited to say what (its buttons gone)."""

    callback_id: str
    notice: str
    chat_id: int | None = None
    message_id: int | None = None
    text: str | None = None  # the message's new text (HTML); None: not edited
    markup: dict | None = None
    follow: Reply | None = None  # a message sent after the answer (the next question)


# --- updates ---------------------------------------------------------------------------

def handle_update(update, now=None):
    """Handle one Update (a dict as Telegram sends it) and send the answer. Returns
    the Reply, or None when there is nothing to answer or the update_id was handled
    before. Raises InvalidUpdate."""
    update_id = update_id_of(update)
    now = now or utcnow()
    with exclusive(db.database, "telegram-updates"):
        if TelegramUpdate.select().where(TelegramUpdate.update_id == update_id).exists():
            return None
        TelegramUpdate.create(update_id=update_id, received_at=now)
        (TelegramUpdate
         .delete()
         .where(TelegramUpdate.received_at < now - UPDATES_KEPT)
         .execute())
        if "callback_query" in update:
            reply = _press(update["callback_query"], now)
        else:
            reply = _answer(update.get("message"), now)
    if isinstance(reply, Press):
        _answer_press(reply)
    elif reply is not None:
        _send(reply)
    return reply


def poll(bot, offset=None, timeout=25):
    """One long-polling round: fetch the updates after `offset` (None: every one not
    yet confirmed), handle them, and return (next offset, how many came). Passing the
    next offset to getUpdates confirms these to Telegram. An update that breaks the
    handler is logged and skipped, so it cannot stop the bot for good."""
    updates = bot.get_updates(offset=offset, timeout=timeout, allowed_updates=ALLOWED_UPDATES)
    for update in updates:
        try:
            update_id = update_id_of(update)
        except InvalidUpdate:
            log.warning("Telegram sent something that is not an update: %r", update)
            continue
        offset = max(offset or 0, update_id + 1)
        try:
            handle_update(update)
        except Exception:
            log.exception("Telegram update %s could not be handled", update_id)
    return offset, len(updates)


def _send(reply):
    bot = outbox_backends.bot()
    if bot is None:
        log.info("Telegram reply to %s: %s", reply.chat_id, reply.text)
        return
    try:
        for piece, markup in markup_on_last(split_message(reply.text), reply.markup):
            bot.send_message(reply.chat_id, piece, reply_markup=markup)
    except TelegramError as error:
        # What the update changed stands; only the answer is lost.
        log.warning("Telegram reply to chat %s failed: %s", reply.chat_id, error)
    for more in reply.more:
        _send(more)


def _answer_press(press):
    bot = outbox_backends.bot()
    if bot is None:
        log.info("Telegram button answer: %s", press.notice)
        return
    try:
        # First: Telegram shows a spinner on the button until it is answered.
        bot.answer_callback_query(press.callback_id, press.notice)
        if press.text is not None:
            bot.edit_message_text(press.chat_id, press.message_id, press.text,
                                  reply_markup=press.markup)
    except TelegramError as error:
        log.warning("Telegram answer to a button press failed: %s", error)
    if press.follow is not None:
        _send(press.follow)


def _answer(message, now):
    if not isinstance(message, dict):
        return None  # an edited message, a membership change…: nothing to answer
    chat, sender = message.get("chat"), message.get("from")
    if not (isinstance(chat, dict) and chat.get("type") == "private"
            and isinstance(chat.get("id"), int) and isinstance(sender, dict)):
        return None  # the bot talks to people, not in groups or channels
    chat_id = chat["id"]
    user = User.get_or_none(User.telegram_chat_id == str(chat_id))
    text = message.get("text")
    words = text.split(maxsplit=1) if isinstance(text, str) else []  # a sticker has none
    command = words[0].split("@", 1)[0].lower() if words else ""
    argument = words[1].strip() if len(words) > 1 else ""

    if command == "/start" and argument:
        return _link(argument, chat_id, sender, user, now)
    said = trial_chat.handle(chat_id, sender, command if command.startswith("/") else "",
                             text, now)
    if said is not None:
        return Reply(chat_id, said.text, said.markup)
    locale = chat_locale(user, sender)
    with force_locale(locale):
        if user is None:
            if command == "/start":
                text = _("Hello! This bot sends notifications from your tutor's site.")
                trial = _("To ask for a trial lesson, press the button below or send /trial.")
                return Reply(chat_id, "\n\n".join([telegram_html(text), _how_to_link(),
                                                    telegram_html(trial)]),
                             {"inline_keyboard": [[trial_chat.start_button()]]})
            return Reply(chat_id, "\n\n".join([
                telegram_html(_("This chat is not linked to an account yet.")),
                _how_to_link()]))
        if command == "/today":
            return Reply(chat_id, telegram_lists.today(user, now))
        if command == "/week":
            return Reply(chat_id, telegram_lists.week(user, now))
        if command == "/pending":
            return _pending(chat_id, user, now)
        if command == "/stop":
            return Reply(chat_id, _stop(user))
        if command == "/start":
            return Reply(chat_id, "\n\n".join([
                telegram_html(_("Hello, %(name)s! This chat is linked to your account %(login)s.",
                                name=user.first_name or user.login, login=user.login)),
                _commands()]))
        return Reply(chat_id, _commands())


def _link(token, chat_id, sender, chat_user, now):
    """/start <token>: bind the chat to the token's user. The chat, and the sender's
    username, leave any other account that had them."""
    link = (TelegramLink
            .select(TelegramLink, User)
            .join(User)
            .where((TelegramLink.token_hash == token_hash(token))
                   & (TelegramLink.expires_at > now))
            .first())
    if link is None:
        with force_locale(chat_locale(chat_user, sender)):
            text = telegram_html(_("This link does not work any more: it has expired or has "
                                   "already been used."))
            if chat_user is not None:
                return Reply(chat_id, "\n\n".join([text, telegram_html(_(
                    "This chat is linked to your account %(login)s.", login=chat_user.login))]))
            return Reply(chat_id, f"{text}\n\n{_how_to_link()}")
    user = link.user
    previous = chat_user if chat_user is not None and chat_user.id != user.id else None
    bind_chat(user, chat_id, _username(sender))

    with force_locale(recipients.recipient_locale(user)):
        lines = [telegram_html(_("Done! This chat is now linked to your account %(login)s.",
                                 login=user.login))]
        if previous is not None:
            lines.append(telegram_html(_("It is no longer linked to the account %(login)s.",
                                         login=previous.login)))
        if user.channel == User.TELEGRAM:
            lines.append(telegram_html(_("Your notifications will come here.")))
        else:
            lines.append(telegram_html(_("Your notifications do not go to Telegram now: to get "
                                         "them here, choose Telegram in your profile on the "
                                         "site.")))
        lines.append(_commands())
        return Reply(chat_id, "\n\n".join(lines))


def _stop(user):
    """/stop: notifications off, the same as choosing "nothing" in the profile. The
    chat stays linked, so /today works and choosing Telegram again needs no link."""
    if user.channel != User.TELEGRAM:
        return telegram_html(_("Telegram notifications are already off for your account "
                               "%(login)s.", login=user.login))
    (User
     .update(channel=User.NO_CHANNEL, digest_time=None)
     .where(User.id == user.id)
     .execute())
    return "\n".join([
        telegram_html(_("Telegram notifications are off for your account %(login)s. You will "
                        "get no lesson confirmations, reminders or password-reset links.",
                        login=user.login)),
        telegram_html(_("To turn them on again, choose Telegram in your profile on the site. "
                        "/today still works here."))])


def _pending(chat_id, user, now):
    """/pending: the lessons awaiting the teacher's answer that have not started. A
    teacher gets each request as its own message with the Confirm/Reject buttons of
    the "new booking request"; a student, the list of their own requests."""
    zone = ZoneInfo(recipients.recipient_zone(user))
    lessons = list(telegram_lists.lessons_of(user)
                   .where((Lesson.status == Lesson.PENDING) & (Lesson.start > now))
                   .limit(PENDING_LISTED))
    if not lessons:
        return Reply(chat_id, telegram_html(_("Nothing is awaiting confirmation.")))
    title = telegram_html(_("Awaiting confirmation (times in %(zone)s):",
                            zone=zone_label(zone.key)))
    if not user.is_teacher:
        return Reply(chat_id, "\n".join(
            [f"<b>{title}</b>"] + [telegram_lists.lesson_line(user, lesson, zone, day=True)
                                   for lesson in lessons]))
    more = tuple(Reply(chat_id, telegram_lists.lesson_line(user, lesson, zone, day=True),
                       markup=action_links.keyboard("lesson_booked", user, lesson, now))
                 for lesson in lessons)
    return Reply(chat_id, f"<b>{title}</b>", more=more)


def _press(callback, now):
    """A button under one of our messages was pressed: do what it says if the chat
    pressing is the one it was for (quick_actions checks the rest)."""
    if not isinstance(callback, dict) or not isinstance(callback.get("id"), str):
        return None
    sender, message = callback.get("from"), callback.get("message")
    sender_id = sender.get("id") if isinstance(sender, dict) else None
    if not isinstance(sender_id, int):
        return None
    user = User.get_or_none(User.telegram_chat_id == str(sender_id))
    chat = message.get("chat") if isinstance(message, dict) else None
    chat_id = chat.get("id") if isinstance(chat, dict) else None
    message_id = message.get("message_id") if isinstance(message, dict) else None
    data = callback.get("data")
    if isinstance(data, str) and data.startswith(trial_chat.PREFIX):
        return _trial_press(callback, data, sender, chat, now)
    if isinstance(data, str) and data.startswith(action_links.TRIAL_DECLINE):
        return _decline_trial(callback, data, user, sender, message, now)
    with force_locale(chat_locale(user, sender)):
        try:
            action = action_links.read_callback(callback.get("data"))
            outcome = quick_actions.perform(action, user, now)
        except (action_links.Forged, quick_actions.ActionRefused,
                booking.BookingError) as error:
            return Press(callback["id"], quick_actions.refusal_text(error))
        notice = quick_actions.outcome_text(outcome)
        if not (isinstance(chat_id, int) and isinstance(message_id, int)):
            return Press(callback["id"], notice)  # too old a message to edit
        text = _with_outcome(message, notice)
        rows = action_links.open_row(outcome.lesson) if outcome.code in (
            action_links.CONFIRM, action_links.ACCEPT) else []
        return Press(callback["id"], notice, chat_id, message_id, text,
                     {"inline_keyboard": rows} if rows else None)


def _trial_press(callback, data, sender, chat, now):
    """A button of the trial conversation: it acts on the chat it was pressed in,
    a private chat whose id is the sender's (a forged group or foreign chat: nothing)."""
    with force_locale(trial_chat.locale_of(sender)):
        if not (isinstance(chat, dict) and chat.get("type") == "private"
                and chat.get("id") == sender["id"]):
            return Press(callback["id"], quick_actions.refusal_text(action_links.Forged()))
        notice, said = trial_chat.press(data, sender["id"], sender, now)
    follow = Reply(sender["id"], said.text, said.markup) if said else None
    return Press(callback["id"], notice, follow=follow)


def _decline_trial(callback, data, user, sender, message, now):
    """The teacher's "Decline" under a trial request: declined as on its page
    (trials.decline checks whose it is), the message edited to say so."""
    with force_locale(chat_locale(user, sender)):
        try:
            trial_id = action_links.read_trial_decline(data)
            if user is None or not user.is_teacher:
                raise quick_actions.NotYours()
            trials.decline(user, trial_id, now)
        except (action_links.Forged, quick_actions.NotYours, trials.RequestNotFound) as error:
            refusal = error if not isinstance(error, trials.RequestNotFound) else \
                quick_actions.NotYours()
            return Press(callback["id"], quick_actions.refusal_text(refusal))
        except trials.AlreadyDecided:
            return Press(callback["id"], quick_actions.refusal_text(quick_actions.AlreadyUsed()))
        zone = recipients.recipient_zone(user, schedule.settings_for(user).timezone)
        notice = _("Declined by you at %(time)s.", time=zones.local(now, zone).strftime("%H:%M"))
        chat = message.get("chat") if isinstance(message, dict) else None
        if not (isinstance(chat, dict) and isinstance(message.get("message_id"), int)):
            return Press(callback["id"], notice)
        text = _with_outcome(message, notice)
        return Press(callback["id"], notice, chat.get("id"), message["message_id"], text)


def _with_outcome(message, notice):
    """A pressed message's text with what the press did below it, in bold."""
    shown = message.get("text") if isinstance(message.get("text"), str) else ""
    return "\n\n".join(part for part in (telegram_html(shown.strip()),
                                          f"<b>{telegram_html(notice)}</b>") if part)


def _commands():
    return "\n".join([
        telegram_html(_("Commands:")),
        telegram_html(_("/today — your lessons today")),
        telegram_html(_("/week — your lessons in the next 7 days")),
        telegram_html(_("/pending — lessons awaiting confirmation")),
        telegram_html(_("/stop — turn Telegram notifications off"))])


def _how_to_link():
    return telegram_html(_("To link this chat to your account, log in on the site, open your "
                           "profile, choose Telegram for notifications and press \"Link "
                           "Telegram\"."))


def chat_locale(user, sender):
    """The user's language; for a chat not linked yet, the sender's Telegram language
    when the site has it."""
    if user is not None:
        return recipients.recipient_locale(user)
    return trial_chat.locale_of(sender)


def _username(sender):
    return username_of(sender.get("username"))


