"""Every journey with JavaScript turned off (plain forms and links, full pages): a
student logs in, books a lesson and edits the profile; the teacher confirms it,
searches the students, deactivates one, adds a goal, previews and sends a broadcast,
follows the settings' links, changes the reports' month and runs a job. Registration
without JavaScript is in test_account_journeys.py."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.site import build_site
from tests.conftest import STUDENT_PASSWORD, TEACHER_PASSWORD
from tutor.models import Goal, JobRun, JobState, Lesson, Message, User

pytestmark = pytest.mark.browser


@pytest.fixture
def site(app, teacher, create_student):
    return build_site(app, teacher, create_student)


def no_js_page(browser, live_server, login, password):
    context = browser.new_context(java_script_enabled=False, timezone_id="Europe/Moscow")
    page = context.new_page()
    page.goto(live_server + "/login")
    page.get_by_role("button", name="English").click()
    page.get_by_label("Login").fill(login)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    # Scripts really are off: tutor.js would have marked the page.
    expect(page.locator("html")).not_to_have_class(re.compile(r"\bjs\b"))
    return page


def test_student_books_and_edits_the_profile(browser, live_server, app, site):
    page = no_js_page(browser, live_server, "alisa", STUDENT_PASSWORD)
    # The calendar opens on the first week with free time; "Today" leads to this one.
    page.get_by_role("link", name="Today").click()
    page.get_by_role("link", name="Next week").click()
    expect(page).to_have_url(f"{live_server}/?week={site.week}")

    # A free slot opens the booking page; the request lands in the calendar.
    slot = page.locator(".cell-free .slot").first
    span = slot.locator(".time").inner_text()
    slot.click()
    expect(page.get_by_role("heading", name="Book a lesson")).to_be_visible()
    page.get_by_label("Comment for the teacher (optional)").fill("Без JavaScript")
    page.get_by_role("button", name="Book", exact=True).click()
    expect(page.locator(".toast-success")).to_contain_text("Your request is sent.")
    expect(page.locator(".cell-own.cell-pending", has_text=span).first).to_be_visible()
    with app.app_context():
        assert Lesson.get(Lesson.comment == "Без JavaScript").is_pending

    # The profile saves as a plain form and comes back with the result.
    page.get_by_role("link", name="Алиса Кузнецова").click()
    page.get_by_label("Last name").fill("Смирнова")
    page.get_by_role("button", name="Save").first.click()
    expect(page.locator(".toast-success")).to_contain_text("Your profile is saved.")
    expect(page.get_by_label("Last name")).to_have_value("Смирнова")
    page.context.close()


def test_teacher_confirms_and_administers(browser, live_server, app, site):
    page = no_js_page(browser, live_server, "teacher", TEACHER_PASSWORD)

    # Confirm the pending request: its details open on focus (CSS), its page confirms.
    page.goto(f"{live_server}/?week={site.week}")
    cell = page.locator(f"#about-{site.pending}").locator("xpath=..")
    cell.focus()
    cell.get_by_role("link", name="Open the lesson").click()
    page.get_by_label("Price, ₽").fill("1800")
    page.get_by_role("button", name="Confirm the lesson").click()
    expect(page.locator(".toast-success")).to_contain_text("The lesson is confirmed")
    with app.app_context():
        assert Lesson.get_by_id(site.pending).is_confirmed

    # Students: search with the button, then deactivate one after the confirmation page.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Students").click()
    page.get_by_label("Search").fill("кузн")
    page.get_by_role("button", name="Search").click()
    rows = page.locator("#students tbody tr")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("Алиса Кузнецова")
    page.get_by_label("Select Алиса Кузнецова").check()
    page.get_by_role("button", name="Deactivate selected…").click()
    page.get_by_role("button", name="Deactivate 1 student").click()
    expect(page.locator(".toast-success")).to_contain_text("1 student is deactivated.")
    with app.app_context():
        assert User.get_by_id(site.student).inactive_since is not None

    # Goals: a new one at the end of the list.
    page.goto(live_server + "/teacher/goals")
    page.get_by_label("Goal", exact=True).fill("Олимпиада")
    page.get_by_role("button", name="Add").click()
    expect(page.locator(".toast-success")).to_contain_text("is added")
    with app.app_context():
        assert Goal.select().where(Goal.name == "Олимпиада").count() == 1

    # A broadcast: the preview page, then the send (Борис is active, without a channel;
    # the message still counts who would get it).
    with app.app_context():
        User.update(channel=User.EMAIL, email="boris@example.org").where(
            User.id == site.other).execute()
    page.goto(live_server + "/teacher/broadcasts")
    page.get_by_label("Subject").fill("Каникулы")
    page.get_by_label("Message", exact=True).fill("Занятий не будет.")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator(".preview")).to_contain_text("Занятий не будет.")
    page.get_by_role("button", name="Send to 1 student").click()
    expect(page.locator(".toast-success")).to_contain_text("on its way to 1 student")
    with app.app_context():
        assert Message.select().where(Message.kind == "broadcast").count() == 1

    # Every link of the settings page opens.
    page.goto(live_server + "/teacher/settings")
    links = page.locator("main a[href^='/']")
    hrefs = {links.nth(i).get_attribute("href").split("#")[0] for i in range(links.count())}
    assert len(hrefs) >= 5, hrefs
    for href in sorted(hrefs):
        response = page.goto(live_server + href)
        assert response.status == 200, f"{href}: {response.status}"

    # Reports: another month through the plain form.
    page.goto(live_server + "/teacher/reports")
    page.get_by_role("textbox", name="Month").fill(site.month)
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(f"{live_server}/teacher/reports?month={site.month}")
    expect(page.locator("#report-summary")).to_be_visible()

    # Jobs: run one now; the page records the run.
    page.goto(live_server + "/teacher/jobs")
    page.locator("form[action='/teacher/jobs/old_days_off/run'] button").click()
    expect(page).to_have_url(f"{live_server}/teacher/jobs")
    expect(page.locator(".toast-success")).to_be_visible()
    with app.app_context():
        assert JobState.get(JobState.job == "old_days_off").last_status == JobRun.OK
    page.context.close()
