"""The e-mail's one-tap links: the teacher's "new booking" carries Confirm and Reject,
the student's "your lesson was moved" carries Cancel, each a link to a page that
shows the lesson and one button. Opening it changes nothing; the button works
without a login, once, until the lesson starts.

The teacher works every day 10:00-14:00 Moscow = 07:00-11:00 UTC; NOW is Monday
2026-06-01 00:00 UTC and SLOT Tuesday 07:00 UTC (10:00 in Moscow)."""
import re
from datetime import datetime
from decimal import Decimal

import pytest

from tests.factories import teacher_and_ivan
from tutor.models import ActionUse, AuditEntry, Lesson, Message, User
from tutor.services import action_links, booking

NOW = datetime(2026, 6, 1, 0, 0)
SLOT = datetime(2026, 6, 2, 7, 0)
SITE = "https://tutor.example.com"
LINK = re.compile(re.escape(SITE) + r"/act/[A-Za-z0-9_.-]+")
pytestmark = pytest.mark.config(PUBLIC_URL=SITE)


@pytest.fixture
def people(app, teacher, create_student, time_machine):
    time_machine.move_to(NOW.isoformat() + "+00:00", tick=False)
    with app.app_context():
        return teacher_and_ivan(teacher, create_student)


def links_in(app, user, kind):
    """The confirmation links of the newest `kind` message to `user`: text and HTML."""
    with app.app_context():
        message = (Message.select()
                   .where((Message.user == user) & (Message.kind == kind))
                   .order_by(Message.id.desc()).get())
        # Each HTML link shows its address too: once per link.
        return LINK.findall(message.body_text), list(dict.fromkeys(
            LINK.findall(message.body_html)))


def path(link):
    return link.removeprefix(SITE)


def book(app, people, start=SLOT):
    teacher, ivan = people
    with app.app_context():
        return booking.book_lesson(ivan, teacher, start, "Grammar")


def lesson_now(app, lesson):
    with app.app_context():
        return Lesson.get_or_none(Lesson.id == lesson.id)


def counts(app):
    with app.app_context():
        return (Message.select().count(), ActionUse.select().count(),
                AuditEntry.select().count())


def test_the_new_booking_e_mail_carries_confirm_and_reject_links(app, people):
    lesson = book(app, people)
    text_links, html_links = links_in(app, people[0], "lesson_booked")
    assert len(text_links) == 2 and html_links == text_links
    with app.app_context():
        message = Message.get((Message.user == people[0]) & (Message.kind == "lesson_booked"))
        assert "Confirm the lesson:\n" + text_links[0] in message.body_text
        assert "Reject the request:\n" + text_links[1] in message.body_text
        assert message.buttons  # the Telegram keyboard is kept too, for a later chat
        # The student's "request received" carries none.
        received = Message.get((Message.user == people[1])
                               & (Message.kind == "lesson_requested"))
        assert "/act/" not in received.body_text
    assert lesson_now(app, lesson).is_pending


def test_opening_the_link_changes_nothing(app, people, client):
    lesson = book(app, people)
    confirm = path(links_in(app, people[0], "lesson_booked")[0][0])
    before = counts(app)
    page = client.get(confirm)
    assert page.status_code == 200
    assert "Lesson: Tuesday, 2 June 2026, 10:00–11:00" in page.text
    assert "Ivan Petrov" in page.text and "Grammar" in page.text
    assert "confirmed at your usual price, 1,500 ₽" in page.text
    card = page.text[page.text.index('aria-labelledby="action-title"'):]
    card = card[:card.index("</section>")]
    assert card.count("<button") == 1 and card.count("<form") == 1  # ONE button
    assert lesson_now(app, lesson).is_pending and counts(app) == before


def test_the_button_confirms_once_without_a_login(app, people, client):
    teacher, ivan = people
    lesson = book(app, people)
    confirm = path(links_in(app, teacher, "lesson_booked")[0][0])
    done = client.submit(confirm)
    assert done.status_code == 200
    assert "Confirmed by you at 03:00." in done.text  # Moscow time
    confirmed = lesson_now(app, lesson)
    assert confirmed.is_confirmed and confirmed.price == Decimal("1500")
    with app.app_context():
        assert Message.get((Message.user == ivan) & (Message.kind == "lesson_confirmed"))
        assert AuditEntry.get(AuditEntry.action == "lesson.confirm").actor_id == teacher.id
    before = counts(app)
    # Used: the page and the button both say so, and nothing changes.
    again = client.get(confirm)
    assert again.status_code == 200
    assert "This has already been answered: nothing was changed." in again.text
    assert client.post(confirm, data={"csrf_token": client.csrf_token()}).status_code == 200
    assert counts(app) == before


def test_the_button_needs_the_csrf_token(app, people, client):
    lesson = book(app, people)
    confirm = path(links_in(app, people[0], "lesson_booked")[0][0])
    assert client.post(confirm).status_code == 400
    assert lesson_now(app, lesson).is_pending


def test_reject_from_the_e_mail(app, people, client):
    teacher, ivan = people
    lesson = book(app, people)
    reject = path(links_in(app, teacher, "lesson_booked")[0][1])
    assert "The request will be rejected" in client.get(reject).text
    assert "Rejected by you at 03:00." in client.submit(reject).text
    assert lesson_now(app, lesson) is None
    with app.app_context():
        assert Message.get((Message.user == ivan) & (Message.kind == "lesson_rejected"))


def test_a_link_of_a_lesson_changed_on_the_web_does_nothing(app, people, client):
    teacher, _ivan = people
    lesson = book(app, people)
    confirm = path(links_in(app, teacher, "lesson_booked")[0][0])
    with app.app_context():
        booking.confirm_lesson(teacher, lesson, Decimal("900"), 1,
                               start=datetime(2026, 6, 2, 8))
    page = client.get(confirm)
    assert page.status_code == 200 and "has changed or no longer exists" in page.text


def test_the_link_expires_when_the_lesson_starts(app, people, client, time_machine):
    lesson = book(app, people)
    confirm = path(links_in(app, people[0], "lesson_booked")[0][0])
    token = client.csrf_token(confirm)
    time_machine.move_to(SLOT.isoformat() + "+00:00", tick=False)
    page = client.get(confirm)
    assert page.status_code == 200 and "This lesson has already started" in page.text
    assert client.post(confirm, data={"csrf_token": token}).status_code == 200
    assert lesson_now(app, lesson).is_pending


@pytest.mark.parametrize("token", ["not-a-token", "W10.abc", "x" * 300])
def test_a_forged_link_is_not_found(app, people, client, token):
    page = client.get(f"/act/{token}")
    # Nobody is known to speak to: the site's language.
    assert page.status_code == 404 and "Эта кнопка недействительна" in page.text


def test_a_token_signed_with_another_key_is_not_found(app, people, client):
    lesson = book(app, people)
    with app.app_context():
        app.config["SECRET_KEY"] = "another-key"
        forged = action_links.token(action_links.CONFIRM, lesson)
        app.config["SECRET_KEY"] = "test-secret-key"
    assert client.get(f"/act/{forged}").status_code == 404


def test_the_student_cancels_a_moved_lesson_from_the_e_mail(app, people, client):
    teacher, ivan = people
    lesson = book(app, people)
    with app.app_context():
        booking.confirm_lesson(teacher, lesson, Decimal("1000"), 1,
                               start=datetime(2026, 6, 3, 7))
    text_links, _html = links_in(app, ivan, "lesson_moved")
    assert len(text_links) == 1  # Cancel only: accepting needs no page
    cancel = path(text_links[0])
    assert "The lesson will be cancelled" in client.get(cancel).text
    assert "Cancelled by you at 03:00." in client.submit(cancel).text
    assert lesson_now(app, lesson) is None
    with app.app_context():
        assert Message.get((Message.user == teacher) & (Message.kind == "lesson_cancelled"))


def test_no_links_in_telegram_messages(app, people):
    teacher, ivan = people
    with app.app_context():
        User.update(channel=User.TELEGRAM, telegram_chat_id="555").where(
            User.id == teacher.id).execute()
        teacher = User.get_by_id(teacher.id)
    book(app, (teacher, ivan))
    assert links_in(app, teacher, "lesson_booked") == ([], [])
