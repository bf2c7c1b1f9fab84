"""Busy time imported from the teacher's other calendars, read over real HTTP from a
calendar server on 127.0.0.1 (tests/fake_calendars.py): recurrences with their
exceptions, zones, all-day and floating events, what is not busy, conditional reads,
and every way a read fails — which keeps the last good busy time and says why."""
from datetime import datetime, time, timedelta, timezone

import pytest
from flask_babel import force_locale

from tests.fake_calendars import (  # noqa: F401 (calendars: a fixture)
    FREEBUSY_SAMPLE,
    FREEBUSY_SAMPLE_BUSY,
    SAMPLE,
    SAMPLE_BUSY,
    SECRET_TITLE,
    calendars,
    freebusy_calendar,
    many_busy,
)
from tutor import jobs  # noqa: F401 (declares the job)
from tutor.extensions import db
from tutor.models import CalendarSubscription, ImportedBusy, JobRun, Lesson, WorkRequest
from tutor.services import (
    booking,
    busy_import,
    calendar,
    changes,
    ical_busy,
    periodic,
    placing,
    schedule,
    work,
)
from tutor.services.availability import Interval

NOW = datetime(2027, 3, 1, 9, 0)  # naive UTC: Monday 12:00 in Moscow
LOCAL = {"BUSY_CALENDAR_ALLOW_PRIVATE": True, "BUSY_CALENDAR_READ_TIMEOUT": 1,
         "BUSY_CALENDAR_CONNECT_TIMEOUT": 1}
pytestmark = pytest.mark.config(**LOCAL)


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(NOW.replace(tzinfo=timezone.utc), tick=False)
    return time_machine


@pytest.fixture
def tutor(app_ctx, teacher, clock):
    schedule.set_windows(teacher, [(day, time(9), time(18)) for day in range(7)])
    return teacher


def busy(subscription):
    return [(row.start, row.end) for row in
            ImportedBusy.select().where(ImportedBusy.subscription == subscription)
            .order_by(ImportedBusy.start)]


def reload(subscription):
    return CalendarSubscription.get_by_id(subscription.id)


def test_a_served_calendar_becomes_its_busy_times(tutor, calendars):
    url = calendars.serve("/private-abc/basic.ics", SAMPLE)
    subscription = busy_import.subscribe(tutor, url)
    assert busy_import.refresh(subscription.id) == busy_import.UPDATED
    assert busy(subscription) == SAMPLE_BUSY
    subscription = reload(subscription)
    assert (subscription.busy_count, subscription.error) == (len(SAMPLE_BUSY), "")
    assert subscription.fetched_at == NOW and subscription.etag
    assert subscription.due_at == NOW + timedelta(minutes=5)
    # Expanded over the booking horizon (56 days) and two weeks beyond.
    assert subscription.covered_until == NOW + timedelta(days=56) + busy_import.EXTRA


def test_no_title_description_or_place_is_kept(tutor, calendars):
    subscription = busy_import.subscribe(tutor, calendars.serve("/c.ics", SAMPLE))
    busy_import.refresh(subscription.id)
    database = db.database
    for table in database.get_tables():
        # The table names come from the database's own catalog.
        text = repr(database.execute_sql(f'SELECT * FROM "{table}"').fetchall())
        for private in (SECRET_TITLE, "Кабинет", "Ленина", "Call with New York", "Дача"):
            assert private not in text, f"{private!r} is stored in {table}"


def test_busy_time_closes_slots_for_students_and_shows_to_the_teacher(tutor, calendars,
                                                                       create_student):
    subscription = busy_import.subscribe(tutor, calendars.serve("/c.ics", SAMPLE))
    before = changes.calendar_version()
    busy_import.refresh(subscription.id)
    assert changes.calendar_version() != before  # kept weeks are built again
    tuesday_10 = datetime(2027, 3, 2, 7)  # 10:00 in Moscow, busy elsewhere
    day = (datetime(2027, 3, 2, 6), datetime(2027, 3, 2, 15))
    starts = [slot.start for slot in schedule.free_slots_for(tutor, *day, NOW)]
    assert tuesday_10 not in starts and datetime(2027, 3, 2, 8) in starts

    anna = create_student(login="anna")
    with pytest.raises(booking.OutsideAvailability):
        booking.book_lesson(anna, tutor, tuesday_10, now=NOW)
    assert booking.book_lesson(anna, tutor, datetime(2027, 3, 2, 8), now=NOW).id

    student_week = calendar.build_week(tutor, anna, None, NOW)
    tuesday = student_week.days[1]
    assert [c for c in tuesday.cells if c.start_utc == tuesday_10] == []
    assert all(c.kind != calendar.IMPORTED for d in student_week.days for c in d.cells)

    teacher_week = calendar.build_week(tutor, tutor, None, NOW)
    imported = [c for c in teacher_week.days[1].cells if c.kind == calendar.IMPORTED]
    assert [(c.start_utc, c.end_utc) for c in imported] == [
        (tuesday_10, tuesday_10 + timedelta(hours=1))]
    assert imported[0].block is None  # nothing of the event but its time

    # The teacher places a lesson there by hand: their other calendar informs them.
    lesson, _ = placing.create_lesson_for(tutor, tuesday_10, tuesday_10 + timedelta(hours=1),
                                          student=anna, price=1500, people=1, now=NOW)
    assert lesson.start == tuesday_10


def test_the_month_and_the_next_free_slot_skip_busy_time(tutor, calendars, create_student):
    schedule.set_windows(tutor, [(1, time(10), time(11))])  # Tuesdays 10:00–11:00 only
    subscription = busy_import.subscribe(tutor, calendars.serve("/c.ics", SAMPLE))
    busy_import.refresh(subscription.id)
    anna = create_student(login="anna")
    # 2 March is busy, 9 March free (its occurrence is an EXDATE).
    assert calendar.next_free_slot(tutor, anna, NOW).start_utc == datetime(2027, 3, 9, 7)
    month = calendar.build_month(tutor, anna, None, NOW)
    free = {day.date.day: day.free for week in month.weeks for day in week
            if day.in_month}
    assert (free[2], free[9], free[16], free[23]) == (0, 1, 1, 0)


def test_an_unchanged_calendar_is_asked_with_its_etag_and_kept(tutor, calendars, clock):
    url = calendars.serve("/c.ics", SAMPLE)
    subscription = busy_import.subscribe(tutor, url)
    busy_import.refresh(subscription.id)
    etag = reload(subscription).etag
    version = changes.calendar_version()
    clock.shift(timedelta(minutes=5))
    assert busy_import.refresh(subscription.id) == busy_import.UNCHANGED
    assert calendars.received("/c.ics")[-1]["If-None-Match"] == etag
    assert busy(subscription) == SAMPLE_BUSY
    assert reload(subscription).fetched_at == NOW + timedelta(minutes=5)
    assert changes.calendar_version() == version

    calendars.serve("/c.ics", SAMPLE.replace(b"COUNT=6", b"COUNT=2"))  # a new ETag
    clock.shift(timedelta(minutes=5))
    assert busy_import.refresh(subscription.id) == busy_import.UPDATED
    assert (datetime(2027, 3, 23, 7), datetime(2027, 3, 23, 8)) not in busy(subscription)
    assert reload(subscription).etag != etag


def test_last_modified_is_sent_back_as_if_modified_since(tutor, calendars):
    changed = datetime(2027, 2, 20, 8, 0, tzinfo=timezone.utc)
    url = calendars.serve("/c.ics", SAMPLE, etag=False, last_modified=changed)
    subscription = busy_import.subscribe(tutor, url)
    busy_import.refresh(subscription.id)
    assert reload(subscription).last_modified == "Sat, 20 Feb 2027 08:00:00 GMT"
    assert busy_import.refresh(subscription.id) == busy_import.UNCHANGED
    headers = calendars.received("/c.ics")[-1]
    assert headers["If-Modified-Since"] == "Sat, 20 Feb 2027 08:00:00 GMT"
    assert "If-None-Match" not in headers


def test_a_read_whose_expansion_no_longer_covers_the_horizon_asks_unconditionally(
        tutor, calendars, clock):
    subscription = busy_import.subscribe(tutor, calendars.serve("/c.ics", SAMPLE))
    busy_import.refresh(subscription.id)
    clock.shift(busy_import.EXTRA)  # what was expanded ends too soon now
    busy_import.refresh(subscription.id)
    assert "If-None-Match" not in calendars.received("/c.ics")[-1]
    later = NOW + busy_import.EXTRA
    assert reload(subscription).covered_until == later + timedelta(days=56) + busy_import.EXTRA


@pytest.mark.parametrize("served, code", [
    ({"body": b"<html><body>Sign in</body></html>"}, "not_calendar"),
    ({"body": b"\x00\xff garbage \xfe"}, "not_calendar"),
    ({"body": b"", }, "not_calendar"),
    ({"body": b"Not Found", "status": 404}, "status"),
    ({"body": b"", "status": 500}, "status"),
    ({"body": SAMPLE.replace(b"FREQ=WEEKLY;COUNT=6", b"FREQ=MINUTELY")}, "too_many"),
])
def test_a_failed_read_keeps_the_last_good_busy_time_and_says_why(tutor, calendars, served,
                                                                    code):
    subscription = busy_import.subscribe(tutor, calendars.serve("/c.ics", SAMPLE))
    busy_import.refresh(subscription.id)
    calendars.serve("/c.ics", **served)
    assert busy_import.refresh(subscription.id) == busy_import.FAILED
    assert busy_import.refresh(subscription.id) == busy_import.STILL_FAILING
    subscription = reload(subscription)
    assert subscription.error == code
    assert busy(subscription) == SAMPLE_BUSY and subscription.busy_count == len(SAMPLE_BUSY)
    assert subscription.fetched_at == NOW  # the last good read
    assert busy_import.problem(subscription)
    if code == "status":
        assert served.get("status", 200) and str(served["status"]) in \
            busy_import.problem(subscription)


@pytest.mark.config(**LOCAL, BUSY_CALENDAR_MAX_BYTES=4096)
@pytest.mark.parametrize("options", [{}, {"chunked": True}, {"endless": True}],
                         ids=["declared", "chunked", "endless"])
def test_a_calendar_larger_than_the_limit_is_refused(tutor, calendars, options):
    body = SAMPLE + b"X" * 4096
    subscription = busy_import.subscribe(tutor, calendars.serve("/big.ics", body, **options))
    assert busy_import.refresh(subscription.id) == busy_import.FAILED
    assert reload(subscription).error == "too_big"
    assert busy(subscription) == []


def test_a_server_that_does_not_answer_in_time_is_given_up(tutor, calendars):
    subscription = busy_import.subscribe(tutor, calendars.serve("/slow.ics", stall=True))
    assert busy_import.refresh(subscription.id) == busy_import.FAILED
    assert reload(subscription).error == "timeout"
    assert "вовремя" in busy_import.problem(reload(subscription))  # the default language


def test_nothing_listening_is_unreachable(tutor, calendars):
    port = calendars.server.server_port
    calendars.stop()
    subscription = busy_import.subscribe(tutor, f"http://127.0.0.1:{port}/c.ics")
    assert busy_import.refresh(subscription.id) == busy_import.FAILED
    assert reload(subscription).error == "unreachable"


def test_redirects_are_followed_a_few_times(tutor, calendars):
    calendars.serve("/c.ics", SAMPLE)
    calendars.serve("/old", status=301, headers={"Location": "/c.ics"})
    subscription = busy_import.subscribe(tutor, calendars.url("/old"))
    assert busy_import.refresh(subscription.id) == busy_import.UPDATED
    for hop in range(5):
        calendars.serve(f"/loop{hop}", status=302, headers={"Location": f"/loop{hop + 1}"})
    looping = busy_import.subscribe(tutor, calendars.url("/loop0"))
    assert busy_import.refresh(looping.id) == busy_import.FAILED
    assert reload(looping).error == "redirects"
    calendars.serve("/away", status=302, headers={"Location": "ftp://127.0.0.1/c.ics"})
    away = busy_import.subscribe(tutor, calendars.url("/away"))
    busy_import.refresh(away.id)
    assert reload(away).error == "address"


@pytest.mark.config(BUSY_CALENDAR_ALLOW_PRIVATE=False)
@pytest.mark.parametrize("address", ["http://127.0.0.1:{port}/c.ics",
                                     "http://localhost:{port}/c.ics",
                                     "http://[::1]:{port}/c.ics",
                                     "http://10.0.0.1/c.ics", "http://192.168.1.1/c.ics",
                                     "http://169.254.169.254/latest/meta-data",
                                     "http://[::ffff:127.0.0.1]:{port}/c.ics"])
def test_addresses_on_this_machine_or_a_private_network_are_refused(tutor, calendars,
                                                                     address):
    calendars.serve("/c.ics", SAMPLE)
    subscription = busy_import.subscribe(
        tutor, address.format(port=calendars.server.server_port))
    assert busy_import.refresh(subscription.id) == busy_import.FAILED
    assert reload(subscription).error == "private"
    assert calendars.requests == []  # refused before connecting


@pytest.mark.config(BUSY_CALENDAR_ALLOW_PRIVATE=False)
def test_a_redirect_to_a_private_address_is_refused(tutor, calendars, monkeypatch):
    """The first address passes the check (as a public one would); the redirect's
    target is vetted when its own connection is made."""
    from tutor.integrations import ical_fetch
    real, vetted = ical_fetch.is_private, []

    def first_passes(address):
        vetted.append(address)
        return False if len(vetted) == 1 else real(address)

    monkeypatch.setattr(ical_fetch, "is_private", first_passes)
    port = calendars.server.server_port
    calendars.serve("/c.ics", SAMPLE)
    calendars.serve("/hop", status=302, headers={"Location": f"http://localhost:{port}/c.ics"})
    subscription = busy_import.subscribe(tutor, f"http://127.0.0.1:{port}/hop")
    busy_import.refresh(subscription.id)
    assert reload(subscription).error == "private"
    assert [path for path, _ in calendars.requests] == ["/hop"]


@pytest.mark.parametrize("text", ["", "calendar.google.com/basic.ics", "ftp://example.org/a",
                                  "javascript:alert(1)", "http://", "https://exa mple.org/",
                                  "https://example.org/" + "a" * 1000, "http://[::1"])
def test_what_is_not_a_calendar_address_is_refused(tutor, text):
    with pytest.raises(busy_import.InvalidAddress):
        busy_import.subscribe(tutor, text)
    assert CalendarSubscription.select().count() == 0


def test_webcal_is_read_over_https_and_an_address_is_added_once(tutor):
    subscription = busy_import.subscribe(tutor, "  webcal://p12-caldav.icloud.com/x.ics ")
    assert subscription.url == "https://p12-caldav.icloud.com/x.ics"
    with pytest.raises(busy_import.AlreadySubscribed):
        busy_import.subscribe(tutor, "https://p12-caldav.icloud.com/x.ics")
    for n in range(busy_import.MAX_SUBSCRIPTIONS - 1):
        busy_import.subscribe(tutor, f"https://calendar.example.org/{n}.ics")
    with pytest.raises(busy_import.TooManySubscriptions):
        busy_import.subscribe(tutor, "https://calendar.example.org/more.ics")


def test_removing_a_calendar_removes_its_busy_time(tutor, calendars, create_student):
    subscription = busy_import.subscribe(tutor, calendars.serve("/c.ics", SAMPLE))
    other = busy_import.subscribe(tutor, calendars.serve("/d.ics", SAMPLE))
    busy_import.refresh(subscription.id)
    busy_import.refresh(other.id)
    busy_import.unsubscribe(tutor, subscription.id)
    assert busy(subscription) == [] and busy(other) == SAMPLE_BUSY
    with pytest.raises(busy_import.SubscriptionNotFound):
        busy_import.unsubscribe(tutor, subscription.id)
    anna = create_student(login="anna")
    with pytest.raises(busy_import.SubscriptionNotFound):
        busy_import.unsubscribe(anna, other.id)


def test_the_job_reads_the_calendars_whose_round_has_come(tutor, calendars, clock):
    first = busy_import.subscribe(tutor, calendars.serve("/a.ics", SAMPLE))
    second = busy_import.subscribe(tutor, calendars.serve("/b.ics", b"garbage"))
    assert periodic.run("busy_calendars") == {"changed": 1, "failed": 1}
    assert JobRun.select().where(JobRun.job == "busy_calendars").count() == 1
    # Within the round nothing is read; after it, a calendar that says the same is not
    # a change, and a failure already told is not told again.
    clock.shift(timedelta(minutes=4))
    assert periodic.run("busy_calendars") == {"changed": 0, "failed": 0}
    assert len(calendars.requests) == 2
    clock.shift(timedelta(minutes=1))
    assert periodic.run("busy_calendars") == {"changed": 0, "failed": 0}
    assert len(calendars.requests) == 4
    assert JobRun.select().where(JobRun.job == "busy_calendars").count() == 1
    assert reload(first).busy_count == len(SAMPLE_BUSY) and reload(second).error


def test_refresh_now_is_saved_as_work_and_done_once(tutor, calendars):
    subscription = busy_import.subscribe(tutor, calendars.serve("/c.ics", SAMPLE))
    busy_import.request_refresh(tutor, subscription.id)
    busy_import.request_refresh(tutor, subscription.id)  # pressed twice: one read
    assert busy_import.refresh_waiting(subscription)
    assert WorkRequest.select().count() == 1
    assert busy_import.refresh_due()[busy_import.UPDATED] == 0  # left to that read
    assert work.run_due().done == 1
    assert len(calendars.requests) == 1 and busy(subscription) == SAMPLE_BUSY
    assert not busy_import.refresh_waiting(subscription)


def test_busy_intervals_merge_and_clip_to_the_window():
    body = b"\r\n".join([
        b"BEGIN:VCALENDAR", b"VERSION:2.0",
        b"BEGIN:VEVENT", b"UID:a", b"DTSTART:20270302T070000Z", b"DTEND:20270302T090000Z",
        b"END:VEVENT",
        b"BEGIN:VEVENT", b"UID:b", b"DTSTART:20270302T080000Z", b"DURATION:PT2H",
        b"END:VEVENT",
        b"BEGIN:VEVENT", b"UID:c", b"DTSTART:20270303T080000Z", b"END:VEVENT",  # a moment
        b"BEGIN:VEVENT", b"UID:d", b"DTSTART;VALUE=DATE:20270310", b"END:VEVENT",
        b"END:VCALENDAR", b""])
    got = ical_busy.busy_intervals(body, "Europe/Moscow", datetime(2027, 3, 2, 8),
                                     datetime(2027, 3, 10))
    assert got == [(datetime(2027, 3, 2, 8), datetime(2027, 3, 2, 10)),
                   (datetime(2027, 3, 9, 21), datetime(2027, 3, 10))]


def test_a_subscription_removed_while_it_is_read_stores_nothing(tutor, calendars,
                                                                  monkeypatch):
    subscription = busy_import.subscribe(tutor, calendars.serve("/c.ics", SAMPLE))
    real = ical_busy.busy_intervals

    def removed_meanwhile(*args):
        busy_import.unsubscribe(tutor, subscription.id)
        return real(*args)

    monkeypatch.setattr(ical_busy, "busy_intervals", removed_meanwhile)
    assert busy_import.refresh(subscription.id) is None
    assert ImportedBusy.select().count() == 0


def test_imported_busy_never_blocks_lessons_already_booked(tutor, calendars, create_student):
    anna = create_student(login="anna")
    lesson = booking.book_lesson(anna, tutor, datetime(2027, 3, 2, 7), now=NOW)
    subscription = busy_import.subscribe(tutor, calendars.serve("/c.ics", SAMPLE))
    busy_import.refresh(subscription.id)
    assert Lesson.get_by_id(lesson.id).start == datetime(2027, 3, 2, 7)
    assert schedule.closed_between(tutor, datetime(2027, 3, 2), datetime(2027, 3, 3)) == [
        Interval(datetime(2027, 3, 2, 7), datetime(2027, 3, 2, 8))]
    assert schedule.unavailable_between(tutor, datetime(2027, 3, 2), datetime(2027, 3, 3)) == []


def test_a_new_zone_for_the_teacher_reads_the_calendar_again(tutor, calendars, clock):
    subscription = busy_import.subscribe(tutor, calendars.serve("/c.ics", SAMPLE))
    busy_import.refresh(subscription.id)
    schedule.update_settings(tutor, timezone="Asia/Tokyo")  # UTC+9
    clock.shift(timedelta(minutes=5))
    assert busy_import.refresh(subscription.id) == busy_import.UPDATED
    assert "If-None-Match" not in calendars.received("/c.ics")[-1]
    got = busy(subscription)
    assert (datetime(2027, 3, 8, 3), datetime(2027, 3, 8, 4)) in got  # floating 12:00 Tokyo
    # 12 March from Tokyo's midnight, joined with the New York call that ends then.
    assert (datetime(2027, 3, 11, 14), datetime(2027, 3, 12, 15)) in got
    assert (datetime(2027, 3, 2, 7), datetime(2027, 3, 2, 8)) in got  # its own zone: kept


def test_a_calendar_being_read_is_not_read_again_by_another_check(tutor, calendars,
                                                                  monkeypatch):
    busy_import.subscribe(tutor, calendars.serve("/c.ics", SAMPLE))
    real, inner = busy_import.refresh, []

    def another_check_meanwhile(subscription_id, now=None):
        inner.append(busy_import.refresh_due(NOW))  # finds it claimed: reads nothing
        return real(subscription_id, now)

    monkeypatch.setattr(busy_import, "refresh", another_check_meanwhile)
    counts = busy_import.refresh_due(NOW)
    assert counts[busy_import.UPDATED] == 1
    assert inner == [{busy_import.UPDATED: 0, busy_import.UNCHANGED: 0,
                      busy_import.FAILED: 0, busy_import.STILL_FAILING: 0}]
    assert len(calendars.requests) == 1


OUTLOOK_AND_GOOGLE = {
    # Outlook names Windows zones and defines them in a VTIMEZONE.
    "outlook": (b"BEGIN:VTIMEZONE\r\nTZID:Russian Standard Time\r\nBEGIN:STANDARD\r\n"
                b"DTSTART:16010101T000000\r\nTZOFFSETFROM:+0300\r\nTZOFFSETTO:+0300\r\n"
                b"END:STANDARD\r\nEND:VTIMEZONE\r\nBEGIN:VEVENT\r\nUID:o\r\n"
                b"DTSTART;TZID=Russian Standard Time:20270302T100000\r\n"
                b"DTEND;TZID=Russian Standard Time:20270302T110000\r\nEND:VEVENT\r\n",
                (datetime(2027, 3, 2, 7), datetime(2027, 3, 2, 8))),
    # Google names the calendar's zone once (X-WR-TIMEZONE): its floating times are there.
    "google": (b"X-WR-TIMEZONE:Asia/Yekaterinburg\r\nBEGIN:VEVENT\r\nUID:g\r\n"
               b"DTSTART:20270303T100000\r\nDTEND:20270303T110000\r\nEND:VEVENT\r\n",
               (datetime(2027, 3, 3, 5), datetime(2027, 3, 3, 6))),
}


@pytest.mark.parametrize("kind", sorted(OUTLOOK_AND_GOOGLE))
def test_zones_as_outlook_and_google_write_them(kind):
    events, expected = OUTLOOK_AND_GOOGLE[kind]
    body = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n" + events + b"END:VCALENDAR\r\n"
    assert ical_busy.busy_intervals(body, "Europe/Moscow", datetime(2027, 3, 1),
                                      datetime(2027, 3, 10)) == [expected]


def test_a_students_weekly_request_skips_busy_weeks_the_teachers_does_not(tutor, calendars,
                                                                         create_student):
    from tutor.services import series
    subscription = busy_import.subscribe(tutor, calendars.serve("/c.ics", SAMPLE))
    busy_import.refresh(subscription.id)
    anna = create_student(login="anna")
    tuesday_10 = datetime(2027, 3, 2, 7)  # busy on 2 March, free on 9 March (EXDATE)
    plan = series.plan_series(anna, tutor, tuesday_10, count=2, now=NOW)
    assert [o.problem for o in plan.occurrences] == [series.UNAVAILABLE, None]
    plan = series.plan_series(tutor, tutor, tuesday_10, count=2, now=NOW)
    assert [o.problem for o in plan.occurrences] == [None, None]


def test_the_jobs_page_says_what_a_run_changed(app_ctx):
    from flask_babel import force_locale

    from tutor.services import job_results
    with force_locale("ru"):
        said = job_results.describe("busy_calendars", {"changed": 1, "failed": 2})
        quiet = job_results.describe("busy_calendars", {"changed": 0, "failed": 0})
    assert said == ("Изменилось занятое время в 1 календаре; 2 календаря не удалось прочитать "
                    "(причина — на странице «Другие календари»).")
    assert quiet == "В других ваших календарях ничего не изменилось."


def test_free_busy_periods_block_and_free_ones_do_not(tutor, calendars):
    subscription = busy_import.subscribe(tutor, calendars.serve("/fb.ics", FREEBUSY_SAMPLE))
    assert busy_import.refresh(subscription.id) == busy_import.UPDATED
    assert busy(subscription) == FREEBUSY_SAMPLE_BUSY
    slots = schedule.free_slots_for(tutor, datetime(2027, 3, 2), datetime(2027, 3, 7), now=NOW)
    starts = {slot.start for slot in slots}
    assert datetime(2027, 3, 2, 7) not in starts and datetime(2027, 3, 4, 6) not in starts
    assert datetime(2027, 3, 6, 7) in starts  # FREE


@pytest.mark.parametrize("locale, words", [
    ("en", "and 376 later ones within the days students can book were left out"),
    ("ru", "376 более поздних интервалов"),
])
def test_more_busy_times_than_kept_keeps_the_nearest_and_says_how_many_were_left_out(
        tutor, calendars, locale, words):
    """One every 15 minutes for 70 days: 5 376 within the 56 days students can book,
    more beyond. The nearest 5 000 are kept, not the calendar refused."""
    body = freebusy_calendar(many_busy(NOW, 70 * 96))
    subscription = busy_import.subscribe(tutor, calendars.serve("/many.ics", body))
    assert busy_import.refresh(subscription.id) == busy_import.UPDATED
    kept = busy(subscription)
    assert len(kept) == busy_import.MAX_INTERVALS == 5000
    assert kept[0] == (NOW, NOW + timedelta(minutes=10))
    assert kept[-1][0] == NOW + 4999 * timedelta(minutes=15)
    subscription = reload(subscription)
    assert subscription.busy_count == 5000 and busy_import.problem(subscription) == ""
    with force_locale(locale):
        assert words in busy_import.left_out(subscription)
    # Only what it kept is covered: the next read reads it all again, unconditionally.
    assert subscription.covered_until == kept[-1][1]
    busy_import.refresh(subscription.id)
    assert "If-None-Match" not in calendars.received("/many.ics")[-1]

    # Fewer busy times: all kept, nothing said.
    calendars.serve("/many.ics", freebusy_calendar(many_busy(NOW, 100)))
    busy_import.refresh(subscription.id)
    subscription = reload(subscription)
    assert (subscription.busy_count, busy_import.left_out(subscription)) == (100, "")


def test_only_what_lies_beyond_the_booking_horizon_left_out_is_not_mentioned(tutor,
                                                                           calendars):
    """4 000 within the horizon and 2 000 in the two weeks after it."""
    horizon = NOW + timedelta(days=56)
    body = freebusy_calendar(many_busy(NOW, 4000, step=timedelta(minutes=20))
                             + many_busy(horizon, 2000, step=timedelta(minutes=10),
                                         length=timedelta(minutes=5)))
    subscription = busy_import.subscribe(tutor, calendars.serve("/two.ics", body))
    busy_import.refresh(subscription.id)
    subscription = reload(subscription)
    assert subscription.busy_count == 4000 and busy_import.left_out(subscription) == ""
