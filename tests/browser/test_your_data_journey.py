"""Your data and your devices in Chromium: a student asks for her data, the consumer
makes it (huey runs the task at once in tests), she downloads the ZIP from her inbox
and it holds her lessons; she signs out her laptop from her phone and the laptop's
next page asks it to log in; she deletes her account and the teacher's report on
the month stays right, without her name."""
import csv
import io
import json
import re
import zipfile
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.browser.site import PHONE as PHONE_SCREEN
from tests.browser.site import axe_problems, overflow_problems
from tests.conftest import STUDENT_PASSWORD, TEACHER_PASSWORD
from tutor.models import Lesson, Message, Payment, User

pytestmark = pytest.mark.browser
NOW = "2026-11-10 12:00:00+00:00"
PHONE = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/131.0.0.0 Mobile Safari/537.36")
LAPTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"


@pytest.fixture
def october(app, teacher, create_student, time_machine):
    """Maria and Petr each had an October lesson (Moscow); Maria paid 1000 and has a
    lesson on 20 November."""
    time_machine.move_to(NOW, tick=True)
    maria = create_student(login="maria", first_name="Мария", last_name="Соколова")
    petr = create_student(login="petr", first_name="Пётр", last_name="Орлов")
    with app.app_context():
        for student, start, price in [(maria, datetime(2026, 10, 6, 7, 0), "1500"),
                                      (petr, datetime(2026, 10, 8, 7, 0), "1200"),
                                      (maria, datetime(2026, 11, 20, 7, 0), "1500")]:
            Lesson.create(teacher=teacher, student=student, start=start,
                          end=start + timedelta(hours=1), status=Lesson.CONFIRMED,
                          price=Decimal(price), attendance=Lesson.ATTENDED
                          if start.month == 10 else None)
        Payment.create(student=maria, teacher=teacher, amount=Decimal("1000"),
                       paid_on=datetime(2026, 10, 6).date(), note="октябрь")
    return {"maria": maria, "petr": petr}


def open_logged_in(browser, live_server, login, password, **context_options):
    context = browser.new_context(timezone_id="Europe/Moscow", accept_downloads=True,
                                  **context_options)
    page = context.new_page()
    page.goto(live_server + "/")
    menu = page.locator(".site-menu > summary")
    if menu.is_visible():  # a phone: the language switch is in the menu
        menu.click()
    page.get_by_role("button", name="English").click()
    page.goto(live_server + "/login")
    page.locator("#login").fill(login)
    page.locator("#password").fill(password)
    page.locator("form#login-form button[type=submit]").click()
    expect(page.locator("form[action='/logout']")).to_be_attached()
    return page


def test_an_export_is_made_downloaded_and_opened(browser, live_server, october):
    page = open_logged_in(browser, live_server, "maria", STUDENT_PASSWORD)
    page.goto(live_server + "/account")
    expect(page.get_by_role("heading", name="Your data")).to_be_visible()
    page.get_by_role("button", name="Download my data").click()
    expect(page.get_by_text("You will find the file in your notifications")).to_be_visible()

    page.goto(live_server + "/inbox")
    expect(page.get_by_role("heading", name="Your data is ready")).to_be_visible()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="tutor-data-maria-2026-11-10.zip").click()
    download = download_info.value
    assert download.suggested_filename == "tutor-data-maria-2026-11-10.zip"
    archive = zipfile.ZipFile(io.BytesIO(open(download.path(), "rb").read()))
    profile = json.loads(archive.read("profile.json"))
    assert (profile["login"], profile["first_name"]) == ("maria", "Мария")
    lessons = list(csv.DictReader(io.StringIO(archive.read("lessons.csv").decode("utf-8-sig"))))
    assert [(row["start"], row["price"]) for row in lessons] == [
        ("2026-10-06T07:00:00Z", "1500.00"), ("2026-11-20T07:00:00Z", "1500.00")]
    assert json.loads(archive.read("payments.json"))[0]["note"] == "октябрь"
    assert "Пётр" not in archive.read("lessons.json").decode()

    # Asked again at once: refused politely, nothing new in the inbox.
    page.goto(live_server + "/account")
    page.get_by_role("button", name="Download my data").click()
    expect(page.get_by_text("You asked for your data less than an hour ago")).to_be_visible()


def test_signing_out_the_other_device(browser, live_server, october):
    laptop = open_logged_in(browser, live_server, "maria", STUDENT_PASSWORD, user_agent=LAPTOP)
    phone = open_logged_in(browser, live_server, "maria", STUDENT_PASSWORD, user_agent=PHONE,
                           viewport=PHONE_SCREEN)
    phone.goto(live_server + "/account")
    # The profile with both devices listed: accessible, and it fits a phone.
    assert axe_problems(phone, "profile") + overflow_problems(phone, "profile") == []
    devices = phone.locator("#devices")
    expect(devices.locator("li.device.current")).to_contain_text("Chrome on Android")
    expect(devices.locator("li.device.current")).to_contain_text("This device")
    expect(devices).to_contain_text("Firefox on Windows")

    devices.get_by_role("button", name="Sign out: Firefox on Windows").click()
    expect(phone.get_by_text("That device is signed out")).to_be_visible()
    expect(phone.locator("#devices li.device")).to_have_count(1)

    laptop.goto(live_server + "/account")  # its next request
    expect(laptop).to_have_url(re.compile(r"/login"))
    expect(laptop.locator("form[action='/logout']")).to_have_count(0)
    phone.reload()
    expect(phone.locator("form[action='/logout']")).to_be_attached()  # in the phone's menu


def test_a_deletion_keeps_the_teachers_report_right(browser, live_server, app, october,
                                                    teacher):
    page = open_logged_in(browser, live_server, "maria", STUDENT_PASSWORD)
    page.goto(live_server + "/account")
    page.get_by_role("link", name="Delete the account…").click()
    expect(page.get_by_text("Your 1 future lesson is cancelled and the teacher is told")
           ).to_be_visible()
    page.get_by_label("Your password").fill("not my password")
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_text("That is not your password.")).to_be_visible()
    assert axe_problems(page, "delete") == []
    page.get_by_label("Your password").fill(STUDENT_PASSWORD)
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_text("Your account is deleted.")).to_be_visible()
    expect(page.locator("form[action='/logout']")).to_have_count(0)

    with app.app_context():
        assert User.get_by_id(october["maria"].id).role == User.DELETED
        told = Message.get((Message.user == teacher.id) & (Message.kind == "lesson_cancelled"))
        assert "Мария" in told.body_text

    teacher_page = open_logged_in(browser, live_server, "teacher", TEACHER_PASSWORD)
    teacher_page.goto(live_server + "/teacher/reports?month=2026-10")
    expect(teacher_page.get_by_role("heading", name="Report for October 2026")).to_be_visible()
    expect(teacher_page.locator('[data-total="students"]')).to_have_text("2")
    expect(teacher_page.locator('[data-total="lessons"]')).to_have_text("2")
    expect(teacher_page.locator('[data-total="cost"]')).to_have_text("2,700 ₽")
    expect(teacher_page.get_by_role("cell", name="Deleted student").first).to_be_visible()
    expect(teacher_page.get_by_role("link", name="Deleted student")).to_have_count(0)
    expect(teacher_page.get_by_role("cell", name="Пётр Орлов").first).to_be_visible()
    expect(teacher_page.locator("main")).not_to_contain_text("Мария")
