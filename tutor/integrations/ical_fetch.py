"""Reading a calendar from an address a teacher pasted (their Google, Yandex or Outlook
iCal address), with `requests`, as carefully as a server reading a URL a user chose:

- http and https only; at most MAX_REDIRECTS redirects, each checked like the first;
- every connection goes to an address vetted when it is made: one on this machine or
  a private network (127.0.0.1, 10.x, 192.168.x, link-local, ...) is refused unless
  `allow_private` (tests), so neither a redirect nor a DNS answer that changes
  between the check and the connection reaches the server's neighbours;
- no proxies or .netrc from the environment;
- a connect timeout, a read timeout between bytes, and a deadline for the whole read;
- the body is read in pieces and given up past `max_bytes` (after decompression);
- If-None-Match / If-Modified-Since from the last read: a 304 returns no body.

Every failure is a FetchError whose `code` names it for the teacher."""
import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

SCHEMES = ("http", "https")
MAX_REDIRECTS = 3
CHUNK = 64 * 1024
USER_AGENT = "tutor-calendar-import/1"


class FetchError(Exception):
    """The calendar could not be read; `code` says why, `detail` adds a fact."""

    code = "unreachable"

    def __init__(self, detail=""):
        super().__init__(f"{self.code}: {detail}" if detail else self.code)
        self.detail = str(detail)


class BadAddress(FetchError):
    code = "address"  # not an http(s) address with a host


class PrivateAddress(FetchError):
    code = "private"  # on this machine or a private network


class Unreachable(FetchError):
    code = "unreachable"  # no such host, refused, reset, TLS failed


class TimedOut(FetchError):
    code = "timeout"


class TooBig(FetchError):
    code = "too_big"


class BadStatus(FetchError):
    code = "status"  # detail: the HTTP status


class TooManyRedirects(FetchError):
    code = "redirects"


@dataclass(frozen=True)
class Fetched:
    status: int  # 200, or 304 (not modified: no body)
    body: bytes = b""
    etag: str = ""
    last_modified: str = ""

    @property
    def not_modified(self):
        return self.status == 304


def check_address(url):
    """Raise BadAddress unless `url` is an http(s) address with a host."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise BadAddress(url[:100]) from None
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise BadAddress(url[:100])
    return parts.hostname, port


def is_private(address):
    """True for an IP address that is not on the public internet."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def vetted_address(host, port, allow_private=False):
    """The address to connect to for `host`: the first the resolver gives, when none
    of them is private (or `allow_private`). Raises Unreachable or PrivateAddress."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise Unreachable(f"{host}: {error}") from None
    addresses = [info[4][0] for info in found]
    if not addresses:
        raise Unreachable(host)
    if not allow_private and any(is_private(address) for address in addresses):
        raise PrivateAddress(host)
    return addresses[0]


class _Vetted:
    """A connection that resolves its host itself and connects only to a vetted
    address; TLS still checks the certificate against the host's name."""

    allow_private = False

    def _new_conn(self):
        host = self._dns_host
        self._dns_host = vetted_address(host.rstrip("."), self.port, self.allow_private)
        try:
            return super()._new_conn()
        finally:
            self._dns_host = host


class _VettingAdapter(HTTPAdapter):
    def __init__(self, allow_private):
        self.allow_private = allow_private
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        vetting = {"allow_private": self.allow_private}
        http = type("VettedHTTPConnection", (_Vetted, HTTPConnection), vetting)
        https = type("VettedHTTPSConnection", (_Vetted, HTTPSConnection), vetting)
        self.poolmanager.pool_classes_by_scheme = {
            "http": type("VettedHTTPPool", (HTTPConnectionPool,), {"ConnectionCls": http}),
            "https": type("VettedHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": https}),
        }


def fetch(url, *, etag="", last_modified="", connect_timeout=5, read_timeout=20,
          max_bytes=10 * 1024 * 1024, allow_private=False):
    """Read the calendar at `url`. Returns Fetched; raises a FetchError."""
    headers = {"Accept": "text/calendar, */*;q=0.5", "User-Agent": USER_AGENT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    deadline = time.monotonic() + connect_timeout + 3 * read_timeout
    with requests.Session() as session:
        session.trust_env = False  # no proxies or credentials from the environment
        adapter = _VettingAdapter(allow_private)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        for _ in range(MAX_REDIRECTS + 1):
            check_address(url)
            with _get(session, url, headers, (connect_timeout, read_timeout)) as response:
                if response.is_redirect:
                    url = urljoin(url, response.headers.get("Location", ""))
                    continue
                if response.status_code == 304:
                    return Fetched(304, etag=etag, last_modified=last_modified)
                if response.status_code != 200:
                    raise BadStatus(response.status_code)
                body = _read(response, max_bytes, deadline)
                return Fetched(200, body, _header(response, "ETag", 200),
                               _header(response, "Last-Modified", 100))
    raise TooManyRedirects(MAX_REDIRECTS)


def _get(session, url, headers, timeout):
    try:
        return session.get(url, headers=headers, timeout=timeout, stream=True,
                           allow_redirects=False)
    except requests.Timeout as error:
        raise TimedOut(type(error).__name__) from None
    except requests.RequestException as error:
        raise Unreachable(type(error).__name__) from None


def _read(response, max_bytes, deadline):
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise TooBig(declared)
    pieces, size = [], 0
    try:
        for piece in response.iter_content(CHUNK):
            size += len(piece)
            if size > max_bytes:
                raise TooBig(size)
            if time.monotonic() > deadline:
                raise TimedOut("the whole read")
            pieces.append(piece)
    except requests.RequestException as error:
        # requests reports a read timeout while streaming as a ConnectionError.
        if "timed out" in str(error).lower():
            raise TimedOut(type(error).__name__) from None
        raise Unreachable(type(error).__name__) from None
    return b"".join(pieces)


def _header(response, name, limit):
    """A validator header as sent, or "" when it would not fit (a cut one is wrong)."""
    value = response.headers.get(name, "")
    return value if len(value) <= limit else ""
