"""The audit entries of the teacher's availability (booking rules, weekly hours,
unavailable time, other calendars) are written by the services inside the change's own transaction,
as booking's are: a change rolled back leaves no entry, a committed one exactly one.
(They used to be written by the views after the change had committed; the other
calendars' until the add and remove services wrote them.)"""
import json
from datetime import date, datetime, time

import pytest

from tutor.extensions import db
from tutor.models import AuditEntry, CalendarSubscription, UnavailableInterval
from tutor.services import busy_import, hours, schedule
from tutor.services.availability import Window


class RolledBack(Exception):
    pass


def window_change(teacher):
    schedule.set_windows(teacher, [Window(0, time(10), time(14))])
    return hours.apply(teacher, hours.changed(0, time(10), time(9), time(12)))


def interval_removal(teacher):
    interval = UnavailableInterval.create(teacher=teacher, start=datetime(2027, 5, 3, 7),
                                          end=datetime(2027, 5, 3, 9))
    return schedule.remove_unavailable(teacher, interval.id)


CALENDAR = "https://calendar.example.org/private-abc/work.ics"


def calendar_removal(teacher):
    subscription = CalendarSubscription.create(teacher=teacher, url=CALENDAR,
                                               due_at=datetime(2027, 5, 3))
    return busy_import.unsubscribe(teacher, subscription.id)


CHANGES = {
    "settings.update": lambda teacher: schedule.update_settings(teacher, buffer_minutes=5),
    "window.add": lambda teacher: hours.apply(teacher, hours.added(2, time(8), time(9))),
    "window.change": window_change,
    "window.remove": lambda teacher: hours.apply(teacher, hours.removed(0, time(10))),
    "hours.copy": lambda teacher: hours.apply(teacher, hours.copied(0, [1, 2])),
    "hours.preset": lambda teacher: hours.apply(teacher, hours.preset("weekends")),
    "unavailable.add": lambda teacher: schedule.add_unavailable(
        teacher, datetime(2027, 5, 3, 7), datetime(2027, 5, 3, 9), "Врач", seen_lessons=()),
    "unavailable.add[days]": lambda teacher: schedule.add_unavailable_days(
        teacher, date(2027, 5, 3), date(2027, 5, 4)),
    "unavailable.remove": interval_removal,
    "calendar.add": lambda teacher: busy_import.subscribe(teacher, CALENDAR),
    "calendar.remove": calendar_removal,
}


@pytest.fixture
def hours_teacher(app_ctx, teacher):
    schedule.set_windows(teacher, [Window(0, time(10), time(14))])
    return teacher


def entries():
    return list(AuditEntry.select().order_by(AuditEntry.id))


@pytest.mark.parametrize("name", sorted(CHANGES))
def test_a_rolled_back_change_leaves_no_audit_entry(hours_teacher, name):
    before = entries()
    with pytest.raises(RolledBack), db.database.atomic():
        CHANGES[name](hours_teacher)
        raise RolledBack
    assert entries() == before


@pytest.mark.parametrize("name", sorted(CHANGES))
def test_a_committed_change_leaves_exactly_one_audit_entry(hours_teacher, name):
    before = {entry.id for entry in entries()}
    with db.database.atomic():
        CHANGES[name](hours_teacher)
    new = [entry for entry in entries() if entry.id not in before]
    if name == "window.change":  # its setting-up set_windows writes no entry
        new = [entry for entry in new if entry.action == "window.change"]
    assert [entry.action for entry in new] == [name.split("[")[0]]
    assert new[0].actor_id == hours_teacher.id


def test_the_entries_say_what_changed(hours_teacher):
    hours.apply(hours_teacher, hours.changed(0, time(10), time(9), time(12)))
    schedule.add_unavailable_days(hours_teacher, date(2027, 5, 3), date(2027, 5, 3))
    change, days_off = entries()[-2:]
    assert json.loads(change.after) == {"weekday": 0, "from": "10:00", "start": "09:00:00",
                                        "end": "12:00:00"}
    after = json.loads(days_off.after)
    assert (after["first_day"], after["last_day"], after["lessons_inside"]) == (
        "2027-05-03", "2027-05-03", [])


def test_a_refused_change_leaves_no_audit_entry(hours_teacher):
    before = entries()
    with pytest.raises(hours.HoursError):
        hours.apply(hours_teacher, hours.added(0, time(13), time(15)))  # overlaps 10-14
    with pytest.raises(schedule.IntervalNotFound):
        schedule.remove_unavailable(hours_teacher, 12345)
    with pytest.raises(schedule.InvalidSetting):
        schedule.update_settings(hours_teacher, buffer_minutes=-1)
    with pytest.raises(busy_import.InvalidAddress):
        busy_import.subscribe(hours_teacher, "calendar.example.org/work.ics")
    with pytest.raises(busy_import.SubscriptionNotFound):
        busy_import.unsubscribe(hours_teacher, 12345)
    assert entries() == before


def test_a_calendars_entries_name_it_without_its_secret(hours_teacher):
    subscription = busy_import.subscribe(hours_teacher, CALENDAR)
    with pytest.raises(busy_import.AlreadySubscribed):
        busy_import.subscribe(hours_teacher, CALENDAR)
    busy_import.unsubscribe(hours_teacher, subscription.id)
    added, removed = entries()[-2:]
    assert (added.action, json.loads(added.after)) == (
        "calendar.add", {"address": "calendar.example.org/…/work.ics"})
    assert (removed.action, json.loads(removed.before)) == (
        "calendar.remove", {"address": "calendar.example.org/…/work.ics"})
