"""The DST matrix's cases (tests/services/test_zones_matrix.py, and the slot steps
across a change in tests/services/test_slot_steps.py): one wall time the clocks skip
or repeat, per zone, with what it means in UTC, how the lesson then reads, the length
of that local day and the free hour-long slots its window gives. Moscow keeps one
offset all year: its cases are the control (nothing moves)."""
from dataclasses import dataclass
from datetime import date, datetime, time


@dataclass(frozen=True)
class Case:
    zone: str
    day: date  # the local date of the change
    wall: time  # typed on that day: skipped or repeated there
    utc: datetime  # what it means (naive UTC)
    shown: str  # how the lesson then reads in the zone
    hours: int  # length of that local day
    window: tuple  # the weekday's window that day (start, end)
    slots: tuple  # the free hour-long slots it gives that day, as the zone shows them


CASES = {
    "berlin-skipped": Case(
        "Europe/Berlin", date(2026, 3, 29), time(2, 30), datetime(2026, 3, 29, 1, 30),
        "2026-03-29 03:30 +0200", 23, (time(0), time(5)),
        ("00:00 +0100", "01:00 +0100", "03:00 +0200", "04:00 +0200")),
    "berlin-repeated": Case(
        "Europe/Berlin", date(2026, 10, 25), time(2, 30), datetime(2026, 10, 25, 0, 30),
        "2026-10-25 02:30 +0200", 25, (time(0), time(5)),
        # 02:00 is the first one; the repeated hour (02:00-03:00 +0100) gets no slot.
        ("00:00 +0200", "01:00 +0200", "02:00 +0200", "03:00 +0100", "04:00 +0100")),
    "new-york-skipped": Case(
        "America/New_York", date(2026, 3, 8), time(2, 30), datetime(2026, 3, 8, 7, 30),
        "2026-03-08 03:30 -0400", 23, (time(0), time(5)),
        ("00:00 -0500", "01:00 -0500", "03:00 -0400", "04:00 -0400")),
    "new-york-repeated": Case(
        "America/New_York", date(2026, 11, 1), time(1, 30), datetime(2026, 11, 1, 5, 30),
        "2026-11-01 01:30 -0400", 25, (time(0), time(5)),
        ("00:00 -0400", "01:00 -0400", "02:00 -0500", "03:00 -0500", "04:00 -0500")),
    # Santiago changes at midnight: in September the day starts at 01:00; in April
    # 23:00-24:00 on Saturday comes twice.
    "santiago-skipped": Case(
        "America/Santiago", date(2026, 9, 6), time(0, 30), datetime(2026, 9, 6, 4, 30),
        "2026-09-06 01:30 -0300", 23, (time(0), time(5)),
        ("01:00 -0300", "02:00 -0300", "03:00 -0300", "04:00 -0300")),
    "santiago-repeated": Case(
        "America/Santiago", date(2026, 4, 4), time(23, 30), datetime(2026, 4, 5, 2, 30),
        "2026-04-04 23:30 -0300", 25, (time(20), time(23, 59)),
        # The window's end, 23:59, is its first occurrence too (02:59 UTC): an hour
        # from 23:00 -0300 would pass it.
        ("20:00 -0300", "21:00 -0300", "22:00 -0300")),
    "moscow-spring": Case(
        "Europe/Moscow", date(2026, 3, 29), time(2, 30), datetime(2026, 3, 28, 23, 30),
        "2026-03-29 02:30 +0300", 24, (time(0), time(5)),
        ("00:00 +0300", "01:00 +0300", "02:00 +0300", "03:00 +0300", "04:00 +0300")),
    "moscow-autumn": Case(
        "Europe/Moscow", date(2026, 10, 25), time(2, 30), datetime(2026, 10, 24, 23, 30),
        "2026-10-25 02:30 +0300", 24, (time(0), time(5)),
        ("00:00 +0300", "01:00 +0300", "02:00 +0300", "03:00 +0300", "04:00 +0300")),
}
