"""axe-core over every page of the URL map, for a visitor, a student and the teacher,
at a phone's width: no serious or critical finding, nothing wider than the screen, and
a screenshot of each page in test-artifacts/phone/. Pages a role is redirected away
from or refused are that role's to skip; the booking dialog is checked open.

axe-core comes from the axe-playwright-python package (its bundled axe.min.js), put
into each page with Playwright's evaluate, which the app's CSP does not govern."""
import pytest
from playwright.sync_api import expect

from tests.browser.site import (
    PHONE,
    ROLES,
    STUDENT,
    axe_problems,
    build_site,
    log_in,
    overflow_problems,
    page_urls,
    screenshot,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def site(app, teacher, create_student):
    return build_site(app, teacher, create_student)


@pytest.mark.parametrize("role", ROLES)
def test_every_page_is_accessible_and_fits_a_phone(browser, live_server, app, site, role):
    context = browser.new_context(viewport=PHONE, timezone_id="Europe/Moscow")
    page = context.new_page()
    log_in(page, live_server, role)
    problems, checked = [], []
    for endpoint, path in page_urls(app, site, role):
        # Asked first without following redirects: a refusal would be a console error.
        if context.request.get(live_server + path, max_redirects=0).status != 200:
            continue  # not this role's page (log in first, refused, sent elsewhere)
        page.goto(live_server + path)
        label = f"{role} {endpoint} {path}"
        checked.append(endpoint)
        problems += overflow_problems(page, label)
        problems += axe_problems(page, label)
        screenshot(page, f"{role}-{endpoint}")

    if role == STUDENT:
        # The booking dialog, opened from the week the free slot is in.
        page.goto(f"{live_server}/?week={site.week}")
        page.locator(".cell-free .slot").first.click()
        expect(page.locator("dialog#book-dialog")).to_be_visible()
        problems += overflow_problems(page, "student booking dialog")
        problems += axe_problems(page, "student booking dialog")
        screenshot(page, "student-booking-dialog")
    context.close()

    assert "calendar.week" in checked and "auth.login" in checked or role != "anonymous"
    assert len(checked) >= {"anonymous": 5, "student": 8, "teacher": 18}[role], checked
    assert problems == [], "\n".join(problems)
