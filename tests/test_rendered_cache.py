"""The kept-HTML store: a key finds its entry until the entry's moment, and the least
recently used entries go once it is full."""
from datetime import datetime, timedelta

from tutor.rendered import RenderedCache

NOW = datetime(2026, 11, 30, 12, 0)


def test_an_entry_is_found_until_its_moment():
    cache = RenderedCache(4)
    cache.put("week", "<p>", NOW + timedelta(minutes=5))
    cache.put("forever", "<b>", None)
    assert cache.get("week", NOW + timedelta(minutes=4, seconds=59)) == "<p>"
    assert cache.get("week", NOW + timedelta(minutes=5)) is None
    assert cache.get("week", NOW) is None  # gone for good once past
    assert cache.get("forever", NOW + timedelta(days=999)) == "<b>"
    assert cache.get("other", NOW) is None


def test_the_least_recently_used_go_first():
    cache = RenderedCache(2)
    cache.put("a", "A", None)
    cache.put("b", "B", None)
    assert cache.get("a", NOW) == "A"  # now b is the least recently used
    cache.put("c", "C", None)
    assert cache.get("b", NOW) is None
    assert (cache.get("a", NOW), cache.get("c", NOW)) == ("A", "C")
    assert len(cache) == 2


def test_a_cache_of_no_entries_keeps_nothing():
    cache = RenderedCache(0)
    cache.put("a", "A", None)
    assert cache.get("a", NOW) is None and len(cache) == 0
