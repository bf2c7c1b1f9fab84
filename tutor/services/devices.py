"""Your devices: the user's login sessions (models.LoginSession) as they read them in
the profile, and signing some of them out.

A session is named by the browser and system its User-Agent header declares, in
plain words ("Chrome on Android"): a guess from the header's well-known tokens, good
enough to recognise one's own phone, never used to decide anything. The ids in the
profile's buttons are the records' ids; a user can end only their own sessions, and
another's id is answered exactly as an unknown one (NotYours)."""
import re
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _

from tutor.models import LoginSession
from tutor.services import accounts, errors


class NotYours(errors.NotAllowed):
    """No session of this user's with that id: the same answer either way."""


# (pattern, name), the first match wins: browsers built on Chrome name Chrome too, and
# Chrome names Safari, so the specific ones come first.
BROWSERS = (
    (re.compile(r"YaBrowser/"), "Yandex Browser"),
    (re.compile(r"Edg(e|A|iOS)?/"), "Edge"),
    (re.compile(r"OPR/|Opera"), "Opera"),
    (re.compile(r"SamsungBrowser/"), "Samsung Internet"),
    (re.compile(r"Firefox/|FxiOS/"), "Firefox"),
    (re.compile(r"HeadlessChrome/"), "Headless Chrome"),
    (re.compile(r"Chrome/|CriOS/|Chromium/"), "Chrome"),
    (re.compile(r"Safari/"), "Safari"),
    (re.compile(r"^curl/"), "curl"),
)
SYSTEMS = (
    (re.compile(r"Android"), "Android"),
    (re.compile(r"iPhone"), "iPhone"),
    (re.compile(r"iPad"), "iPad"),
    (re.compile(r"CrOS"), "ChromeOS"),
    (re.compile(r"Windows"), "Windows"),
    (re.compile(r"Mac OS X|Macintosh"), "macOS"),
    (re.compile(r"Linux|X11"), "Linux"),
)


def _first(table, text):
    return next((name for pattern, name in table if pattern.search(text)), None)


def describe(user_agent):
    """The device in plain words, in the current language: "Chrome on Android",
    "Firefox", "Windows", or "Unknown device"."""
    text = user_agent or ""
    browser, system = _first(BROWSERS, text), _first(SYSTEMS, text)
    if browser and system:
        return _("%(browser)s on %(system)s", browser=browser, system=system)
    return browser or system or _("Unknown device")


@dataclass(frozen=True)
class Device:
    id: int
    name: str
    ip: str | None
    signed_in_at: datetime  # naive UTC, as stored
    last_seen_at: datetime  # naive UTC, to within LoginSession.SEEN_EVERY
    current: bool


def devices_of(user):
    """The user's signed-in sessions, the current one (the session `user` was loaded
    with) first, then the most recently seen."""
    current = LoginSession.hash_key(user.session_key) if user.session_key else None
    found = [Device(id=record.id, name=describe(record.device), ip=record.ip,
                    signed_in_at=record.created_at, last_seen_at=record.last_seen_at,
                    current=record.key_hash == current)
             for record in LoginSession.of(user)]
    return sorted(found, key=lambda device: not device.current)  # stable: keeps the order


def sign_out(user, session_id):
    """End one of the user's sessions (its cookies open nothing any more). Raises
    NotYours for another user's session or an unknown id. Ending the current one is
    allowed: it is a logout."""
    ended = (LoginSession
             .delete()
             .where((LoginSession.id == session_id) & (LoginSession.user == user.id))
             .execute())
    if not ended:
        raise NotYours(session_id)


def is_current(user, session_id):
    """Whether `session_id` is the session `user` was loaded with."""
    if not user.session_key:
        return False
    return (LoginSession
            .select()
            .where((LoginSession.id == session_id)
                   & (LoginSession.key_hash == LoginSession.hash_key(user.session_key)))
            .exists())


def sign_out_others(user):
    """End every session of the user's but the current one; returns how many."""
    return accounts.end_sessions(user, keep=user.session_key)
