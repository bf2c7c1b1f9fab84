"""The browser keeps a student's or a visitor's week fragment too: it carries an
entity tag naming the calendar's version, the viewer, their zone and language, the
week and the moment time alone changes it, and a conditional request with a tag that
is still current is answered 304 before anything is built or rendered."""
from datetime import datetime

import pytest
from flask import template_rendered

from tests.conftest import TEACHER_PASSWORD
from tests.views.pages import HTMX, THIS_WEEK, day_of
from tutor.models import User

pytestmark = pytest.mark.usefixtures("settings_saved")


@pytest.fixture
def renders(app):
    """The templates rendered, by name."""
    names = []

    def note(sender, template, context, **extra):
        names.append(template.name)
    template_rendered.connect(note, app)
    yield names
    template_rendered.disconnect(note, app)


def tagged(browser, path=THIS_WEEK):
    """The fragment's entity tag, after the welcome shown once after logging in."""
    browser.get(path, headers=HTMX)
    response = browser.get(path, headers=HTMX)
    assert response.status_code == 200 and response.headers["ETag"]
    return response.headers["ETag"]


def ask(browser, tag, path=THIS_WEEK):
    return browser.get(path, headers={**HTMX, "If-None-Match": tag})


def test_a_current_tag_is_answered_304_without_building_or_rendering(
        person, alisa, builds, renders):
    browser = person("alisa")
    tag = tagged(browser)
    built, rendered = len(builds), len(renders)
    assert "calendar/partials/_week.html" in renders  # the count does count
    answer = ask(browser, tag)
    assert answer.status_code == 304 and answer.data == b""
    assert answer.headers["ETag"] == tag
    assert "HX-Request" in answer.headers["Vary"]
    assert answer.headers["Cache-Control"] == "private, no-cache"
    assert (len(builds), len(renders)) == (built, rendered)
    # nginx's gzip makes a strong tag weak: the browser then sends it back so.
    assert ask(browser, "W/" + tag).status_code == 304


def test_the_fragment_says_how_the_browser_may_keep_it(person, alisa):
    browser = person("alisa")
    tagged(browser)
    response = browser.get(THIS_WEEK, headers=HTMX)
    assert response.headers["Cache-Control"] == "private, no-cache"
    assert "HX-Request" in response.headers["Vary"]


def test_a_booking_changes_the_tag(person, alisa, boris):
    watching, booking = person("alisa"), person("boris")
    tag = tagged(watching)
    booked = booking.submit("/lessons", {"start": "2026-11-24T07:00:00"},
                            page="/lessons/new?start=2026-11-24T07:00:00")
    assert booked.status_code == 302
    answer = ask(watching, tag)
    assert answer.status_code == 200 and answer.headers["ETag"] != tag
    assert answer.text.count('class="cell cell-free"') == 11
    assert ask(watching, answer.headers["ETag"]).status_code == 304


def test_another_viewer_language_zone_or_week_gets_another_tag(app, person, alisa, boris):
    alisas = person("alisa")
    tag = tagged(alisas)
    others = {"boris": tagged(person("boris")), "visitor": tagged(person())}
    assert ask(person("boris"), tag).status_code == 200  # Alisa's tag, Boris's week
    assert ask(person(), tag).status_code == 200

    alisas.submit("/language/ru")
    russian = tagged(alisas)
    assert ask(alisas, tag).status_code == 200
    with app.app_context():
        User.update(timezone="Asia/Tokyo").where(User.id == alisa.id).execute()
    tokyo = tagged(alisas)
    assert ask(alisas, russian).status_code == 200
    next_week = tagged(alisas, "/?week=2026-11-30")
    assert ask(alisas, tokyo, "/?week=2026-11-30").status_code == 200
    tags = [tag, russian, tokyo, next_week, *others.values()]
    assert len(set(tags)) == len(tags)


def test_a_tag_lapses_when_time_alone_changes_the_week(person, alisa, time_machine):
    """Tuesday 10:00 in Moscow needs 12 hours' notice: bookable until Monday 19:00 UTC."""
    browser = person("alisa")
    tag = tagged(browser)
    time_machine.move_to(datetime(2026, 11, 23, 18, 59, 59), tick=False)
    assert ask(browser, tag).status_code == 304
    time_machine.move_to(datetime(2026, 11, 23, 19, 0, 1), tick=False)
    answer = ask(browser, tag)
    assert answer.status_code == 200 and "10:00–11:00" not in day_of(answer.text, "2026-11-24")
    assert answer.headers["ETag"] != tag


def test_a_made_up_or_mangled_tag_is_answered_in_full(person, alisa):
    browser = person("alisa")
    tag = tagged(browser)
    moment, _, digest = tag.partition(".")
    for offered in ("*", "99991231T000000." + digest, "nonsense", tag[:-1] + "x",
                    "-." + digest):
        assert ask(browser, offered).status_code == 200


def test_a_message_shown_over_the_week_is_not_tagged(person, alisa):
    browser = person("alisa")
    tag = tagged(browser)  # past the welcome shown after logging in
    with browser.session_transaction() as session:
        session["_flashes"] = [("success", "Saved.")]
    answer = ask(browser, tag)
    assert answer.status_code == 200 and 'hx-swap-oob="true"' in answer.text
    assert "ETag" not in answer.headers


def test_the_teachers_week_and_full_pages_are_not_tagged(person, alisa):
    teacher = person("teacher", TEACHER_PASSWORD)
    teacher.get(THIS_WEEK, headers=HTMX)
    assert "ETag" not in teacher.get(THIS_WEEK, headers=HTMX).headers
    student = person("alisa")
    assert "ETag" not in student.get(THIS_WEEK).headers
