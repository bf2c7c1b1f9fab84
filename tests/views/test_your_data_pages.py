"""The profile's "Your devices" and "Your data": the list of signed-in sessions and
signing them out (only one's own), the export asked for and found in the inbox, and
deleting one's own account with the password."""
import io
import json
import re
import zipfile
from datetime import datetime, timedelta

import pytest

from tests.conftest import STUDENT_PASSWORD, TEACHER_PASSWORD
from tutor.models import AuditEntry, InboxItem, Lesson, LoginSession, StoredFile, User

PHONE = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/131.0.0.0 Mobile Safari/537.36")
LAPTOP = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0")
NOW = datetime(2026, 11, 23, 8, 0)


@pytest.fixture
def alisa(create_student):
    return create_student(login="alisa", first_name="Алиса", last_name="Кузнецова")


@pytest.fixture
def browser_of(app, client):
    """A logged-in client with its own cookies and User-Agent."""
    def open_as(login, password=STUDENT_PASSWORD, agent=PHONE, language="ru"):
        browser = app.test_client()
        browser.environ_base["HTTP_USER_AGENT"] = agent
        browser.submit(f"/language/{language}")
        assert browser.submit("/login", {"login": login, "password": password}).status_code == 302
        return browser
    return open_as


def session_ids(app, login):
    with app.app_context():
        user = User.by_login(login)
        return [record.id for record in LoginSession.of(user)]


# --- your devices -------------------------------------------------------------------

def test_the_profile_lists_the_devices_with_the_current_one_marked(browser_of, alisa):
    browser_of("alisa", agent=LAPTOP)
    phone = browser_of("alisa", agent=PHONE)
    page = phone.get("/account").text
    devices = page[page.index('id="devices"'):]
    assert "Chrome на Android" in devices and "Firefox на Windows" in devices
    # The current one comes first, marked.
    assert devices.index("Chrome на Android") < devices.index("Это устройство") < devices.index(
        "Firefox на Windows")
    assert "Выйти на всех других устройствах" in devices


def test_signing_out_another_device_logs_it_out(app, browser_of, alisa):
    laptop = browser_of("alisa", agent=LAPTOP, language="en")
    phone = browser_of("alisa", agent=PHONE, language="en")
    laptop_id = session_ids(app, "alisa")[-1]  # the older one
    response = phone.submit(f"/account/devices/{laptop_id}/sign-out", page="/account")
    assert response.status_code == 302
    assert "That device is signed out" in phone.get("/account").text
    assert laptop.get("/account").status_code == 302  # its next request: log in
    assert phone.get("/account").status_code == 200
    assert len(session_ids(app, "alisa")) == 1


def test_another_users_session_is_not_found(app, browser_of, alisa, create_student):
    create_student(login="boris")
    browser_of("boris")
    alisa_browser = browser_of("alisa")
    boris_session = session_ids(app, "boris")[0]
    response = alisa_browser.submit(f"/account/devices/{boris_session}/sign-out",
                                    page="/account")
    assert response.status_code == 404
    assert session_ids(app, "boris") == [boris_session]
    assert alisa_browser.submit("/account/devices/999999/sign-out",
                                page="/account").status_code == 404


def test_signing_out_everywhere_else(app, browser_of, alisa):
    others = [browser_of("alisa", agent=LAPTOP) for _ in range(2)]
    phone = browser_of("alisa", language="en")
    phone.submit("/account/devices/sign-out-others", page="/account")
    assert "2 other devices are signed out." in phone.get("/account").text
    assert all(other.get("/account").status_code == 302 for other in others)
    assert len(session_ids(app, "alisa")) == 1


def test_signing_out_this_device_is_a_logout(app, browser_of, alisa):
    phone = browser_of("alisa")
    [own] = session_ids(app, "alisa")
    response = phone.submit(f"/account/devices/{own}/sign-out", page="/account")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert phone.get("/account").status_code == 302


def test_a_password_change_leaves_one_device_in_the_list(app, browser_of, alisa):
    browser_of("alisa", agent=LAPTOP)
    phone = browser_of("alisa")
    assert phone.get("/account").text.count('<li class="device') == 2
    phone.submit("/account/password", {"current_password": STUDENT_PASSWORD,
                                       "password": "Новый-пароль-для-Алисы-7",
                                       "confirm": "Новый-пароль-для-Алисы-7"}, page="/account")
    page = phone.get("/account").text
    assert page.count('<li class="device') == 1 and "Firefox" not in page


def test_the_sign_out_needs_the_csrf_token(app, browser_of, alisa):
    phone = browser_of("alisa")
    [own] = session_ids(app, "alisa")
    assert phone.post(f"/account/devices/{own}/sign-out").status_code == 400
    assert phone.post("/account/devices/sign-out-others").status_code == 400
    assert session_ids(app, "alisa") == [own]


# --- the export ---------------------------------------------------------------------

def test_the_export_arrives_in_the_inbox_and_downloads(app, browser_of, alisa, teacher,
                                                       time_machine):
    time_machine.move_to(NOW, tick=False)
    phone = browser_of("alisa", language="en")
    response = phone.submit("/account/export", page="/account")
    assert response.status_code == 302
    assert "You will find the file in your notifications" in phone.get("/account").text
    inbox = phone.get("/inbox").text
    assert "Your data is ready" in inbox
    link = re.search(r'href="(/inbox/files/[^"]+)"[^>]*>(tutor-data-alisa-[0-9-]+\.zip)', inbox)
    assert link.group(2) == "tutor-data-alisa-2026-11-23.zip"
    download = phone.get(link.group(1))
    assert download.headers["Content-Type"] == "application/zip"
    profile = json.loads(zipfile.ZipFile(io.BytesIO(download.data)).read("profile.json"))
    assert profile["login"] == "alisa"
    # Somebody else cannot download it.
    other = browser_of("teacher", TEACHER_PASSWORD)
    assert other.get(link.group(1)).status_code == 404

    # Again within the hour: refused, with the time it can be asked again.
    time_machine.move_to(NOW + timedelta(minutes=30), tick=False)
    phone.submit("/account/export", page="/account")
    assert "less than an hour ago" in phone.get("/account").text
    with app.app_context():
        assert InboxItem.select().where(InboxItem.kind == "data_export").count() == 1


def test_the_teacher_has_no_export_or_deletion(app, browser_of, teacher):
    browser = browser_of("teacher", TEACHER_PASSWORD, language="en")
    page = browser.get("/account").text
    assert "Download my data" not in page and "Delete the account" not in page
    browser.submit("/account/export", page="/account")
    assert browser.get("/account/delete").status_code == 302
    with app.app_context():
        assert not StoredFile.select().exists()
        assert User.get_by_id(teacher.id).role == User.TEACHER


# --- the deletion -------------------------------------------------------------------

def test_deleting_the_account_with_the_password(app, browser_of, alisa, teacher, time_machine):
    time_machine.move_to(NOW, tick=False)
    with app.app_context():
        Lesson.create(teacher=teacher, student=alisa, start=NOW + timedelta(days=3),
                      end=NOW + timedelta(days=3, hours=1), status=Lesson.CONFIRMED)
    laptop = browser_of("alisa", agent=LAPTOP)
    phone = browser_of("alisa", language="en")
    page = phone.get("/account/delete").text
    assert "Your 1 future lesson is cancelled and the teacher is told" in page

    wrong = phone.submit("/account/delete", {"password": "guess"})
    assert wrong.status_code == 200 and "That is not your password." in wrong.text
    response = phone.submit("/account/delete", {"password": STUDENT_PASSWORD})
    assert response.status_code == 302
    assert "Your account is deleted." in phone.get(response.headers["Location"]).text
    assert phone.get("/account").status_code == 302
    assert laptop.get("/account").status_code == 302
    with app.app_context():
        assert User.get_by_id(alisa.id).role == User.DELETED
        assert not Lesson.select().where(Lesson.student == alisa.id).exists()
        assert AuditEntry.select().where(AuditEntry.action == "account.delete").count() == 1
    again = app.test_client()
    assert again.submit("/login", {"login": "alisa", "password": STUDENT_PASSWORD}
                        ).status_code == 200  # the login form again, with its error


def test_the_deletion_form_speaks_russian(browser_of, alisa):
    phone = browser_of("alisa")
    page = phone.get("/account/delete").text
    assert "Удалить учётную запись?" in page and "Ваш пароль" in page
    empty = phone.submit("/account/delete", {"password": ""})
    assert "Введите пароль для подтверждения." in empty.text


def test_the_teacher_sees_a_deleted_student_without_a_name(app, browser_of, alisa, teacher,
                                                          time_machine):
    time_machine.move_to(NOW, tick=False)
    with app.app_context():
        Lesson.create(teacher=teacher, student=alisa, start=NOW - timedelta(days=3),
                      end=NOW - timedelta(days=3, hours=-1), status=Lesson.CONFIRMED,
                      price=1000, attendance=Lesson.ATTENDED)
    browser_of("alisa").submit("/account/delete", {"password": STUDENT_PASSWORD})
    desk = browser_of("teacher", TEACHER_PASSWORD)
    lessons = desk.get("/teacher/lessons?first_day=2026-11-01&last_day=2026-11-30").text
    assert "Удалённый ученик" in lessons and "Алиса" not in lessons
    assert f"/teacher/students/{alisa.id}" not in lessons  # no link to a page that is gone
    assert desk.get(f"/teacher/students/{alisa.id}").status_code == 404
    audit = desk.get("/teacher/audit").text
    assert "Ученик удалил свою учётную запись" in audit
