"""A student's own lessons in a real browser, in Russian on the defaults (no e-mail or
Telegram configured): the upcoming list through a request's life (booked and waiting,
confirmed with its time, another one rejected with the reason, one expired), read on a
375 px phone without sideways scrolling; and a visitor who picked a slot coming back to
it, booking dialog open, after registering or after logging in."""
from datetime import datetime, time, timedelta, timezone

import pytest
from playwright.sync_api import expect

from tests.conftest import STUDENT_PASSWORD
from tutor.models import Lesson, User
from tutor.services import booking, expiry, schedule

pytestmark = pytest.mark.browser

MONDAY = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)  # 11:00 in Moscow
TUESDAY_9 = datetime(2026, 11, 24, 6, 0)  # naive UTC: Tuesday 9:00 in Moscow
WEDNESDAY_9 = datetime(2026, 11, 25, 6, 0)
THURSDAY_9 = datetime(2026, 11, 26, 6, 0)
PHONE = {"width": 375, "height": 812}


@pytest.fixture
def defaults(app, teacher, create_student, time_machine):
    """A new install (nothing configured), open 9:00-13:00 Moscow time every day, on a
    Monday morning; Vera is a registered student."""
    time_machine.move_to(MONDAY, tick=True)
    with app.app_context():
        schedule.set_windows(teacher, [(day, time(9), time(13)) for day in range(7)])
    create_student(login="vera", first_name="Вера", last_name="Новикова")
    assert not app.config["TELEGRAM_BOT_TOKEN"] and app.config["EMAIL_BACKEND"] == "console"
    return User.get_by_id(teacher.id)


def russian_page(browser, live_server, **options):
    page = browser.new_context(timezone_id="Europe/Moscow", **options).new_page()
    page.goto(live_server + "/")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    return page


def log_in(page, login="vera", password=STUDENT_PASSWORD):
    page.locator("#login").fill(login)
    page.locator("#password").fill(password)
    page.locator("#login-form button[type=submit]").click()


def book_in_dialog(page, start):
    dialog = page.locator("#book-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("input[name=start]")).to_have_value(start.isoformat())
    dialog.get_by_role("button", name="Записаться").click()
    expect(page.locator(".toast-success")).to_be_visible()


def lesson_at(app, start):
    with app.app_context():
        return Lesson.get_or_none(Lesson.start == start)


def test_the_upcoming_list_through_a_requests_life(browser, live_server, app, defaults,
                                                    time_machine):
    page = russian_page(browser, live_server)
    page.get_by_role("navigation").get_by_role("link", name="Войти").click()
    log_in(page)
    page.goto(live_server + "/?week=2026-11-23")
    # Booked from the calendar: Tuesday 9:00, the first free slot.
    tuesday_9 = TUESDAY_9.isoformat(timespec="minutes")
    page.locator(f'.cell-free .slot[href$="start={tuesday_9}"]').click()
    book_in_dialog(page, TUESDAY_9)
    for start in (WEDNESDAY_9, THURSDAY_9):
        page.goto(f"{live_server}/lessons/new?start={start.isoformat()}")
        book_in_dialog(page, start)

    page.goto(live_server + "/lessons/mine")
    upcoming = page.locator("#my-upcoming")
    expect(upcoming.locator(".my-lesson.state-pending")).to_have_count(3)
    first = upcoming.locator(".my-lesson").first
    expect(first).to_contain_text("вторник, 24 ноября, 09:00–10:00")
    expect(first).to_contain_text("Ждёт ответа преподавателя")
    expect(first).to_contain_text("она отменится сама")
    expect(first.get_by_role("link", name="Отозвать заявку")).to_be_visible()

    # The teacher confirms Thursday and rejects Wednesday with a reason.
    with app.app_context():
        teacher = User.get_by_id(defaults.id)
        booking.confirm_lesson(teacher, lesson_at(app, THURSDAY_9), 1500, 1)
        booking.reject_lesson(teacher, lesson_at(app, WEDNESDAY_9), "В среду я занята")
    page.reload()
    thursday = upcoming.locator(".my-lesson.state-confirmed")
    expect(thursday).to_contain_text("четверг, 26 ноября, 09:00–10:00")
    expect(thursday).to_contain_text("Подтверждено")
    expect(thursday).to_contain_text("1 500 ₽")
    expect(thursday).to_contain_text("(можно до среда, 25 ноября, 09:00)")
    expect(thursday.get_by_role("link", name="Отменить занятие")).to_be_visible()
    rejected = upcoming.locator(".my-lesson.state-rejected")
    expect(rejected).to_contain_text("среда, 25 ноября, 09:00–10:00")
    expect(rejected).to_contain_text("Преподаватель отклонил заявку.")
    expect(rejected).to_contain_text("Причина: В среду я занята")
    expect(upcoming.get_by_role("heading", name="Не состоялись")).to_be_visible()

    # The rejected request's own page says what happened (it used to be a 404).
    rejected.get_by_role("link").click()
    expect(page.locator("[data-state=rejected]")).to_have_text("отклонена")
    expect(page.locator("body")).to_contain_text("В среду я занята")
    expect(page.get_by_role("link", name="Выбрать другое время")).to_be_visible()

    # Tuesday's request is still unanswered when its time comes: it expires.
    time_machine.move_to(datetime(2026, 11, 24, 6, 0, 30, tzinfo=timezone.utc), tick=True)
    with app.app_context():
        assert expiry.expire_unconfirmed() == 1
    page.goto(live_server + "/lessons/mine")
    expect(upcoming.locator(".my-lesson.state-pending")).to_have_count(0)
    expired = upcoming.locator(".my-lesson.state-expired")
    expect(expired).to_contain_text("вторник, 24 ноября, 09:00–10:00")
    expect(expired).to_contain_text("Заявка истекла")
    # Thursday is two days off, outside the teacher's 24 hours' notice: still cancellable.
    expect(thursday.get_by_role("link", name="Отменить занятие")).to_be_visible()


def test_the_list_reads_on_a_phone(browser, live_server, app, defaults):
    with app.app_context():
        teacher, vera = User.get_by_id(defaults.id), User.get(User.login == "vera")
        confirmed = booking.book_lesson(vera, teacher, THURSDAY_9, "Хочу разобрать "
                                        "сложноподчинённые предложения с придаточными")
        booking.confirm_lesson(teacher, confirmed, 1500, 1)
        booking.book_lesson(vera, teacher, TUESDAY_9)
        booking.reject_lesson(teacher, booking.book_lesson(vera, teacher, WEDNESDAY_9),
                              "Длинная причина отказа, которая не должна растягивать "
                              "страницу вширь на телефоне")
    page = russian_page(browser, live_server, viewport=PHONE)
    page.goto(live_server + "/login")
    log_in(page)
    page.goto(live_server + "/lessons/mine")
    expect(page.locator("#my-upcoming .my-lesson")).to_have_count(3)
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1] == PHONE["width"], widths
    for item in page.locator("#my-upcoming .my-lesson").all():
        box = item.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box


def pick_a_slot_as_a_visitor(browser, live_server, start):
    page = russian_page(browser, live_server)
    page.goto(f"{live_server}/?week=2026-11-23")
    page.locator(f'.cell-free .slot[href$="start={start.isoformat(timespec="minutes")}"]').click()
    expect(page).to_have_url(f"{live_server}/login?next=/lessons/new?start%3D"
                             f"{start.isoformat()}")
    expect(page.locator(".toast")).to_contain_text("Войдите или зарегистрируйтесь")
    return page


def test_a_visitor_registers_and_is_back_on_the_slot(browser, live_server, app, defaults):
    page = pick_a_slot_as_a_visitor(browser, live_server, WEDNESDAY_9)
    page.get_by_role("main").get_by_role("link", name="Зарегистрироваться").click()
    page.locator("#first_name").fill("Олег")
    page.locator("#last_name").fill("Соколов")
    page.locator("#login").fill("oleg")
    page.locator("#password").fill("Kv7!pLr2-xQz9mW")
    page.locator("#register-form button[type=submit]").click()
    expect(page).to_have_url(f"{live_server}/lessons/new?start={WEDNESDAY_9.isoformat()}")
    expect(page.locator("#book-dialog")).to_contain_text("среда, 25 ноября 2026")
    # The week behind the dialog is the slot's.
    expect(page.locator("#week-title")).to_contain_text("23 нояб.")
    book_in_dialog(page, WEDNESDAY_9)
    with app.app_context():
        lesson = Lesson.get(Lesson.start == WEDNESDAY_9)
        assert lesson.student.login == "oleg" and lesson.is_pending


def test_a_visitor_logs_in_and_is_back_on_the_slot(browser, live_server, app, defaults):
    page = pick_a_slot_as_a_visitor(browser, live_server, THURSDAY_9)
    log_in(page)
    expect(page).to_have_url(f"{live_server}/lessons/new?start={THURSDAY_9.isoformat()}")
    dialog = page.locator("#book-dialog")
    expect(dialog).to_contain_text("четверг, 26 ноября 2026")
    # The dialog is modal and closes like one; the calendar stays.
    dialog.get_by_role("button", name="Отмена").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#week")).to_be_visible()
    page.goto(f"{live_server}/lessons/new?start={THURSDAY_9.isoformat()}")
    book_in_dialog(page, THURSDAY_9)
    with app.app_context():
        assert Lesson.get(Lesson.start == THURSDAY_9).student.login == "vera"
