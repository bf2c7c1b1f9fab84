"""The teacher opens Reports from Settings, picks another month (htmx swaps the
figures in), and downloads that month's PDF and CSV."""
import re
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.conftest import TEACHER_PASSWORD
from tutor.models import Lesson

pytestmark = pytest.mark.browser


@pytest.fixture
def lessons(app, teacher, create_student):
    maria = create_student(login="maria", first_name="Мария", last_name="Соколова")
    petr = create_student(login="petr", first_name="Пётр", last_name="Орлов")
    with app.app_context():
        for student, start, price in [(maria, datetime(2026, 9, 7, 7, 0), "1500"),
                                      (petr, datetime(2026, 9, 8, 7, 0), "1200"),
                                      (petr, datetime(2026, 9, 15, 7, 0), "1200"),
                                      (maria, datetime(2026, 10, 6, 7, 0), "1500")]:
            Lesson.create(teacher=teacher, student=student, start=start,
                          end=start + timedelta(hours=1), status=Lesson.CONFIRMED,
                          price=Decimal(price))


def test_pick_a_month_and_download(browser, live_server, lessons, time_machine, tmp_path):
    time_machine.move_to("2026-11-10 12:00:00+00:00", tick=True)
    page = browser.new_context(timezone_id="Europe/Moscow", accept_downloads=True).new_page()
    page.goto(live_server + "/")
    page.get_by_role("button", name="English").click()
    page.get_by_role("navigation").get_by_role("link", name="Log in").click()
    page.get_by_label("Login").fill("teacher")
    page.get_by_label("Password").fill(TEACHER_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    page.get_by_role("link", name=re.compile("^Reports:")).click()

    # The previous month first: October, one lesson.
    expect(page.get_by_role("heading", name="Report for October 2026")).to_be_visible()
    expect(page.locator('[data-total="lessons"]')).to_have_text("1")

    page.get_by_label("Month", exact=True).fill("2026-09")
    expect(page.get_by_role("heading", name="Report for September 2026")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/teacher/reports\?month=2026-09$"))
    expect(page.locator('[data-total="students"]')).to_have_text("2")
    expect(page.locator('[data-total="lessons"]')).to_have_text("3")
    expect(page.locator('[data-total="hours"]')).to_have_text("3")
    expect(page.locator('[data-total="cost"]')).to_have_text("3,900 ₽")
    expect(page.get_by_role("cell", name="Пётр Орлов")).to_be_visible()

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download PDF").click()
    download = download_info.value
    assert download.suggested_filename == "report-2026-09.pdf"
    assert open(download.path(), "rb").read(5) == b"%PDF-"
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV for Excel").click()
    assert download_info.value.suggested_filename == "report-2026-09.csv"
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV, comma-separated").click()
    assert download_info.value.suggested_filename == "report-2026-09-comma.csv"  # not (1)

    # The pushed address works as a full page, and a bad month is explained.
    page.reload()
    expect(page.locator('[data-total="lessons"]')).to_have_text("3")
    page.goto(live_server + "/teacher/reports?month=2026-99")
    expect(page.get_by_text("Enter a month as YYYY-MM, e.g. 2026-10.")).to_be_visible()
