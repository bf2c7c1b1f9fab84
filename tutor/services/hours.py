"""The teacher's weekly hours edited as a week: add, change or remove a window, copy a
day's hours to other days, start from a preset. Each edit (an Edit) maps the windows
there are to the windows wanted and names its audit entry; `apply` runs one under the
calendar's lock, checks the result and saves it with its audit entry at once
(schedule.set_windows), or raises HoursError with the reason in the teacher's words
and changes nothing. Lessons
already booked are never touched: hours only decide what can be booked next."""
from collections.abc import Callable
from dataclasses import dataclass
from datetime import time

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from tutor.services import audit, schedule
from tutor.services.availability import Window

WEEKDAYS = (_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"),
            _l("Saturday"), _l("Sunday"))
WORKDAYS, WEEKEND = (0, 1, 2, 3, 4), (5, 6)

# name: (the days it sets, from, to, its label). A preset replaces those days' hours
# and leaves the other days as they are.
PRESETS = {
    "weekdays": (WORKDAYS, time(9), time(18), _l("Weekdays 9:00–18:00")),
    "evenings": (WORKDAYS, time(17), time(21), _l("Weekday evenings 17:00–21:00")),
    "weekends": (WEEKEND, time(10), time(16), _l("Weekends 10:00–16:00")),
}


class HoursError(ValueError):
    """Hours that cannot be saved; `message` says why in the teacher's language and
    `weekday` is the day it is about (None: not one day)."""

    def __init__(self, message, weekday=None):
        super().__init__(message)
        self.message = message
        self.weekday = weekday


@dataclass(frozen=True)
class Edit:
    """A change of the weekly hours: `change` maps the windows there are to the
    windows wanted; `action` and `details` are its audit entry."""

    action: str
    details: dict
    change: Callable

    def __call__(self, windows):
        return self.change(windows)


def apply(teacher, edit):
    """Run `edit` on the teacher's weekly hours and save the result, with its audit
    entry, in one go. Raises HoursError (nothing changes then). Returns the new
    windows, sorted."""
    with schedule.lock(teacher):
        windows = edit(schedule.windows_for(teacher))
        check(windows)
        saved = schedule.set_windows(teacher, windows)
        audit.record(teacher, edit.action, after=edit.details)
        return saved


def check(windows):
    """Raise HoursError for the first window that ends before it starts or overlaps
    another of its day (touching is fine)."""
    ordered = sorted(windows, key=lambda w: (w.weekday, w.start))
    for window in ordered:
        if window.end <= window.start:
            raise HoursError(_("%(day)s: %(span)s ends before it starts.",
                               day=WEEKDAYS[window.weekday], span=span(window)),
                             window.weekday)
    for previous, window in zip(ordered, ordered[1:]):
        if window.weekday == previous.weekday and window.start < previous.end:
            raise HoursError(_("%(day)s: %(one)s and %(other)s overlap. Change one of them "
                               "or join them into one.", day=WEEKDAYS[window.weekday],
                               one=span(previous), other=span(window)), window.weekday)


def span(window):
    return f"{window.start.strftime('%H:%M')}–{window.end.strftime('%H:%M')}"


# --- the edits ---------------------------------------------------------------------------

def added(weekday, start, end):
    def edit(windows):
        return (*windows, Window(weekday, start, end))
    return Edit("window.add", {"weekday": weekday, "start": start, "end": end}, edit)


def changed(weekday, old_start, start, end):
    """The window of `weekday` starting at `old_start` becomes start–end. HoursError
    when there is no such window (another tab removed it)."""
    def edit(windows):
        others = [w for w in windows if not (w.weekday == weekday and w.start == old_start)]
        if len(others) == len(windows):
            raise HoursError(_("These hours are no longer there: the page shows them as "
                               "they are now."), weekday)
        return (*others, Window(weekday, start, end))
    return Edit("window.change", {"weekday": weekday, "from": old_start.strftime("%H:%M"),
                                  "start": start, "end": end}, edit)


def removed(weekday, start):
    def edit(windows):
        return tuple(w for w in windows if not (w.weekday == weekday and w.start == start))
    return Edit("window.remove", {"weekday": weekday, "start": start.strftime("%H:%M")}, edit)


def copied(weekday, to_days):
    """The days `to_days` get `weekday`'s hours instead of theirs."""
    targets = set(to_days) - {weekday}

    def edit(windows):
        if not targets:
            raise HoursError(_("Choose the days to copy %(day)s's hours to.",
                               day=WEEKDAYS[weekday]), weekday)
        source = [w for w in windows if w.weekday == weekday]
        kept = [w for w in windows if w.weekday not in targets]
        return (*kept, *(Window(day, w.start, w.end) for day in sorted(targets) for w in source))
    return Edit("hours.copy", {"weekday": weekday, "days": list(to_days)}, edit)


def preset(name):
    """The preset's days get its hours instead of theirs. KeyError for an unknown one."""
    days, start, end, _label = PRESETS[name]

    def edit(windows):
        kept = [w for w in windows if w.weekday not in days]
        return (*kept, *(Window(day, start, end) for day in days))
    return Edit("hours.preset", {"preset": name}, edit)


def week(windows):
    """The windows by weekday, Monday first: seven tuples, each by start."""
    days = [[] for _day in range(7)]
    for window in sorted(windows, key=lambda w: w.start):
        days[window.weekday].append(window)
    return tuple(tuple(day) for day in days)
