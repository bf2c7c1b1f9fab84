"""The inbox in the app, on the defaults a new install has (nobody has a channel):
a booking is kept for the teacher and the student, the bell counts what is unread,
items are marked read, the files the jobs make are downloaded by their owner only,
and what waited goes out once a channel is set."""
import re
from datetime import date, datetime

from tests import factories
from tests.conftest import TEACHER_PASSWORD
from tutor.models import InboxItem, Message, StoredFile, User
from tutor.services import notify
from tutor.services.reports import sending

NOW = factories.MONDAY_MORNING  # Monday, 11:00 in Moscow
HTMX = {"HX-Request": "true"}
BELL = re.compile(r'<a id="bell"[^>]*>.*?</a>', re.S)


def bell(page):
    return BELL.search(page).group(0)


def book(browser):
    response = browser.submit("/lessons", {"start": "2026-11-24T07:00:00", "comment": "Задачи"},
                              page="/lessons/new?start=2026-11-24T07:00:00")
    assert response.status_code == 302


def test_a_booking_without_channels_is_kept_for_both(app, person, alisa, calendar_ready):
    student = person("alisa")
    book(student)
    teacher = person("teacher", TEACHER_PASSWORD)

    page = teacher.get("/").text
    assert ">1<" in bell(page) and 'href="/inbox"' in bell(page)
    inbox = teacher.get("/inbox").text
    assert "New booking request" in inbox or "request" in inbox.lower()
    assert "Алиса" in inbox
    with app.app_context():
        [item] = InboxItem.select().where(InboxItem.user == calendar_ready.id)
        assert item.kind == "lesson_booked" and item.link.startswith("/lessons/")
        # Kept, and held in the outbox until the teacher has a channel.
        message = Message.get(Message.idempotency_key == item.key)
        assert (message.channel, message.status) == (User.NO_CHANNEL, Message.HELD)
    assert f'href="{item.link}"' in inbox
    assert teacher.get(item.link).status_code == 200


def test_the_inbox_as_a_page_and_as_a_fragment(app, person, alisa):
    book(person("alisa"))
    teacher = person("teacher", TEACHER_PASSWORD)
    full = teacher.get("/inbox")
    assert "<header" in full.text and 'id="inbox-items"' in full.text
    fragment = teacher.get("/inbox", headers=HTMX)
    assert fragment.text.lstrip().startswith('<div id="inbox-items"')
    assert "<header" not in fragment.text and "HX-Request" in fragment.headers["Vary"]
    alone = teacher.get("/inbox/bell", headers=HTMX)
    assert alone.text.lstrip().startswith('<a id="bell"') and ">1<" in alone.text


def test_marking_read_plain_and_with_htmx(app, person, alisa):
    book(person("alisa"))
    teacher = person("teacher", TEACHER_PASSWORD)
    with app.app_context():
        item = InboxItem.get(InboxItem.user == User.by_login("teacher"))
    response = teacher.submit(f"/inbox/{item.id}/read", headers=HTMX, page="/inbox")
    assert response.status_code == 200
    assert f'id="inbox-item-{item.id}" class="inbox-item"' in response.text
    assert 'hx-swap-oob="true"' in response.text  # the bell follows
    assert "Mark as read" not in response.text
    assert ">1<" not in bell(teacher.get("/").text)
    # Twice is harmless; without the CSRF token it is refused.
    assert teacher.submit(f"/inbox/{item.id}/read", page="/inbox").status_code == 302
    assert teacher.post(f"/inbox/{item.id}/read").status_code == 400


def test_mark_all_read(app, person, alisa):
    student = person("alisa")
    book(student)
    with app.app_context():
        notify.enqueue(User.by_login("alisa"), "welcome")
    teacher = person("teacher", TEACHER_PASSWORD)
    assert "Mark all as read" in teacher.get("/inbox").text
    assert teacher.submit("/inbox/read", page="/inbox").status_code == 302
    with app.app_context():
        assert InboxItem.unread_count(User.by_login("teacher")) == 0
        # Hers are hers: her request received and the welcome.
        assert InboxItem.unread_count(User.by_login("alisa")) == 2


def test_nobody_reads_or_marks_anothers_items(app, person, alisa, client):
    book(person("alisa"))
    with app.app_context():
        item = InboxItem.get(InboxItem.user == User.by_login("teacher"))
    student = person("alisa")
    assert student.submit(f"/inbox/{item.id}/read", page="/inbox").status_code == 404
    assert "Задачи" not in student.get("/inbox").text
    with app.app_context():
        assert InboxItem.get_by_id(item.id).read_at is None
    assert client.get("/inbox").status_code == 302  # anonymous: log in first
    assert client.get("/inbox/bell").status_code == 302


def test_the_monthly_report_is_downloaded_from_the_teachers_inbox_only(
        app, person, alisa, calendar_ready):
    with app.app_context():
        sending.send_monthly_report(date(2026, 10, 1), now=datetime(2026, 11, 5, 12))
        files = {f.filename: f for f in StoredFile.select()}
    assert set(files) == {"report-2026-10.csv", "report-2026-10.pdf"}
    teacher = person("teacher", TEACHER_PASSWORD)
    inbox = teacher.get("/inbox").text
    pdf = files["report-2026-10.pdf"]
    assert f"/inbox/files/{pdf.token}" in inbox
    response = teacher.get(f"/inbox/files/{pdf.token}")
    assert response.status_code == 200 and response.data.startswith(b"%PDF-")
    assert 'filename=report-2026-10.pdf' in response.headers["Content-Disposition"]
    assert "no-store" in response.headers["Cache-Control"]
    assert teacher.get(f"/inbox/files/{pdf.token}x").status_code == 404
    assert person("alisa").get(f"/inbox/files/{pdf.token}").status_code == 404


def test_what_waited_goes_out_once_the_teacher_sets_a_channel(app, person, alisa,
                                                               calendar_ready):
    with app.app_context():
        sending.send_monthly_report(date(2026, 10, 1), now=datetime(2026, 11, 5, 12))
    book(person("alisa"))
    teacher = person("teacher", TEACHER_PASSWORD)
    with app.app_context():
        from tutor.services import accounts
        accounts.change_notifications(User.by_login("teacher"), channel=User.EMAIL,
                                      email="anna@example.org", digest_time=None)
        waiting = {m.kind: m for m in Message.select().where(
            Message.user == calendar_ready.id)}
    assert waiting["monthly_report"].status == Message.PENDING
    assert waiting["monthly_report"].address == "anna@example.org"
    assert waiting["lesson_booked"].status == Message.PENDING
    assert teacher.get("/inbox").status_code == 200


def test_a_long_inbox_comes_in_pages(app, client, auth, teacher):
    with app.app_context():
        InboxItem.insert_many([
            {"user": teacher.id, "kind": "welcome", "subject": f"Notice {number}",
             "body_text": "…", "key": f"notice-{number}"} for number in range(1, 26)]).execute()
    auth.login()
    client.submit("/language/en")
    first = client.get("/inbox").text
    assert first.count('class="inbox-item') == 20 and "Notice 25" in first
    assert 'href="/inbox?page=2"' in first and 'aria-current="page">1<' in first
    second = client.get("/inbox?page=2").text
    assert second.count('class="inbox-item') == 5 and "Notice 1<" in second
    assert client.get("/inbox?page=x").status_code == 404
