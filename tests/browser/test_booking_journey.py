"""The booking journey in Chromium, three people at once: a student books, another
sees the time taken but not by whom, the teacher confirms with a price, the slot is
then private to the two of them; the teacher places a lesson for a new person."""
from datetime import date, time, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.site import on_next_week
from tests.conftest import STUDENT_PASSWORD, TEACHER_PASSWORD
from tutor.models import Lesson, User
from tutor.services import schedule

pytestmark = pytest.mark.browser


@pytest.fixture
def calendar_ready(app, teacher):
    with app.app_context():
        schedule.set_windows(teacher, [(day, time(9), time(13)) for day in range(7)])


def test_book_see_confirm_and_create_for_a_new_on_next_week(browser, live_server, app,
                                                       calendar_ready, create_student):
    create_student(login="anna", first_name="Анна", last_name="Кузнецова")
    create_student(login="boris", first_name="Борис", last_name="Орлов")

    # Anna books the first free slot of next week, with a comment.
    anna = on_next_week(browser, live_server, "anna", STUDENT_PASSWORD)
    first_slot = anna.locator(".cell-free .slot").first
    span = first_slot.locator(".time").inner_text()
    first_slot.click()
    dialog = anna.get_by_role("dialog")
    expect(dialog).to_contain_text("Book a lesson")
    dialog.get_by_label("Comment for the teacher (optional)").fill("Подготовка к ЕГЭ")
    dialog.get_by_role("button", name="Book").click()
    expect(anna.locator(".toast-success")).to_contain_text("Your request is sent.")
    mine = anna.locator(".cell-own", has_text=span).first
    expect(mine).to_contain_text("awaiting confirmation")
    with app.app_context():
        lesson = Lesson.get()
        assert lesson.is_pending and lesson.comment == "Подготовка к ЕГЭ"

    # Boris sees the time as awaiting confirmation, with no trace of who asked.
    boris = on_next_week(browser, live_server, "boris", STUDENT_PASSWORD)
    taken = boris.locator(".cell-pending", has_text=span).first
    expect(taken).to_contain_text("awaiting confirmation")
    expect(boris.locator("body")).not_to_contain_text("Кузнецова")
    expect(boris.locator("body")).not_to_contain_text("Подготовка к ЕГЭ")

    # The teacher finds the request, reveals the name, confirms it with a price.
    teacher = on_next_week(browser, live_server, "teacher", TEACHER_PASSWORD)
    request_cell = teacher.locator(".cell-pending", has_text=span).first.locator(".lesson")
    request_cell.focus()
    about = request_cell.locator(".about")
    expect(about).to_be_visible()
    expect(about).to_contain_text("Подготовка к ЕГЭ")
    about.get_by_role("button", name="Show student").click()
    expect(about).to_contain_text("Анна Кузнецова")
    about.get_by_role("link", name="Open the lesson").click()
    teacher.get_by_label("Price, ₽").fill("1500")
    teacher.get_by_label("Number of people").fill("2")
    teacher.get_by_role("button", name="Confirm the lesson").click()
    expect(teacher.locator(".toast-success")).to_contain_text("The lesson is confirmed")
    expect(teacher.locator(".cell-confirmed", has_text=span).first).to_be_visible()

    # Anna sees it confirmed; for Boris the time is simply gone.
    anna.reload()
    expect(anna.locator(".cell-own.cell-confirmed", has_text=span).first).to_contain_text(
        "confirmed")
    boris.reload()
    expect(boris.locator(".cell", has_text=span)).to_have_count(
        boris.locator(".cell-free", has_text=span).count())
    expect(boris.locator(".cell-pending", has_text=span)).to_have_count(0)
    expect(boris.locator(".cell-confirmed")).to_have_count(0)

    # The teacher places a lesson for someone who has no account yet.
    teacher.get_by_role("link", name="New lesson").click()
    teacher.get_by_label("First name of a new student").fill("Иван")
    teacher.get_by_label("Last name of a new student").fill("Петров")
    teacher.get_by_label("Date").fill((date.today() + timedelta(days=9)).isoformat())
    teacher.get_by_label("Start time").fill("18:00")
    teacher.get_by_role("button", name="Create the lesson").click()
    expect(teacher.get_by_role("heading", name="The lesson is created")).to_be_visible()
    credentials = teacher.locator(".credentials")
    expect(credentials).to_contain_text("ivan.petrov")
    password = credentials.locator("dd code").nth(1).inner_text()
    assert len(password) >= 16
    with app.app_context():
        student = User.by_login("ivan.petrov")
        assert student.full_name == "Иван Петров"
        assert Lesson.select().where(Lesson.student == student).get().is_confirmed


def test_a_visitor_leafs_through_weeks_sent_compressed(browser, live_server, calendar_ready):
    """The defaults a newcomer has: no account, Russian. Each week htmx fetches arrives
    gzipped (the kept weeks are held so, and sent so to a browser) and shows its free
    times, going forward and back."""
    page = browser.new_context(timezone_id="Europe/Moscow").new_page()
    page.goto(live_server + "/")
    page.locator("#week-current").click()
    page.wait_for_url("**/?week=*")
    fetched = []
    page.on("response", lambda response: fetched.append(response)
            if response.request.headers.get("hx-request") else None)
    for _ in range(2):
        heading = page.locator("#week-title").inner_text()
        page.locator("#week a[rel=next]").click()
        expect(page.locator("#week-title")).not_to_have_text(heading)
        expect(page.locator(".cell-free .slot").first).to_be_visible()
    assert [r.status for r in fetched] == [200, 200]
    assert all(r.headers.get("content-encoding") == "gzip" for r in fetched)
    assert all(r.headers.get("etag", "").endswith('.gz"') for r in fetched)
    heading = page.locator("#week-title").inner_text()
    page.locator("#week a[rel=prev]").click()
    expect(page.locator("#week-title")).not_to_have_text(heading)
    expect(page.locator(".cell-free .slot").first).to_be_visible()
