"""A tutor who starts using tutor mid-month enters last month's lessons afterwards, on
a new tutor's defaults (Russian UI): the lesson is in that month's report (the CSV
downloaded here holds its row, marked as entered afterwards) and in the student's
balance, and the student, reachable by e-mail, is told nothing."""
import csv
import io

import pytest
from playwright.sync_api import expect

from tests.browser.site import PHONE
from tests.browser.keyboard import tab_to
from tests.conftest import TEACHER_PASSWORD
from tutor.models import Lesson, Message, User

pytestmark = pytest.mark.browser


@pytest.fixture
def maria(app, create_student):
    return create_student(login="maria", first_name="Мария", last_name="Соколова",
                          channel=User.EMAIL, email="maria@example.org")


def test_last_months_lesson_entered_afterwards(browser, live_server, app, teacher, maria,
                                               time_machine):
    time_machine.move_to("2026-11-10 12:00:00+00:00", tick=True)
    page = browser.new_context(timezone_id="Europe/Moscow", accept_downloads=True).new_page()
    page.goto(live_server + "/login")
    page.locator("#login").fill("teacher")
    page.locator("#password").fill(TEACHER_PASSWORD)
    page.locator("form#login-form button[type=submit]").click()
    expect(page.locator("form[action='/logout']")).to_be_attached()

    page.get_by_role("navigation", name="Основное меню").get_by_role("link", name="Занятия",
                                                            exact=True).click()
    page.get_by_role("link", name="Внести прошедшее занятие").click()
    expect(page.get_by_role("heading", name="Внести прошедшее занятие")).to_be_visible()
    page.get_by_label("Ученик", exact=True).select_option(label="Мария Соколова (maria)")
    page.get_by_label("Дата", exact=True).fill("2026-10-14")
    page.get_by_label("Время начала").fill("15:00")
    page.get_by_label("Длительность, мин").fill("90")
    page.get_by_label("Стоимость, ₽").fill("1 500,50")
    expect(page.get_by_label("Посещение")).to_have_value("attended")
    page.get_by_role("button", name="Внести занятие").click()
    expect(page.get_by_text("Занятие 14 октября 2026 в 15:00 внесено, уведомления никому "
                            "не отправлены.")).to_be_visible()
    # Back on the form for the next one, the student still chosen.
    expect(page.get_by_label("Ученик", exact=True)).to_have_value(str(maria.id))

    # The same time again is refused: it would overlap the lesson just entered.
    page.get_by_label("Дата", exact=True).fill("2026-10-14")
    page.get_by_label("Время начала").fill("16:00")
    page.get_by_role("button", name="Внести занятие").click()
    expect(page.get_by_text("Это время (или его часть) уже занято другим вашим "
                            "занятием.")).to_be_visible()

    # October's report, the month before this one, opens first.
    page.get_by_role("navigation", name="Основное меню").get_by_role("link", name="Настройки").click()
    page.get_by_role("link", name="Отчёты: занятия, часы и доход за любой месяц в PDF "
                                  "или CSV").click()
    expect(page.get_by_role("heading", name="Отчёт за октябрь 2026")).to_be_visible()
    expect(page.locator('[data-total="lessons"]')).to_have_text("1")
    expect(page.get_by_text("1 занятие месяца внесено задним числом.")).to_be_visible()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Скачать CSV для Excel").click()
    text = open(download_info.value.path(), encoding="utf-8-sig").read()
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][-2:] == ["Посещение", "Заметка"]
    assert rows[1] == ["2026-10-14", "15:00", "16:30", "1,50", "Мария Соколова", "maria", "1",
                       "1500,50", "посещено", "внесено задним числом"]

    # The student's balance: charged for it, nothing paid.
    page.goto(live_server + f"/teacher/students/{maria.id}")
    expect(page.locator('[data-total="charged"]')).to_have_text("1 500,50")
    expect(page.locator('[data-total="balance"]')).to_have_text("-1 500,50 ₽ долг")
    expect(page.get_by_role("cell", name="внесено задним числом")).to_be_visible()

    with app.app_context():
        [lesson] = Lesson.select()
        assert lesson.entered_afterwards and lesson.attendance == Lesson.ATTENDED
        assert Message.select().count() == 0  # Maria, reachable by e-mail, is told nothing


def test_a_past_lesson_entered_with_the_keyboard_alone_on_a_phone(browser, live_server, app,
                                                                  teacher, maria,
                                                                  time_machine):
    """375 px wide, no clicks after logging in: from the student's page to the form
    (the student already chosen), the lesson typed in (an en-US browser's date and time
    fields), and back on the form with the toast."""
    time_machine.move_to("2026-11-10 12:00:00+00:00", tick=True)
    page = browser.new_context(viewport=PHONE, timezone_id="Europe/Moscow",
                               locale="en-US").new_page()
    page.goto(live_server + "/login")
    page.locator("#login").fill("teacher")
    page.locator("#password").fill(TEACHER_PASSWORD)
    page.locator("form#login-form button[type=submit]").click()
    expect(page.locator("form[action='/logout']")).to_be_attached()
    page.goto(live_server + f"/teacher/students/{maria.id}")
    tab_to(page, page.locator(f"a[href='/teacher/lessons/past?student={maria.id}']"))
    page.keyboard.press("Enter")
    page.wait_for_url("**/teacher/lessons/past*")
    expect(page.locator("#student")).to_have_value(str(maria.id))
    tab_to(page, page.locator("#day"))
    page.keyboard.type("10142026")  # en-US: month, day, year
    tab_to(page, page.locator("#time"))
    page.keyboard.type("0300P")
    tab_to(page, page.locator("#price"))
    page.keyboard.type("1500")
    tab_to(page, page.locator("#attendance"))
    tab_to(page, page.get_by_role("button", name="Внести занятие"))
    page.keyboard.press("Enter")
    expect(page.get_by_text("Занятие 14 октября 2026 в 15:00 внесено, уведомления никому "
                            "не отправлены.")).to_be_visible()
    with app.app_context():
        [lesson] = Lesson.select()
        assert lesson.entered_afterwards and str(lesson.start) == "2026-10-14 12:00:00"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
