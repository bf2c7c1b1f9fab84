"""Lesson e-mails held while the student had no channel, released when they set an
e-mail address, as Mailgun receives them over HTTP (tests/fake_mailgun.py): they carry
the same links and .ics as an e-mail sent at once, made as of the release (a lesson
moved since goes at its new time, one cancelled since gets no event in its old
confirmation). Reminders and weekly lessons carry their events too, under the feed's
UIDs and SEQUENCE."""
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from icalendar import Calendar

from tutor.models import Lesson, Message, StoredFile, User
from tutor.services import (
    accounts,
    booking,
    calendar_feed,
    delivery,
    placing,
    reminders,
    series,
)

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
def quiet(app_ctx, create_student):
    """A new student's default: no channel, reads Russian."""
    return create_student(login="quiet", first_name="Мария", last_name="Соколова",
                          locale="ru")


def create(teacher, student, start=START):
    lesson, _ = placing.create_lesson_for(teacher, start, start + timedelta(hours=1),
                                          student=student, price=Decimal(1500), people=1,
                                          now=NOW)
    return lesson


def set_email(student):
    return accounts.change_notifications(
        User.get_by_id(student.id), channel=User.EMAIL, email="maria@example.org",
        digest_time=None)


def mails(fake_mailgun):
    """Deliver what waits: {kind: (form, [parsed calendars])} of what Mailgun took."""
    delivery.deliver_due(now=NOW)
    kinds = [m.kind for m in Message.select().where(Message.status == Message.SENT)
             .order_by(Message.sent_at, Message.id)]
    assert len(kinds) == len(fake_mailgun.accepted)
    return {kind: (form, [Calendar.from_ical(file.content) for file in files])
            for kind, form, files in zip(kinds, fake_mailgun.accepted, fake_mailgun.files)}


def test_a_released_confirmation_carries_the_links_and_event_of_one_sent_at_once(
        site, teacher, quiet, fake_mailgun):
    lesson = create(teacher, quiet)
    assert Message.get(Message.user == quiet.id).status == Message.HELD
    set_email(quiet)
    [(form, [calendar])] = mails(fake_mailgun).values()
    assert form["to"] == "maria@example.org"
    page, week = f"{SITE}/lessons/{lesson.id}", f"{SITE}/?week=2026-11-26"
    assert page in form["text"] and week in form["text"]
    assert f'<a href="{page}">' in form["html"]
    assert calendar["method"] == "PUBLISH"
    [event] = calendar.walk("VEVENT")
    assert str(event["uid"]) == calendar_feed.uid(lesson) and event["sequence"] == 1
    assert event.decoded("dtstart") == START.replace(tzinfo=timezone.utc)
    assert str(event["summary"]) == "Занятие с репетитором"
    # Kept with the inbox item, as for an e-mail written at once.
    assert [f.filename for f in StoredFile.select().where(StoredFile.owner == quiet.id)] == [
        "lesson.ics"]


def test_a_lesson_moved_before_the_release_goes_at_its_new_time(site, teacher, quiet,
                                                                 fake_mailgun):
    lesson = create(teacher, quiet)
    later = START + timedelta(days=1)
    booking.change_lesson(teacher, lesson, Decimal(1500), 1, start=later, now=NOW)
    set_email(quiet)
    sent = mails(fake_mailgun)
    assert set(sent) == {"lesson_confirmed", "lesson_rescheduled"}
    for form, [calendar] in sent.values():
        [event] = calendar.walk("VEVENT")
        assert event.decoded("dtstart") == later.replace(tzinfo=timezone.utc)
        assert event["sequence"] == 2 and str(event["uid"]) == calendar_feed.uid(lesson)
        assert f"{SITE}/?week=2026-11-27" in form["text"]


def test_a_lesson_cancelled_before_the_release_gets_no_stale_event(site, teacher, quiet,
                                                                   fake_mailgun):
    lesson = create(teacher, quiet)
    booking.cancel_lesson(teacher, Lesson.get_by_id(lesson.id), "Болею", now=NOW)
    set_email(quiet)
    sent = mails(fake_mailgun)
    confirmed, cancelled = sent["lesson_confirmed"], sent["lesson_cancelled"]
    assert confirmed[1] == []  # the lesson is gone: no event to add
    [calendar] = cancelled[1]
    assert calendar["method"] == "CANCEL"
    [event] = calendar.walk("VEVENT")
    assert str(event["uid"]) == calendar_feed.uid(lesson)
    assert event["sequence"] == 2 and str(event["status"]) == "CANCELLED"
    assert event.decoded("dtstart") == START.replace(tzinfo=timezone.utc)
    # Its page still opens for its student (it says what happened).
    for form, _files in sent.values():
        assert f"{SITE}/lessons/{lesson.id}" in form["text"]


def test_read_in_the_app_or_told_by_telegram_stays_as_it_was(site, teacher, quiet,
                                                            fake_mailgun):
    create(teacher, quiet)
    accounts.change_notifications(User.get_by_id(quiet.id), channel=User.TELEGRAM,
                                  email=None, digest_time=None)
    held = Message.get(Message.user == quiet.id)
    assert held.attachments == "[]" and "?week=" not in held.body_text


def test_a_reminder_carries_the_event(site, teacher, create_student, fake_mailgun):
    student = create_student(login="maria", channel=User.EMAIL, email="maria@example.org",
                             locale="en")
    lesson = create(teacher, student)
    fake_mailgun.accepted.clear()
    fake_mailgun.files.clear()
    delivery.deliver_due(now=NOW)
    assert reminders.send_due_reminders(START - timedelta(hours=2)) >= 1
    form, [calendar] = mails(fake_mailgun)["lesson_reminder"]
    [event] = calendar.walk("VEVENT")
    assert calendar["method"] == "PUBLISH"
    assert str(event["uid"]) == calendar_feed.uid(lesson) and event["sequence"] == 1
    assert f"{SITE}/lessons/{lesson.id}" in form["text"]


def weekly(teacher, student, weeks=3):
    return series.book_series(teacher, teacher, START, student=student, count=weeks,
                              price=Decimal(1500), now=NOW)


def test_weekly_lessons_come_as_one_file_with_every_lesson(site, teacher, quiet,
                                                          fake_mailgun):
    made, lessons, _skipped = weekly(teacher, quiet)
    set_email(quiet)
    form, [calendar] = mails(fake_mailgun)["series_confirmed"]
    assert "method" not in calendar  # one UID per iTIP message: a file to import
    events = calendar.walk("VEVENT")
    assert [str(e["uid"]) for e in events] == [calendar_feed.uid(x) for x in lessons]
    assert [e["sequence"] for e in events] == [1, 1, 1]
    assert [e.decoded("dtstart") for e in events] == [
        (START + timedelta(weeks=n)).replace(tzinfo=timezone.utc) for n in range(3)]
    assert f"{SITE}/lessons/series/{made.id}" in form["text"]
    # The same UIDs and SEQUENCE as the feed: a calendar subscribed to both keeps one.
    feed = Calendar.from_ical(calendar_feed.feed(User.get_by_id(quiet.id), now=NOW))
    assert {(str(e["uid"]), e["sequence"]) for e in feed.walk("VEVENT")} == {
        (str(e["uid"]), e["sequence"]) for e in events}


def test_weekly_lessons_cancelled_take_their_events_out(site, teacher, create_student,
                                                       fake_mailgun):
    student = create_student(login="maria", channel=User.EMAIL, email="maria@example.org",
                             locale="en")
    made, lessons, _skipped = weekly(teacher, student)
    series.cancel_from(teacher, made, date(2026, 12, 3), "Отпуск", now=NOW)
    form, [calendar] = mails(fake_mailgun)["series_cancelled"]
    events = calendar.walk("VEVENT")
    assert [str(e["uid"]) for e in events] == [calendar_feed.uid(x) for x in lessons[1:]]
    assert {str(e["status"]) for e in events} == {"CANCELLED"}
    assert [e["sequence"] for e in events] == [2, 2]
