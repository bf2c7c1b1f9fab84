"""Why an outbox message failed or waits, said to the teacher (the fault codes and
their words), and the exceptions a channel's backend raises to say so
(services/outbox_backends.py); services/delivery.py acts on them."""
from flask_babel import lazy_gettext as _l

# Why a message failed or waits (Message.fault, ProviderFault.code), said to the
# teacher in their language; the provider's own words stay in last_error.
MAILGUN_KEY = "mailgun_key"
MAILGUN_DOMAIN = "mailgun_domain"
SMTP_AUTH = "smtp_auth"
# A fault's name (bandit takes it for a password); the token is in the config.
TELEGRAM_TOKEN = "telegram_token"  # nosec B105
ADDRESS_REFUSED = "address_refused"
CHAT_NOT_FOUND = "chat_not_found"
REFUSED = "refused"
GAVE_UP = "gave_up"
BLOCKED = "blocked"
DEACTIVATED = "deactivated"
# Anything else that went wrong with one message: a missing file, a client raising
# what it should not, a database error on that row.
BROKEN = "broken"
REASONS = {
    MAILGUN_KEY: _l("Mailgun refused the API key: check MAILGUN_API_KEY."),
    MAILGUN_DOMAIN: _l("Mailgun does not know the sending domain: check MAILGUN_DOMAIN "
                       "and the region in MAILGUN_URL."),
    SMTP_AUTH: _l("The mail server refused to log in: check SMTP_USERNAME and "
                  "SMTP_PASSWORD."),
    TELEGRAM_TOKEN: _l("Telegram refused the bot token: check TELEGRAM_BOT_TOKEN."),
    ADDRESS_REFUSED: _l("The recipient's address was refused: it probably does not exist."),
    CHAT_NOT_FOUND: _l("Telegram does not know the recipient's chat."),
    REFUSED: _l("The provider refused the message."),
    GAVE_UP: _l("The provider could not take the message after every attempt."),
    BLOCKED: _l("The recipient blocked the bot: their Telegram was unlinked and they read "
                "their messages in the app."),
    DEACTIVATED: _l("The recipient's Telegram account is deleted: their Telegram was "
                    "unlinked and they read their messages in the app."),
    BROKEN: _l("An error in the app stopped this message; the details are below and in "
               "the server's log."),
}
CONFIGURATION = frozenset({MAILGUN_KEY, MAILGUN_DOMAIN, SMTP_AUTH, TELEGRAM_TOKEN})
# A message about a failed message is not itself reported when it fails: no chain.
FAILURE_NOTICE = "message_failed"


def reason_text(code):
    """The teacher's words for a fault code ("" for none, the code itself if unknown)."""
    return REASONS.get(code, code) if code else ""


class Undeliverable(Exception):
    """Sending again will not help (a refused address, a blocked bot)."""

    def __init__(self, message, reason=REFUSED):
        super().__init__(message)
        self.reason = reason


class ChatGone(Undeliverable):
    """Telegram says the user blocked the bot or deleted their account: the chat is
    unlinked and the user moved to the in-app channel."""


class ConfigurationFault(Exception):
    """The provider refused us, not the message (a wrong key, an unknown domain, a bad
    token): every message of the channel waits until a send succeeds again."""

    def __init__(self, message, reason):
        super().__init__(message)
        self.reason = reason


class TryLater(Exception):
    """The provider could not take it now."""

    def __init__(self, message, after=None, in_doubt_since=None):
        super().__init__(message)
        self.after = after  # seconds the provider asked us to wait, if it said
        # The start of an attempt the provider may have accepted after all (no answer
        # came); the next attempt asks the provider first.
        self.in_doubt_since = in_doubt_since


class NotSettled(Exception):
    """The provider does not show an earlier attempt as accepted, but it is too soon
    to believe that: ask again at `until`."""

    def __init__(self, until):
        super().__init__(f"an earlier attempt may have been accepted; checking again at "
                         f"{until:%Y-%m-%d %H:%M:%S} UTC")
        self.until = until
