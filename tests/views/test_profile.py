"""The student's own profile page: each section saves on its own; bad input keeps
what was typed; changes of login, password and channel are announced."""
import pytest

from tests.channels_config import outside_channels
from tests.conftest import STUDENT_PASSWORD, TEACHER_PASSWORD, Client, browser_for
from tutor.models import Goal, Message, User

NEW_PASSWORD = "Северное-сияние-2031"


@pytest.fixture
def maria(create_student):
    return create_student(login="maria", first_name="Мария", last_name="Смирнова",
                          channel=User.EMAIL, email="maria@example.org")


@pytest.fixture
def logged_in(client, auth, maria):
    client.submit("/language/en")
    auth.login("maria", STUDENT_PASSWORD)
    return client


def test_the_profile_needs_a_login(client):
    response = client.get("/account")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/account"


def test_the_profile_shows_the_users_data(logged_in):
    page = logged_in.get("/account").text
    assert 'value="Мария"' in page and 'value="maria"' in page
    assert 'value="maria@example.org"' in page
    assert "Deactivate" in page


def test_saving_names_timezone_language_and_goal(logged_in, app):
    with app.app_context():
        goal = Goal.create(name="IELTS")
    response = logged_in.submit("/account/profile", {
        "first_name": "Мария", "last_name": "Иванова", "login": "maria",
        "goal": str(goal.id), "timezone": "Asia/Tokyo", "locale": "ru"}, page="/account")
    assert response.status_code == 302
    with app.app_context():
        user = User.by_login("maria")
        assert (user.last_name, user.timezone, user.locale, user.goal_id) == (
            "Иванова", "Asia/Tokyo", "ru", goal.id)
        assert Message.select().where(Message.kind == "login_changed").count() == 0
    assert '<html lang="ru">' in logged_in.get("/account").text


def test_a_retired_goal_stays_but_cannot_be_picked_anew(logged_in, app, maria):
    with app.app_context():
        old = Goal.create(name="Old course", retired=True)
        other = Goal.create(name="Other old", retired=True)
        User.update(goal=old).where(User.id == maria.id).execute()
    page = logged_in.get("/account").text
    assert "Old course" in page and "Other old" not in page
    data = {"first_name": "Мария", "last_name": "Смирнова", "login": "maria",
            "timezone": "Europe/Moscow", "locale": "en"}
    assert logged_in.submit("/account/profile", {**data, "goal": str(old.id)},
                            page="/account").status_code == 302
    refused = logged_in.submit("/account/profile", {**data, "goal": str(other.id)},
                               page="/account")
    assert "Choose a goal from the list." in refused.text


def test_a_htmx_save_with_errors_swaps_only_the_section(logged_in, create_student):
    create_student(login="taken")
    token = logged_in.csrf_token("/account")
    response = logged_in.post("/account/profile", data={
        "csrf_token": token, "first_name": "Мария", "last_name": "Смирнова",
        "login": "taken", "timezone": "Europe/Moscow", "locale": "en"},
        headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<form id="profile-form"')
    assert "<html" not in response.text
    assert "This login is taken." in response.text
    assert "HX-Request" in response.headers["Vary"]


def test_the_same_save_without_javascript_is_a_full_page(logged_in, create_student):
    create_student(login="taken")
    response = logged_in.submit("/account/profile", {
        "first_name": "Мария", "last_name": "Смирнова", "login": "taken",
        "timezone": "Europe/Moscow", "locale": "en"}, page="/account")
    assert "<html" in response.text and "This login is taken." in response.text
    assert 'id="password-form"' in response.text


def test_a_successful_htmx_save_reloads_the_page(logged_in):
    token = logged_in.csrf_token("/account")
    response = logged_in.post("/account/profile", data={
        "csrf_token": token, "first_name": "Маша", "last_name": "Смирнова",
        "login": "masha", "timezone": "Europe/Moscow", "locale": "en"},
        headers={"HX-Request": "true"})
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/account"


def test_changing_the_login_sends_a_notice(logged_in, app):
    logged_in.submit("/account/profile", {
        "first_name": "Мария", "last_name": "Смирнова", "login": "masha",
        "timezone": "Europe/Moscow", "locale": "en"}, page="/account")
    with app.app_context():
        notice = Message.get(Message.kind == "login_changed")
        assert notice.address == "maria@example.org"


def test_changing_the_password_logs_out_other_devices(app, logged_in):
    app.test_client_class = Client
    other_device = app.test_client()
    other_device.submit("/login", {"login": "maria", "password": STUDENT_PASSWORD})
    assert "Log out" in other_device.get("/").text

    wrong = logged_in.submit("/account/password", {
        "current_password": "nope", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        page="/account")
    assert "The current password is not right." in wrong.text

    done = logged_in.submit("/account/password", {
        "current_password": STUDENT_PASSWORD, "password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD}, page="/account")
    assert done.status_code == 302
    assert "Other devices have been logged out." in logged_in.get("/account").text
    assert logged_in.get("/account").status_code == 200  # this device stays in
    assert "Log out" not in other_device.get("/").text
    with app.app_context():
        assert Message.get(Message.kind == "password_changed").address == "maria@example.org"


@outside_channels
def test_switching_channel_tells_the_old_one(logged_in, app):
    logged_in.submit("/account/notifications", {"channel": "telegram", "email": "",
                                                "digest_time": "09:00"}, page="/account")
    with app.app_context():
        notice = Message.get(Message.kind == "channel_changed")
        assert (notice.channel, notice.address) == ("email", "maria@example.org")
        assert User.by_login("maria").channel == "telegram"


def test_notifications_need_a_valid_address(logged_in):
    response = logged_in.submit("/account/notifications", {"channel": "email", "email": "x@",
                                                           "digest_time": "09:00"},
                                page="/account")
    assert "This does not look like an e-mail address." in response.text
    assert 'value="x@"' in response.text


def test_deactivating_and_coming_back(logged_in, auth, app):
    confirm = logged_in.get("/account/deactivate")
    assert "Deactivate the account?" in confirm.text
    response = logged_in.submit("/account/deactivate", page="/account/deactivate")
    assert response.status_code == 302
    assert "Log in" in logged_in.get("/").text
    with app.app_context():
        assert User.by_login("maria").inactive_since is not None
    auth.login("maria", STUDENT_PASSWORD)
    with app.app_context():
        assert User.by_login("maria").inactive_since is None


def test_the_teacher_cannot_deactivate_themselves(client, auth, teacher, app):
    auth.login()
    assert "Deactivate" not in client.get("/account").text
    token = client.csrf_token("/account")
    client.post("/account/deactivate", data={"csrf_token": token})
    with app.app_context():
        assert User.by_login("teacher").inactive_since is None


def test_choosing_when_reminders_come(logged_in, app):
    page = logged_in.get("/account").text
    assert '<option selected value="2">2 h before</option>' in page  # the default
    logged_in.submit("/account/notifications", {"channel": "email", "email": "maria@example.org",
                                                "digest_time": "", "reminder_hours": "24"},
                     page="/account")
    with app.app_context():
        assert User.by_login("maria").reminder_hours == 24
    response = logged_in.submit("/account/notifications", {
        "channel": "email", "email": "maria@example.org", "reminder_hours": "5"},
        page="/account")
    assert "Not a valid choice" in response.text
    with app.app_context():
        assert User.by_login("maria").reminder_hours == 24


def test_in_app_only_tells_each_side_its_own_way_back_to_a_lost_password(
        app, teacher, logged_in):
    # The student is told the teacher resets it; the teacher was told the same.
    assert "reset only by the teacher" in logged_in.get("/account").text
    page = browser_for(app, teacher.login, TEACHER_PASSWORD).get("/account").text
    assert "reset only on the server" in page and "only by the teacher" not in page
    assert "new requests, monthly reports and backups" in page
