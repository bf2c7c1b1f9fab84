"""The teacher's administration in Chromium: finding a student by live search,
deactivating three at once, adding a goal that registration then offers, and a
broadcast that reaches exactly the active students who have a channel."""
import re
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.conftest import TEACHER_PASSWORD
from tutor.models import Lesson, Message, User, utcnow

pytestmark = pytest.mark.browser


@pytest.fixture
def students(create_student):
    """Six students: four active with a channel, one inactive, one without a channel."""
    return {
        "alisa": create_student(login="alisa", first_name="Алиса", last_name="Кузнецова",
                                channel=User.EMAIL, email="alisa@example.org"),
        "boris": create_student(login="boris", first_name="Борис", last_name="Орлов",
                                channel=User.TELEGRAM, telegram_chat_id="42"),
        "vera": create_student(login="vera", first_name="Вера", last_name="Андреева",
                               channel=User.EMAIL, email="vera@example.org"),
        "gleb": create_student(login="gleb", first_name="Глеб", last_name="Яковлев",
                               channel=User.EMAIL, email="gleb@example.org"),
        "dina": create_student(login="dina", first_name="Дина", last_name="Соколова",
                               channel=User.EMAIL, email="dina@example.org",
                               inactive_since=datetime(2026, 1, 1)),
        "egor": create_student(login="egor", first_name="Егор", last_name="Морозов"),
    }


def open_as_teacher(browser, live_server):
    page = browser.new_context(timezone_id="Europe/Moscow").new_page()
    page.goto(live_server + "/")
    page.get_by_role("button", name="English").click()
    page.get_by_role("navigation").get_by_role("link", name="Log in").click()
    page.get_by_label("Login").fill("teacher")
    page.get_by_label("Password").fill(TEACHER_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    return page


def active(app):
    with app.app_context():
        return {u.login for u in User.select().where((User.role == User.STUDENT)
                                                     & User.inactive_since.is_null())}


def test_search_deactivate_goals_and_broadcast(browser, live_server, app, teacher, students):
    page = open_as_teacher(browser, live_server)

    # Live search: the list narrows as the teacher types, the address follows.
    page.goto(live_server + "/teacher/students")
    table = page.locator("#students tbody")
    expect(table.locator("tr")).to_have_count(6)
    page.get_by_label("Search").press_sequentially("кузн", delay=40)
    expect(table.locator("tr")).to_have_count(1)
    expect(table).to_contain_text("Алиса Кузнецова")
    expect(page).to_have_url(re.compile(r"/teacher/students\?q=%D0%BA"))
    page.get_by_role("link", name="Алиса Кузнецова").click()
    expect(page.get_by_role("heading", name="Алиса Кузнецова")).to_be_visible()
    expect(page.locator("main")).to_contain_text("alisa@example.org")

    # Three students ticked, deactivated after one confirmation.
    page.goto(live_server + "/teacher/students")
    for name in ("Алиса Кузнецова", "Борис Орлов", "Глеб Яковлев"):
        page.get_by_label(f"Select {name}").check()
    page.get_by_role("button", name="Deactivate selected…").click()
    expect(page.get_by_role("heading", name="Deactivate 3 students?")).to_be_visible()
    page.get_by_role("button", name="Deactivate 3 students").click()
    expect(page.locator(".toast-success")).to_contain_text("3 students are deactivated.")
    assert active(app) == {"vera", "egor"}
    page.get_by_label("Show").select_option("inactive")
    expect(table.locator("tr")).to_have_count(4)  # and Dina, inactive before

    # A new goal, offered at registration at once.
    page.goto(live_server + "/teacher/goals")
    page.get_by_label("Goal", exact=True).fill("Разговорный английский")
    page.get_by_role("button", name="Add").click()
    expect(page.locator(".toast-success")).to_contain_text("is added")
    expect(page.locator("#goals .goal input[name=name]").last).to_have_value(
        "Разговорный английский")
    visitor = browser.new_context().new_page()
    visitor.goto(live_server + "/register")
    visitor.get_by_role("button", name="English").click()
    offered = visitor.get_by_label("Learning goal").locator("option")
    expect(offered.filter(has_text="Разговорный английский")).to_have_count(1)
    visitor.context.close()

    # A broadcast: preview, the count of recipients, then the outbox.
    page.goto(live_server + "/teacher/broadcasts")
    expect(page.locator("#broadcast")).to_contain_text("2 active students will get it")
    page.get_by_label("Subject").fill("Каникулы")
    page.get_by_label("Message", exact=True).fill("Занятий не будет с 1 по 7 января.")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator(".preview")).to_contain_text("Занятий не будет с 1 по 7 января.")
    page.get_by_role("button", name="Send to 2 students").click()
    expect(page.locator(".toast-success")).to_contain_text("on its way to 2 students")
    expect(page.locator("table.broadcasts")).to_contain_text("Каникулы")
    with app.app_context():
        sent = {m.user.login: m.status for m in Message.select().where(
            Message.kind == "broadcast")}
    # Egor has no channel: his copy waits in his inbox; the rest are inactive.
    assert sent == {"vera": Message.PENDING, "egor": Message.HELD}
    page.goto(live_server + "/teacher/outbox")
    expect(page.locator("table.list tbody tr", has_text="Каникулы")).to_have_count(2)
    expect(page.locator("table.list tbody tr", has_text="vera@example.org")).to_contain_text(
        "Каникулы")


def test_reject_and_cancel_from_the_lesson_list(browser, live_server, app, teacher, students):
    with app.app_context():
        start = utcnow().replace(hour=7, minute=0, second=0, microsecond=0)
        pending = Lesson.create(teacher=teacher, student=students["alisa"],
                                start=start + timedelta(days=2),
                                end=start + timedelta(days=2, hours=1))
        confirmed = Lesson.create(teacher=teacher, student=students["boris"],
                                  start=start + timedelta(days=3),
                                  end=start + timedelta(days=3, hours=1),
                                  status=Lesson.CONFIRMED, price=1000)
    page = open_as_teacher(browser, live_server)
    page.goto(live_server + "/teacher/lessons")
    request = page.locator(f"#lesson-{pending.id}")
    request.get_by_role("button", name="Reject").click()
    expect(request).to_contain_text("Rejected; the student is told.")
    expect(page.locator(".toast-success")).to_contain_text("The request is rejected")

    lesson = page.locator(f"#lesson-{confirmed.id}")
    lesson.get_by_role("button", name="Cancel").click()
    expect(lesson.locator(".error")).to_have_text("Please give the student a reason.")
    lesson.get_by_label("Reason").fill("Болею")
    lesson.get_by_role("button", name="Cancel").click()
    expect(lesson).to_contain_text("Cancelled; the student is told.")
    with app.app_context():
        assert Lesson.select().count() == 0
        assert {m.kind for m in Message.select()} == {"lesson_rejected", "lesson_cancelled"}
