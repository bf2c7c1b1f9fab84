"""Writing notifications. Each kind is one template, templates/messages/<kind>.html,
with blocks `subject`, `text` and `html`, rendered in the recipient's language.

Every notification is kept twice, in one transaction: in the user's inbox in the app
(InboxItem, with any files the job made stored beside it), and in the outbox for the
user's outside channel, which the outbox worker delivers. A user with no outside
channel still gets the outbox row, held: when they set a channel, what they have not
read in the app yet goes out on it (deliver_waiting). Nothing is written twice for
one key, and nothing is lost for want of a channel."""
import json
import mimetypes
import secrets
import uuid
from datetime import timedelta
from pathlib import Path

from flask import current_app
from flask_babel import force_locale
from peewee import IntegrityError

from tutor.integrations.attachments import Attachment
from tutor.models import InboxItem, Message, StoredFile, User, utcnow
from tutor.services import action_links, app_urls, lesson_mail, recipients

# Kinds not kept in the app: a reset link is for somebody who cannot sign in.
NOT_KEPT = frozenset({"password_reset"})
# What waited for a channel and still goes out when one is set: what was not read in
# the app, written this recently or carrying files (a report, a backup).
WAITING_KEPT_FOR = timedelta(days=7)


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


def enqueue(user, kind, context=None, *, key=None, channel=None, address=None,
            attachments=(), link=None, buttons=None, hold=False):
    """Keep one notification for `user` in their inbox and write it to the outbox;
    returns the outbox message. `channel`/`address` override the user's current ones
    (a notice about a changed channel goes to the old one). With no outside channel
    the message is held until the user sets one (see deliver_waiting); a password
    reset for such a user is written nowhere (None). A repeated `key` writes nothing
    new and returns the message already there. `attachments`: Attachment objects or
    paths of files, stored in the database with the inbox item. `link`: the path in
    the app the notice is about (by default the lesson or series in `context`).
    `buttons`: a Telegram inline keyboard (by default the lesson's one-tap answers).
    `hold`: the channel does not deliver on this site yet; the message waits, held
    with its address, until it does (outbox.release_configured)."""
    channel = channel or user.channel
    if channel == User.NO_CHANNEL and kind in NOT_KEPT:
        return None
    if address is None and channel == user.channel:
        address = user.address
    key = key or f"{kind}:{user.id}:{uuid.uuid4().hex}"
    locale = recipients.recipient_locale(user)
    context = context or {}
    # One-tap answers: links in an e-mail, buttons under a Telegram message.
    lesson = context.get("lesson")
    rendered = _render(kind, locale, {
        "user": user, "actions": action_links.links(kind, user, lesson, channel), **context})
    buttons = buttons or action_links.keyboard(kind, user, lesson)
    files = [_attachment(item) for item in attachments]
    text, html = rendered["text"], rendered.get("html", "")
    if channel == User.EMAIL:  # a lesson's links and .ics (services/lesson_mail.py)
        text, html = with_links(text, html, lesson_mail.links(kind, user, context))
        files += lesson_mail.calendar_files(kind, user, context)
    try:
        # The unique key, not a look-up first, decides: a repeat costs one failed insert.
        with Message._meta.database.atomic():
            stored = []
            if kind not in NOT_KEPT:
                item = InboxItem.create(
                    user=user, kind=kind, subject=rendered["subject"],
                    body_text=rendered["text"], key=key,
                    link=link if link is not None else default_link(kind, context))
                stored = [store_file(item, user, file) for file in files]
            return Message.create(
                user=user, channel=channel, address=address, kind=kind, locale=locale,
                subject=rendered["subject"], body_text=text, body_html=html,
                idempotency_key=key,
                buttons=json.dumps(buttons, ensure_ascii=False) if buttons else "",
                status=(Message.HELD if hold or channel == User.NO_CHANNEL
                        else Message.PENDING),
                attachments=json.dumps([reference(file, stored_file)
                                        for file, stored_file in zip(files, stored)]))
    except IntegrityError:
        return Message.get_or_none(Message.idempotency_key == key)


def with_links(text, html, links):
    """The e-mail's text and HTML with `links` ([(label, URL)]) at the end."""
    if not links:
        return text, html
    macros = current_app.jinja_env.get_template("messages/_actions.html").module
    return (f"{text}\n\n{str(macros.text(links)).strip()}",
            f"{html}\n{str(macros.html(links)).strip()}" if html else html)


def default_link(kind, context):
    """The page a notice is about: its lesson while it exists, or its series."""
    lesson, series = context.get("lesson"), context.get("series")
    gone = kind in lesson_mail.LESSON_GONE
    if lesson is not None and getattr(lesson, "id", None) and not gone:
        return app_urls.app_path("lessons.show", lesson_id=lesson.id)
    if series is not None and getattr(series, "id", None) and "rejected" not in kind:
        return app_urls.app_path("series.show", series_id=series.id)
    return ""


def _attachment(item):
    if isinstance(item, Path):
        content_type = mimetypes.guess_type(item.name)[0] or "application/octet-stream"
        return Attachment(item.name, item.read_bytes(), content_type)
    return item


def store_file(item, owner, attachment):
    return StoredFile.create(
        item=item, owner=owner, token=secrets.token_urlsafe(32),
        filename=attachment.filename, content_type=attachment.content_type,
        size=len(attachment.content), content=attachment.content)


def reference(attachment, stored_file):
    """The outbox's reference to a file kept in the database."""
    return {"filename": attachment.filename, "content_type": attachment.content_type,
            "file_id": stored_file.id}


def deliver_waiting(user, now=None):
    """The user has an outside channel now: the messages held for want of one go out
    on it, if they were not read in the app and are recent or carry files. The rest
    stay in the inbox. Returns how many were released."""
    if user.channel == User.NO_CHANNEL:
        return 0
    now = now or utcnow()
    unread = (InboxItem
              .select(InboxItem.key)
              .where((InboxItem.user == user) & InboxItem.read_at.is_null()
                     & ((InboxItem.created_at >= now - WAITING_KEPT_FOR)
                        | InboxItem.id.in_(StoredFile.select(StoredFile.item)))))
    status = Message.PENDING if user.address else Message.HELD
    waiting = ((Message.user == user) & (Message.channel == User.NO_CHANNEL)
               & (Message.status == Message.HELD) & Message.idempotency_key.in_(unread))
    if user.channel == User.EMAIL:  # a lesson's links and .ics, as of now
        lesson, series = (Message.kind.startswith(prefix) for prefix in lesson_mail.LESSON_KINDS)
        for message in Message.select().where(waiting & (lesson | series)):
            _carry(message, user, *lesson_mail.carried_now(message, user, now))
    return (Message
            .update(channel=user.channel, address=user.address, status=status,
                    next_attempt_at=now)
            .where(waiting)
            .execute())


def _carry(message, user, links, files):
    """A held e-mail takes the links and files it carries now; each file is kept with
    its inbox item too, as enqueue does."""
    message.body_text, message.body_html = with_links(message.body_text, message.body_html,
                                                      links)
    item = files and InboxItem.get_or_none(InboxItem.key == message.idempotency_key)
    if item:
        references = json.loads(message.attachments or "[]")
        references += [reference(file, store_file(item, user, file)) for file in files]
        message.attachments = json.dumps(references)
    message.save(only=[Message.body_text, Message.body_html, Message.attachments])
