"""Every form that edits something saved, posted exactly as the page shows it (with
at most the one change a user made), changes nothing else. Saving only a name in
the teacher's profile once switched the time zone to the first entry of the list
(Africa/Abidjan), because the select did not start at the saved value."""
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest

from tests.conftest import STUDENT_PASSWORD, TEACHER_PASSWORD, browser_for
from tests.forms_as_shown import form_as_shown, post_as_shown
from tutor.models import Feedback, Goal, Lesson, TeacherSettings, User
from tutor.services import schedule

NOW = datetime(2026, 11, 23, 6, 0)  # Monday 09:00 in Moscow


@pytest.fixture
def ready(app, client, teacher, time_machine):
    time_machine.move_to(NOW, tick=False)
    with app.app_context():
        schedule.set_windows(teacher, [(day, time(10), time(14)) for day in (1, 2, 3)])
    return teacher


def teacher_browser(app):
    return browser_for(app, "teacher", TEACHER_PASSWORD)


def user_row(app, login):
    with app.app_context():
        user = User.get(User.login == login)
        return {name: getattr(user, name) for name in (
            "first_name", "last_name", "login", "goal_id", "timezone", "locale", "channel",
            "email", "digest_time", "reminder_hours")}


def settings_row(app, teacher):
    with app.app_context():
        settings = TeacherSettings.for_teacher(teacher)
        return {name: getattr(settings, name) for name in schedule.SETTING_NAMES}


def lesson_row(app, lesson_id):
    with app.app_context():
        lesson = Lesson.get_by_id(lesson_id)
        return (lesson.start, lesson.end, lesson.price, lesson.people, lesson.comment,
                lesson.attendance)


# --- the user's own profile -------------------------------------------------------------

@pytest.mark.parametrize("zone", [None, "Europe/Moscow", "Asia/Yekaterinburg", "UTC",
                                  "Europe/Kiev"])
def test_the_teachers_profile_saved_with_a_new_name_keeps_the_zone(app, ready, zone):
    """None (the calendar's zone) was the trap; UTC and Europe/Kiev are not in the
    list a select offers (one name per place) and must stay all the same."""
    with app.app_context():
        User.update(timezone=zone).where(User.id == ready.id).execute()
    browser = teacher_browser(app)
    before = user_row(app, "teacher")
    response = post_as_shown(browser, "/account", "/account/profile", {"first_name": "Анюта"})
    assert response.status_code == 302
    assert user_row(app, "teacher") == {**before, "first_name": "Анюта"}


def test_the_profile_zone_select_starts_at_the_saved_zone(app, ready):
    page = teacher_browser(app).get("/account").text
    fields = dict(form_as_shown(page, "/account/profile"))
    assert fields["timezone"] == ""  # the calendar's zone, not the list's first entry
    assert "The teacher&#39;s time zone: Moscow (UTC+3)" in page
    assert ">Moscow (UTC+3)</option>" in page and "Europe/Moscow<" not in page


def test_a_students_profile_posted_as_shown_changes_nothing(app, ready, create_student):
    with app.app_context():
        retired = Goal.create(name="Старая цель", position=0, retired=True)
        Goal.create(name="ЕГЭ", position=1)
    create_student(login="alisa", last_name="Кузнецова", timezone="America/Sao_Paulo",
                   goal=retired, locale="ru",
                   channel=User.EMAIL, email="alisa@example.org", digest_time=time(7, 30),
                   reminder_hours=24)
    browser = browser_for(app, "alisa", STUDENT_PASSWORD, lang="ru")
    before = user_row(app, "alisa")
    assert post_as_shown(browser, "/account", "/account/profile").status_code == 302
    assert post_as_shown(browser, "/account", "/account/notifications").status_code == 302
    assert user_row(app, "alisa") == before


# --- the teacher's booking rules and students ---------------------------------------------

@pytest.mark.parametrize("zone", ["Europe/Moscow", "UTC", "Asia/Calcutta"])
def test_the_booking_rules_posted_as_shown_change_nothing(app, ready, zone):
    with app.app_context():
        schedule.update_settings(ready, timezone=zone, default_price=Decimal("1500.50"),
                                 buffer_minutes=10)
    before = settings_row(app, ready)
    response = post_as_shown(teacher_browser(app), "/teacher/availability",
                             "/teacher/availability/settings")
    assert response.status_code == 302
    assert settings_row(app, ready) == before


def test_a_rule_the_page_did_not_post_is_asked_for_not_changed(app, ready):
    """A page from before a setting existed (or a field left out) saves nothing."""
    with app.app_context():
        schedule.update_settings(ready, max_pending_series=3)
    before = settings_row(app, ready)
    browser = teacher_browser(app)
    fields = [pair for pair in form_as_shown(browser.get("/teacher/availability").text,
                                             "/teacher/availability/settings")
              if pair[0] != "max_pending_series"]
    response = browser.post("/teacher/availability/settings", data=dict(fields))
    assert response.status_code == 200
    assert '<p class="error" id="max_pending_series-error">' in response.text
    assert settings_row(app, ready) == before


@pytest.mark.parametrize("zone", [None, "Asia/Tokyo", "UTC"])
def test_a_student_edited_by_the_teacher_as_shown_changes_nothing(app, ready, create_student,
                                                                  zone):
    student = create_student(login="boris", last_name="Орлов", timezone=zone, channel=User.EMAIL,
                             email="boris@example.org")
    before = user_row(app, "boris")
    page = f"/teacher/students/{student.id}/edit"
    response = post_as_shown(teacher_browser(app), page, page)
    assert response.status_code == 302
    assert user_row(app, "boris") == before


# --- lessons --------------------------------------------------------------------------

@pytest.fixture
def lessons(app, ready, create_student):
    alisa = create_student(login="alisa", first_name="Алиса", last_name="Кузнецова")
    with app.app_context():
        def make(start, **fields):
            return Lesson.create(teacher=ready, student=alisa, start=start,
                                 end=start + timedelta(hours=1), **fields).id
        return {
            "pending": make(datetime(2026, 11, 24, 7, 0), status=Lesson.PENDING,
                            comment="Про логарифмы"),
            "confirmed": make(datetime(2026, 11, 25, 8, 0), status=Lesson.CONFIRMED,
                              price=Decimal("1500.50"), people=2, comment="Повторение",
                              confirmed_at=NOW),
            "past": make(datetime(2026, 11, 20, 8, 0), status=Lesson.CONFIRMED,
                         price=Decimal("900"), attendance=Lesson.ATTENDED, confirmed_at=NOW),
        }


def test_confirming_as_shown_keeps_the_requested_time_at_the_usual_price(app, lessons):
    with app.app_context():
        schedule.update_settings(User.get(User.login == "teacher"),
                                 default_price=Decimal("2000.50"))
    start, end, _, _, comment, _ = lesson_row(app, lessons["pending"])
    page = f"/lessons/{lessons['pending']}"
    assert post_as_shown(teacher_browser(app), page, f"{page}/confirm").status_code == 302
    assert lesson_row(app, lessons["pending"]) == (start, end, Decimal("2000.50"), 1, comment,
                                                   None)


def test_a_confirmed_lesson_saved_as_shown_changes_nothing(app, lessons):
    before = lesson_row(app, lessons["confirmed"])
    page = f"/lessons/{lessons['confirmed']}"
    assert post_as_shown(teacher_browser(app), page, f"{page}/change").status_code == 302
    assert lesson_row(app, lessons["confirmed"]) == before


def test_the_attendance_mark_posted_as_shown_stays(app, lessons):
    before = lesson_row(app, lessons["past"])
    page = f"/lessons/{lessons['past']}"
    assert post_as_shown(teacher_browser(app), page, f"{page}/attendance").status_code == 302
    assert lesson_row(app, lessons["past"]) == before


def test_feedback_posted_as_shown_stays(app, lessons):
    with app.app_context():
        Feedback.create(lesson=lessons["past"], student=User.get(User.login == "alisa"),
                        rating=4, comment="Спасибо")
    page = f"/lessons/{lessons['past']}"
    browser = browser_for(app, "alisa", STUDENT_PASSWORD)
    post_as_shown(browser, page, f"{page}/feedback")
    with app.app_context():
        assert [(f.rating, f.comment) for f in Feedback.select()] == [(4, "Спасибо")]


def test_a_new_lesson_at_the_usual_price_with_kopecks_costs_that(app, lessons):
    with app.app_context():
        schedule.update_settings(User.get(User.login == "teacher"),
                                 default_price=Decimal("1500.50"))
    response = post_as_shown(teacher_browser(app), "/teacher/lessons/new",
                             "/teacher/lessons/new",
                             {"student": "", "first_name": "Пётр", "last_name": "Новиков",
                              "day": "2026-11-26", "time": "12:00"})
    assert response.status_code == 200  # the new student's login and password
    with app.app_context():
        made = Lesson.select().order_by(Lesson.id.desc()).first()
        assert made.price == Decimal("1500.50")


# --- registration -------------------------------------------------------------------------

def test_registering_as_shown_takes_the_suggested_zone_not_the_first(app, ready):
    browser = browser_for(app)
    response = post_as_shown(browser, "/register", "/register", {
        "first_name": "Вера", "last_name": "Смирнова", "login": "vera",
        "password": "a rather long passphrase 42"})
    assert response.status_code == 302
    assert user_row(app, "vera")["timezone"] == "Europe/Moscow"


def test_a_goal_renamed_as_shown_keeps_its_name(app, ready):
    with app.app_context():
        goal = Goal.create(name="Подготовка к ЕГЭ", position=0)
    post_as_shown(teacher_browser(app), "/teacher/goals", f"/teacher/goals/{goal.id}/rename")
    with app.app_context():
        assert [g.name for g in Goal.select()] == ["Подготовка к ЕГЭ"]
