"""The booking journey with the keyboard alone (Tab, Shift+Tab, Enter, Space, Escape;
no clicks): a student logs in, moves to next week, opens a free slot, leaves the
dialog with Escape and comes back to the slot, books; the teacher logs in, finds the
request and confirms it. Every element the focus lands on must show it."""
from datetime import time

import pytest
from playwright.sync_api import expect

from tests.browser.keyboard import describe_focus, tab_to, wait_until_modal
from tests.conftest import STUDENT_PASSWORD, TEACHER_PASSWORD
from tutor.models import Lesson
from tutor.services import schedule

pytestmark = pytest.mark.browser


def log_in(page, live_server, login, password):
    page.goto(live_server + "/")
    tab_to(page, page.locator(".site-nav a[href='/login']"))
    page.keyboard.press("Enter")
    page.wait_for_url("**/login")
    tab_to(page, page.locator("#login"))
    page.keyboard.type(login)
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    page.keyboard.press("Enter")
    expect(page.locator("form[action='/logout']")).to_be_visible()


def next_week(page):
    link = page.locator("#week a[rel=next]")
    tab_to(page, link)
    heading = page.locator("#week-title").inner_text()
    page.keyboard.press("Enter")
    expect(page.locator("#week-title")).not_to_have_text(heading)
    # htmx swapped the week: the focus stays on the link, not back at the top.
    expect(page.locator("#week a[rel=next]")).to_be_focused()


@pytest.fixture
def calendar_ready(app, teacher):
    with app.app_context():
        schedule.set_windows(teacher, [(day, time(9), time(13)) for day in range(7)])


def test_book_and_confirm_with_the_keyboard_alone(browser, live_server, app, calendar_ready,
                                                 create_student):
    create_student(login="anna", first_name="Анна", last_name="Кузнецова")
    student = browser.new_context(timezone_id="Europe/Moscow").new_page()
    log_in(student, live_server, "anna", STUDENT_PASSWORD)
    # The calendar opens on the first week with free time; "Today" is this week's,
    # where the teacher's calendar opens too.
    tab_to(student, student.locator("#week-current"))
    student.keyboard.press("Enter")
    student.wait_for_url("**/?week=*")
    next_week(student)

    # The first free slot opens the booking dialog, which takes the focus.
    slot = student.locator(".cell-free .slot").first
    span = slot.locator(".time").inner_text()
    tab_to(student, slot)
    student.keyboard.press("Enter")
    dialog = student.locator("dialog#book-dialog")
    expect(dialog).to_be_visible()
    wait_until_modal(student, "dialog#book-dialog")

    # Tab and Shift+Tab stay inside the dialog (the page behind is inert).
    for key in ["Tab"] * 8 + ["Shift+Tab"] * 8:
        student.keyboard.press(key)
        assert student.evaluate("""() => document.activeElement === document.body ||
            document.querySelector('dialog#book-dialog').contains(document.activeElement)"""), \
            f"{key} left the dialog for {describe_focus(student)}"

    # Escape closes it and gives the focus back to the slot.
    student.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(slot).to_be_focused()

    # Open again, write a comment, book with Space on the button.
    student.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    tab_to(student, dialog.locator("textarea[name=comment]"))
    student.keyboard.type("Подготовка к ЕГЭ")
    tab_to(student, dialog.get_by_role("button", name="Записаться", exact=True))
    student.keyboard.press("Space")
    expect(student.locator(".toast-success")).to_be_visible()
    mine = student.locator(".cell-own.cell-pending", has_text=span).first
    expect(mine).to_be_visible()
    with app.app_context():
        lesson = Lesson.get()
        assert lesson.is_pending and lesson.comment == "Подготовка к ЕГЭ"

    # The teacher: the request's details open on focus; its page confirms it.
    teacher = browser.new_context(timezone_id="Europe/Moscow").new_page()
    log_in(teacher, live_server, "teacher", TEACHER_PASSWORD)
    next_week(teacher)
    request = teacher.locator(f"#about-{lesson.id}").locator("xpath=..")
    tab_to(teacher, request)
    expect(teacher.locator(f"#about-{lesson.id}")).to_be_visible()
    tab_to(teacher, teacher.locator(f"#about-{lesson.id} a[href='/lessons/{lesson.id}']"))
    teacher.keyboard.press("Enter")
    teacher.wait_for_url(f"**/lessons/{lesson.id}")
    price = teacher.locator("input[name=price]")
    tab_to(teacher, price)
    teacher.keyboard.press("Control+A")
    teacher.keyboard.type("1500")
    tab_to(teacher, teacher.locator(f"form[action='/lessons/{lesson.id}/confirm'] button"))
    teacher.keyboard.press("Enter")
    expect(teacher.locator(".toast-success")).to_be_visible()
    with app.app_context():
        lesson = Lesson.get_by_id(lesson.id)
        assert lesson.is_confirmed and lesson.price == 1500

    # And back: Shift+Tab walks up the page the same way.
    tab_to(teacher, teacher.locator(".site-nav a[href='/']"), backwards=True, limit=200)
    student.context.close()
    teacher.context.close()
