"""Rendered HTML kept in this process, to answer the same request again without
building and rendering it: an entry is found only under the exact key it was stored
with (which includes the version of the data it shows) and only before the moment
it was stored with (when time alone changes it). The least recently used entries go
first once the cache is full."""
import gzip
import hashlib
import threading
from collections import OrderedDict
from datetime import datetime
from pathlib import Path

from flask import current_app

from tutor.metrics import RENDERED_CACHE


class RenderedCache:
    def __init__(self, capacity):
        self.capacity = capacity
        self._entries = OrderedDict()  # key -> (html, valid until: naive UTC or None)
        self._lock = threading.Lock()

    def get(self, key, now):
        entry = self.entry(key, now)
        return entry[0] if entry else None

    def entry(self, key, now):
        """(html, valid until) kept under `key` and still valid at `now`, or None."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[1] is not None and now >= entry[1]:
                del self._entries[key]
                entry = None
            if entry is not None:
                self._entries.move_to_end(key)
        RENDERED_CACHE.labels(result="hit" if entry else "miss").inc()
        return entry

    def put(self, key, html, until):
        if self.capacity <= 0:
            return
        with self._lock:
            self._entries[key] = (html, until)
            self._entries.move_to_end(key)
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)

    def clear(self):
        with self._lock:
            self._entries.clear()

    def __len__(self):
        return len(self._entries)


def weeks():
    """This app's cache of rendered calendar weeks (views/calendar.py)."""
    cache = current_app.extensions.get("rendered_weeks")
    if cache is None:
        cache = current_app.extensions.setdefault(
            "rendered_weeks", RenderedCache(current_app.config["WEEK_CACHE_ENTRIES"]))
    return cache


def release():
    """A digest of the code, templates and translations this process renders with,
    the same on every host running the same release: a page a browser kept under an
    earlier release is never confirmed as current by a later one."""
    digest = current_app.extensions.get("rendered_release")
    if digest is None:
        hasher = hashlib.blake2b(digest_size=8)
        for folder in (Path(current_app.root_path), Path(current_app.template_folder)):
            for path in sorted(folder.rglob("*")):
                if path.suffix in (".py", ".html", ".po") and path.is_file():
                    hasher.update(str(path.relative_to(folder)).encode())
                    hasher.update(path.read_bytes())
        digest = current_app.extensions.setdefault("rendered_release", hasher.hexdigest())
    return digest


# A student's or a visitor's kept week holds no secret (the same bytes serve every
# viewer of its key: no CSRF token) and echoes nothing a request sends, so compressing
# it cannot leak anything (BREACH needs both): it is kept compressed, once, and sent so
# to browsers; its tag then says so (a tag names one representation).
GZIPPED_TAG = ".gz"


def gzipped(data):
    """`data` gzip-compressed, the same bytes each time (no timestamp in the header)."""
    return gzip.compress(data, compresslevel=6, mtime=0)


def etag(key, until):
    """The entity tag of what is kept under `key` until `until` (naive UTC or None):
    the moment is written out in it, so that any worker can tell whether a browser's
    copy is still current from the key and the clock alone, before building anything."""
    moment = "-" if until is None else until.strftime("%Y%m%dT%H%M%S")
    digest = hashlib.blake2b(repr((release(), key, moment)).encode(), digest_size=12)
    return f"{moment}.{digest.hexdigest()}"


def current_etag(key, now, offered):
    """The one of the `offered` entity tags (werkzeug's ETags of If-None-Match) that
    still names what `key` shows at `now`, or None."""
    for tag in offered.as_set(include_weak=True):
        moment, _, _ = tag.partition(".")
        if moment != "-":
            try:
                until = datetime.strptime(moment, "%Y%m%dT%H%M%S")
            except ValueError:
                continue
            if now >= until:
                continue
        else:
            until = None
        if etag(key, until) in (tag, tag.removesuffix(GZIPPED_TAG)):
            return tag
    return None
