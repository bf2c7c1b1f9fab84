"""Writing notifications to the outbox. Each kind is one template,
templates/messages/<kind>.html, with blocks `subject`, `text` and `html`, rendered in
the recipient's language. Delivery is the job of the outbox worker."""
import uuid
from datetime import timezone
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.numbers import format_decimal
from flask import current_app, render_template
from flask_babel import force_locale
from peewee import IntegrityError

from tutor.models import Message, User


def _render(kind, locale, context):
    template = current_app.jinja_env.get_template(f"messages/{kind}.html")
    with force_locale(locale):
        current_app.update_template_context(context)
        rendered = {}
        for block in ("subject", "text", "html"):
            if block in template.blocks:
                block_context = template.new_context(context)
                rendered[block] = "".join(template.blocks[block](block_context)).strip()
    return rendered


def recipient_locale(user):
    return user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]


def recipient_zone(user, fallback=None):
    """The zone a user reads times in: their own, else `fallback` (the teacher's
    zone), else the configured teacher zone."""
    return user.timezone or fallback or current_app.config["TEACHER_TIMEZONE"]


def local_time(user, moment, fallback_zone=None):
    """A naive UTC datetime as `user` reads it: their zone and language, labelled
    with the zone, e.g. "Monday, 1 June 2026, 13:00 (Europe/Moscow)"."""
    zone = recipient_zone(user, fallback_zone)
    text = format_datetime(moment.replace(tzinfo=timezone.utc), "EEEE, d MMMM y, HH:mm",
                           tzinfo=ZoneInfo(zone), locale=recipient_locale(user))
    return f"{text} ({zone})"


def local_amount(user, amount):
    """A price in the user's language, kopecks only when there are any:
    "1,500" / "1 500", "1,500.50" / "1 500,50"."""
    pattern = "#,##0" if amount == amount.to_integral_value() else "#,##0.00"
    return format_decimal(amount, format=pattern, locale=recipient_locale(user))


def enqueue(user, kind, context=None, *, key=None, channel=None, address=None):
    """Write one message for `user` to the outbox and return it; None when the user
    has no channel. `channel`/`address` override the user's current ones (a notice
    about a changed channel goes to the old one). A repeated `key` writes nothing new
    and returns the message already there."""
    channel = channel or user.channel
    if channel == User.NO_CHANNEL:
        return None
    if address is None and channel == user.channel:
        address = user.address
    key = key or f"{kind}:{user.id}:{uuid.uuid4().hex}"
    locale = recipient_locale(user)
    rendered = _render(kind, locale, {"user": user, **(context or {})})
    try:
        # The unique key, not a look-up first, decides: a repeat costs one failed insert.
        with Message._meta.database.atomic():
            return Message.create(
                user=user, channel=channel, address=address, kind=kind, locale=locale,
                subject=rendered["subject"], body_text=rendered["text"],
                body_html=rendered.get("html", ""), idempotency_key=key)
    except IntegrityError:
        return Message.get(Message.idempotency_key == key)
