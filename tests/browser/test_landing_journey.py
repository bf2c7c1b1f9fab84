"""Land where the action is, on the defaults a new user has (Russian, no e-mail or
Telegram): the calendar opens on the first week with free time and names the next
free slot, "Today" one click away; the teacher's home lists a request and confirms
it from there; at a phone's width the header is one short row whose menu opens every
link (keyboard too), and the pages touched fit the screen."""
from datetime import date, datetime, time, timezone

import pytest
from playwright.sync_api import expect

from tests.browser.site import PHONE, axe_problems, log_in, overflow_problems, screenshot
from tests.browser.keyboard import tab_to
from tests.conftest import STUDENT_PASSWORD
from tutor.models import Lesson, Message, User
from tutor.services import booking, schedule

pytestmark = pytest.mark.browser

MONDAY = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)  # 11:00 in Moscow
SATURDAY = datetime(2026, 11, 28, 8, 0, tzinfo=timezone.utc)
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture
def hours(app, teacher, create_student, time_machine):
    """Lessons Tuesday to Thursday, 10:00-14:00 in Moscow; Алиса is a student."""
    time_machine.move_to(MONDAY, tick=True)
    with app.app_context():
        schedule.set_windows(teacher, [(day, time(10), time(14)) for day in (1, 2, 3)])
    create_student(login="alisa", first_name="Алиса", last_name="Кузнецова")
    return teacher


def phone(browser, live_server, role=None):
    page = browser.new_context(viewport=PHONE, timezone_id="Europe/Moscow").new_page()
    if role:
        log_in(page, live_server, role)
    return page


def test_a_full_week_opens_on_the_next_free_one(browser, live_server, app, hours):
    with app.app_context():
        schedule.add_unavailable_days(hours, date(2026, 11, 23), date(2026, 11, 29))
    page = browser.new_context(timezone_id="Europe/Moscow").new_page()
    page.goto(live_server + "/")
    expect(page.locator("#week-title")).to_have_text("пн, 30 нояб. – вс, 6 дек.")
    expect(page.locator("#next-free")).to_have_text(
        "Ближайшее свободное время: вторник, 1 декабря, 10:00")
    expect(page.locator("#week .cell-free")).to_have_count(12)
    page.locator("#week-current").click()  # "Сегодня": this week, one click away
    expect(page.locator("#week-title")).to_have_text("пн, 23 нояб. – вс, 29 нояб.")
    expect(page.locator("#week .cell-free")).to_have_count(0)
    page.locator("#next-free a").click()  # the slot named is the one to book (after logging in)
    expect(page).to_have_url(
        f"{live_server}/login?next=/lessons/new?start%3D2026-12-01T07:00:00")


def test_a_week_without_hours_left_opens_on_the_next(browser, live_server, app, hours,
                                                      time_machine):
    time_machine.move_to(SATURDAY, tick=True)  # Tuesday to Thursday are behind
    page = phone(browser, live_server, "student")
    page.goto(live_server + "/")
    expect(page.locator("#week-title")).to_have_text("пн, 30 нояб. – вс, 6 дек.")
    expect(page.locator("#next-free")).to_contain_text("вторник, 1 декабря, 10:00")
    assert overflow_problems(page, "calendar") == []


def test_the_teacher_confirms_a_request_from_home(browser, live_server, app, hours):
    with app.app_context():
        alisa = User.get(User.login == "alisa")
        request = booking.book_lesson(alisa, hours, datetime(2026, 11, 24, 7, 0), "Алгебра")
    page = browser.new_context(timezone_id="Europe/Moscow").new_page()
    log_in(page, live_server, "teacher")
    page.goto(live_server + "/")
    agenda = page.locator("#agenda")
    expect(agenda.get_by_role("heading", name="Заявки, ожидающие подтверждения"))\
        .to_contain_text("1")
    expect(page.locator("#requests-badge")).to_contain_text("1")
    item = agenda.locator(f"#request-{request.id}")
    expect(item).to_contain_text("вторник, 24 ноября, 10:00")
    expect(item).to_contain_text("Алиса Кузнецова")
    expect(item).to_contain_text("Алгебра")
    expect(item.get_by_role("link", name="Изменить цену или время")).to_be_visible()
    expect(item.get_by_role("button", name="Отклонить")).to_be_visible()
    assert axe_problems(page, "teacher's home") == []

    item.get_by_role("button", name="Подтвердить").click()
    expect(page.locator(".toast-success")).to_contain_text("Занятие подтверждено")
    expect(page.locator("#agenda")).to_contain_text("Новых заявок нет.")
    expect(page.locator("#requests-badge .count")).to_have_count(0)
    expect(page.locator("#agenda-today-title")).to_be_visible()
    with app.app_context():
        assert Lesson.get_by_id(request.id).is_confirmed
    # Tomorrow's list now holds it (Tuesday), with the time.
    expect(page.locator("#agenda-tomorrow")).to_contain_text("10:00–11:00")


def header_height(page):
    return page.locator("header.site-header").evaluate("el => el.getBoundingClientRect().height")


@pytest.mark.parametrize("role", [None, "student", "teacher"])
def test_the_header_fits_a_phone_and_its_menu_opens_by_keyboard(browser, live_server, app,
                                                                 hours, role):
    page = phone(browser, live_server, role)
    page.goto(live_server + "/")
    assert header_height(page) <= 64
    nav = page.locator(".site-nav")
    links = nav.locator("a, button")
    expect(links.first).to_be_hidden()
    summary = page.locator(".site-menu > summary")
    tab_to(page, summary)
    page.keyboard.press("Enter")
    expect(page.locator(".site-menu")).to_have_attribute("open", "")
    count = links.count()
    assert count >= (3 if role is None else 3)
    for n in range(count):
        tab_to(page, links.nth(n), limit=5)
        box = links.nth(n).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 0.5
    tab_to(page, page.locator(".language-switch button").first, limit=5)
    assert overflow_problems(page, "menu open") == []
    assert axe_problems(page, "menu open") == []
    screenshot(page, f"phone-menu-{role or 'visitor'}")
    page.keyboard.press("Shift+Tab")
    summary.click()
    expect(links.first).to_be_hidden()


def test_the_desktop_header_shows_every_link_in_a_row(browser, live_server, hours):
    page = browser.new_context(viewport=DESKTOP, timezone_id="Europe/Moscow").new_page()
    log_in(page, live_server, "teacher")
    expect(page.locator(".site-menu > summary")).to_be_hidden()
    for name in ("Календарь", "Ученики", "Занятия", "Настройки", "Выйти"):
        expect(page.locator(".site-nav").get_by_text(name, exact=True)).to_be_visible()
    expect(page.locator("#requests-badge")).to_contain_text("Заявки")
    expect(page.locator("#bell")).to_contain_text("Уведомления")


def test_the_lists_fit_a_phone_with_their_actions_in_reach(browser, live_server, app, hours):
    with app.app_context():
        alisa = User.get(User.login == "alisa")
        booking.book_lesson(alisa, hours, datetime(2026, 11, 24, 7, 0), "Алгебра " * 20)
        Message.update(status=Message.FAILED, attempts=5,
                       last_error="connection refused " * 10).execute()
    page = phone(browser, live_server, "teacher")
    for path, action in [("/", "#agenda button.primary"),
                         ("/teacher/lessons", "#lessons button.danger"),
                         ("/teacher/outbox", "main table button")]:
        page.goto(live_server + path)
        assert overflow_problems(page, path) == []
        wrap = page.locator(".table-wrap")
        if wrap.count():
            assert wrap.evaluate("el => el.scrollWidth <= el.clientWidth + 1"), path
        box = page.locator(action).first.bounding_box()
        assert box["x"] + box["width"] <= PHONE["width"], path
        screenshot(page, "phone-" + (path.strip("/").replace("/", "-") or "home"))
