"""Registration through the web: the form, its live checks, and its failure paths."""
import re

import pytest

from tests.channels_config import OUTSIDE, outside_channels
from tutor.models import Goal, Message, User

# Most tests here register with e-mail or Telegram: both are set up. What a plain
# install offers (in the app only) is tested at the end.
pytestmark = outside_channels

GOOD_PASSWORD = "Ледокол-Красин-1917"


@pytest.fixture
def english(client):
    client.submit("/language/en")
    return client


def form(**changes):
    data = {"first_name": "Мария", "last_name": "Смирнова", "login": "maria.s",
            "password": GOOD_PASSWORD, "channel": "email", "email": "maria@example.org",
            "digest_time": "07:30", "goal": "", "timezone": "Europe/Samara"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_the_form_asks_for_everything(client):
    page = client.get("/register").text
    for name in ["first_name", "last_name", "login", "password", "channel", "email",
                 "digest_time", "timezone"]:
        assert f'name="{name}"' in page
    for channel in ("email", "telegram", "none"):
        assert f'name="channel" type="radio" value="{channel}"' in page
    assert 'id="optout-dialog"' in page and 'id="optout-explanation"' in page
    assert 'data-dialog-trigger="optout-dialog"' in page  # on "only in the app"
    assert 'data-browser-timezone' in page
    assert '<option selected value="Europe/Moscow">' in page


def test_goals_are_offered_only_when_the_teacher_has_some(client, app):
    assert 'name="goal"' not in client.get("/register").text
    with app.app_context():
        Goal.create(name="ЕГЭ", position=1)
        Goal.create(name="Старое", retired=True)
    page = client.get("/register").text
    assert "ЕГЭ" in page and "Старое" not in page


def test_registering_logs_in_and_shows_the_dialog(client, app):
    response = client.submit("/register", form(), page="/register")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    home = client.get("/").text
    assert "<dialog" in home and "data-modal" in home
    assert "Мария Смирнова" in home
    with app.app_context():
        user = User.by_login("maria.s")
        assert user.timezone == "Europe/Samara" and user.locale == "ru"
        assert Message.get(Message.user == user).kind == "welcome"
    assert "<dialog class=\"notice\" open" not in client.get("/").text  # shown once


def test_the_language_of_the_page_becomes_the_accounts(english, app):
    english.submit("/register", form(), page="/register")
    with app.app_context():
        assert User.by_login("maria.s").locale == "en"
        assert Message.get(Message.kind == "welcome").subject == "Your account has been created"


def test_a_weak_password_is_refused_with_advice_and_nothing_is_lost(english, app):
    response = english.submit("/register", form(password="maria.s2024"), page="/register")
    assert response.status_code == 200
    assert "This password is too easy to guess." in response.text
    assert 'value="Мария"' in response.text and 'value="maria@example.org"' in response.text
    assert "maria.s2024" not in response.text  # a password is never sent back
    # The field comes back empty, and so does its meter (the error keeps the advice).
    assert 'id="password-strength"' in response.text and "<meter" not in response.text
    with app.app_context():
        assert User.select().count() == 0


def test_a_taken_login_is_a_field_error(english, create_student):
    create_student(login="maria.s")
    response = english.submit("/register", form(login="Maria.S"), page="/register")
    assert "This login is taken." in response.text
    assert 'aria-invalid="true"' in response.text
    assert 'value="Смирнова"' in response.text


def test_a_taken_email_is_a_field_error(english, create_student):
    create_student(login="other", email="maria@example.org", channel="email")
    response = english.submit("/register", form(), page="/register")
    assert "An account with this e-mail already exists." in response.text


@pytest.mark.parametrize("changes,message", [
    ({"first_name": ""}, "Enter your first name."),
    ({"last_name": "Smith2"}, "Use letters only"),
    ({"login": "a b"}, "3 to 32 characters"),
    ({"email": ""}, "Enter your e-mail, or choose another channel."),
    ({"email": "maria@"}, "This does not look like an e-mail address."),
    ({"channel": "pigeon"}, "Choose a channel from the list."),
    ({"timezone": "Mars/Base"}, "Choose a time zone from the list."),
    ({"goal": "999"}, "Choose a goal from the list."),
    ({"password": "x" * 300}, "At most 256 characters."),
    ({"digest_time": "25:99"}, "Not a valid time value."),
])
def test_bad_input_gets_a_clear_message(english, changes, message, app):
    response = english.submit("/register", form(**changes), page="/register")
    assert response.status_code == 200
    assert message in response.text
    with app.app_context():
        assert User.select().count() == 0


def test_telegram_needs_no_address(client, app):
    client.submit("/register", form(channel="telegram", email=""), page="/register")
    with app.app_context():
        assert User.by_login("maria.s").channel == User.TELEGRAM


@pytest.mark.parametrize("changes", [{"channel": "none"}, {"opt_out": "y"}])  # and older pages
def test_only_in_the_app_needs_no_address(client, app, changes):
    client.submit("/register", form(email="", **changes), page="/register")
    with app.app_context():
        user = User.by_login("maria.s")
        assert user.channel == User.NO_CHANNEL
        assert not Message.select().where(Message.status == Message.SENT).exists()


def test_a_logged_in_user_is_sent_home(client, auth, teacher):
    auth.login()
    assert client.get("/register").headers["Location"] == "/"


@pytest.mark.config(RATELIMIT_ENABLED=True, REGISTER_RATE_LIMIT="3 per hour", **OUTSIDE)
def test_registration_is_rate_limited(english):
    token = english.csrf_token("/register")
    statuses = [english.post("/register", data={**form(first_name=""), "csrf_token": token})
                .status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert "Too many attempts" in english.post("/register", data={"csrf_token": token}).text


# --- the live checks --------------------------------------------------------------------

def test_password_strength_fragment(client):
    token = client.csrf_token("/register")
    weak = client.post("/password-strength", data={"password": "maria.s1", "login": "maria.s"},
                       headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert weak.status_code == 200
    assert weak.text.lstrip().startswith('<div id="password-strength"')
    assert "<html" not in weak.text
    score = int(re.search(r'<meter[^>]*value="(\d)"', weak.text).group(1))
    assert score <= 2
    strong = client.post("/password-strength", data={"password": GOOD_PASSWORD},
                         headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert int(re.search(r'<meter[^>]*value="(\d)"', strong.text).group(1)) >= 3


def test_password_strength_needs_no_csrf_token_and_sets_no_cookie(client):
    # It changes nothing, and a check still in flight when the registration logs the
    # user in must not fail (tests/views/test_session_race.py).
    response = client.post("/password-strength", data={"password": "x"})
    assert response.status_code == 200 and "Set-Cookie" not in response.headers


@pytest.fixture
def dadata(app, httpserver):
    app.config["DADATA_API_KEY"] = "dadata-key"
    app.config["DADATA_URL"] = httpserver.url_for("").rstrip("/")
    return httpserver


def test_name_inputs_ask_for_suggestions_when_dadata_is_configured(client, dadata):
    page = client.get("/register").text
    assert 'hx-get="/register/suggest/first_name"' in page
    assert 'list="first_name-suggestions"' in page
    assert '<datalist id="last_name-suggestions">' in page


def test_without_a_key_names_are_plain_inputs(client):
    page = client.get("/register").text
    assert "hx-get" not in page.split('name="first_name"')[1].split(">")[0]
    assert client.get("/register/suggest/first_name?first_name=Ма").text.count("<option") == 0


def test_suggestions_come_from_dadata(client, dadata):
    dadata.expect_request(
        "/suggestions/api/4_1/rs/suggest/fio", method="POST",
        headers={"Authorization": "Token dadata-key"},
        json={"query": "Мар", "count": 5, "parts": ["NAME"]},
    ).respond_with_json({"suggestions": [
        {"value": "Мария", "unrestricted_value": "Мария",
         "data": {"surname": None, "name": "Мария", "patronymic": None, "gender": "FEMALE",
                  "source": None, "qc": "0"}},
        {"value": "Марина", "unrestricted_value": "Марина",
         "data": {"surname": None, "name": "Марина", "patronymic": None, "gender": "FEMALE",
                  "source": None, "qc": "0"}}]})
    fragment = client.get("/register/suggest/first_name?first_name=Мар",
                          headers={"HX-Request": "true"})
    assert fragment.text.strip().startswith('<datalist id="first_name-suggestions">')
    assert '<option value="Мария">' in fragment.text
    assert '<option value="Марина">' in fragment.text


def test_dadata_being_down_leaves_an_empty_list(client, dadata, caplog):
    dadata.expect_request("/suggestions/api/4_1/rs/suggest/fio").respond_with_data(
        "oops", status=502)
    fragment = client.get("/register/suggest/last_name?last_name=Смир")
    assert fragment.status_code == 200
    assert "<option" not in fragment.text
    assert "DaData suggestions unavailable" in caplog.text


def test_registration_goes_on_when_the_verifier_is_down(client, app, httpserver):
    app.config["EMAIL_VERIFIER_TOKEN"] = "t"
    app.config["EMAIL_VERIFIER_URL"] = httpserver.url_for("").rstrip("/")
    httpserver.expect_request("/verify/maria@example.org").respond_with_data("", status=500)
    assert client.submit("/register", form(), page="/register").status_code == 302


def test_an_address_the_verifier_rejects_is_refused(english, app, httpserver):
    app.config["EMAIL_VERIFIER_TOKEN"] = "t"
    app.config["EMAIL_VERIFIER_URL"] = httpserver.url_for("").rstrip("/")
    httpserver.expect_request("/verify/maria@example.org").respond_with_json(
        {"status": False, "error": {"code": 1, "message": "Mailbox does not exist"}})
    response = english.submit("/register", form(), page="/register")
    # In our words (the service's are English only), by what its message says.
    assert ("This address cannot receive mail: the mailbox or its domain does not exist."
            in response.text)


# --- a plain install: neither e-mail nor Telegram is set up ---------------------------

@pytest.mark.config()
def test_without_outside_channels_only_the_app_is_offered(english):
    page = english.get("/register").text
    assert 'name="channel" type="radio" value="none"' in page
    assert 'value="email"' not in page and 'value="telegram"' not in page
    assert 'name="email"' not in page
    assert "Only in the app (the bell icon)" in page
    assert "can then be reset only by the teacher" in page  # no recovery without a channel
    assert 'data-dialog-trigger' not in page  # nothing else to keep


@pytest.mark.config()
@pytest.mark.parametrize("channel", ["email", "telegram"])
def test_a_channel_not_set_up_is_a_form_error_not_a_save(english, app, channel):
    response = english.submit("/register", form(channel=channel), page="/register")
    assert response.status_code == 200
    assert "This channel is not set up on this site. Choose another." in response.text
    with app.app_context():
        assert User.select().count() == 0


@pytest.mark.config()
def test_without_outside_channels_registering_keeps_notifications_in_the_app(client, app):
    response = client.submit("/register", form(channel="none", email=""), page="/register")
    assert response.status_code == 302
    with app.app_context():
        user = User.by_login("maria.s")
        assert user.channel == User.NO_CHANNEL and user.email is None


@pytest.mark.config(EMAIL_BACKEND="console")
def test_the_log_backend_does_not_count_as_e_mail(client):
    assert 'value="email"' not in client.get("/register").text


@pytest.mark.config(TELEGRAM_BOT_TOKEN="123:abc", TELEGRAM_BOT_NAME="tutor_test_bot")
def test_telegram_alone_is_offered_when_only_the_bot_is_set_up(client):
    page = client.get("/register").text
    assert 'value="telegram"' in page and 'value="none"' in page
    assert 'value="email"' not in page
