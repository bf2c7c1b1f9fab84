"""Weekly series through HTTP: the "repeat every week" part of the booking dialog with
its preview (htmx fragment and plain page), the plain preview step without JavaScript,
the series page and who may see and answer it, CSRF, bad input (a clear message,
nothing saved), and changing one confirmed occurrence from its lesson page."""
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from tests import factories
from tests.conftest import TEACHER_PASSWORD
from tutor.models import Lesson, LessonSeries, Message, User
from tutor.services import booking, schedule, series

NOW = factories.MONDAY_MORNING  # Monday, 11:00 in Moscow
TUESDAY_10 = datetime(2026, 11, 24, 7, 0)  # naive UTC: Tuesday 10:00 in Moscow
WEEKS = [TUESDAY_10 + timedelta(weeks=n) for n in range(4)]
START = "2026-11-24T07:00:00"
HTMX = {"HX-Request": "true"}


@pytest.fixture
def calendar_ready(app, teacher, time_machine):
    """Tuesday to Thursday, 10:00-14:00 Moscow time, on a Monday morning; the teacher
    gets messages by e-mail."""
    return factories.ready_calendar(app, teacher, time_machine, email=True)


@pytest.fixture
def person(app, client, calendar_ready):
    return factories.browsers(app)


@pytest.fixture
def alisa(create_student):
    return create_student(login="alisa", first_name="Алиса", last_name="Кузнецова",
                          channel=User.EMAIL, email="alisa@example.org")


@pytest.fixture
def boris(create_student):
    return create_student(login="boris", first_name="Борис", last_name="Орлов",
                          channel=User.EMAIL, email="boris@example.org")


@pytest.fixture
def taken_third_week(app, boris, calendar_ready):
    with app.app_context():
        return booking.book_lesson(boris, calendar_ready, WEEKS[2])


@pytest.fixture
def requested(app, alisa, calendar_ready):
    """Alisa's pending series: four Tuesdays at 10:00."""
    with app.app_context():
        created, _, _ = series.book_series(alisa, calendar_ready, TUESDAY_10, count=4)
        return created


def state(app):
    with app.app_context():
        return [(lesson.start, lesson.status, lesson.price, lesson.series_id)
                for lesson in Lesson.select().order_by(Lesson.start)]


def kinds(app):
    with app.app_context():
        return [m.kind for m in Message.select().order_by(Message.id)]


def series_count(app):
    with app.app_context():
        return LessonSeries.select().count()


def fingerprint(start=START, until="", times=""):
    return f"{start}|{until}|{times}"


# --- the booking dialog and its preview -----------------------------------------------

def test_the_booking_dialog_offers_to_repeat_every_week(person, alisa):
    browser = person("alisa")
    for headers in ({}, HTMX):
        page = browser.get(f"/lessons/new?start={START}", headers=headers).text
        assert "Repeat every week" in page
        assert 'name="until" type="date"' in page and 'name="times" type="number"' in page
        assert 'hx-get="/lessons/series/preview"' in page
        assert 'formaction="/lessons/series"' in page


def test_the_preview_as_a_fragment_and_as_a_page(person, alisa, taken_third_week):
    browser = person("alisa")
    fragment = browser.get(f"/lessons/series/preview?start={START}&times=4", headers=HTMX)
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<div id="series-preview"')
    assert "<html" not in fragment.text and "HX-Request" in fragment.headers["Vary"]
    assert "3 of these dates are free:" in fragment.text
    assert fragment.text.count('class="date-free"') == 3
    assert "Tuesday, 8 December 2026, 10:00 —" in fragment.text
    assert "not booked: taken" in fragment.text
    assert f'name="previewed" value="{fingerprint(times=4)}"' in fragment.text
    page = browser.get(f"/lessons/series/preview?start={START}&times=4")
    assert page.status_code == 200 and "<html" in page.text
    assert 'id="book-form"' in page.text and "not booked: taken" in page.text
    assert "<details class=\"repeat\" open>" in page.text
    assert series_count(browser.application) == 0


@pytest.mark.parametrize("query, message", [
    ("times=1", "From 2 to 52."),
    ("times=abc", "Not a valid integer value."),
    ("until=2026-11-30", "Give the last date (at least a week after the first lesson"),
    ("until=2027-12-01", "Give the last date (at least a week after the first lesson"),
    ("until=2026-12-15&times=3", "Give either the last date or the number of lessons."),
])
def test_a_bad_preview_says_why(person, alisa, query, message):
    response = person("alisa").get(f"/lessons/series/preview?start={START}&{query}",
                                   headers=HTMX)
    assert response.status_code == 200
    assert message in response.text and "previewed" not in response.text


def test_a_preview_with_no_end_yet_is_empty(person, alisa):
    response = person("alisa").get(f"/lessons/series/preview?start={START}", headers=HTMX)
    assert response.status_code == 200 and "<li" not in response.text


@pytest.mark.parametrize("start", ["", "soon"])
def test_a_preview_without_a_start_is_not_found(person, alisa, start):
    assert person("alisa").get(f"/lessons/series/preview?start={start}&times=3").status_code \
        == 404


# --- requesting a series --------------------------------------------------------------

def test_without_javascript_the_dates_are_shown_before_the_request_goes(app, person, alisa,
                                                                        taken_third_week):
    browser = person("alisa")
    page = f"/lessons/new?start={START}"
    first = browser.submit("/lessons/series", {"start": START, "times": "4",
                                               "comment": "ЕГЭ"}, page=page)
    assert first.status_code == 200
    assert "Check the dates below, then send the request again." in first.text
    assert "not booked: taken" in first.text
    assert series_count(app) == 0 and len(state(app)) == 1
    second = browser.submit("/lessons/series", {"start": START, "times": "4", "comment": "ЕГЭ",
                                                "previewed": fingerprint(times=4)}, page=page)
    assert second.status_code == 302
    with app.app_context():
        created = LessonSeries.get()
        assert second.headers["Location"] == f"/lessons/series/{created.id}"
        assert created.comment == "ЕГЭ" and created.count == 4
    assert [(start, status) for start, status, _, _ in state(app)] == [
        (WEEKS[0], "pending"), (WEEKS[1], "pending"), (WEEKS[2], "pending"),
        (WEEKS[3], "pending")]
    assert kinds(app) == ["lesson_booked", "lesson_requested", "series_booked"]
    shown = browser.get(second.headers["Location"]).text
    assert "Your request for 3 weekly lessons is sent." in shown
    assert "1 date was not free and is not booked." in shown


def test_changed_dates_are_shown_again_before_booking(app, person, alisa):
    response = person("alisa").submit(
        "/lessons/series", {"start": START, "times": "5", "previewed": fingerprint(times=4)},
        page=f"/lessons/new?start={START}")
    assert response.status_code == 200
    assert "Check the dates below" in response.text
    assert f'value="{fingerprint(times=5)}"' in response.text
    assert series_count(app) == 0


def test_with_htmx_the_request_leaves_the_dialog(app, person, alisa):
    response = person("alisa").submit(
        "/lessons/series", {"start": START, "until": "2026-12-08",
                            "previewed": fingerprint(until="2026-12-08")},
        page=f"/lessons/new?start={START}", headers=HTMX)
    assert response.status_code == 204
    with app.app_context():
        assert response.headers["HX-Redirect"] == f"/lessons/series/{LessonSeries.get().id}"
    assert len(state(app)) == 3


@pytest.mark.parametrize("data, message", [
    ({"times": "1"}, "From 2 to 52."),
    ({"times": "x"}, "Not a valid integer value."),
    ({}, "Give the last date or the number of lessons."),
    ({"until": "2026-12-08", "times": "3"}, "Give either the last date or the number"),
    ({"until": "2028-01-01"}, "within a year"),
    ({"times": "3", "comment": "x" * 2001}, "At most 2000 characters."),
])
def test_bad_input_gets_a_clear_message_and_saves_nothing(app, person, alisa, data,
                                                          message):
    data = {"start": START, **data}
    data["previewed"] = fingerprint(until=data.get("until", ""), times=data.get("times", ""))
    for headers in ({}, HTMX):
        response = person("alisa").submit("/lessons/series", data,
                                          page=f"/lessons/new?start={START}", headers=headers)
        assert response.status_code == 200
        assert message in response.text
    assert series_count(app) == 0 and state(app) == [] and kinds(app) == []


def test_no_free_date_saves_nothing(app, person, alisa):
    off_grid = "2026-11-24T07:30:00"
    response = person("alisa").submit(
        "/lessons/series", {"start": off_grid, "times": "3",
                            "previewed": fingerprint(start=off_grid, times=3)},
        page=f"/lessons/new?start={START}")
    assert response.status_code == 200
    assert "None of these dates is free." in response.text
    assert series_count(app) == 0 and state(app) == []


def test_who_may_request_and_the_csrf_guard(app, person, alisa):
    data = {"start": START, "times": "3", "previewed": fingerprint(times=3)}
    anonymous = person().submit("/lessons/series", data, page="/")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    teacher = person("teacher", TEACHER_PASSWORD)
    assert teacher.submit("/lessons/series", data, page="/").status_code == 403
    assert teacher.get(f"/lessons/series/preview?start={START}&times=3").status_code == 403
    no_token = person("alisa").post("/lessons/series", data=data)
    assert no_token.status_code == 400 and "The form has expired." in no_token.text
    bad_start = person("alisa").submit("/lessons/series", {**data, "start": "x"},
                                       page=f"/lessons/new?start={START}")
    assert bad_start.status_code == 400
    assert series_count(app) == 0 and state(app) == []


# --- the series page --------------------------------------------------------------------

def test_the_series_page_for_its_student_and_the_teacher_only(app, person, alisa, boris,
                                                              requested):
    path = f"/lessons/series/{requested.id}"
    mine = person("alisa").get(path)
    assert mine.status_code == 200
    assert "Weekly lessons: Tuesday, 10:00" in mine.text
    assert mine.text.count("awaiting confirmation") == 5  # the series and its 4 lessons
    assert "Confirm the series" not in mine.text
    teachers = person("teacher", TEACHER_PASSWORD).get(path)
    assert "Confirm the series" in teachers.text and "Алиса Кузнецова" in teachers.text
    assert person("boris").get(path).status_code == 404
    assert person("boris").get("/lessons/series/999").status_code == 404
    anonymous = person().get(path)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_another_student_cannot_answer_and_the_student_cannot_confirm(app, person, alisa,
                                                                     boris, requested):
    path = f"/lessons/series/{requested.id}"
    for action in ("confirm", "reject"):
        data = {"price": "1500", "people": "1", "reason": "no"}
        assert person("boris").submit(f"{path}/{action}", data, page="/").status_code == 404
        assert person("alisa").submit(f"{path}/{action}", data, page=path).status_code == 403
    assert [status for _, status, _, _ in state(app)] == ["pending"] * 4
    assert kinds(app) == ["series_booked"]


def test_the_teacher_confirms_once_with_a_price(app, person, alisa, requested):
    path = f"/lessons/series/{requested.id}"
    teacher = person("teacher", TEACHER_PASSWORD)
    response = teacher.submit(f"{path}/confirm", {"price": "1500", "people": "2"}, page=path)
    assert response.status_code == 302 and response.headers["Location"] == path
    assert state(app) == [(start, "confirmed", Decimal("1500.00"), requested.id)
                          for start in WEEKS]
    assert kinds(app) == ["series_booked", "series_confirmed"]
    again = teacher.get(path).text
    assert "4 lessons of the series are confirmed; the student is told." in again
    assert "Confirm the series" not in again


def test_conflicts_are_shown_before_confirming(app, person, alisa, requested,
                                               calendar_ready):
    with app.app_context():
        schedule.add_unavailable(calendar_ready, WEEKS[1], WEEKS[1] + timedelta(hours=1))
    page = person("teacher", TEACHER_PASSWORD).get(f"/lessons/series/{requested.id}").text
    warning = page.split("will be removed when you confirm:")[1].split("</ul>")[0]
    assert "Tuesday, 1 December 2026, 10:00 — the teacher is away" in warning
    assert "24 November" not in warning


@pytest.mark.parametrize("data, message", [
    ({"price": "-5", "people": "1"}, "Enter the amount in digits"),
    ({"price": "100000000", "people": "1"}, "From 0 to 99,999,999.99 ₽."),
    ({"price": "abc", "people": "1"}, "Enter the amount in digits"),
    ({"price": "100", "people": "0"}, "From 1 to 50."),
    ({"people": "1"}, "Enter the price (0 for a free lesson)."),
])
def test_a_bad_price_or_people_confirms_nothing(app, person, alisa, requested, data, message):
    path = f"/lessons/series/{requested.id}"
    response = person("teacher", TEACHER_PASSWORD).submit(f"{path}/confirm", data, page=path)
    assert response.status_code == 200 and message in response.text
    assert [status for _, status, _, _ in state(app)] == ["pending"] * 4
    assert kinds(app) == ["series_booked"]


def test_the_teacher_rejects_the_whole_series(app, person, alisa, requested):
    path = f"/lessons/series/{requested.id}"
    teacher = person("teacher", TEACHER_PASSWORD)
    response = teacher.submit(f"{path}/reject", {"reason": "Отпуск"}, page=path)
    assert response.status_code == 302
    assert state(app) == [] and series_count(app) == 0
    assert kinds(app) == ["series_booked", "series_rejected"]
    assert teacher.get(path).status_code == 404


def test_a_series_answered_meanwhile_gets_a_clear_message(app, person, alisa, requested,
                                                          calendar_ready):
    path = f"/lessons/series/{requested.id}"
    teacher = person("teacher", TEACHER_PASSWORD)
    token = teacher.csrf_token(path)
    with app.app_context():
        series.confirm_series(calendar_ready, requested, 1000, 1)
    response = teacher.post(f"{path}/reject", data={"csrf_token": token})
    assert response.status_code == 200
    assert "This series has already been answered." in response.text
    assert [status for _, status, _, _ in state(app)] == ["confirmed"] * 4


# --- one occurrence -------------------------------------------------------------------

@pytest.fixture
def confirmed_series(app, requested, calendar_ready):
    with app.app_context():
        series.confirm_series(calendar_ready, requested, 1500, 1)
        return [lesson.id for lesson in requested.occurrences()]


def test_the_lesson_page_links_its_series(app, person, alisa, confirmed_series, requested):
    page = person("alisa").get(f"/lessons/{confirmed_series[1]}").text
    assert "Part of a weekly series." in page
    assert f'href="/lessons/series/{requested.id}"' in page
    assert "Change this lesson" not in page
    assert "Change this lesson" in person("teacher", TEACHER_PASSWORD).get(
        f"/lessons/{confirmed_series[1]}").text


def test_the_teacher_moves_one_occurrence_and_the_others_stay(app, person, alisa,
                                                              requested, confirmed_series):
    lesson_id = confirmed_series[1]
    path = f"/lessons/{lesson_id}"
    response = person("teacher", TEACHER_PASSWORD).submit(
        f"{path}/change", {"price": "1800", "people": "1", "day": "2026-12-03",
                           "time": "12:00", "comment": ""}, page=path)
    assert response.status_code == 302 and response.headers["Location"] == path
    moved = datetime(2026, 12, 3, 9, 0)  # Thursday 12:00 in Moscow
    assert state(app) == [
        (WEEKS[0], "confirmed", Decimal("1500.00"), requested.id),
        (moved, "confirmed", Decimal("1800.00"), requested.id),
        (WEEKS[2], "confirmed", Decimal("1500.00"), requested.id),
        (WEEKS[3], "confirmed", Decimal("1500.00"), requested.id)]
    assert kinds(app)[-1] == "lesson_rescheduled"


def test_moving_onto_another_occurrence_is_refused_clearly(app, person, alisa,
                                                           confirmed_series):
    path = f"/lessons/{confirmed_series[0]}"
    response = person("teacher", TEACHER_PASSWORD).submit(
        f"{path}/change", {"price": "1500", "people": "1", "day": "2026-12-01",
                           "time": "10:00"}, page=path)
    assert response.status_code == 200
    assert "Someone has just booked this time." in response.text
    assert [start for start, _, _, _ in state(app)] == WEEKS


def test_only_the_teacher_changes_a_lesson(app, person, alisa, boris, confirmed_series):
    path = f"/lessons/{confirmed_series[0]}"
    data = {"price": "1", "people": "1", "day": "2026-11-25", "time": "10:00"}
    assert person("alisa").submit(f"{path}/change", data, page=path).status_code == 403
    assert person("boris").submit(f"{path}/change", data, page="/").status_code == 404
    no_token = person("teacher", TEACHER_PASSWORD).post(f"{path}/change", data=data)
    assert no_token.status_code == 400
    assert [(start, price) for start, _, price, _ in state(app)] == [
        (start, Decimal("1500.00")) for start in WEEKS]


# --- the teacher places a weekly series -------------------------------------------------

def test_the_teacher_places_a_weekly_series_after_seeing_the_dates(app, person, alisa,
                                                                    taken_third_week):
    teacher = person("teacher", TEACHER_PASSWORD)
    with app.app_context():
        alisa_id = User.by_login("alisa").id
    data = {"student": str(alisa_id), "day": "2026-11-24", "time": "10:00", "minutes": "60",
            "price": "1200", "people": "1", "comment": "", "times": "4"}
    page = "/teacher/lessons/new"
    first = teacher.submit(page, data)
    assert first.status_code == 200
    assert "Check the dates below, then create the lessons." in first.text
    assert "not booked: taken" in first.text
    assert len(state(app)) == 1 and series_count(app) == 0
    fingerprint_value = f"{alisa_id}|2026-11-24|10:00:00|60||4"
    assert f'value="{fingerprint_value}"' in first.text
    second = teacher.submit(page, {**data, "previewed": fingerprint_value})
    assert second.status_code == 302
    with app.app_context():
        created = LessonSeries.get()
        assert second.headers["Location"] == f"/lessons/series/{created.id}"
        assert not created.is_pending
    assert [(start, status, price) for start, status, price, _ in state(app)] == [
        (WEEKS[0], "confirmed", Decimal("1200.00")), (WEEKS[1], "confirmed", Decimal("1200.00")),
        (WEEKS[2], "pending", None), (WEEKS[3], "confirmed", Decimal("1200.00"))]
    assert kinds(app) == ["lesson_booked", "lesson_requested", "series_confirmed"]


def test_a_weekly_series_needs_a_registered_student(app, person):
    response = person("teacher", TEACHER_PASSWORD).submit("/teacher/lessons/new", {
        "student": "", "first_name": "Иван", "day": "2026-11-24", "time": "10:00",
        "minutes": "60", "price": "1200", "people": "1", "until": "2026-12-15"})
    assert response.status_code == 200
    assert "Weekly lessons are for a registered student" in response.text
    assert series_count(app) == 0 and state(app) == []


# --- cancelling from a date on ----------------------------------------------------------

def test_the_student_cancels_the_rest_of_the_series(app, person, alisa, boris, requested):
    path = f"/lessons/series/{requested.id}"
    data = {"cancel-first_day": "2026-12-08", "cancel-reason": ""}
    assert person("boris").submit(f"{path}/cancel", data, page="/").status_code == 404
    assert len(state(app)) == 4
    browser = person("alisa")
    page = browser.get(path).text
    assert 'id="cancel-first_day"' in page and 'value="2026-11-24"' in page
    response = browser.submit(f"{path}/cancel", data, page=path)
    assert response.status_code == 302 and response.headers["Location"] == path
    assert [start for start, _, _, _ in state(app)] == WEEKS[:2]
    assert kinds(app) == ["series_booked", "series_cancelled"]
    assert "2 lessons of the series are cancelled." in browser.get(path).text


@pytest.mark.parametrize("data, message", [
    ({"cancel-first_day": "", "cancel-reason": "Отпуск"}, "Enter the date."),
    ({"cancel-first_day": "2027-06-01", "cancel-reason": "Отпуск"},
     "No lesson of the series from this date on can be cancelled."),
    ({"cancel-first_day": "2026-12-01", "cancel-reason": ""}, "Please give the student a reason."),
])
def test_cancelling_with_bad_input_cancels_nothing(app, person, alisa, requested, data,
                                                   message):
    path = f"/lessons/series/{requested.id}"
    response = person("teacher", TEACHER_PASSWORD).submit(f"{path}/cancel", data, page=path)
    assert response.status_code == 200 and message in response.text
    assert len(state(app)) == 4 and kinds(app) == ["series_booked"]
