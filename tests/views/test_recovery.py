"""Forgot password → link on the user's channel → new password twice → logged in."""
import re

import pytest

from tutor.models import Message, User

NEW_PASSWORD = "Северное-сияние-2031"


@pytest.fixture
def english(client):
    client.submit("/language/en")
    return client


@pytest.fixture
def maria(create_student):
    return create_student(login="maria", first_name="Мария", channel=User.EMAIL,
                          email="maria@example.org")


def reset_link(app):
    with app.app_context():
        body = (Message.select().where(Message.kind == "password_reset")
                .order_by(Message.id.desc()).get().body_text)
    return re.search(r"http://localhost(/reset/\S+)", body).group(1)


@pytest.mark.parametrize("identifier", ["maria", "nobody", "quiet"])
def test_the_answer_is_the_same_in_every_case(english, maria, create_student, identifier):
    create_student(login="quiet", channel=User.NO_CHANNEL)
    response = english.submit("/forgot", {"identifier": identifier})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    page = english.get("/login").text
    assert "If this account exists and has notifications turned on" in page


def test_a_link_is_sent_only_to_an_existing_account_with_a_channel(client, app, maria,
                                                                   create_student):
    create_student(login="quiet", channel=User.NO_CHANNEL)
    for identifier in ["nobody", "quiet", "maria@example.org"]:
        client.submit("/forgot", {"identifier": identifier})
    with app.app_context():
        assert [m.address for m in Message.select()] == ["maria@example.org"]


def test_asking_for_a_link_logs_the_user_out_everywhere(app, client, maria):
    logged_in = app.test_client()
    logged_in.submit("/login", {"login": "maria", "password": "Student-test-password-1"})
    assert "Выйти" in logged_in.get("/").text
    client.submit("/forgot", {"identifier": "maria"})
    assert "Выйти" not in logged_in.get("/").text


def test_the_link_sets_a_new_password_and_logs_in(english, app, maria):
    english.submit("/forgot", {"identifier": "maria"})
    link = reset_link(app)
    form = english.get(link)
    assert form.status_code == 200 and 'name="confirm"' in form.text

    mismatch = english.submit(link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "x"})
    assert "The two passwords differ." in mismatch.text
    weak = english.submit(link, {"password": "maria2024", "confirm": "maria2024"})
    assert "This password is too easy to guess." in weak.text

    done = english.submit(link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302
    assert "Your new password is set." in english.get("/").text
    assert "Log out" in english.get("/").text

    again = english.get(link)
    assert again.status_code == 400
    assert "This link no longer works" in again.text


def test_an_expired_link_is_refused(english, app, maria, time_machine):
    time_machine.move_to("2026-11-24 10:00:00+00:00", tick=False)
    english.submit("/forgot", {"identifier": "maria"})
    link = reset_link(app)
    time_machine.move_to("2026-11-24 11:01:00+00:00", tick=False)
    assert english.get(link).status_code == 400


@pytest.mark.config(RATELIMIT_ENABLED=True, RESET_RATE_LIMIT="2 per hour")
def test_recovery_is_rate_limited_per_account(english, maria, app):
    for _ in range(2):
        assert english.submit("/forgot", {"identifier": "maria"}).status_code == 302
    assert english.submit("/forgot", {"identifier": "MARIA"}).status_code == 429


@pytest.mark.config(PUBLIC_URL="https://tutor.example.org/", WTF_CSRF_ENABLED=False)
def test_the_link_uses_the_public_address_not_the_hosts_header(client, app, maria):
    """A forged Host header must not turn the e-mailed link into the attacker's.
    (No CSRF here: the test client keeps no cookies across host names.)"""
    response = client.post("/forgot", data={"identifier": "maria"},
                           headers={"Host": "evil.example.com"})
    assert response.status_code == 302
    with app.app_context():
        body = Message.get(Message.kind == "password_reset").body_text
    assert "https://tutor.example.org/reset/" in body and "evil" not in body


def test_reset_tokens_stay_out_of_the_request_log(english, app, maria, caplog):
    english.submit("/forgot", {"identifier": "maria"})
    link = reset_link(app)
    token = link.rsplit("/", 1)[1]
    with caplog.at_level("INFO", logger="tutor.requests"):
        english.get(link)
    lines = [r.getMessage() for r in caplog.records] + \
        [str(getattr(r, "path", "")) for r in caplog.records]
    assert any("/reset/<token>" in line for line in lines)
    assert not any(token in line for line in lines)
