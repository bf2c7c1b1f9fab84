"""The teacher, in the Russian a new install starts with, runs the outbox delivery by
hand: a message whose file is gone waits with the reason in their words while the
others go out; a monthly job run by hand a second time says it is a re-run."""
import json

import pytest
from playwright.sync_api import expect

from tests.conftest import TEACHER_PASSWORD
from tutor.models import Message, User
from tutor.services import notify

pytestmark = pytest.mark.browser
GONE = json.dumps([{"filename": "backup.zip", "path": "backups/backup-2026-11.zip"}])


def test_a_broken_message_waits_with_its_reason_and_a_rerun_says_so(
        live_server, app, teacher, create_student, page):
    # `page` last: the browser closes before the server stops, so a request still on
    # its way (the last toast's page) is not refused and reported as a console error.
    with app.app_context():
        anna, boris = (create_student(login=login, channel=User.EMAIL,
                                      email=f"{login}@example.org")
                       for login in ("anna", "boris"))
        broken = notify.enqueue(anna, "welcome")
        Message.update(attachments=GONE).where(Message.id == broken.id).execute()
        fine = notify.enqueue(boris, "welcome")

    page.goto(live_server + "/login")
    page.get_by_label("Логин").fill("teacher")
    page.get_by_label("Пароль").fill(TEACHER_PASSWORD)
    page.get_by_label("Пароль").press("Enter")
    page.goto(live_server + "/teacher/jobs")
    page.get_by_role("button", name="Запустить сейчас: Отправка исходящих").click()
    expect(page.locator(".toast-success")).to_contain_text("«Отправка исходящих» запущена")
    with app.app_context():
        assert Message.get_by_id(fine.id).status == Message.SENT
        assert Message.get_by_id(broken.id).status == Message.PENDING

    page.goto(live_server + "/teacher/outbox")
    row = page.locator("tr", has_text="anna@example.org")
    expect(row).to_contain_text("в очереди")
    expect(row).to_contain_text("Сообщение не ушло из-за ошибки в приложении")
    expect(row).to_contain_text("FileNotFoundError")
    expect(page.locator("tr", has_text="boris@example.org")).not_to_contain_text("ошибки")

    page.goto(live_server + "/teacher/jobs")
    run_days_off = page.get_by_role("button",
                                    name="Запустить сейчас: Удаление прошедших выходных")
    run_days_off.click()
    expect(page.locator(".toast-success")).to_contain_text("запущена")
    page.get_by_role("button", name="Запустить сейчас: Удаление прошедших выходных").click()
    expect(page.locator(".toast-success")).to_contain_text(
        "в этом месяце уже выполнялась; по вашей просьбе она запущена ещё раз")
