"""E-mail through Mailgun's HTTP API.
https://documentation.mailgun.com/docs/mailgun/api-reference/send/mailgun/messages"""
import json

import requests

from tutor.integrations.attachments import Attachment  # noqa: F401 (re-exported for callers)

US_BASE_URL = "https://api.mailgun.net"
EU_BASE_URL = "https://api.eu.mailgun.net"  # a domain created in the EU region lives only here
# A rate limit or a request the server gave up waiting for: the same request may pass later.
TRANSIENT_STATUSES = {408, 429}


class MailgunError(Exception):
    """Mailgun did not take the message. `permanent`: do not send it again — the same
    request will fail the same way, or Mailgun may have queued it already.
    `status` is the HTTP status, None when there was no answer."""

    def __init__(self, message, *, permanent, status=None):
        super().__init__(message)
        self.permanent = permanent
        self.status = status


def send_message(*, domain, api_key, sender, to, subject, text, html="", attachments=(),
                 base_url=US_BASE_URL, timeout=10.0, session=None, tag=None, reply_to=None,
                 variables=None):
    """Hand one message to Mailgun and return its id, e.g. "<20260601.1@mg.example.com>".
    `sender` and `to` are addresses, optionally with a display name ("Anna <a@b.c>");
    `variables` ({"outbox_id": 7}) come back in Mailgun's webhooks and events."""
    fields = [("from", sender), ("to", to), ("subject", subject), ("text", text)]
    if html:
        fields.append(("html", html))
    if reply_to:
        fields.append(("h:Reply-To", reply_to))
    if tag:
        fields.append(("o:tag", tag))
    for name, value in (variables or {}).items():
        fields.append((f"v:{name}", value if isinstance(value, str) else json.dumps(value)))
    # Every field as a multipart part (no filename), so a message with and without
    # attachments is sent the same way: multipart/form-data, as the API documents.
    parts = [(name, (None, value)) for name, value in fields]
    parts += [("attachment", (item.filename, item.content, item.content_type))
              for item in attachments]
    try:
        response = (session or requests).post(f"{base_url}/v3/{domain}/messages", files=parts,
                                              auth=("api", api_key), timeout=timeout)
    except requests.RequestException as error:
        raise MailgunError(f"Mailgun request failed: {error}", permanent=False) from error
    if not response.ok:
        status = response.status_code
        raise MailgunError(f"Mailgun answered {status}: {_reason(response)}", status=status,
                           permanent=400 <= status < 500 and status not in TRANSIENT_STATUSES)
    return _message_id(response)


def _reason(response):
    try:
        message = response.json().get("message")
    except (ValueError, AttributeError):
        message = None
    return message if isinstance(message, str) else response.text[:200]


def _message_id(response):
    try:
        message_id = response.json().get("id")
    except (ValueError, AttributeError):
        message_id = None
    if not isinstance(message_id, str) or not message_id:
        # A 2xx means Mailgun has probably queued the message: sending it again could
        # deliver it twice.
        raise MailgunError(f"Mailgun answered {response.status_code} without a message id: "
                           f"{response.text[:200]!r}", permanent=True,
                           status=response.status_code)
    return message_id
