"""A weekly series in Chromium: a student asks for four Tuesdays, the preview shows
the one already taken, the teacher confirms the series once with a price and moves
one occurrence; the calendar shows the others where they were."""
from datetime import datetime, time, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from flask import url_for
from playwright.sync_api import expect

from tests.browser.site import on_next_week
from tests.conftest import STUDENT_PASSWORD, TEACHER_PASSWORD
from tutor.models import Lesson, LessonSeries
from tutor.services import booking, schedule

pytestmark = pytest.mark.browser
MOSCOW = ZoneInfo("Europe/Moscow")


@pytest.fixture
def calendar_ready(app, teacher):
    with app.app_context():
        schedule.set_windows(teacher, [(day, time(9), time(13)) for day in range(7)])


def next_tuesday_at_ten():
    """Tuesday of next week, 10:00 in Moscow, as naive UTC."""
    today = datetime.now(timezone.utc).astimezone(MOSCOW).date()
    tuesday = today - timedelta(days=today.weekday()) + timedelta(weeks=1, days=1)
    local = datetime.combine(tuesday, time(10), tzinfo=MOSCOW)
    return local.astimezone(timezone.utc).replace(tzinfo=None)


def week_of(moment):
    return moment.replace(tzinfo=timezone.utc).astimezone(MOSCOW).date().isoformat()


def test_book_a_weekly_series_confirm_it_once_and_move_one(browser, live_server, app,
                                                           calendar_ready, teacher,
                                                           create_student):
    anna = create_student(login="anna", first_name="Анна", last_name="Кузнецова")
    boris = create_student(login="boris", first_name="Борис", last_name="Орлов")
    first = next_tuesday_at_ten()
    weeks = [first + timedelta(weeks=n) for n in range(4)]
    with app.app_context():
        booking.book_lesson(boris, teacher, weeks[2])  # the third Tuesday is taken
    with app.test_request_context():
        slot_url = url_for("lessons.new", start=first.isoformat(timespec="minutes"))

    # Anna opens next Tuesday 10:00 and asks for it every week, four times.
    page = on_next_week(browser, live_server, "anna", STUDENT_PASSWORD)
    page.locator(f'a.slot[href="{slot_url}"]').click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Book a lesson")
    dialog.get_by_text("Repeat every week").click()
    times = dialog.get_by_label("Number of lessons")
    times.fill("4")
    times.press("Tab")
    preview = dialog.locator("#series-preview")
    expect(preview).to_contain_text("3 of these dates are free:")
    expect(preview.locator(".date-free")).to_have_count(3)
    taken = preview.locator(".date-taken")
    expect(taken).to_have_count(1)
    expect(taken).to_contain_text("not booked: taken")
    third = weeks[2].replace(tzinfo=timezone.utc).astimezone(MOSCOW)
    expect(taken).to_contain_text(f"{third.day} ")
    dialog.get_by_role("button", name="Request every week").click()
    expect(page.locator(".toast-success")).to_contain_text(
        "Your request for 3 weekly lessons is sent.")
    expect(page.get_by_role("heading", name="Weekly lessons: Tuesday, 10:00")).to_be_visible()
    expect(page.locator(".series-lessons li")).to_have_count(3)
    with app.app_context():
        created = LessonSeries.get()
        assert created.student_id == anna.id and created.is_pending
        assert sorted(lesson.start for lesson in created.occurrences()) == [
            weeks[0], weeks[1], weeks[3]]

    # The teacher goes from the request in the calendar to the series, confirms it once.
    teacher_page = on_next_week(browser, live_server, "teacher", TEACHER_PASSWORD)
    request_cell = teacher_page.locator(".cell-pending", has_text="10:00–11:00").first
    request_cell.locator(".lesson").focus()
    request_cell.get_by_role("link", name="Open the lesson").click()
    expect(teacher_page.locator(".series-link")).to_contain_text("Part of a weekly series.")
    teacher_page.get_by_role("link", name="All lessons of the series").click()
    teacher_page.get_by_label("Price of each lesson, ₽").fill("1500")
    teacher_page.get_by_role("button", name="Confirm the series").click()
    expect(teacher_page.locator(".toast-success")).to_contain_text(
        "3 lessons of the series are confirmed; the student is told.")
    expect(teacher_page.locator(".series-lessons li.status-confirmed")).to_have_count(3)

    # ... then moves the second Tuesday to Wednesday 12:00, and only that one.
    teacher_page.locator(".series-lessons a").nth(1).click()
    expect(teacher_page.get_by_role("heading", name="Change this lesson")).to_be_visible()
    wednesday = (weeks[1] + timedelta(days=1)).replace(tzinfo=timezone.utc).astimezone(MOSCOW)
    teacher_page.get_by_label("Date").fill(wednesday.date().isoformat())
    teacher_page.get_by_label("Start time").fill("12:00")
    teacher_page.get_by_role("button", name="Save the changes").click()
    expect(teacher_page.locator(".toast-success")).to_contain_text("The lesson is saved.")
    expect(teacher_page.locator(".series-link")).to_be_visible()  # still in the series

    # The calendar: the moved one on Wednesday, the others still on Tuesday at 10:00.
    for week, expected in ((weeks[0], "10:00–11:00"), (weeks[3], "10:00–11:00"),
                           (weeks[1], "12:00–13:00")):
        teacher_page.goto(f"{live_server}/?week={week_of(week)}")
        confirmed = teacher_page.locator(".cell-confirmed")
        expect(confirmed).to_have_count(1)
        expect(confirmed).to_contain_text(expected)
    teacher_page.goto(f"{live_server}/?week={week_of(weeks[2])}")
    expect(teacher_page.locator(".cell-confirmed")).to_have_count(0)
    expect(teacher_page.locator(".cell-pending", has_text="10:00–11:00")).to_have_count(1)
    with app.app_context():
        moved = datetime.combine(wednesday.date(), time(12), tzinfo=MOSCOW).astimezone(
            timezone.utc).replace(tzinfo=None)
        assert [(lesson.start, lesson.is_confirmed, lesson.price)
                for lesson in LessonSeries.get().occurrences()] == [
            (weeks[0], True, Decimal(1500)), (moved, True, Decimal(1500)),
            (weeks[3], True, Decimal(1500))]
        assert Lesson.get(Lesson.student == boris.id).start == weeks[2]
