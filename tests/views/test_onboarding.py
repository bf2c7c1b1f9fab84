"""A tutor's first steps on the web: the getting-started checklist on the teacher's
calendar, the banner while notifications reach the teacher only in the app, and the
channels each form offers, on a plain install (nothing set up) and with e-mail and
Telegram set up."""
import re
from datetime import time
from decimal import Decimal

import pytest

from tests.channels_config import OUTSIDE, outside_channels
from tests.conftest import STUDENT_PASSWORD, TEACHER_PASSWORD
from tutor.models import Goal, User
from tutor.services import accounts, schedule

HTMX = {"HX-Request": "true"}
NEW_PASSWORD = "Северное-сияние-2031"
STEP = re.compile(r'<li class="(done|todo)" data-step="(\w+)">')


def steps(page):
    return {key: state for state, key in STEP.findall(page)}


@pytest.fixture
def new_install(app, client):
    """The teacher `flask db upgrade` creates, logged in with the generated password."""
    with app.app_context():
        credentials = accounts.ensure_teacher()
    client.submit("/language/en")
    response = client.submit("/login", {"login": credentials.login,
                                        "password": credentials.password})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    return credentials


def teacher_of(app):
    with app.app_context():
        return User.first_teacher()


# --- the checklist ---------------------------------------------------------------------

def test_the_first_login_lands_on_the_checklist_and_the_banner(client, new_install):
    page = client.get("/").text
    assert 'id="onboarding"' in page and "Getting started" in page
    assert steps(page) == {"password": "todo", "channel": "todo", "hours": "todo",
                           "price": "todo", "goals": "todo", "public_url": "todo"}
    assert "0 of 6 done" in page
    for link in ('href="/account#password-heading"', 'href="/teacher/availability#windows-title"',
                 'href="/teacher/availability#rules-title"', 'href="/teacher/goals"',
                 'href="/teacher/settings#site-title"'):
        assert link in page
    # Nothing outside the app is set up: the channel step leads to how to set it up.
    assert "Set up e-mail or Telegram for the site" in page
    assert 'id="channel-banner"' in page
    assert "You get notifications only in the app" in page


def test_steps_are_ticked_as_they_are_done(client, app, new_install):
    teacher = teacher_of(app)
    response = client.submit("/account/password", {
        "current_password": new_install.password, "password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD}, page="/account")
    assert response.status_code == 302
    with app.app_context():
        schedule.set_windows(teacher, [(1, time(10), time(14))])
        schedule.update_settings(teacher, default_price=Decimal("2000"))
        Goal.create(name="ЕГЭ", position=0)
    app.config["PUBLIC_URL"] = "https://tutor.example.org"
    page = client.get("/").text
    assert steps(page) == {"password": "done", "channel": "todo", "hours": "done",
                           "price": "done", "goals": "done", "public_url": "done"}
    assert "5 of 6 done" in page


def test_with_every_step_done_the_list_goes(client, app, new_install):
    app.config.update(OUTSIDE, PUBLIC_URL="https://tutor.example.org")
    teacher = teacher_of(app)
    with app.app_context():
        User.update(password_generated_at=None, channel=User.EMAIL,
                    email="anna@example.org").where(User.id == teacher.id).execute()
        schedule.set_windows(teacher, [(1, time(10), time(14))])
        schedule.update_settings(teacher, default_price=Decimal("2000"))
        Goal.create(name="ЕГЭ", position=0)
    page = client.get("/").text
    assert 'id="onboarding"' not in page and 'id="channel-banner"' not in page


def test_dismissing_the_list_plain_and_by_htmx(client, app, new_install):
    response = client.submit("/teacher/onboarding/dismiss", page="/")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    page = client.get("/").text
    assert 'id="onboarding"' not in page
    assert 'id="channel-banner"' in page  # the banner stays while it applies
    with app.app_context():
        assert User.first_teacher().onboarding_dismissed_at is not None


def test_dismissing_by_htmx_swaps_the_list_out(client, new_install):
    page = client.get("/").text
    assert 'hx-post="/teacher/onboarding/dismiss"' in page
    response = client.submit("/teacher/onboarding/dismiss", page="/", headers=HTMX)
    assert response.status_code == 200 and response.text == ""
    assert "HX-Request" in response.headers["Vary"]
    assert 'id="onboarding"' not in client.get("/").text


def test_the_list_is_on_the_full_page_not_in_the_week_fragment(client, new_install):
    fragment = client.get("/", headers=HTMX).text
    assert 'id="onboarding"' not in fragment and "<html" not in fragment


def test_dismissing_needs_the_teacher_and_the_csrf_token(app, client, teacher, create_student):
    create_student(login="maria")
    assert client.submit("/teacher/onboarding/dismiss", page="/").status_code == 302  # log in
    client.submit("/login", {"login": "maria", "password": STUDENT_PASSWORD})
    assert client.submit("/teacher/onboarding/dismiss", page="/").status_code == 403
    client.submit("/logout")
    client.submit("/login", {"login": "teacher", "password": TEACHER_PASSWORD})
    assert client.post("/teacher/onboarding/dismiss").status_code == 400  # no token
    with app.app_context():
        assert User.first_teacher().onboarding_dismissed_at is None


def test_students_and_visitors_see_neither_list_nor_banner(client, teacher, create_student):
    page = client.get("/").text
    assert 'id="onboarding"' not in page and 'id="channel-banner"' not in page
    create_student(login="maria")
    client.submit("/login", {"login": "maria", "password": STUDENT_PASSWORD})
    for path in ("/", "/account"):
        page = client.get(path).text
        assert 'id="onboarding"' not in page and 'id="channel-banner"' not in page


# --- the banner ------------------------------------------------------------------------

def test_the_banner_is_on_every_teacher_page(client, new_install):
    for path in ("/", "/teacher/availability", "/teacher/students", "/teacher/settings",
                 "/account"):
        assert 'id="channel-banner"' in client.get(path).text, path


@outside_channels
def test_the_banner_goes_once_the_teachers_channel_works(client, app, new_install):
    page = client.get("/").text
    assert 'id="channel-banner"' in page
    assert 'href="/account#notifications-heading"' in page  # choose it in the profile
    response = client.submit("/account/notifications", {
        "channel": "email", "email": "anna@example.org", "digest_time": "08:00"},
        page="/account")
    assert response.status_code == 302
    page = client.get("/").text
    assert 'id="channel-banner"' not in page
    assert steps(page)["channel"] == "done"


@outside_channels
def test_telegram_counts_once_the_chat_is_linked(client, app, new_install):
    client.submit("/account/notifications", {"channel": "telegram", "digest_time": "08:00"},
                  page="/account")
    assert 'id="channel-banner"' in client.get("/").text  # chosen, not linked yet
    with app.app_context():
        User.update(telegram_chat_id="42").where(User.role == User.TEACHER).execute()
    assert 'id="channel-banner"' not in client.get("/").text


def test_a_channel_that_stops_being_set_up_brings_the_banner_back(client, app, new_install):
    with app.app_context():
        User.update(channel=User.EMAIL, email="anna@example.org").where(
            User.role == User.TEACHER).execute()
    app.config.update(OUTSIDE)
    assert 'id="channel-banner"' not in client.get("/").text
    app.config.update(EMAIL_BACKEND="console")  # back to the log only
    assert 'id="channel-banner"' in client.get("/").text
    profile = client.get("/account").text
    # The stored choice is kept and shown, as not set up.
    assert "Your chosen channel is not set up on this site now" in profile
    assert re.search(r'<input checked[^>]*name="channel" type="radio" value="email"', profile)
    with app.app_context():
        assert User.first_teacher().channel == User.EMAIL


def test_the_settings_page_says_what_the_site_has_set_up(client, app, new_install):
    page = client.get("/teacher/settings").text
    assert 'id="site-title"' in page
    assert "EMAIL_BACKEND=mailgun" in page and "TELEGRAM_BOT_TOKEN" in page
    assert "PUBLIC_URL" in page
    app.config.update(OUTSIDE, PUBLIC_URL="https://tutor.example.org")
    page = client.get("/teacher/settings").text
    assert "sent through mailgun" in page and "@tutor_test_bot" in page
    assert "https://tutor.example.org" in page


# --- what the profile and the teacher's student form offer --------------------------------

@pytest.fixture
def maria(client, create_student):
    create_student(login="maria")
    client.submit("/language/en")
    client.submit("/login", {"login": "maria", "password": STUDENT_PASSWORD})
    return client


def radios(page, name="channel"):
    return re.findall(rf'<input[^>]*name="{name}" type="radio" value="(\w+)"', page)


def test_a_plain_install_offers_the_app_only_in_the_profile(maria, app):
    page = maria.get("/account").text
    assert radios(page) == ["none"]
    assert "Only in the app (the bell icon)" in page
    for channel in ("email", "telegram"):
        response = maria.submit("/account/notifications", {
            "channel": channel, "email": "maria@example.org"}, page="/account")
        assert response.status_code == 200
        assert "This channel is not set up on this site. Choose another." in response.text
    with app.app_context():
        assert User.by_login("maria").channel == User.NO_CHANNEL


@outside_channels
def test_with_both_set_up_the_profile_offers_both(maria, app):
    assert radios(maria.get("/account").text) == ["email", "telegram", "none"]
    response = maria.submit("/account/notifications", {
        "channel": "email", "email": "maria@example.org"}, page="/account")
    assert response.status_code == 302
    with app.app_context():
        assert User.by_login("maria").channel == User.EMAIL


def test_saving_other_settings_keeps_a_stored_channel_that_is_not_set_up(
        client, app, create_student):
    create_student(login="maria", channel=User.TELEGRAM, telegram_chat_id="42")
    client.submit("/language/en")
    client.submit("/login", {"login": "maria", "password": STUDENT_PASSWORD})
    page = client.get("/account").text
    assert radios(page) == ["none", "telegram"]
    assert "Telegram: not set up on this site, so only in the app for now" in page
    response = client.submit("/account/notifications", {
        "channel": "telegram", "digest_time": "09:00"}, page="/account")
    assert response.status_code == 302
    with app.app_context():
        user = User.by_login("maria")
        assert user.channel == User.TELEGRAM and user.digest_time == time(9, 0)


def test_the_teachers_student_form_offers_what_delivers(client, app, teacher, create_student):
    gleb = create_student(login="gleb")
    client.submit("/language/en")
    client.submit("/login", {"login": "teacher", "password": TEACHER_PASSWORD})
    path = f"/teacher/students/{gleb.id}/edit"
    assert radios(client.get(path).text) == ["none"]
    data = {"first_name": "Глеб", "last_name": "Яковлев", "login": "gleb",
            "email": "gleb@example.org", "channel": "email", "goal": "", "timezone": ""}
    response = client.submit(path, data)
    assert response.status_code == 200
    assert "This channel is not set up on this site. Choose another." in response.text
    with app.app_context():
        assert User.get_by_id(gleb.id).channel == User.NO_CHANNEL
    app.config.update(OUTSIDE)
    assert radios(client.get(path).text) == ["email", "telegram", "none"]
    assert client.submit(path, data).status_code == 302
    with app.app_context():
        assert User.get_by_id(gleb.id).channel == User.EMAIL
