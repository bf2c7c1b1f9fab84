"""Calendars served the way Google, Yandex and Outlook serve a secret iCal address, on
127.0.0.1 at a free port: an ICS file with its ETag and Last-Modified, answered 304 to
a matching If-None-Match or If-Modified-Since; and the troubles a real address has
(a server that does not answer in time, an endless body, garbage, redirects, errors).

SAMPLE is a teacher's week as Google exports it: a weekly series with an EXDATE and a
moved occurrence (RECURRENCE-ID), a series in America/New_York across the day its
clocks change, an all-day event, a floating one, a "free" (transparent) and a cancelled
event, and one long past; its titles are private and must never be stored."""
import hashlib
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

SECRET_TITLE = "Приём у врача Петрова"

SAMPLE = f"""BEGIN:VCALENDAR
PRODID:-//Google Inc//Google Calendar 70.9054//EN
VERSION:2.0
CALSCALE:GREGORIAN
X-WR-CALNAME:Личное
BEGIN:VEVENT
UID:yoga@example.org
SUMMARY:{SECRET_TITLE}
DESCRIPTION:Кабинет 12\\, взять полис
LOCATION:Москва\\, ул. Ленина 1
DTSTART;TZID=Europe/Moscow:20270302T100000
DTEND;TZID=Europe/Moscow:20270302T110000
RRULE:FREQ=WEEKLY;COUNT=6
EXDATE;TZID=Europe/Moscow:20270309T100000
END:VEVENT
BEGIN:VEVENT
UID:yoga@example.org
RECURRENCE-ID;TZID=Europe/Moscow:20270316T100000
SUMMARY:{SECRET_TITLE} (перенесено)
DTSTART;TZID=Europe/Moscow:20270316T150000
DTEND;TZID=Europe/Moscow:20270316T160000
END:VEVENT
BEGIN:VEVENT
UID:ny@example.org
SUMMARY:Call with New York
DTSTART;TZID=America/New_York:20270311T090000
DTEND;TZID=America/New_York:20270311T100000
RRULE:FREQ=WEEKLY;COUNT=2
END:VEVENT
BEGIN:VEVENT
UID:allday@example.org
SUMMARY:Дача
DTSTART;VALUE=DATE:20270312
DTEND;VALUE=DATE:20270313
END:VEVENT
BEGIN:VEVENT
UID:floating@example.org
SUMMARY:Floating lunch
DTSTART:20270308T120000
DTEND:20270308T130000
END:VEVENT
BEGIN:VEVENT
UID:free@example.org
SUMMARY:Reminder only
DTSTART:20270304T100000Z
DTEND:20270304T110000Z
TRANSP:TRANSPARENT
END:VEVENT
BEGIN:VEVENT
UID:cancelled@example.org
SUMMARY:Called off
DTSTART:20270305T100000Z
DTEND:20270305T110000Z
STATUS:CANCELLED
END:VEVENT
BEGIN:VEVENT
UID:past@example.org
SUMMARY:Long ago
DTSTART:20250101T100000Z
DTEND:20250101T110000Z
END:VEVENT
END:VCALENDAR
""".replace("\n", "\r\n").encode()

# SAMPLE's busy time, naive UTC, for "now" = 1 March 2027 09:00 UTC (Moscow is UTC+3).
SAMPLE_BUSY = [
    (datetime(2027, 3, 2, 7), datetime(2027, 3, 2, 8)),  # Tuesday 10:00 in Moscow
    # 9 March is an EXDATE
    (datetime(2027, 3, 8, 9), datetime(2027, 3, 8, 10)),  # floating 12:00, Moscow's clock
    (datetime(2027, 3, 11, 14), datetime(2027, 3, 11, 15)),  # 09:00 EST (UTC-5)
    (datetime(2027, 3, 11, 21), datetime(2027, 3, 12, 21)),  # 12 March, Moscow's whole day
    (datetime(2027, 3, 16, 12), datetime(2027, 3, 16, 13)),  # moved to 15:00
    (datetime(2027, 3, 18, 13), datetime(2027, 3, 18, 14)),  # 09:00 EDT (UTC-4) after 14 March
    (datetime(2027, 3, 23, 7), datetime(2027, 3, 23, 8)),
    (datetime(2027, 3, 30, 7), datetime(2027, 3, 30, 8)),
    (datetime(2027, 4, 6, 7), datetime(2027, 4, 6, 8)),
]


# Busy time published as free/busy (CalDAV servers, Exchange's "availability only"
# publishing): no events, FREEBUSY periods with their FBTYPE.
FREEBUSY_SAMPLE = """BEGIN:VCALENDAR
PRODID:-//Example Corp.//CalDAV Server//EN
VERSION:2.0
BEGIN:VFREEBUSY
UID:fb-1@example.org
DTSTAMP:20270301T080000Z
DTSTART:20270301T000000Z
DTEND:20270501T000000Z
FREEBUSY:20270302T070000Z/20270302T080000Z,20270303T070000Z/PT90M
FREEBUSY;FBTYPE=BUSY-UNAVAILABLE:20270304T060000Z/20270304T070000Z
FREEBUSY;FBTYPE=BUSY-TENTATIVE:20270305T120000Z/20270305T130000Z
FREEBUSY;FBTYPE=FREE:20270306T070000Z/20270306T080000Z
END:VFREEBUSY
END:VCALENDAR
""".replace("\n", "\r\n").encode()

FREEBUSY_SAMPLE_BUSY = [
    (datetime(2027, 3, 2, 7), datetime(2027, 3, 2, 8)),
    (datetime(2027, 3, 3, 7), datetime(2027, 3, 3, 8, 30)),  # a start and a duration
    (datetime(2027, 3, 4, 6), datetime(2027, 3, 4, 7)),  # BUSY-UNAVAILABLE
    (datetime(2027, 3, 5, 12), datetime(2027, 3, 5, 13)),  # BUSY-TENTATIVE
    # 6 March is FREE
]


def many_busy(first, count, step=timedelta(minutes=15), length=timedelta(minutes=10)):
    """`count` separate busy periods, one every `step` from `first` (naive UTC)."""
    return [(first + n * step, first + n * step + length) for n in range(count)]


def freebusy_calendar(periods):
    """A free/busy calendar of the busy (start, end) `periods` (naive UTC)."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Example Corp.//CalDAV Server//EN",
             "BEGIN:VFREEBUSY", "UID:many@example.org", "DTSTAMP:20270301T080000Z"]
    lines += [f"FREEBUSY:{start:%Y%m%dT%H%M%SZ}/{end:%Y%m%dT%H%M%SZ}" for start, end in periods]
    return "\r\n".join(lines + ["END:VFREEBUSY", "END:VCALENDAR", ""]).encode()


@dataclass
class Served:
    body: bytes = b""
    status: int = 200
    headers: dict = field(default_factory=dict)
    etag: bool = True  # send an ETag (a digest of the body) and honour If-None-Match
    last_modified: datetime | None = None  # send Last-Modified, honour If-Modified-Since
    chunked: bool = False  # no Content-Length: the body in pieces
    endless: bool = False  # pieces forever (until the client gives up)
    stall: bool = False  # answer nothing until the test ends


class CalendarServer:
    """Paths the test sets (`serve`), and the requests it received (`requests`)."""

    def __init__(self):
        self.paths = {}
        self.requests = []  # (path, headers as a dict)
        self.released = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def root(self):
        return f"http://127.0.0.1:{self.server.server_port}"

    def url(self, path):
        return self.root + path

    def serve(self, path, body=b"", **options):
        self.paths[path] = Served(body, **options)
        return self.url(path)

    def received(self, path):
        return [headers for got, headers in self.requests if got == path]

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                server.requests.append((self.path, dict(self.headers)))
                served = server.paths.get(self.path)
                if served is None:
                    return self._answer(404, b"not found", {})
                if served.stall:
                    server.released.wait(30)
                    return None
                headers = dict(served.headers)
                if served.status != 200:
                    return self._answer(served.status, served.body, headers)
                tag = f'"{hashlib.sha256(served.body).hexdigest()[:16]}"'
                if served.etag:
                    headers["ETag"] = tag
                    if self.headers.get("If-None-Match") == tag:
                        return self._answer(304, b"", headers)
                if served.last_modified:
                    headers["Last-Modified"] = format_datetime(served.last_modified,
                                                               usegmt=True)
                    since = self.headers.get("If-Modified-Since")
                    if since and parsedate_to_datetime(since) >= served.last_modified:
                        return self._answer(304, b"", headers)
                headers.setdefault("Content-Type", "text/calendar; charset=utf-8")
                if served.chunked or served.endless:
                    return self._chunked(served, headers)
                return self._answer(200, served.body, headers)

            def _answer(self, status, body, headers):
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                if status != 304:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if status != 304:
                    self.wfile.write(body)

            def _chunked(self, served, headers):
                self.send_response(200)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                piece = served.body or b"X" * 65536
                try:
                    while True:
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                        if not served.endless or server.released.is_set():
                            break
                    self.wfile.write(b"0\r\n\r\n")
                except OSError:  # the client gave up: what the test wants
                    pass

        return Handler

    def start(self):
        self.thread.start()

    def stop(self):
        self.released.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


@pytest.fixture
def calendars():
    """A calendar server on 127.0.0.1 for the test."""
    server = CalendarServer()
    server.start()
    yield server
    server.stop()
