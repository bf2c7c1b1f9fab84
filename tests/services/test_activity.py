"""Activity means use: a user is seen on any signed-in request (remember-me visits
included, written at most hourly), and the monthly activity check counts that and
lessons, in the past two months or ahead, rather than explicit logins.

The first two journeys reproduce the failures the issue reported (a remember-me
student deactivated after two months; a student the teacher created, who never
logs in, deleted with their future lessons); on the old check both fail."""
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from tests.conftest import STUDENT_PASSWORD
from tests.moments import moscow, utc_naive
from tutor.models import Lesson, Message, TeacherSettings, User
from tutor.services import activity, housekeeping, placing


@pytest.fixture
def teacher(app, teacher):
    """No app context is kept pushed: the test client's requests would share its `g`,
    and with it the signed-in user, across clients."""
    with app.app_context():
        User.update(channel=User.EMAIL, email="teacher@example.org", locale="en",
                    last_login_at=datetime(2020, 1, 1)).where(User.id == teacher.id).execute()
        TeacherSettings.create(teacher=teacher, timezone="Europe/Moscow")
        return User.get_by_id(teacher.id)


@pytest.fixture
def fresh(app):
    def read(user):
        with app.app_context():
            return User.get_or_none(User.id == user.id)
    return read


def checks_on_the_2nd(first, last):
    """The activity check's moments (3:00 in Moscow on the 2nd) from `first` to `last`."""
    moment = first
    while moment <= last:
        yield moment
        month = moment.month % 12 + 1
        moment = moment.replace(year=moment.year + (moment.month == 12), month=month)


def signed_in(response):
    return response.status_code == 200 and 'action="/logout"' in response.text


# --- seen -----------------------------------------------------------------------------

def test_a_signed_in_request_is_written_as_seen_at_most_hourly(
        client, auth, teacher, create_student, fresh, time_machine):
    student = create_student(login="olga")
    time_machine.move_to(datetime(2026, 6, 1, 9, 0, tzinfo=timezone.utc), tick=False)
    auth.login("olga", STUDENT_PASSWORD)
    login_at = fresh(student).last_login_at
    assert fresh(student).last_seen_at == datetime(2026, 6, 1, 9, 0)

    time_machine.move_to(datetime(2026, 6, 1, 9, 59, tzinfo=timezone.utc), tick=False)
    assert signed_in(client.get("/"))
    assert fresh(student).last_seen_at == datetime(2026, 6, 1, 9, 0)  # within the hour

    time_machine.move_to(datetime(2026, 6, 1, 10, 0, tzinfo=timezone.utc), tick=False)
    assert signed_in(client.get("/"))
    assert fresh(student).last_seen_at == datetime(2026, 6, 1, 10, 0)
    assert fresh(student).last_login_at == login_at  # the last explicit login stays

    client.get("/static/css/site.css")  # no database, no sighting
    auth.logout()
    time_machine.move_to(datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc), tick=False)
    client.get("/")  # anonymous now
    assert fresh(student).last_seen_at == datetime(2026, 6, 1, 10, 0)

    # The teacher sees both on the student's page (in Moscow time).
    auth.login()
    page = client.get(f"/teacher/students/{student.id}").text
    assert "<dt>Last seen on the site</dt><dd>Jun 1, 2026, 13:00</dd>" in page


def test_two_workers_write_the_same_hour_once(app_ctx, teacher, create_student, fresh):
    """Each has its own copy of the row; the UPDATE's condition decides."""
    student = create_student()
    first, second = fresh(student), fresh(student)
    now = datetime(2026, 6, 1, 9, 0)
    assert activity.record_seen(first, now) is True
    assert activity.record_seen(second, now + timedelta(minutes=5)) is False
    assert fresh(student).last_seen_at == now
    assert activity.record_seen(second, now + timedelta(minutes=5)) is False  # in memory now
    assert activity.record_seen(second, now + timedelta(hours=1, minutes=5)) is True
    assert fresh(student).last_seen_at == now + timedelta(hours=1, minutes=5)


# --- the activity check -----------------------------------------------------------------

def test_a_remember_me_student_seen_daily_is_never_deactivated(
        app, client, auth, teacher, create_student, fresh, time_machine):
    """Signs in once with "remember me", then every day opens the site in a new browser
    session (the session cookie gone, the remember cookie kept), for seven months. A
    second one stops coming after a week and is deactivated two months later."""
    daily = create_student(login="daily", first_name="Вера", last_name="Каждодневная")
    gone = create_student(login="gone", first_name="Глеб", last_name="Ушедший")
    other = app.test_client()
    start = moscow(2026, 6, 1, 10, 0)
    time_machine.move_to(start, tick=False)
    auth.login("daily", STUDENT_PASSWORD, remember="y")
    other.submit("/login", {"login": "gone", "password": STUDENT_PASSWORD, "remember": "y"})
    login_at = fresh(daily).last_login_at

    checks = list(checks_on_the_2nd(moscow(2026, 6, 2, 3, 0), moscow(2027, 1, 2, 3, 0)))
    day = start
    for check in checks:
        while day < check:
            time_machine.move_to(day, tick=False)
            for browser, visits in ((client, True), (other, day < start + timedelta(days=7))):
                if visits:
                    browser.delete_cookie("session")
                    assert signed_in(browser.get("/")), day
            day += timedelta(days=1)
        time_machine.move_to(check, tick=False)
        with app.app_context():
            housekeeping.check_activity(check)
        assert fresh(daily).inactive_since is None, check

    assert fresh(daily).last_login_at == login_at  # signed in once, seen every day
    assert fresh(daily).last_seen_at >= utc_naive(checks[-1] - timedelta(days=1, hours=1))
    # Not seen since 7 June (the session's first request after login counts): inactive
    # from the check on 2 September, deleted on 2 December.
    assert fresh(gone) is None
    with app.app_context():
        notices = list(Message.select().where(Message.kind == "activity_check"))
    assert any("Глеб Ушедший" in m.body_text and "Marked inactive" in m.body_text
               for m in notices)
    assert not any("Вера" in m.body_text for m in notices)


def test_a_student_the_teacher_created_with_weekly_lessons_is_kept(
        app_ctx, teacher, fresh, time_machine):
    """Never logs in; a confirmed lesson every week, always some ahead."""
    created = moscow(2026, 6, 1, 12, 0)
    time_machine.move_to(created, tick=False)
    first, credentials = placing.create_lesson_for(
        teacher, utc_naive(moscow(2026, 6, 8, 15, 0)), utc_naive(moscow(2026, 6, 8, 16, 0)),
        first_name="Ольга", last_name="Новикова", price=1500, people=1)
    student = first.student
    for week in range(1, 40):
        start = moscow(2026, 6, 8, 15, 0) + timedelta(weeks=week)
        Lesson.create(teacher=teacher, student=student, start=utc_naive(start),
                      end=utc_naive(start + timedelta(hours=1)), status=Lesson.CONFIRMED,
                      price=Decimal(1500))
    lessons = Lesson.select().where(Lesson.student == student).count()

    for check in checks_on_the_2nd(moscow(2026, 7, 2, 3, 0), moscow(2027, 2, 2, 3, 0)):
        time_machine.move_to(check, tick=False)
        housekeeping.check_activity(check)
        kept = fresh(student)
        assert kept is not None and kept.inactive_since is None, check
        assert kept.last_login_at is None and kept.last_seen_at is None
    assert Lesson.select().where(Lesson.student == student).count() == lessons
    assert not Message.select().where(Message.kind.in_(["activity_check",
                                                        "student_deleted"])).exists()


def test_a_lesson_in_the_last_two_months_keeps_a_student_active(
        app_ctx, teacher, create_student, fresh):
    student = create_student(created_at=datetime(2026, 1, 1), last_login_at=datetime(2026, 1, 1))
    Lesson.create(teacher=teacher, student=student, start=utc_naive(moscow(2026, 10, 2, 3, 1)),
                  end=utc_naive(moscow(2026, 10, 2, 4, 1)), status=Lesson.CONFIRMED)

    assert housekeeping.check_activity(moscow(2026, 12, 2, 3, 0))["deactivated"] == 0
    assert fresh(student).inactive_since is None
    # A month on, the lesson is more than two months ago: not in use any more.
    assert housekeeping.check_activity(moscow(2027, 1, 2, 3, 0))["deactivated"] == 1
    assert fresh(student).inactive_since == utc_naive(moscow(2027, 1, 2, 3, 0))


def test_an_inactive_student_with_lessons_ahead_is_kept_and_named(
        app_ctx, teacher, create_student, fresh):
    """Inactive for four months (the teacher's choice, say) with a lesson next week:
    not deleted, and the teacher is told who and why; the other long-inactive student
    goes. A second run the same month tells nothing new."""
    now = moscow(2026, 12, 2, 3, 0)
    long_ago = dict(inactive_since=datetime(2026, 8, 1), last_login_at=datetime(2026, 6, 1),
                    created_at=datetime(2026, 1, 1))
    booked = create_student(login="booked", first_name="Пётр", last_name="Будущий", **long_ago)
    doomed = create_student(login="doomed", first_name="Игорь", last_name="Прошлый", **long_ago)
    seen = create_student(login="seen", first_name="Нина", last_name="Заходившая",
                          last_seen_at=datetime(2026, 11, 20), **long_ago)
    ahead = Lesson.create(teacher=teacher, student=booked,
                          start=utc_naive(moscow(2026, 12, 9, 15, 0)),
                          end=utc_naive(moscow(2026, 12, 9, 16, 0)), status=Lesson.CONFIRMED)
    Lesson.create(teacher=teacher, student=booked, start=datetime(2026, 5, 5, 12),
                  end=datetime(2026, 5, 5, 13), status=Lesson.CONFIRMED)

    assert housekeeping.check_activity(now) == {"deactivated": 0, "deleted": 1, "kept": 2}
    assert fresh(doomed) is None
    assert fresh(booked).inactive_since == datetime(2026, 8, 1)  # kept, still inactive
    assert fresh(seen) is not None
    assert Lesson.select().where(Lesson.student == booked).count() == 2
    assert Lesson.get_by_id(ahead.id)

    notice = Message.get(Message.kind == "activity_check")
    assert notice.user_id == teacher.id and notice.locale == "en"
    assert "1 deleted" in notice.subject and "2 kept" in notice.subject
    assert "Игорь Прошлый" in notice.body_text
    assert ("Пётр Будущий: has lessons ahead, the next on Wednesday, 9 December 2026, "
            "15:00 (Moscow, UTC+3)") in notice.body_text
    assert "Нина Заходившая: was on the site on Friday, 20 November 2026" in notice.body_text
    assert Message.get(Message.kind == "student_deleted").subject.endswith("Игорь Прошлый")

    messages = Message.select().count()
    later = moscow(2026, 12, 2, 9, 0)  # "run now" later the same day
    assert housekeeping.check_activity(later) == {"deactivated": 0, "deleted": 0, "kept": 2}
    assert Message.select().count() == messages
