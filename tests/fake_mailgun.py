"""A fake Mailgun on pytest-httpserver, answering as ../shared/EXTERNAL-APIS.md and
Mailgun's API reference say: the messages API (multipart, basic auth `api:<key>`; 200
with the id, 400 for a bad `to`, 401 plain-text `Forbidden` for a missing or wrong key,
404 for a domain it does not know, 5xx during an outage) and the Logs API (POST
/v1/analytics/logs, JSON; "accepted" events filtered by domain and Message-Id) that
replaces the deprecated events API."""
import json
import re
import threading
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from werkzeug import Response

from tutor.integrations.attachments import Attachment

DOMAIN = "mg.example.com"
API_KEY = "key-1"
LOGS = "/v1/analytics/logs"
BAD_TO = "'to' parameter is not a valid address. please check documentation"


def _json(payload, status=200):
    return Response(json.dumps(payload), status=status, content_type="application/json")


def _moment(rfc2822):
    """An RFC 2822 time; "-0000" (as Mailgun writes UTC) parses without a zone."""
    moment = parsedate_to_datetime(rfc2822)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


class FakeMailgun:
    """Mailgun for one account: `domains` it sends from, `api_key` it takes. Change
    them (or `outage`, `bounce`) while a test runs to play a provider's faults."""

    def __init__(self, httpserver, domain=DOMAIN, api_key=API_KEY):
        self.url = httpserver.url_for("").rstrip("/")
        self.domains = {domain}
        self.api_key = api_key
        self.outage = 0  # the next this many requests answer 503
        self.bounce = set()  # addresses answered 400 (not a valid address)
        self.accepted = []  # the forms of accepted messages (dicts; files as filenames)
        self.files = []  # per accepted message: its attachment parts as Attachments
        self.events = []  # Logs API items, one "accepted" per accepted message
        self.calls = 0  # requests to the messages API, answered or not
        self.log_queries = []  # Logs API request bodies
        self.lock = threading.Lock()
        httpserver.expect_request(re.compile(r"^/v3/[^/]+/messages$"), method="POST") \
            .respond_with_handler(self._messages)
        httpserver.expect_request(LOGS, method="POST").respond_with_handler(self._logs)

    def delivered_to(self):
        return [form["to"] for form in self.accepted]

    def _authorized(self, request):
        auth = request.authorization
        return auth is not None and auth.username == "api" and auth.password == self.api_key

    def _messages(self, request):
        domain = request.path.split("/")[2]
        with self.lock:
            self.calls += 1
            if self.outage > 0:
                self.outage -= 1
                return Response("<html><body><h1>503 Service Unavailable</h1></body></html>",
                                status=503, content_type="text/html")
            if not self._authorized(request):
                return Response("Forbidden", status=401, content_type="text/plain")
            if domain not in self.domains:
                return _json({"message": f"Domain not found: {domain}"}, status=404)
            form = request.form
            to = form.get("to", "")
            if not re.fullmatch(r"(.*<)?[^@<>\s]+@[^@<>\s]+\.[^@<>\s]+>?", to) \
                    or to in self.bounce:
                return _json({"message": BAD_TO}, status=400)
            if not form.get("from") or not (form.get("text") or form.get("html")):
                return _json({"message": "'from' parameter is missing"}, status=400)
            now = datetime.now(timezone.utc)
            message_id = form.get("h:Message-Id") or \
                f"<{now:%Y%m%d%H%M%S}.{len(self.accepted) + 1}@{domain}>"
            parts = request.files.getlist("attachment")
            self.accepted.append({**form.to_dict(),
                                  "attachments": [f.filename for f in parts]})
            self.files.append([Attachment(f.filename, f.read(), f.content_type)
                               for f in parts])
            self.events.append({
                "id": f"ev{len(self.events) + 1}", "event": "accepted",
                "@timestamp": now.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "account": {"id": "12345"}, "domain": {"name": domain},
                "recipient": to, "recipient-domain": to.rpartition("@")[2].rstrip(">"),
                "message": {"headers": {"message-id": message_id.strip("<>"), "to": to,
                                        "from": form.get("from"),
                                        "subject": form.get("subject", "")},
                            "size": len(form.get("text", ""))},
            })
        return _json({"id": message_id, "message": "Queued. Thank you."})

    def _logs(self, request):
        if not self._authorized(request):
            return Response("Forbidden", status=401, content_type="text/plain")
        try:
            query = json.loads(request.get_data())
            start = _moment(query["start"]) if "start" in query else None
            end = _moment(query["end"]) if "end" in query else None
            clauses = query.get("filter", {}).get("AND", [])
            wanted = {clause["attribute"]: {value["value"] for value in clause["values"]}
                      for clause in clauses}
        except (ValueError, KeyError, TypeError, AttributeError):
            return _json({"message": "Invalid request body"}, status=400)
        self.log_queries.append(query)
        events = set(query.get("events") or [])
        items = []
        with self.lock:
            for item in self.events:
                moment = datetime.fromisoformat(item["@timestamp"].replace("Z", "+00:00"))
                if (start and moment < start) or (end and moment > end):
                    continue
                if events and item["event"] not in events:
                    continue
                if "domain" in wanted and item["domain"]["name"] not in wanted["domain"]:
                    continue
                if ("message-id" in wanted and item["message"]["headers"]["message-id"]
                        not in wanted["message-id"]):
                    continue
                items.append(item)
        return _json({"start": query.get("start", ""), "end": query.get("end", ""),
                      "items": items[:query.get("pagination", {}).get("limit", 100)],
                      "pagination": {"first": "cjsijbijewbu78t678tVTYUYU76754fyuiksin865g",
                                     "last": "875bunjnWkmis75bjklnsdk0s7jksnjknlknc64aTR",
                                     "total": len(items)},
                      "aggregates": {}})


def logs_page(*message_ids, domain=DOMAIN):
    """A Logs API answer with an "accepted" event for each Message-Id."""
    items = [{"id": f"ev{n}", "event": "accepted", "@timestamp": "2026-11-24T12:00:00.000Z",
              "domain": {"name": domain}, "recipient": "maria@example.org",
              "message": {"headers": {"message-id": message_id.strip("<>"),
                                      "to": "maria@example.org"}, "size": 300}}
             for n, message_id in enumerate(message_ids)]
    return {"start": "Mon, 23 Nov 2026 12:00:00 -0000", "end": "Tue, 24 Nov 2026 12:00:00 -0000",
            "items": items, "pagination": {"total": len(items)}, "aggregates": {}}


def asked_message_id(request):
    """The Message-Id a Logs API request filters on."""
    for clause in request.get_json()["filter"]["AND"]:
        if clause["attribute"] == "message-id":
            return clause["values"][0]["value"]
    return None
