"""The bounds of every value that comes from outside — a query string, a form field, a
path segment, a header a browser or htmx sends, `next`, the JSON Telegram posts — in
one place, so each is parsed against them at the edge and a value beyond them is
refused there (a 4xx or a form error), never met by a `date` that overflows, an id
the database's integer cannot hold or a parser that recurses until it crashes.

Within these bounds every computation the pages do stays valid (a week after the
latest date, a month before the earliest one, a local day in any time zone), so
nothing stored from a request is a value some page cannot show later.

Every parser returns None for a value it refuses: the caller decides between a 400,
a 404 and a form error."""
import json
import re
from datetime import date, datetime, time, timedelta
from datetime import timezone as dt_timezone
from decimal import Decimal
from urllib.parse import urlsplit

# Dates a tutor may mean; beyond them day arithmetic overflows (`date.max` is 9999).
EARLIEST_DATE, LATEST_DATE = date(1900, 1, 1), date(2199, 12, 31)
# Naive-UTC moments: any local day between the dates, in any zone (±14 h), falls
# between these.
EARLIEST_MOMENT = datetime.combine(EARLIEST_DATE, time()) - timedelta(days=1)
LATEST_MOMENT = datetime.combine(LATEST_DATE, time()) + timedelta(days=2)
# Ids: every primary and foreign key is PostgreSQL's `integer` (SQLite's is 64-bit).
MAX_ID = 2**31 - 1
# BigIntegerField columns (Telegram's update ids).
MAX_BIG_INTEGER = 2**63 - 1
# Page numbers of a list: far beyond any list, well inside an OFFSET.
MAX_PAGE = 100_000
# Sums of money: what DecimalField(max_digits=10, decimal_places=2) holds.
MAX_AMOUNT = Decimal("99999999.99")
# Nesting of a JSON document from outside (a Telegram Update nests 4 or 5 deep).
MAX_JSON_DEPTH = 20
# An address to come back to (`next`, Referer, HX-Current-URL).
MAX_URL_LENGTH = 2048

DIGITS = re.compile(r"[0-9]{1,12}")
# Control characters and whitespace have no place in a URL (a header split, a typo).
NOT_IN_URL = re.compile(r"[\x00-\x20\x7f-\x9f]")


def within_calendar(day):
    """True for a date (or the date of a datetime) between the earliest and latest."""
    if isinstance(day, datetime):
        day = day.date()
    return isinstance(day, date) and EARLIEST_DATE <= day <= LATEST_DATE


def within_moments(moment):
    """True for a naive-UTC datetime between EARLIEST_MOMENT and LATEST_MOMENT."""
    return (isinstance(moment, datetime) and moment.tzinfo is None
            and EARLIEST_MOMENT <= moment <= LATEST_MOMENT)


def parse_date(text, fmt="%Y-%m-%d"):
    """The date written in `text` as `fmt` ("%Y-%m" for a month's first day), or None."""
    try:
        day = datetime.strptime(text or "", fmt).date()
    except (TypeError, ValueError):
        return None
    return day if within_calendar(day) else None


def parse_moment(text):
    """A naive-UTC datetime from ISO text (with an offset, or naive meaning UTC), or
    None."""
    try:
        moment = datetime.fromisoformat((text or "").strip())
        if moment.tzinfo is not None:
            moment = moment.astimezone(dt_timezone.utc).replace(tzinfo=None)
    except (TypeError, ValueError, OverflowError):
        return None
    return moment if within_moments(moment) else None


def parse_interval(text):
    """(start, end) naive UTC from "start/end" (ISO 8601's interval of two moments, as
    a calendar cell sends its time), or None."""
    start, slash, end = (text or "").partition("/")
    moments = parse_moment(start), parse_moment(end)
    return moments if slash and None not in moments else None


def parse_id(value):
    """An id the database can hold, from a path segment or a form field, or None."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 1 <= value <= MAX_ID else None
    text = (value or "").strip() if isinstance(value, str) else ""
    return parse_id(int(text)) if DIGITS.fullmatch(text) else None


def parse_page(text):
    """A page number from ?page=: 1 when none is given, None for one beyond bounds."""
    if text is None or text == "":
        return 1
    text = text.strip()
    if not DIGITS.fullmatch(text):
        return None
    number = int(text)
    return number if 1 <= number <= MAX_PAGE else None


def is_amount(value, low=Decimal(0), high=MAX_AMOUNT):
    """True for a finite Decimal between low and high (WTForms' NumberRange compares a
    signalling NaN, which raises; abs() of 1E+1000000000 overflows: only compare)."""
    return (isinstance(value, Decimal) and value.is_finite()
            and low <= value <= high)


def is_big_integer(value):
    """True for an int (not a bool) a BigIntegerField holds, 0 or more."""
    return (isinstance(value, int) and not isinstance(value, bool)
            and 0 <= value <= MAX_BIG_INTEGER)


def parse_json(raw, max_depth=MAX_JSON_DEPTH):
    """The JSON document in `raw` (bytes or text), or None when it is not JSON or
    nests deeper than `max_depth` — the decoder itself recurses, and 200,000 nested
    arrays exhaust Python's stack."""
    try:
        value = json.loads(raw)
    except (ValueError, TypeError, RecursionError):
        return None
    return value if _depth_within(value, max_depth) else None


def _depth_within(value, max_depth):
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, (list, dict)):
            if depth > max_depth:
                return False
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)
    return True


def split_url(url):
    """urlsplit(url), or None for text that is no URL: too long, with control
    characters or spaces, or one urlsplit refuses (`http://[`)."""
    if not isinstance(url, str) or len(url) > MAX_URL_LENGTH or NOT_IN_URL.search(url):
        return None
    try:
        parts = urlsplit(url)
        parts.port  # raises for a port that is not one
    except ValueError:
        return None
    return parts


def local_path(target):
    """`target` when it is a path on this site ("/..."), else None: no open redirect
    through `next` (a scheme, a host, "//host", a backslash), no header split."""
    if not target:
        return None
    parts = split_url(target)
    if (parts is None or parts.scheme or parts.netloc or not target.startswith("/")
            or target.startswith("//") or "\\" in target):
        return None
    return target


def same_site_path(url, host):
    """The path (and query) of `url` when it is on `host` or has none, else None —
    for the page a Referer or HX-Current-URL header names."""
    parts = split_url(url or "")
    if parts is None or (parts.netloc and parts.netloc != host):
        return None
    return local_path(parts.path + (f"?{parts.query}" if parts.query else ""))
