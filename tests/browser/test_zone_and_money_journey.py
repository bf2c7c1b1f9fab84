"""Two things that once went wrong without a word, on a new tutor's defaults (Russian
UI, no e-mail or Telegram): saving only a name in the profile switched the time zone
to the list's first entry (Africa/Abidjan), so 15:00 lessons showed as 12:00; and
"2000,50" typed where the browser's number field wanted a point was saved as
200 050 ₽. Money is now typed in text fields, read alike in any browser."""
from datetime import datetime, time, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.conftest import TEACHER_PASSWORD
from tutor.models import Lesson, TeacherSettings, User
from tutor.services import schedule

pytestmark = pytest.mark.browser

MOSCOW = ZoneInfo("Europe/Moscow")


@pytest.fixture
def lessons(app, teacher, create_student):
    """A confirmed lesson and a request, both at 15:00 Moscow time, a few days on."""
    alisa = create_student(login="alisa", first_name="Алиса", last_name="Кузнецова")
    day = datetime.now(MOSCOW).date() + timedelta(days=3)
    with app.app_context():
        schedule.set_windows(teacher, [(weekday, time(9), time(18)) for weekday in range(7)])

        def at(hour, the_day):
            return (datetime.combine(the_day, time(hour), MOSCOW)
                    .astimezone(timezone.utc).replace(tzinfo=None))
        confirmed = Lesson.create(teacher=teacher, student=alisa, start=at(15, day),
                                  end=at(16, day), status=Lesson.CONFIRMED,
                                  price=Decimal("1000"))
        pending = Lesson.create(teacher=teacher, student=alisa,
                                start=at(15, day + timedelta(days=1)),
                                end=at(16, day + timedelta(days=1)), status=Lesson.PENDING)
    return {"day": day, "confirmed": confirmed.id, "pending": pending.id}


def teacher_page(browser, live_server, **context):
    """The teacher, logged in, in a browser that keeps the app's default language."""
    page = browser.new_context(timezone_id="Europe/Moscow", **context).new_page()
    page.goto(live_server + "/login")
    page.locator("#login").fill("teacher")
    page.locator("#password").fill(TEACHER_PASSWORD)
    page.locator("form#login-form button[type=submit]").click()
    expect(page.locator("form[action='/logout']")).to_be_attached()
    return page


def test_saving_only_a_name_keeps_the_zone_and_the_lesson_times(browser, live_server, app,
                                                               lessons):
    page = teacher_page(browser, live_server)
    page.goto(live_server + "/account")
    zone = page.locator("#profile-form select[name=timezone]")
    expect(zone.locator("option:checked")).to_have_text(
        "Часовой пояс преподавателя: Москва (UTC+3)")
    expect(zone).not_to_contain_text("Europe/")
    page.locator("#profile-form input[name=first_name]").fill("Анюта")
    page.locator("#profile-form button[type=submit]").click()
    expect(page.locator(".toast-success")).to_contain_text("Профиль сохранён.")
    with app.app_context():
        teacher = User.get(User.login == "teacher")
        assert (teacher.first_name, teacher.timezone) == ("Анюта", None)

    page.goto(f"{live_server}/?week={lessons['day'].isoformat()}")
    expect(page.locator("#week .timezone-label")).to_contain_text("Москва (UTC+3)")
    expect(page.locator("#week .cell-confirmed .time").first).to_have_text("15:00–16:00")


@pytest.mark.parametrize("locale, typed", [
    ("en-US", "2000,50"),  # a browser whose number fields take a point, given a comma
    ("ru-RU", "2000.50"),  # and the other way round
])
def test_money_is_read_alike_in_any_browser(browser, live_server, app, lessons, locale, typed):
    page = teacher_page(browser, live_server, locale=locale)

    # The usual price in the booking rules.
    page.goto(live_server + "/teacher/availability")
    price = page.locator("#default_price")
    expect(price).to_have_attribute("inputmode", "decimal")
    price.fill(typed)
    price.locator("xpath=ancestor::form").locator("button[type=submit]").click()
    expect(page.locator(".toast-success")).to_contain_text("Правила записи сохранены.")
    expect(page.locator("#default_price")).to_have_value("2000,50")
    with app.app_context():
        teacher = User.get(User.login == "teacher")
        assert TeacherSettings.for_teacher(teacher).default_price == Decimal("2000.50")

    # Anything a reader could take two ways is refused, with the reason.
    page.locator("#default_price").fill("2.000,50")
    page.locator("#default_price").locator("xpath=ancestor::form").locator(
        "button[type=submit]").click()
    expect(page.locator("#default_price-error")).to_have_text(
        "Напишите сумму без точки и запятой между тысячами: 2000,50 или 2 000,50.")
    with app.app_context():
        assert TeacherSettings.for_teacher(teacher).default_price == Decimal("2000.50")

    # Confirming a request with a price typed with a space between thousands.
    page.goto(f"{live_server}/lessons/{lessons['pending']}")
    confirm = page.locator(f"form[action='/lessons/{lessons['pending']}/confirm']")
    expect(confirm.locator("input[name=price]")).to_have_value("2000,50")  # the usual one
    confirm.locator("input[name=price]").fill("1 500,5")
    confirm.locator("button[type=submit]").click()
    expect(page.locator(".toast-success")).to_contain_text("Занятие подтверждено")
    with app.app_context():
        assert Lesson.get_by_id(lessons["pending"]).price == Decimal("1500.50")
    page.goto(f"{live_server}/lessons/{lessons['pending']}")
    expect(page.locator("main")).to_contain_text("1\u00a0500,50 ₽")
