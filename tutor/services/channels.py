"""Which outside channels deliver on this site: the one place the forms, the profile,
the banner and the onboarding checklist ask.

E-mail delivers when EMAIL_BACKEND is "mailgun" with a domain and a key, or "smtp".
The default "console" backend only writes messages to the log: it keeps working for
development, but a user cannot receive anything through it, so the UI treats e-mail as
not configured. Telegram delivers when both TELEGRAM_BOT_TOKEN and TELEGRAM_BOT_NAME
are set. "In the app only" (User.NO_CHANNEL) always works: every notification is kept
in the user's inbox (the bell icon) whatever the channel.

A user whose saved channel stops being configured keeps the stored choice (it comes
back when the channel is configured again) but is treated as in the app only."""
from flask import current_app

from tutor.models import User

OUTSIDE = (User.EMAIL, User.TELEGRAM)  # in the order the forms offer them


def email_delivers(config=None):
    config = config if config is not None else current_app.config
    backend = (config.get("EMAIL_BACKEND") or "").strip().lower()
    if backend == "mailgun":
        return bool(config.get("MAILGUN_DOMAIN") and config.get("MAILGUN_API_KEY"))
    return backend == "smtp" and bool(config.get("SMTP_HOST"))


def telegram_delivers(config=None):
    config = config if config is not None else current_app.config
    name = (config.get("TELEGRAM_BOT_NAME") or "").strip().removeprefix("@")
    return bool(config.get("TELEGRAM_BOT_TOKEN") and name)


def delivers(channel, config=None):
    """Can a message on `channel` reach anyone outside the app on this site?"""
    if channel == User.EMAIL:
        return email_delivers(config)
    if channel == User.TELEGRAM:
        return telegram_delivers(config)
    return False


def delivering(config=None):
    """The outside channels that deliver, in the order the forms offer them."""
    return tuple(channel for channel in OUTSIDE if delivers(channel, config))


def offered(stored=None, config=None):
    """The channels a form offers: those that deliver, then "in the app only", then the
    user's stored channel when it no longer delivers (shown, never silently dropped)."""
    choices = [*delivering(config), User.NO_CHANNEL]
    if stored in OUTSIDE and stored not in choices:
        choices.append(stored)
    return choices


def acceptable(channel, stored=None, config=None):
    """May a form save `channel`? One that delivers, "in the app only", or the user's
    stored channel kept unchanged (saving other settings does not force a switch)."""
    return channel in User.CHANNELS and (
        channel == User.NO_CHANNEL or delivers(channel, config) or channel == stored)


def has_working_channel(user, config=None):
    """The user's channel delivers and has an address (an e-mail, a linked chat)."""
    return delivers(user.channel, config) and bool(user.address)
