"""axe-core over every page of the URL map, for a visitor, a student and the teacher,
at a phone's width: no serious or critical finding, nothing wider than the screen, and
a screenshot of each page in test-artifacts/phone/. Pages a role is redirected away
from or refused are that role's to skip; the booking dialog is checked open.

axe-core 4.12.1 (MPL-2.0) comes bundled in the axe-playwright-python package (0.1.8,
MIT; pinned in requirements-dev.txt) and is put into each page with Playwright's
evaluate, which the app's CSP (no inline script, no eval) does not govern."""
import pytest
from playwright.sync_api import expect

from tests.browser.site import (
    ANONYMOUS,
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

    if role == ANONYMOUS:
        # Forms showing their errors: a wrong password, an empty registration.
        page.goto(live_server + "/login")
        page.locator("#login").fill("nobody")
        page.locator("#password").fill("wrong")
        page.locator("form#login-form button[type=submit]").click()
        expect(page.get_by_role("alertdialog")).to_be_visible()
        problems += overflow_problems(page, "login with an error")
        problems += axe_problems(page, "login with an error")
        page.goto(live_server + "/register")
        page.locator("form#register-form button[type=submit]").click()
        expect(page.locator("#register-form .error").first).to_be_visible()
        problems += overflow_problems(page, "registration with errors")
        problems += axe_problems(page, "registration with errors")
        screenshot(page, "anonymous-register-errors")

        # The checks themselves see a fault: an unlabelled field, a too-wide box.
        page.evaluate("""() => {
            const main = document.querySelector("main");
            const field = document.createElement("input");
            const wide = document.createElement("div");
            wide.style.width = "500px";  // through the CSSOM, which the CSP allows
            wide.textContent = "wide";
            main.append(field, wide);
        }""")
        assert any("label" in p for p in axe_problems(page, "probe")), "axe saw no fault"
        assert overflow_problems(page, "probe"), "the overflow check saw no fault"

    if role == STUDENT:
        # The booking dialog, opened from the week the free slot is in.
        page.goto(f"{live_server}/?week={site.week}")
        page.locator(".cell-free .slot").first.click()
        expect(page.locator("dialog#book-dialog")).to_be_visible()
        problems += overflow_problems(page, "student booking dialog")
        problems += axe_problems(page, "student booking dialog")
        screenshot(page, "student-booking-dialog")
    context.close()

    if role == ANONYMOUS:
        assert {"calendar.week", "auth.login", "auth.register"} <= set(checked)
    assert len(checked) >= {"anonymous": 5, "student": 8, "teacher": 18}[role], checked
    assert problems == [], "\n".join(problems)
