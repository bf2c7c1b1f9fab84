"""Logging in the way people already do, in Chromium: a Yandex ID sign-up that follows
the real redirects to the fake Yandex's authorize page and back, linking Yandex from
the profile, the takeover by e-mail refused, and the Telegram Login Widget (Telegram's
script stood in for by one whose window answers with a payload signed as Telegram
signs it; a forged one refused). On the defaults, none of it is shown."""
import json
import time

import pytest
from playwright.sync_api import expect

from tests.browser.site import PHONE, axe_problems, overflow_problems, signed_in
from tests.channels_config import EMAIL
from tests.conftest import STUDENT_PASSWORD
from tests.fake_telegram import TOKEN, telegram  # noqa: F401 (fixture)
from tests.fake_yandex import ANNA, yandex  # noqa: F401 (fixture)
from tutor.models import LinkedIdentity, User
from tutor.services import signin

pytestmark = pytest.mark.browser


def english_page(browser, live_server, path="/login", **options):
    page = browser.new_context(locale="en-GB", timezone_id="Europe/Moscow",
                               **options).new_page()
    page.goto(live_server + path)
    page.get_by_role("button", name="English").click()
    return page


def test_on_the_defaults_no_other_way_to_log_in_is_offered(browser, live_server, teacher,
                                                           create_student):
    create_student(login="alisa")
    page = english_page(browser, live_server)
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    expect(page.get_by_role("button", name="Continue with Yandex ID")).to_have_count(0)
    expect(page.get_by_role("button", name="Continue with Telegram")).to_have_count(0)
    page.goto(live_server + "/register")
    expect(page.get_by_role("button", name="Continue with Yandex ID")).to_have_count(0)
    page = signed_in(browser, live_server, "alisa", STUDENT_PASSWORD)
    page.goto(live_server + "/account")
    expect(page.get_by_role("heading", name="Ways to log in")).to_have_count(0)


def test_sign_up_with_yandex_id_then_log_in_with_it(browser, live_server, app, teacher,
                                                    yandex):
    page = english_page(browser, live_server)
    page.get_by_role("button", name="Continue with Yandex ID").click()
    # Off to Yandex's authorize page and back: the short registration.
    expect(page.get_by_role("heading", name="Registration with Yandex ID")).to_be_visible()
    assert yandex.authorize_requests[-1]["code_challenge_method"] == "S256"
    expect(page.get_by_label("First name")).to_have_value("Анна")
    expect(page.get_by_label("Last name")).to_have_value("Волкова")
    expect(page.get_by_label("Login")).to_have_value("anna.volkova")
    expect(page.get_by_label("Password")).to_have_count(0)
    assert axe_problems(page, "register with Yandex") == []
    page.get_by_role("button", name="Register").click()
    created = page.get_by_role("dialog")
    expect(created).to_contain_text("Your account has been created.")
    created.get_by_role("button", name="OK").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    with app.app_context():
        user = User.by_login("anna.volkova")
        assert LinkedIdentity.get(LinkedIdentity.user == user).subject == ANNA["id"]

    # Next time the same button logs straight in.
    page.get_by_role("button", name="Log out").click()
    page.get_by_role("navigation").get_by_role("link", name="Log in").click()
    page.get_by_role("button", name="Continue with Yandex ID").click()
    expect(page.locator(".toast-success")).to_contain_text("You are logged in.")
    page.goto(live_server + "/account")
    expect(page.get_by_label("Login")).to_have_value("anna.volkova")
    expect(page.get_by_text("Yandex ID: linked as anna.volkova.")).to_be_visible()


def test_link_yandex_from_the_profile(browser, live_server, app, teacher, create_student,
                                      yandex):
    alisa = create_student(login="alisa", first_name="Алиса", last_name="Кузнецова")
    page = signed_in(browser, live_server, "alisa", STUDENT_PASSWORD)
    page.goto(live_server + "/account")
    expect(page.get_by_text("Yandex ID: not linked.")).to_be_visible()
    page.get_by_role("button", name="Link Yandex ID").click()
    expect(page.locator(".toast-success")).to_contain_text("Yandex ID is linked")
    expect(page.get_by_text("Yandex ID: linked as anna.volkova.")).to_be_visible()
    assert axe_problems(page, "profile with Yandex linked") == []
    with app.app_context():
        assert LinkedIdentity.get().user_id == alisa.id

    page.get_by_role("button", name="Unlink Yandex ID").click()
    expect(page.locator(".toast-success")).to_contain_text("Yandex ID is unlinked")
    expect(page.get_by_role("button", name="Link Yandex ID")).to_be_visible()


@pytest.mark.config(**EMAIL)
def test_a_yandex_email_of_another_account_does_not_open_it(browser, live_server, app,
                                                            teacher, create_student, yandex):
    create_student(login="victim", channel=User.EMAIL, email=ANNA["default_email"])
    page = english_page(browser, live_server)
    page.get_by_role("button", name="Continue with Yandex ID").click()
    expect(page.get_by_role("heading", name="Registration with Yandex ID")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)
    page.get_by_label("E-mail", exact=True).check()
    expect(page.get_by_label("E-mail address")).to_have_value(ANNA["default_email"])
    page.get_by_role("button", name="Register").click()
    expect(page.locator("#email-error")).to_contain_text(
        "An account with this e-mail already exists")
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)
    with app.app_context():
        assert LinkedIdentity.select().count() == 0


# --- the Telegram Login Widget ---------------------------------------------------------

def telegram_answering(context, payload):
    """Telegram's widget script, stood in for: its window answers at once with
    `payload`, as Telegram.Login.auth's callback receives it."""
    script = ("window.Telegram = {Login: {auth: function (options, callback) { callback("
              + json.dumps(payload) + "); }}};")
    context.route("https://telegram.org/**", lambda route: route.fulfill(
        body=script, content_type="application/javascript"))


def widget_payload(token=TOKEN, telegram_id=555000111):
    fields = {"id": telegram_id, "first_name": "Мария", "username": "maria_tg",
              "auth_date": int(time.time())}
    return {**fields, "hash": signin.telegram_signature(
        {name: str(value) for name, value in fields.items()}, token)}


def test_log_in_with_telegram(browser, live_server, app, teacher, create_student, telegram):
    create_student(login="maria", first_name="Мария", last_name="Смирнова",
                   telegram_chat_id="555000111")
    context = browser.new_context(locale="en-GB")
    telegram_answering(context, widget_payload())
    page = context.new_page()
    page.goto(live_server + "/login")
    page.get_by_role("button", name="English").click()
    assert axe_problems(page, "login with other ways") == []
    page.get_by_role("button", name="Continue with Telegram").click()
    expect(page.locator(".toast-success")).to_contain_text("You are logged in.")
    expect(page.get_by_role("link", name="Мария Смирнова")).to_be_visible()


def test_a_forged_telegram_answer_is_refused(browser, live_server, app, teacher,
                                             create_student, telegram):
    create_student(login="maria", telegram_chat_id="555000111")
    context = browser.new_context(locale="en-GB")
    telegram_answering(context, widget_payload(token="123:not-the-bot"))
    page = context.new_page()
    page.goto(live_server + "/login")
    page.get_by_role("button", name="English").click()
    page.get_by_role("button", name="Continue with Telegram").click()
    expect(page.get_by_text("Telegram's answer could not be checked.")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)


def test_link_telegram_from_the_profile_at_a_phones_width(browser, live_server, app, teacher,
                                                          create_student, telegram):
    maria = create_student(login="maria")
    page = signed_in(browser, live_server, "maria", STUDENT_PASSWORD)
    page.set_viewport_size(PHONE)
    telegram_answering(page.context, widget_payload())
    page.goto(live_server + "/account")
    assert overflow_problems(page, "profile, ways to log in") == []
    page.get_by_role("button", name="Link with Telegram").click()
    expect(page.locator(".toast-success")).to_contain_text("Telegram is linked")
    expect(page.get_by_text("Telegram: you can log in with the linked Telegram account.")) \
        .to_be_visible()
    with app.app_context():
        assert User.get_by_id(maria.id).telegram_chat_id == "555000111"


def test_without_javascript_yandex_works_and_telegram_is_not_offered(
        browser, live_server, app, teacher, yandex, telegram):
    page = english_page(browser, live_server, java_script_enabled=False)
    expect(page.get_by_role("button", name="Continue with Telegram")).to_have_count(0)
    page.get_by_role("button", name="Continue with Yandex ID").click()
    expect(page.get_by_role("heading", name="Registration with Yandex ID")).to_be_visible()
    page.get_by_label("Login").fill("anna.v")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_text("Your account has been created.")).to_be_visible()
    with app.app_context():
        assert LinkedIdentity.get().user.login == "anna.v"
