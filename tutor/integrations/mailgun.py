"""E-mail through Mailgun's HTTP API.
https://documentation.mailgun.com/docs/mailgun/api-reference/send/mailgun/messages"""
import json
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

from tutor.integrations.attachments import Attachment  # noqa: F401 (re-exported for callers)

US_BASE_URL = "https://api.mailgun.net"
EU_BASE_URL = "https://api.eu.mailgun.net"  # a domain created in the EU region lives only here
# A rate limit or a request the server gave up waiting for: the same request may pass later.
TRANSIENT_STATUSES = {408, 429}
# A gateway that stopped waiting for Mailgun: Mailgun may have queued the message all the same.
UNKNOWN_OUTCOME_STATUSES = {504}


class MailgunError(Exception):
    """Mailgun did not take the message. `permanent`: do not send it again — the same
    request will fail the same way, or Mailgun may have queued it already.
    `status` is the HTTP status, None when there was no answer. `maybe_sent`: the
    request reached Mailgun and no clear answer came back (a timeout, a dropped
    connection, a 504), so Mailgun may have accepted the message: ask accepted()
    before sending it again."""

    def __init__(self, message, *, permanent, status=None, maybe_sent=False):
        super().__init__(message)
        self.permanent = permanent
        self.status = status
        self.maybe_sent = maybe_sent


def send_message(*, domain, api_key, sender, to, subject, text, html="", attachments=(),
                 base_url=US_BASE_URL, timeout=10.0, session=None, tag=None, reply_to=None,
                 variables=None, message_id=None):
    """Hand one message to Mailgun and return its id, e.g. "<20260601.1@mg.example.com>".
    `sender` and `to` are addresses, optionally with a display name ("Anna <a@b.c>");
    `variables` ({"outbox_id": 7}) come back in Mailgun's webhooks and events.
    `message_id` ("<unique@domain>") replaces the Message-Id Mailgun would make up:
    Mailgun keeps it as the message's id, so accepted() can find the message by it."""
    import requests
    fields = [("from", sender), ("to", to), ("subject", subject), ("text", text)]
    if html:
        fields.append(("html", html))
    if message_id:
        fields.append(("h:Message-Id", message_id))
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
        raise MailgunError(f"Mailgun request failed: {error}", permanent=False,
                           maybe_sent=_maybe_reached(error)) from error
    if not response.ok:
        status = response.status_code
        raise MailgunError(f"Mailgun answered {status}: {_reason(response)}", status=status,
                           permanent=400 <= status < 500 and status not in TRANSIENT_STATUSES,
                           maybe_sent=status in UNKNOWN_OUTCOME_STATUSES)
    return _message_id(response)


def accepted(*, domain, api_key, message_id, base_url=US_BASE_URL, timeout=10.0,
             session=None, since=None, now=None):
    """Whether Mailgun's Logs API holds an "accepted" event for the message with this
    Message-Id sent from `domain` between `since` (default: a day before, the API's own
    default window) and `now`, i.e. whether Mailgun has taken it. Events are indexed with a delay,
    so False means "not seen yet"; a caller that must not send twice waits that long
    after the attempt in doubt before believing it. Raises MailgunError when Mailgun
    cannot say.

    The Logs API (POST /v1/analytics/logs, JSON, the same basic auth) replaces the
    deprecated events API (GET /v3/{domain}/events). It is account-wide, so the query
    names the domain as well as the Message-Id, and every item found is checked for
    both: a filter Mailgun ignored must not make another message look accepted.
    https://documentation.mailgun.com/docs/mailgun/api-reference/send/mailgun/logs"""
    import requests
    # Logs carry the Message-Id without its angle brackets, and so does the filter.
    bare = message_id.strip().strip("<>")
    # The window's end: a minute ahead, for our clock's skew and the seconds the
    # RFC 2822 form drops.
    now = now or datetime.now(timezone.utc) + timedelta(minutes=1)
    since = since or now - timedelta(days=1)
    query = {
        "start": _rfc2822(since), "end": _rfc2822(now), "events": ["accepted"],
        "filter": {"AND": [
            {"attribute": "domain", "comparator": "=",
             "values": [{"label": domain, "value": domain}]},
            {"attribute": "message-id", "comparator": "=",
             "values": [{"label": bare, "value": bare}]},
        ]},
        "include_totals": False,
        "pagination": {"sort": "timestamp:asc", "limit": 10},
    }
    try:
        response = (session or requests).post(f"{base_url}/v1/analytics/logs", json=query,
                                              auth=("api", api_key), timeout=timeout)
    except requests.RequestException as error:
        raise MailgunError(f"Mailgun logs request failed: {error}",
                           permanent=False) from error
    if not response.ok:
        status = response.status_code
        raise MailgunError(f"Mailgun logs answered {status}: {_reason(response)}",
                           status=status, permanent=False)
    try:
        items = response.json()["items"]
    except (ValueError, KeyError, TypeError):
        items = None
    if not isinstance(items, list):
        raise MailgunError(f"Mailgun logs answered without items: {response.text[:200]!r}",
                           status=response.status_code, permanent=False)
    return any(_event_of(item, bare, domain) == "accepted" for item in items)


def _rfc2822(moment):
    """A time as the Logs API takes it: "Mon, 08 Jul 2024 00:00:00 -0000"."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return format_datetime(moment.astimezone(timezone.utc)).replace("+0000", "-0000")


def _event_of(item, bare_message_id, domain):
    """The event's type when it is about the message with this (bare) Message-Id,
    sent from `domain`."""
    if not isinstance(item, dict):
        return None
    sender = item.get("domain")
    if isinstance(sender, dict) and sender.get("name") not in (None, domain):
        return None
    message = item.get("message")
    headers = message.get("headers") if isinstance(message, dict) else None
    found = headers.get("message-id") if isinstance(headers, dict) else None
    if not isinstance(found, str) or found.strip().strip("<>") != bare_message_id:
        return None
    return item.get("event")


def _maybe_reached(error):
    """Whether a failed request may have reached Mailgun: not when the connection was
    never made (refused, no such host, a connect timeout)."""
    import requests
    from urllib3.exceptions import NewConnectionError
    if isinstance(error, requests.ConnectTimeout):
        return False
    if isinstance(error, requests.ConnectionError):
        reason = getattr(error.args[0] if error.args else None, "reason", None)
        return not isinstance(reason, NewConnectionError)
    return True


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
                           status=response.status_code, maybe_sent=True)
    return message_id
