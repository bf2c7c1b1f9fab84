"""Writing notifications to the outbox. Each kind is one template,
templates/messages/<kind>.html, with blocks `subject`, `text` and `html`, rendered in
the recipient's language. Delivery is the job of the outbox worker."""
import hashlib
import json
import mimetypes
import uuid
from datetime import timezone
from pathlib import Path
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


def enqueue(user, kind, context=None, *, key=None, channel=None, address=None,
            attachments=()):
    """Write one message for `user` to the outbox and return it; None when the user
    has no channel. `channel`/`address` override the user's current ones (a notice
    about a changed channel goes to the old one). A repeated `key` writes nothing new
    and returns the message already there. `attachments`: Attachment objects (their
    content is stored for the outbox) or paths of files that stay where they are."""
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
                body_html=rendered.get("html", ""), idempotency_key=key,
                attachments=json.dumps([_stored(key, item) for item in attachments]))
    except IntegrityError:
        return Message.get(Message.idempotency_key == key)


def attachment_directory():
    return Path(current_app.instance_path) / "outbox-files"


def _stored(key, item):
    """The outbox's reference to an attachment: a file under instance/ or anywhere
    (paths relative to the instance folder when inside it). Content is written to a
    folder named by the message key, so a repeated enqueue leaves no stray copy."""
    if isinstance(item, Path):
        path = item.resolve()
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        filename = path.name
    else:
        folder = attachment_directory() / hashlib.sha256(key.encode()).hexdigest()[:24]
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / Path(item.filename).name
        path.write_bytes(item.content)
        content_type, filename = item.content_type, item.filename
    instance = Path(current_app.instance_path).resolve()
    reference = path.relative_to(instance) if instance in path.parents else path
    return {"filename": filename, "content_type": content_type, "path": str(reference)}


def attachment_paths(message):
    instance = Path(current_app.instance_path)
    return [instance / item["path"] for item in json.loads(message.attachments or "[]")]
