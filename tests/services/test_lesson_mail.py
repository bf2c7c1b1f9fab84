"""A lesson's e-mails, as Mailgun receives them over HTTP (tests/fake_mailgun.py):
absolute links to the lesson's page and the calendar, and for a confirmed, moved or
cancelled lesson an .ics part (text/calendar) that icalendar parses: one UID per
lesson, SEQUENCE rising with each change, UTC times, the summary in the reader's
language. Telegram and the in-app inbox carry neither."""
from datetime import datetime, time, timedelta, timezone
from decimal import Decimal

import pytest
from icalendar import Calendar

from tests.fake_telegram import telegram  # noqa: F401 (a fixture)
from tutor.models import InboxItem, Lesson, Message, StoredFile, User
from tutor.services import booking, calendar_feed, delivery, lesson_mail, schedule
from tutor.services.availability import Window

NOW = datetime(2026, 11, 23, 8, 0)  # naive UTC, Monday 11:00 in Moscow
START = datetime(2026, 11, 26, 12, 0)  # Thursday 15:00 in Moscow
SITE = "https://tutor.example.org"


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(NOW.replace(tzinfo=timezone.utc), tick=False)


@pytest.fixture
def site(app_ctx):
    app_ctx.config["PUBLIC_URL"] = SITE + "/"


@pytest.fixture
def teacher(app_ctx, teacher):
    User.update(channel=User.EMAIL, email="anna@example.com", locale="en").where(
        User.id == teacher.id).execute()
    return User.get_by_id(teacher.id)


@pytest.fixture
def maria(app_ctx, create_student):
    """Reads Russian, by e-mail."""
    return create_student(login="maria", first_name="Мария", last_name="Соколова",
                          channel=User.EMAIL, email="maria@example.org", locale="ru")


def create(teacher, student, start=START):
    lesson, _ = booking.create_lesson_for(teacher, start, start + timedelta(hours=1),
                                          student=student, price=Decimal(1500), people=1,
                                          now=NOW)
    return lesson


def sent(fake_mailgun):
    """Deliver what waits; [(form, [Attachment])] of every e-mail Mailgun took so far."""
    delivery.deliver_due(now=NOW)
    return list(zip(fake_mailgun.accepted, fake_mailgun.files))


def event_of(attachment):
    calendar = Calendar.from_ical(attachment.content)
    [event] = calendar.walk("VEVENT")
    return calendar, event


def test_a_confirmed_lesson_mails_links_and_its_event(site, teacher, maria, fake_mailgun):
    lesson = create(teacher, maria)
    [(form, [ics])] = sent(fake_mailgun)
    assert form["to"] == "maria@example.org"
    page, week = f"{SITE}/lessons/{lesson.id}", f"{SITE}/?week=2026-11-26"
    assert page in form["text"] and week in form["text"]
    assert f'<a href="{page}">' in form["html"] and f'<a href="{week}">' in form["html"]

    assert ics.filename == "lesson.ics"
    assert ics.content_type == "text/calendar; charset=UTF-8; method=PUBLISH"
    calendar, event = event_of(ics)
    assert calendar["method"] == "PUBLISH" and calendar["version"] == "2.0"
    assert str(event["uid"]) == calendar_feed.uid(lesson)
    assert event["sequence"] == 1 and str(event["status"]) == "CONFIRMED"
    assert event.decoded("dtstart") == START.replace(tzinfo=timezone.utc)
    assert event.decoded("dtend") == START.replace(tzinfo=timezone.utc) + timedelta(hours=1)
    assert b"DTSTART:20261126T120000Z" in ics.content  # UTC, not a local time
    assert str(event["summary"]) == "Занятие с репетитором"  # Maria reads Russian
    assert str(event["url"]) == str(event["location"]) == page
    assert str(event["organizer"]) == "mailto:no-reply@mg.example.com"
    assert event["organizer"].params["cn"] == "Анна Петрова"


def test_each_change_raises_the_sequence_of_the_same_event(site, teacher, maria, fake_mailgun):
    lesson = create(teacher, maria)
    booking.change_lesson(teacher, lesson, Decimal(1500), 1, start=START + timedelta(days=1),
                          now=NOW)
    booking.cancel_lesson(teacher, Lesson.get_by_id(lesson.id), "Болею", now=NOW)
    mails = sent(fake_mailgun)
    events = [event_of(files[0]) for _form, files in mails]
    assert [calendar["method"] for calendar, _event in events] == ["PUBLISH", "PUBLISH",
                                                                  "CANCEL"]
    assert [event["sequence"] for _calendar, event in events] == [1, 2, 3]
    assert {str(event["uid"]) for _calendar, event in events} == {calendar_feed.uid(lesson)}
    assert events[1][1].decoded("dtstart") == (START + timedelta(days=1)).replace(
        tzinfo=timezone.utc)
    assert str(events[2][1]["status"]) == "CANCELLED"
    assert mails[2][1][0].content_type == "text/calendar; charset=UTF-8; method=CANCEL"
    # The cancelled lesson's page still opens for its student: it says what happened.
    assert f"{SITE}/lessons/{lesson.id}" in mails[2][0]["text"]


def test_the_feed_agrees_with_the_mails(site, teacher, maria):
    lesson = create(teacher, maria)
    booking.change_lesson(teacher, lesson, Decimal(1500), 1, start=START + timedelta(days=1),
                          now=NOW)
    [event] = Calendar.from_ical(calendar_feed.feed(maria, now=NOW)).walk("VEVENT")
    assert str(event["uid"]) == calendar_feed.uid(lesson) and event["sequence"] == 2


def test_a_request_and_its_confirmation(site, teacher, maria, fake_mailgun):
    """The request mails links and no event (it is in nobody's calendar yet); moving it
    while confirming mails the event at its new time."""
    schedule.set_windows(teacher, [Window(day, time(9), time(18)) for day in range(7)])
    lesson = booking.book_lesson(maria, teacher, START, now=NOW)
    booking.confirm_lesson(teacher, lesson, Decimal(1000), 1, start=START + timedelta(hours=2),
                           now=NOW)
    mails = sent(fake_mailgun)
    assert [m.kind for m in Message.select().order_by(Message.id)] == [
        "lesson_booked", "lesson_requested", "lesson_moved"]
    booked, requested, moved = mails
    assert booked[1] == [] and requested[1] == []
    assert f"{SITE}/lessons/{lesson.id}" in booked[0]["text"]  # the teacher's link to confirm
    _calendar, event = event_of(moved[1][0])
    assert event.decoded("dtstart") == (START + timedelta(hours=2)).replace(tzinfo=timezone.utc)
    assert event["sequence"] == 1


def test_the_teacher_told_of_a_cancellation_gets_the_event_off_and_no_dead_link(
        site, teacher, maria, fake_mailgun):
    lesson = create(teacher, maria, start=START + timedelta(days=3))
    booking.cancel_lesson(maria, lesson, now=NOW)
    form, [ics] = sent(fake_mailgun)[-1]
    assert form["to"] == "anna@example.com"
    assert f"/lessons/{lesson.id}" not in form["text"]  # gone: a 404 for the teacher
    assert f"{SITE}/?week=2026-11-29" in form["text"]
    calendar, event = event_of(ics)
    assert calendar["method"] == "CANCEL" and str(event["summary"]).startswith("Lesson: ")


def test_without_the_sites_address_a_job_writes_no_links_but_the_event(teacher, maria,
                                                                       fake_mailgun):
    lesson = create(teacher, maria)
    [(form, [ics])] = sent(fake_mailgun)
    assert "http" not in form["text"]
    _calendar, event = event_of(ics)
    assert str(event["uid"]) == calendar_feed.uid(lesson)
    assert "url" not in event and "location" not in event


def test_telegram_and_the_inbox_carry_neither(site, teacher, create_student, telegram):  # noqa: F811
    by_telegram = create_student(login="tg", channel=User.TELEGRAM, telegram_chat_id="4242",
                                 locale="en")
    in_app = create_student(login="quiet", locale="en")
    create(teacher, by_telegram)
    create(teacher, in_app, start=START + timedelta(days=1))
    delivery.deliver_due(now=NOW)
    [text] = [body["text"] for body in telegram.sent]
    assert "Your lesson on" in text and "?week=" not in text
    assert telegram.documents == []
    held = Message.get(Message.user == in_app.id)
    assert held.status == Message.HELD and held.attachments == "[]"
    assert "?week=" not in held.body_text
    assert InboxItem.select().where(InboxItem.user == in_app.id).count() == 1
    assert StoredFile.select().count() == 0


def test_an_ics_attached_is_kept_in_the_inbox_too(site, teacher, maria):
    create(teacher, maria)
    [stored] = StoredFile.select()
    assert stored.owner_id == maria.id and stored.filename == "lesson.ics"
    assert stored.content_type.startswith("text/calendar")


@pytest.mark.parametrize("kind, method", sorted(lesson_mail.CALENDAR_METHODS.items()))
def test_only_a_confirmed_lesson_gets_an_event(teacher, maria, kind, method):
    pending = Lesson.create(teacher=teacher, student=maria, start=START,
                            end=START + timedelta(hours=1))
    assert lesson_mail.calendar_files(kind, maria, {"lesson": pending}) == []
    pending.status = Lesson.CONFIRMED
    [ics] = lesson_mail.calendar_files(kind, maria, {"lesson": pending})
    assert Calendar.from_ical(ics.content)["method"] == method
