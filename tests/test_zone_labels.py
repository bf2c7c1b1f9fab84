"""Time zones by the names people know, in their language, with the offset of the
moment shown; never the database's "Europe/Moscow". One zone per place in a select."""
from datetime import date, datetime, timezone

import pytest
from flask_babel import force_locale

from tests.conftest import browser_for
from tutor.formatting import zone_label, zone_note
from tutor.forms.fields import offered_zones, zone_aliases
from tutor.services import schedule

WINTER = datetime(2026, 1, 15, 12, 0, tzinfo=timezone.utc)
SUMMER = datetime(2026, 7, 15, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("zone, at, russian, english", [
    ("Europe/Moscow", WINTER, "Москва (UTC+3)", "Moscow (UTC+3)"),
    ("Europe/Berlin", WINTER, "Берлин (UTC+1)", "Berlin (UTC+1)"),
    ("Europe/Berlin", SUMMER, "Берлин (UTC+2)", "Berlin (UTC+2)"),
    ("America/New_York", WINTER, "Нью-Йорк (UTC−5)", "New York (UTC−5)"),
    ("Asia/Kolkata", WINTER, "Калькутта (UTC+5:30)", "Kolkata (UTC+5:30)"),
    ("UTC", WINTER, "Всемирное время (UTC+0)", "Universal time (UTC+0)"),
    ("Etc/GMT-3", WINTER, "UTC+3", "UTC+3"),
])
def test_a_zone_by_its_place_and_offset(app, zone, at, russian, english):
    with app.test_request_context():
        with force_locale("ru"):
            assert zone_label(zone, at=at) == russian
        with force_locale("en"):
            assert zone_label(zone, at=at) == english
        assert zone_label(zone, "ru", at=at) == russian  # a message in its reader's language


def test_after_a_time_the_zone_goes_inside_the_brackets(app):
    with app.test_request_context():
        assert zone_note("Europe/Moscow", "ru", at=WINTER) == "Москва, UTC+3"


def test_a_select_offers_one_zone_per_place():
    zones = offered_zones()
    assert "Europe/Moscow" in zones and "Europe/Kyiv" in zones and "Asia/Kolkata" in zones
    assert "Europe/Kiev" not in zones and "Asia/Calcutta" not in zones
    assert not any(zone.startswith(("Etc/", "US/", "SystemV/")) for zone in zones)
    # An old name a browser still reports is offered under the new one.
    assert zone_aliases()["Asia/Calcutta"] == "Asia/Kolkata"
    assert zone_aliases()["US/Eastern"] == "America/New_York"


def test_a_date_gives_the_offset_of_that_day(app):
    with app.test_request_context():
        assert zone_label("Europe/Berlin", "en", at=date(2026, 7, 15)) == "Berlin (UTC+2)"
        assert zone_label("Europe/Berlin", "en", at=date(2026, 1, 15)) == "Berlin (UTC+1)"


def test_a_week_says_its_own_offset_not_todays(app, client, teacher, time_machine):
    """The week after the clocks go forward shows its summer offset, and a week kept
    in the cache says the same whenever it is shown."""
    time_machine.move_to(datetime(2026, 3, 23, 9, 0, tzinfo=timezone.utc), tick=False)
    with app.app_context():
        schedule.update_settings(teacher, timezone="Europe/Berlin")
    browser = browser_for(app)
    this_week = browser.get("/?week=2026-03-23").text
    next_week = browser.get("/?week=2026-03-30").text
    assert "Times are shown in the Berlin (UTC+1) time zone." in this_week
    assert "Times are shown in the Berlin (UTC+2) time zone." in next_week


@pytest.mark.parametrize("locale,day,moment", [
    ("ru", "20 нояб. 2026\u202fг.", "20 нояб. 2026\u202fг., 12:05"),
    ("en", "Nov 20, 2026", "Nov 20, 2026, 12:05"),
])
def test_tables_write_dates_the_readers_way(app, locale, day, moment):
    """Lists and tables format dates with the locale's own pattern, never a fixed
    "%d.%m.%Y" (which reads wrong in English and breaks no tie in Russian)."""
    from tutor.formatting import short_date, short_moment
    with app.test_request_context(), force_locale(locale):
        assert short_date(date(2026, 11, 20)) == day
        assert short_moment(datetime(2026, 11, 20, 12, 5, 9)) == moment
        assert short_moment(datetime(2026, 11, 20, 12, 5, 9), seconds=True) == moment + ":09"
