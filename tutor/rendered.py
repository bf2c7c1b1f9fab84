"""Rendered HTML kept in this process, to answer the same request again without
building and rendering it: an entry is found only under the exact key it was stored
with (which includes the version of the data it shows) and only before the moment
it was stored with (when time alone changes it). The least recently used entries go
first once the cache is full."""
import threading
from collections import OrderedDict

from flask import current_app

from tutor.metrics import RENDERED_CACHE


class RenderedCache:
    def __init__(self, capacity):
        self.capacity = capacity
        self._entries = OrderedDict()  # key -> (html, valid until: naive UTC or None)
        self._lock = threading.Lock()

    def get(self, key, now):
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[1] is not None and now >= entry[1]:
                del self._entries[key]
                entry = None
            if entry is not None:
                self._entries.move_to_end(key)
        RENDERED_CACHE.labels(result="hit" if entry else "miss").inc()
        return entry[0] if entry else None

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
