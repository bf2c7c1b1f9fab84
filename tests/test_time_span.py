"""Unavailable time as a person says it (formatting.time_span), in Russian and
English: whole days, a run of days in one month or across months and years, hours of
one day, from a time on one day to a time on another. Today is frozen in 2026."""
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale

from tutor.formatting import time_span

MOSCOW = ZoneInfo("Europe/Moscow")


def at(text):
    return datetime.fromisoformat(text).replace(tzinfo=MOSCOW)


@pytest.fixture(autouse=True)
def in_2026(time_machine):
    time_machine.move_to(datetime(2026, 12, 6, 9, 0, tzinfo=MOSCOW), tick=False)


@pytest.mark.parametrize("start, end, ru, en", [
    ("2026-12-09 00:00", "2026-12-10 00:00", "9 декабря, весь день", "9 December, all day"),
    ("2026-12-09 00:00", "2026-12-13 00:00", "9–12 декабря", "9–12 December"),
    ("2026-11-30 00:00", "2026-12-03 00:00", "30 ноября – 2 декабря",
     "30 November – 2 December"),
    ("2026-12-30 00:00", "2027-01-03 00:00", "30 декабря 2026 – 2 января 2027",
     "30 December 2026 – 2 January 2027"),
    ("2027-01-04 00:00", "2027-01-08 00:00", "4–7 января 2027", "4–7 January 2027"),
    ("2027-01-05 00:00", "2027-01-06 00:00", "5 января 2027, весь день",
     "5 January 2027, all day"),
    ("2026-12-09 14:00", "2026-12-09 18:00", "9 декабря, 14:00–18:00",
     "9 December, 14:00–18:00"),
    ("2026-12-09 14:00", "2026-12-11 10:00", "9 декабря 14:00 – 11 декабря 10:00",
     "9 December 14:00 – 11 December 10:00"),
])
def test_time_span_in_both_languages(app_ctx, start, end, ru, en):
    for locale, expected in (("ru", ru), ("en", en)):
        with app_ctx.test_request_context(), force_locale(locale):
            assert time_span(at(start), at(end)) == expected
