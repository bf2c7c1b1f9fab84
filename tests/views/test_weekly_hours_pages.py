"""The weekly grid on the availability page: each change answered with the grid
alone for htmx and with the page (PRG) for a plain POST; a refused change shows why
and saves nothing; the step of slot starts reaches the student's week."""
import re
from datetime import time

import pytest

from tests.views.pages import HTMX, SETTINGS, WINDOWS, shown_windows, windows
from tutor.models import TeacherSettings

GRID = "/teacher/availability"


def htmx_post(browser, path, data):
    token = browser.csrf_token(GRID)
    return browser.post(path, headers=HTMX, data={"csrf_token": token, **data})


def is_grid_alone(response):
    return (response.status_code == 200
            and response.text.lstrip().startswith('<section id="weekly-hours"')
            and "<html" not in response.text and "HX-Request" in response.headers["Vary"])


CHANGES = [  # (path, data, the windows after, the message)
    ("/teacher/availability/hours/copy", {"weekday": "1", "days": ["0", "4"]},
     WINDOWS + [(0, time(10), time(14)), (4, time(10), time(14))], "The hours are copied."),
    ("/teacher/availability/hours/preset", {"preset": "evenings"},
     [(day, time(17), time(21)) for day in range(5)],
     "The hours are set: Weekday evenings 17:00–21:00."),
    ("/teacher/availability/windows/2/10:00/change", {"start": "09:30", "end": "12:00"},
     [WINDOWS[0], (2, time(9, 30), time(12)), WINDOWS[2]], "The hours are changed."),
]


@pytest.mark.parametrize("path, data, after, message", CHANGES)
def test_a_change_with_htmx_swaps_the_grid(teacher_browser, app, path, data, after, message):
    response = htmx_post(teacher_browser, path, data)
    assert is_grid_alone(response)
    assert message in response.text
    assert windows(app) == sorted(after)
    assert shown_windows(response.text) == [
        (day, start.strftime("%H:%M"), end.strftime("%H:%M")) for day, start, end in sorted(after)]


@pytest.mark.parametrize("path, data, after, message", CHANGES)
def test_a_change_without_javascript_comes_back_to_the_page(teacher_browser, app, path, data,
                                                            after, message):
    response = teacher_browser.submit(path, data, page=GRID)
    assert response.status_code == 302
    assert response.headers["Location"] == "/teacher/availability#weekly-hours"
    assert windows(app) == sorted(after)
    page = teacher_browser.get(GRID).text
    assert message in page and "<html" in page


@pytest.mark.parametrize("path, data, message", [
    ("/teacher/availability/hours/copy", {"weekday": "1"},
     "Choose the days to copy Tuesday&#39;s hours to."),
    ("/teacher/availability/windows/2/10:00/change", {"start": "09:00", "end": "08:00"},
     "The end must come after the start."),
    ("/teacher/availability/windows", {"weekday": "2", "start": "13:30", "end": "16:00"},
     "Wednesday: 10:00–14:00 and 13:30–16:00 overlap."),
    ("/teacher/availability/hours/preset", {"preset": "holidays"}, "Not a valid choice."),
])
def test_a_refused_change_says_why_and_saves_nothing(teacher_browser, app, path, data, message):
    for answer in (htmx_post(teacher_browser, path, data),
                   teacher_browser.submit(path, data, page=GRID)):
        assert answer.status_code == 200
        assert 'role="alert" id="hours-error"' in answer.text and message in answer.text
        assert windows(app) == WINDOWS
    assert is_grid_alone(htmx_post(teacher_browser, path, data))


def test_the_refused_hours_stay_typed_in_their_day(teacher_browser):
    response = htmx_post(teacher_browser, "/teacher/availability/windows",
                         {"weekday": "2", "start": "13:30", "end": "16:00"})
    wednesday = response.text.split('id="hours-day-2"')[1].split('id="hours-day-3"')[0]
    assert '<details class="add-hours" open>' in wednesday
    assert 'value="13:30" aria-invalid="true"' in wednesday


@pytest.mark.parametrize("typed, message", [
    ({"start": "09:00", "end": "08:00"}, "The end must come after the start."),  # the form
    ({"start": "10:00", "end": "16:00"}, "Wednesday: 10:00–16:00 and 15:00–17:00 overlap."),
])
def test_a_refused_change_keeps_the_times_typed_in_their_window(teacher_browser, app,
                                                               calendar_ready, typed, message):
    """A change refused, by the form or by the rules, shows the window with the times
    the teacher typed, marked, not the saved ones: nothing typed is lost."""
    from tutor.services import schedule
    from tutor.services.availability import Window
    with app.app_context():
        schedule.set_windows(calendar_ready, [Window(*w) for w in WINDOWS]
                             + [Window(2, time(15), time(17))])
    path = "/teacher/availability/windows/2/10:00/change"
    for answer in (htmx_post(teacher_browser, path, typed),
                   teacher_browser.submit(path, typed, page=GRID)):
        assert message in answer.text
        wednesday = answer.text.split('id="hours-day-2"')[1].split('id="hours-day-3"')[0]
        assert (f'name="start" value="{typed["start"]}" required aria-invalid="true"'
                in wednesday)
        assert f'name="end" value="{typed["end"]}" required aria-invalid="true"' in wednesday
        assert 'name="end" value="14:00"' not in wednesday  # the saved end, not shown
    assert (2, time(10), time(14)) in windows(app)


def test_a_window_gone_meanwhile_is_not_found(teacher_browser, app):
    response = teacher_browser.submit("/teacher/availability/windows/5/10:00/change",
                                      {"start": "11:00", "end": "12:00"}, page=GRID)
    assert response.status_code == 404
    assert windows(app) == WINDOWS


def free_starts(page, day):
    """The free slots' times on one day of the week page."""
    section = page.split(f'aria-labelledby="day-{day}"')[1].split('<section class="day')[0]
    return re.findall(r'class="cell cell-free">.*?<span class="time">(\d\d:\d\d)–', section, re.S)


@pytest.mark.parametrize("step, starts", [
    ("60", ["10:00", "11:00", "12:00", "13:00"]),
    ("30", ["10:00", "10:30", "11:00", "11:30", "12:00", "12:30", "13:00"]),
    ("0", ["10:00", "11:10", "12:20"]),
])
def test_the_step_shapes_the_students_week(teacher_browser, person, step, starts):
    # Tuesdays 10:00-14:00 with 60-minute lessons and a 10-minute break.
    response = teacher_browser.submit("/teacher/availability/settings", {
        **SETTINGS, "buffer_minutes": "10"}, page=GRID)
    assert response.status_code == 302
    response = teacher_browser.submit("/teacher/availability/hours/step",
                                      {"slot_step_minutes": step}, page=GRID)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/teacher/availability#weekly-hours")
    assert free_starts(person().get("/").text, "2026-11-24") == starts


def test_the_step_is_set_beside_the_weekly_hours_and_only_there(teacher_browser):
    page = teacher_browser.get(GRID).text
    grid = page.split('<section id="weekly-hours"')[1].split("</section>")[0]
    rules = page.split('aria-labelledby="rules-title"')[1].split("</section>")[0]
    assert 'name="slot_step_minutes"' in grid and 'name="slot_step_minutes"' not in rules
    assert 'href="#slot-step"' in rules and "Lessons start on the hour (16:00, 17:00)." in rules


def test_the_step_answers_htmx_with_the_grid_and_refuses_a_step_not_offered(
        teacher_browser, app):
    response = htmx_post(teacher_browser, "/teacher/availability/hours/step",
                         {"slot_step_minutes": "30"})
    assert is_grid_alone(response)
    assert '<option selected value="30">' in response.text
    assert "Lessons start every 30 minutes (16:00, 16:30)." in response.text  # the toast
    # The booking rules' line, out of band.
    assert '<p class="hint" id="rules-step" hx-swap-oob="true">Lessons start every 30' \
        in response.text
    with app.app_context():
        assert TeacherSettings.get().slot_step_minutes == 30
    response = htmx_post(teacher_browser, "/teacher/availability/hours/step",
                         {"slot_step_minutes": "7"})
    assert is_grid_alone(response) and "Not a valid choice" in response.text
    with app.app_context():
        assert TeacherSettings.get().slot_step_minutes == 30
    # The booking rules saved afterwards keep it.
    response = teacher_browser.submit("/teacher/availability/settings", SETTINGS, page=GRID)
    assert response.status_code == 302
    with app.app_context():
        assert TeacherSettings.get().slot_step_minutes == 30
