"""A trial lesson asked for in the Telegram bot: /trial (or the button under /start)
asks step by step for the visitor's name, goal and preferred times, then, optionally,
a phone or e-mail; /cancel or the Cancel button stops. The request goes through
trials.ask, the function the web form calls, with its limits: one request a day per
chat (the chat is the contact) and TRIAL_RATE_LIMIT per chat, as the form has per
address.

Where the conversation is stands in the database (TrialChat), so a restart or another
host goes on with it. Nothing here looks at who the chat belongs to: a chat linked to
an account and an unknown one are asked and answered alike, in the sender's Telegram
language (the site's default otherwise)."""
import logging
import re
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from tutor.extensions import limiter
from tutor.integrations.telegram import telegram_html
from tutor.models import CONTROL_CHARACTERS, TrialChat, utcnow
from tutor.services import trials

log = logging.getLogger("tutor.telegram")

NAME, GOAL, TIMES, CONTACT = "name", "goal", "times", "contact"
CHAT_KEPT = timedelta(days=1)  # a conversation left this long is forgotten
# callback_data of the conversation's buttons: they act only on the pressing chat.
PREFIX = "trial:"
START, CANCEL, SKIP = f"{PREFIX}start", f"{PREFIX}cancel", f"{PREFIX}skip"
PHONE = re.compile(r"^\+?[\d\s()\-]{5,30}$")


@dataclass(frozen=True)
class Said:
    """What the bot answers: Telegram HTML and an inline keyboard (or None)."""

    text: str
    markup: dict | None = None


def start_button():
    """The "book a trial lesson" button (call inside the chat's locale)."""
    return {"text": _("Book a trial lesson"), "callback_data": START}


def locale_of(sender):
    """The sender's Telegram language when the site has it, else the default: never
    the language of an account the chat may be linked to."""
    code = sender.get("language_code") if isinstance(sender, dict) else None
    language = code.split("-", 1)[0].lower() if isinstance(code, str) else ""
    if language in current_app.config["LANGUAGES"]:
        return language
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def current(chat_id, now=None):
    """The chat's conversation, or None (none, or forgotten after CHAT_KEPT)."""
    now = now or utcnow()
    return TrialChat.get_or_none((TrialChat.chat_id == str(chat_id))
                                 & (TrialChat.updated_at > now - CHAT_KEPT))


def begin(chat_id, sender, now=None):
    """Start (or start over) the chat's conversation: ask for the name."""
    now = now or utcnow()
    TrialChat.delete().where((TrialChat.chat_id == str(chat_id))
                             | (TrialChat.updated_at <= now - CHAT_KEPT)).execute()
    chat = TrialChat.create(chat_id=str(chat_id), step=NAME, locale=locale_of(sender),
                            updated_at=now)
    with force_locale(chat.locale):
        intro = telegram_html(_("Let us book a trial lesson. I will ask a few short "
                                "questions; /cancel stops."))
        return Said(f"{intro}\n\n{_question(NAME)}", _buttons(NAME))


def handle(chat_id, sender, command, text, now=None):
    """A message in a private chat: the conversation's next step, or None when the
    chat has no conversation (or another command ends it) and the bot answers as
    usual. `command`: the message's command in lower case ("" for none)."""
    now = now or utcnow()
    if command == "/trial":
        return begin(chat_id, sender, now)
    chat = current(chat_id, now)
    if chat is None:
        return None
    if command == "/cancel":
        return cancel(chat_id)
    if command:  # another command: the conversation ends, the command is answered
        TrialChat.delete().where(TrialChat.id == chat.id).execute()
        return None
    with force_locale(chat.locale):
        return _step(chat, text, sender, now)


def press(data, chat_id, sender, now=None):
    """One of the conversation's buttons pressed in `chat_id`: (notice, Said)."""
    now = now or utcnow()
    if data == START:
        return "", begin(chat_id, sender, now)
    chat = current(chat_id, now)
    locale = chat.locale if chat is not None else locale_of(sender)
    with force_locale(locale):
        if chat is None:
            return _("Nothing to answer: start again with /trial."), None
        if data == CANCEL:
            return "", cancel(chat_id)
        if chat.step not in (GOAL, TIMES, CONTACT):  # the name cannot be skipped
            return _("Please answer the question."), None
        return "", _step(chat, "", sender, now)


def cancel(chat_id):
    chat = TrialChat.get_or_none(TrialChat.chat_id == str(chat_id))
    TrialChat.delete().where(TrialChat.chat_id == str(chat_id)).execute()
    with force_locale(chat.locale if chat else current_app.config["BABEL_DEFAULT_LOCALE"]):
        return Said(telegram_html(_("Cancelled: nothing was sent. /trial starts again.")))


def _step(chat, text, sender, now):
    """Take the answer to the chat's current question ("" from the Skip button) and
    ask the next one; the last answer sends the request."""
    if not isinstance(text, str):
        return Said(f"{telegram_html(_('Please answer with text.'))}\n\n"
                    f"{_question(chat.step)}", _buttons(chat.step))
    answer = CONTROL_CHARACTERS.sub("", text).strip()
    problem = _problem(chat.step, answer)
    if problem:
        return Said(f"{telegram_html(problem)}\n\n{_question(chat.step)}", _buttons(chat.step))
    if chat.step == CONTACT:
        return _send(chat, answer, sender, now)
    field, following = {NAME: ("name", GOAL), GOAL: ("goal", TIMES),
                        TIMES: ("preferred_times", CONTACT)}[chat.step]
    (TrialChat
     .update({getattr(TrialChat, field): answer, TrialChat.step: following,
              TrialChat.updated_at: now})
     .where(TrialChat.id == chat.id)
     .execute())
    return Said(_question(following), _buttons(following))


def _problem(step, answer):
    """Why an answer is not taken (in the current locale), or None."""
    limit = {NAME: trials.MAX_NAME, CONTACT: trials.MAX_CONTACT}.get(step, trials.MAX_TEXT)
    if step == NAME and not answer:
        return _("Please tell me your name.")
    if len(answer) > limit:
        return _("Please keep it shorter: at most %(count)d characters.", count=limit)
    if step == CONTACT and answer and not (trials.email_of(answer) or PHONE.match(answer)):
        return _("This is neither a phone number nor an e-mail address.")
    return None


def _send(chat, extra, sender, now):
    """The request goes to the teacher through trials.ask (a repeat within a day is
    answered alike, and nothing is sent); the conversation is over."""
    TrialChat.delete().where(TrialChat.id == chat.id).execute()
    if not _within_rate_limit(chat.chat_id):
        return Said(telegram_html(_("Too many requests from this chat: please try again "
                                    "later.")))
    username = sender.get("username") if isinstance(sender, dict) else None
    contact = f"Telegram @{username}" if isinstance(username, str) and username else "Telegram"
    if extra:
        contact = f"{contact}, {extra}"
    trials.ask(chat.name, contact, chat.goal, chat.preferred_times, now,
               chat_id=int(chat.chat_id), locale=chat.locale)
    return Said(telegram_html(_("Thank you! The teacher will answer you here, in this chat, "
                                "to agree on a time.")))


def _within_rate_limit(chat_id):
    """TRIAL_RATE_LIMIT per chat, counted where the web form's limits are counted."""
    if not (current_app.config.get("RATELIMIT_ENABLED") and limiter.initialized):
        return True
    from limits import parse  # Flask-Limiter's own parser
    try:
        return limiter.limiter.hit(parse(current_app.config["TRIAL_RATE_LIMIT"]),
                                   "trial-bot", str(chat_id))
    except Exception:  # noqa: BLE001 (the counter's store is down: the day's limit holds)
        log.exception("the trial rate limit could not be counted")
        return True


def _question(step):
    return telegram_html({
        NAME: _("What is your name?"),
        GOAL: _("What would you like to learn, and what for?"),
        TIMES: _("Which days and times suit you?"),
        CONTACT: _("The teacher will answer you here. If you would like to be reached "
                   "by phone or e-mail too, send it; otherwise press Skip."),
    }[step])


def _buttons(step):
    row = [] if step == NAME else [{"text": _("Skip"), "callback_data": SKIP}]
    return {"inline_keyboard": [row + [{"text": _("Cancel"), "callback_data": CANCEL}]]}
