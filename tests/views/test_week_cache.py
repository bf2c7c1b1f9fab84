"""A week fragment is rendered once and served again until a write moves the calendar
or time alone would change it (a slot passing the notice, midnight); never across
viewers, languages or zones, and the teacher's, whose forms carry the session's CSRF
token, never across sessions or addresses."""
import gzip
import re
from datetime import datetime

import pytest

from tests.conftest import TEACHER_PASSWORD
from tests.factories import lesson_for
from tests.views.pages import HTMX, THIS_WEEK, day_of, free_cells
from tutor import rendered
from tutor.models import User
from tutor.services import schedule

pytestmark = pytest.mark.usefixtures("settings_saved")


def fragment(browser):
    response = browser.get(THIS_WEEK, headers=HTMX)
    assert response.status_code == 200
    return response.text


def test_a_repeated_request_is_answered_without_building_again(person, alisa, builds):
    browser = person("alisa")
    first = fragment(browser)  # with the toast of the language switch
    assert 'hx-swap-oob="true"' in first
    second = fragment(browser)
    assert first.startswith(second) and fragment(browser) == second
    assert len(builds) == 1
    assert free_cells(second) == 12


def test_another_students_booking_shows_at_once(person, alisa, boris, builds):
    watching, booking = person("alisa"), person("boris")
    assert free_cells(fragment(watching)) == 12
    assert len(builds) == 1
    # The booking page shows the slot's week behind its dialog: Boris's own build.
    booked = booking.submit("/lessons", {"start": "2026-11-24T07:00:00"},
                            page="/lessons/new?start=2026-11-24T07:00:00")
    assert booked.status_code == 302
    before = len(builds)
    tuesday = day_of(fragment(watching), "2026-11-24")
    assert free_cells(tuesday) == 3
    assert '<li class="cell cell-pending">' in tuesday
    assert len(builds) == before + 1  # Alisa's week built again, once


def test_a_change_of_the_teachers_settings_shows_at_once(app, person, calendar_ready, builds):
    browser = person()
    assert free_cells(fragment(browser)) == 12
    with app.app_context():
        schedule.update_settings(calendar_ready, lesson_length_minutes=120)
    # On the hour (a new teacher's step), 10:00-14:00 offers 10, 11 and 12 each day.
    assert free_cells(fragment(browser)) == 9


def test_a_slot_leaves_when_its_notice_passes(person, alisa, builds, time_machine):
    """Tuesday 10:00 in Moscow (07:00 UTC) needs 12 hours' notice: bookable until
    Monday 19:00 UTC."""
    browser = person("alisa")
    assert free_cells(fragment(browser)) == 12
    time_machine.move_to(datetime(2026, 11, 23, 18, 59, 59), tick=False)
    assert free_cells(fragment(browser)) == 12
    assert len(builds) == 1
    time_machine.move_to(datetime(2026, 11, 23, 19, 0, 1), tick=False)
    tuesday = day_of(fragment(browser), "2026-11-24")
    assert free_cells(tuesday) == 3 and "10:00–11:00" not in tuesday
    assert len(builds) == 2


def test_today_moves_at_midnight(app, person, calendar_ready, builds, time_machine):
    with app.app_context():
        schedule.update_settings(calendar_ready, min_notice_hours=0)
    browser = person()
    today = re.compile(r'<section class="day today" aria-labelledby="day-([0-9-]+)">')
    assert today.search(fragment(browser)).group(1) == "2026-11-23"
    time_machine.move_to(datetime(2026, 11, 23, 20, 59, 59), tick=False)  # 23:59:59 Moscow
    assert today.search(fragment(browser)).group(1) == "2026-11-23"
    assert len(builds) == 1
    time_machine.move_to(datetime(2026, 11, 23, 21, 0, 1), tick=False)
    assert today.search(fragment(browser)).group(1) == "2026-11-24"
    assert len(builds) == 2


def test_each_viewer_gets_their_own_week(app, person, alisa, boris, calendar_ready, builds):
    lesson_for(app, alisa, calendar_ready, comment="Подготовка к ЕГЭ", price=1500)
    own = day_of(fragment(person("alisa")), "2026-11-24")
    assert "cell-confirmed cell-own" in own and "Подготовка к ЕГЭ" in own
    for browser in (person("boris"), person()):
        tuesday = day_of(fragment(browser), "2026-11-24")
        assert free_cells(tuesday) == 3
        assert "cell-confirmed" not in tuesday and "Подготовка" not in tuesday
    assert len(builds) == 3


def test_the_language_and_the_zone_are_the_viewers(app, person, alisa, builds):
    browser = person("alisa")
    assert "Times are shown in the Moscow (UTC+3) time zone." in fragment(browser)
    browser.submit("/language/ru")
    russian = fragment(browser)
    assert "Times are shown" not in russian and "Москва (UTC+3)" in russian
    with app.app_context():
        User.update(timezone="Asia/Tokyo").where(User.id == alisa.id).execute()
    assert '<span class="time">16:00–17:00</span>' in fragment(browser)
    assert len(builds) == 3


def test_the_teachers_week_is_kept_for_one_session_and_address(person, builds):
    browser = person("teacher", TEACHER_PASSWORD)
    first, second = fragment(browser), fragment(browser)
    assert first.startswith(second) and 'name="csrf_token"' in second
    assert len(builds) == 1
    # Another session of the teacher's: another token, its own week.
    other = fragment(person("teacher", TEACHER_PASSWORD))
    assert csrf_token(other) != csrf_token(second)
    assert len(builds) == 2
    # The same week at another address: its buttons lead back there.
    elsewhere = browser.get(THIS_WEEK + "&from=month", headers=HTMX).text
    assert "from%3Dmonth" in elsewhere and len(builds) == 3


def test_the_kept_teachers_week_still_blocks_a_slot(app, person, builds):
    """The token kept in the week is the session's: a form sent with it is taken."""
    browser = person("teacher", TEACHER_PASSWORD)
    fragment(browser)
    kept = fragment(browser)
    assert len(builds) == 1
    slot = re.search(r'<button name="slot" value="([^"]+)"', kept).group(1)
    action = re.search(r'<form id="week-block" method="post" action="([^"]+)"', kept).group(1)
    answer = browser.post(action.replace("&amp;", "&"),
                          data={"csrf_token": csrf_token(kept), "slot": slot})
    assert answer.status_code == 302
    assert "cell-unavailable" in fragment(browser) and len(builds) == 2


@pytest.mark.config(WTF_CSRF_TIME_LIMIT=3600)
def test_the_teachers_week_is_not_kept_when_tokens_expire(person, builds):
    browser = person("teacher", TEACHER_PASSWORD)
    fragment(browser), fragment(browser)
    assert len(builds) == 2


def csrf_token(html):
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@pytest.mark.config(WEEK_CACHE_ENTRIES=0)
def test_nothing_is_kept_when_the_cache_is_off(person, alisa, builds):
    browser = person("alisa")
    fragment(browser)
    assert fragment(browser) == fragment(browser)
    assert len(builds) == 3


def test_a_full_page_shows_the_kept_week(person, alisa, builds):
    """Built once for the page and its fragment: the page holds the kept HTML itself."""
    browser = person("alisa")
    browser.get(THIS_WEEK)
    page = browser.get(THIS_WEEK).text
    kept = fragment(browser)
    assert len(builds) == 1
    assert kept in page and free_cells(kept) == 12


def test_a_kept_week_is_held_as_the_bytes_a_browser_is_sent(app, person, alisa, builds):
    """Compressed, once: a Russian week as a str takes two bytes a character, as UTF-8
    half that, gzipped a sixth of it, and the cache holds hundreds of weeks in every
    worker (bench/RESULTS.md, worker memory); a browser takes those very bytes, and a
    client that does not take gzip gets them uncompressed."""
    browser = person("alisa")
    fragment(browser)  # with the toast of the language switch: shown once, kept without
    response = browser.get(THIS_WEEK, headers={**HTMX, "Accept-Encoding": "gzip, br"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["Vary"]
    with app.test_request_context():
        kept = [html for html, _ in rendered.weeks()._entries.values()]
    assert kept == [response.data] and len(builds) == 1
    plain = browser.get(THIS_WEEK, headers=HTMX)
    assert "Content-Encoding" not in plain.headers
    assert plain.data == gzip.decompress(response.data) and len(plain.data) > 5 * len(kept[0])
    assert free_cells(plain.text) == 12


def test_a_compressed_week_has_a_tag_of_its_own(person, alisa):
    """A tag names one representation: the compressed one's says so, and each is
    confirmed by its own tag."""
    browser = person("alisa")
    fragment(browser)
    gzipped = {**HTMX, "Accept-Encoding": "gzip"}
    packed = browser.get(THIS_WEEK, headers=gzipped).headers["ETag"]
    plain = browser.get(THIS_WEEK, headers=HTMX).headers["ETag"]
    assert packed == plain[:-1] + '.gz"'
    for tag, headers in ((packed, gzipped), (plain, HTMX)):
        again = browser.get(THIS_WEEK, headers={**headers, "If-None-Match": tag})
        assert again.status_code == 304 and again.headers["ETag"] == tag


def test_the_teachers_week_is_never_compressed(person):
    """It carries the session's CSRF token beside the address the request asked for:
    compressed, the two would leak the token (BREACH)."""
    browser = person("teacher", TEACHER_PASSWORD)
    for _ in range(2):
        response = browser.get(THIS_WEEK + "&x=1", headers={**HTMX, "Accept-Encoding": "gzip"})
        assert "Content-Encoding" not in response.headers
        assert 'name="csrf_token"' in response.text and "x%3D1" in response.text
