"""Account journeys in Chromium: registration with live checks, logging out and in,
recovering a password through the link, editing the profile; and registration with
JavaScript turned off."""
import re

import pytest
from playwright.sync_api import expect

from tests.channels_config import outside_channels
from tutor.models import Message, User

# E-mail and Telegram are set up: registering picks one (a plain install offers only
# the app: tests/browser/test_onboarding_journey.py).
pytestmark = [pytest.mark.browser, outside_channels]
PASSWORD = "Ледокол-Красин-1917"
NEW_PASSWORD = "Северное-сияние-2031"


@pytest.fixture
def dadata(app, httpserver):
    app.config["DADATA_API_KEY"] = "dadata-key"
    app.config["DADATA_URL"] = httpserver.url_for("").rstrip("/")

    def names(request):
        from werkzeug import Response
        import json

        query = request.get_json()["query"]
        part = request.get_json()["parts"][0]
        pool = {"NAME": ["Мария", "Марина", "Марьям"], "SURNAME": ["Смирнова", "Смирнов"]}[part]
        suggestions = [{"value": n, "unrestricted_value": n,
                        "data": {"name": n if part == "NAME" else None,
                                 "surname": n if part == "SURNAME" else None,
                                 "patronymic": None, "gender": "UNKNOWN", "source": None,
                                 "qc": "0"}}
                       for n in pool if n.lower().startswith(query.lower())]
        return Response(json.dumps({"suggestions": suggestions}), content_type="application/json")

    httpserver.expect_request("/suggestions/api/4_1/rs/suggest/fio",
                              method="POST").respond_with_handler(names)
    return httpserver


def outbox_link(app, kind):
    with app.app_context():
        body = (Message.select().where(Message.kind == kind)
                .order_by(Message.id.desc()).get().body_text)
    return re.search(r"https?://\S+", body).group(0)


def test_register_logout_login_recover_and_edit_profile(browser, live_server, app, dadata,
                                                        teacher):
    context = browser.new_context(timezone_id="Asia/Yekaterinburg", locale="en-GB")
    page = context.new_page()
    page.goto(live_server + "/")
    page.get_by_role("button", name="English").click()
    page.get_by_role("navigation").get_by_role("link", name="Register").click()

    # Names: DaData's suggestions arrive in the datalist as one types.
    page.get_by_label("First name").press_sequentially("Мар", delay=30)
    expect(page.locator("#first_name-suggestions option")).to_have_count(3)
    page.get_by_label("First name").fill("Мария")
    page.get_by_label("Last name").press_sequentially("Смир", delay=30)
    expect(page.locator("#last_name-suggestions option")).to_have_count(2)
    page.get_by_label("Last name").fill("Смирнова")
    page.get_by_label("Login").fill("maria.s")

    # Password: the meter follows the typing.
    password = page.get_by_label("Password", exact=True)
    password.fill("maria.s1")
    expect(page.locator("#password-strength meter")).to_have_attribute("value", re.compile("[012]"))
    expect(page.locator("#password-strength")).to_contain_text("Add another word")
    password.fill(PASSWORD)
    expect(page.locator("#password-strength meter")).to_have_attribute("value", re.compile("[34]"))

    # The time zone comes from the browser.
    expect(page.get_by_label("Time zone")).to_have_value("Asia/Yekaterinburg")

    # "Only in the app" opens the explanation; "keep" goes back to e-mail.
    in_app = page.get_by_label("Only in the app (the bell icon)")
    in_app.check()
    dialog = page.locator("#optout-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("recover a forgotten password")
    dialog.get_by_role("button", name="Keep e-mail or Telegram").click()
    expect(dialog).to_be_hidden()
    expect(in_app).not_to_be_checked()
    expect(page.get_by_label("E-mail", exact=True)).to_be_checked()
    expect(page.get_by_label("E-mail address")).to_be_visible()

    page.get_by_label("E-mail address").fill("maria@example.org")
    page.get_by_role("button", name="Register").click()

    created = page.get_by_role("dialog")
    expect(created).to_contain_text("Your account has been created.")
    created.get_by_role("button", name="OK").click()
    expect(created).to_be_hidden()
    expect(page.get_by_role("link", name="Мария Смирнова")).to_be_visible()
    with app.app_context():
        assert User.by_login("maria.s").timezone == "Asia/Yekaterinburg"
        assert Message.get(Message.kind == "welcome").address == "maria@example.org"

    # Out and in again.
    page.get_by_role("button", name="Log out").click()
    page.get_by_role("navigation").get_by_role("link", name="Log in").click()
    page.get_by_label("Login").fill("maria.s")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Мария Смирнова")).to_be_visible()
    page.get_by_role("button", name="Log out").click()

    # Forgot the password: the link comes through the outbox.
    page.get_by_role("navigation").get_by_role("link", name="Log in").click()
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Login, e-mail or Telegram username").fill("maria@example.org")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("dialog")).to_contain_text("a link to set a new password")
    page.get_by_role("dialog").get_by_role("button", name="OK").click()

    page.goto(outbox_link(app, "password_reset"))
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set the password and log in").click()
    expect(page.locator(".toast-success")).to_contain_text("Your new password is set.")

    # The profile: a section saves through htmx and the page shows the result.
    page.get_by_role("link", name="Мария Смирнова").click()
    page.get_by_label("Last name").fill("Иванова")
    page.get_by_role("button", name="Save").first.click()
    expect(page.locator(".toast-success")).to_contain_text("Your profile is saved.")
    expect(page.get_by_label("Last name")).to_have_value("Иванова")

    # An error stays inside its section, with what was typed.
    page.get_by_label("Login").fill("x")
    page.get_by_role("button", name="Save").first.click()
    expect(page.locator("#profile-form")).to_contain_text("3 to 32 characters")
    expect(page.get_by_label("Login")).to_have_value("x")
    context.close()


def test_registration_without_javascript(browser, live_server, app, teacher):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server + "/register")
    # The opt-out consequences stand beside the box when no dialog can open.
    expect(page.locator("#optout-explanation")).to_be_visible()
    expect(page.locator("#optout-explanation")).to_contain_text("пароль")

    page.get_by_label("Имя").fill("Пётр")
    page.get_by_label("Фамилия").fill("Волков")
    page.get_by_label("Логин").fill("petr")
    page.get_by_label("Пароль", exact=True).fill("petr")
    page.get_by_label("Адрес e-mail").fill("petr@example.org")
    page.locator("form#register-form button[type=submit]").click()

    # Evaluated on submit: the weak password is refused with advice, nothing else is
    # lost; the password field comes back empty, and its meter with it (af1b2e0).
    expect(page.locator("#password-error")).not_to_be_empty()
    expect(page.locator("#password-strength meter")).to_have_count(0)
    expect(page.get_by_label("Имя")).to_have_value("Пётр")
    expect(page.get_by_label("Адрес e-mail")).to_have_value("petr@example.org")
    page.get_by_label("Пароль", exact=True).fill(PASSWORD)
    page.locator("form#register-form button[type=submit]").click()

    created = page.get_by_role("dialog")
    expect(created).to_be_visible()
    created.get_by_role("button").click()
    expect(created).to_be_hidden()
    with app.app_context():
        assert User.by_login("petr").email == "petr@example.org"
    context.close()
