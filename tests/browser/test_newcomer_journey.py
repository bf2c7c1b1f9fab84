"""A new install as a tutor meets it, nothing configured (no e-mail, no Telegram):
the teacher is led by the checklist and told that notices stay in the app; a student
books and both find it under the bell; the teacher confirms from the notice; the 1st
of the month passes and the report is in the teacher's inbox, ready to download."""
from datetime import datetime, time, timezone

import pytest
from playwright.sync_api import expect

from tests.browser.site import on_next_week, signed_in
from tests.conftest import STUDENT_PASSWORD, TEACHER_PASSWORD
from tutor import jobs
from tutor.models import InboxItem, Lesson, Message, User
from tutor.services import delivery, schedule

pytestmark = pytest.mark.browser

MONDAY = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)  # 11:00 in Moscow
# 1 December, 00:05 in Moscow: November's report is due.
FIRST_OF_DECEMBER = datetime(2026, 11, 30, 21, 5, tzinfo=timezone.utc)


@pytest.fixture
def new_install(app, teacher, create_student, time_machine):
    time_machine.move_to(MONDAY, tick=True)
    with app.app_context():
        schedule.set_windows(teacher, [(day, time(9), time(13)) for day in range(7)])
        assert User.get_by_id(teacher.id).channel == User.NO_CHANNEL
    create_student(login="anna", first_name="Анна", last_name="Кузнецова")
    assert not app.config["TELEGRAM_BOT_TOKEN"] and app.config["EMAIL_BACKEND"] == "console"


def bell(page):
    return page.locator("#bell")


def test_a_new_tutor_loses_nothing_on_the_defaults(browser, live_server, app, new_install,
                                                    time_machine, tmp_path):
    teacher = signed_in(browser, live_server, "teacher", TEACHER_PASSWORD)
    expect(teacher.get_by_role("heading", name="Getting started")).to_be_visible()
    expect(teacher.locator("body")).to_contain_text("notifications only in the app")
    expect(bell(teacher)).not_to_contain_text("1")

    # Anna books the first free slot of next week.
    anna = on_next_week(browser, live_server, "anna", STUDENT_PASSWORD)
    anna.locator(".cell-free .slot").first.click()
    anna.get_by_role("dialog").get_by_role("button", name="Book").click()
    expect(anna.locator(".toast-success")).to_contain_text("Your request is sent.")
    anna.reload()
    expect(bell(anna)).to_contain_text("1")
    bell(anna).click()
    expect(anna.get_by_role("heading", name="Notifications", level=1)).to_be_visible()
    expect(anna.locator(".inbox-item.unread")).to_contain_text("Request received")

    # The teacher's bell counts it; the notice leads to the lesson, confirmed there.
    teacher.reload()
    expect(bell(teacher)).to_contain_text("1")
    bell(teacher).click()
    notice = teacher.locator(".inbox-item.unread").first
    expect(notice).to_contain_text("New booking")
    expect(notice).to_contain_text("Анна Кузнецова")
    notice.get_by_role("button", name="Mark as read").click()
    expect(teacher.locator(".inbox-item.unread")).to_have_count(0)
    expect(bell(teacher)).not_to_contain_text("1")
    teacher.locator(".inbox-item").first.get_by_role("link", name="Open").click()
    teacher.get_by_label("Price, ₽").fill("1500")
    teacher.get_by_role("button", name="Confirm the lesson").click()
    expect(teacher.locator(".toast-success")).to_contain_text("The lesson is confirmed")

    anna.reload()
    expect(bell(anna)).to_contain_text("2")
    expect(anna.locator(".inbox-item.unread").first).to_contain_text("confirmed")
    with app.app_context():
        # Nothing went anywhere outside: every message waits, held, for a channel.
        assert {m.status for m in Message.select()} == {Message.HELD}
        lesson = Lesson.get()
        assert lesson.is_confirmed

    # The month turns; its job keeps the report in the teacher's inbox.
    time_machine.move_to(FIRST_OF_DECEMBER, tick=True)
    with app.app_context():
        assert jobs.run_monthly_jobs.call_local()["monthly_report"] == {"messages": 1}
        assert InboxItem.select().where(InboxItem.kind == "monthly_report").count() == 1
    teacher.goto(live_server + "/inbox")
    report = teacher.locator(".inbox-item", has_text="Report for").first
    expect(report).to_contain_text("November 2026")
    expect(report).to_contain_text("1,500")
    with teacher.expect_download() as download_info:
        report.get_by_role("link", name="report-2026-11.pdf").click()
    saved = tmp_path / "report.pdf"
    download_info.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF-")


def test_with_e_mail_set_up_the_same_notices_go_out_and_stay_in_the_app(
        browser, live_server, app, new_install, fake_mailgun, time_machine):
    with app.app_context():
        User.update(channel=User.EMAIL, email="anna.teacher@example.org").where(
            User.login == "teacher").execute()
        User.update(channel=User.EMAIL, email="anna@example.org").where(
            User.login == "anna").execute()
    teacher = signed_in(browser, live_server, "teacher", TEACHER_PASSWORD)
    expect(teacher.locator("body")).not_to_contain_text("notifications only in the app")

    anna = on_next_week(browser, live_server, "anna", STUDENT_PASSWORD)
    anna.locator(".cell-free .slot").first.click()
    anna.get_by_role("dialog").get_by_role("button", name="Book").click()
    expect(anna.locator(".toast-success")).to_contain_text("Your request is sent.")
    with app.app_context():
        assert delivery.deliver_due().sent == 2
    assert sorted(fake_mailgun.delivered_to()) == ["anna.teacher@example.org", "anna@example.org"]

    teacher.reload()
    expect(bell(teacher)).to_contain_text("1")
    bell(teacher).click()
    expect(teacher.locator(".inbox-item.unread")).to_contain_text("New booking")

    time_machine.move_to(FIRST_OF_DECEMBER, tick=True)
    with app.app_context():
        jobs.run_monthly_jobs.call_local()
        assert delivery.deliver_due().sent == 1
    [report] = [form for form in fake_mailgun.accepted
                if "report" in " ".join(form["attachments"])]
    assert sorted(report["attachments"]) == ["report-2026-11.csv", "report-2026-11.pdf"]
    teacher.goto(live_server + "/inbox")
    expect(teacher.locator(".inbox-item", has_text="Report for").first.get_by_role(
        "link", name="report-2026-11.csv")).to_be_visible()
