"""Which outside channels deliver (tutor/services/channels.py): the one answer the
forms, the profile, the banner and the checklist share."""
import pytest

from tests.channels_config import EMAIL, OUTSIDE, TELEGRAM
from tutor.models import User
from tutor.services import channels

NOTHING = {"EMAIL_BACKEND": "console", "TELEGRAM_BOT_TOKEN": "", "TELEGRAM_BOT_NAME": ""}


@pytest.mark.parametrize("config,delivers", [
    ({"EMAIL_BACKEND": "console"}, False),  # the default: the log only
    ({"EMAIL_BACKEND": "log"}, False),
    ({"EMAIL_BACKEND": ""}, False),
    ({"EMAIL_BACKEND": "mailgun", "MAILGUN_DOMAIN": "mg.example.org"}, False),  # no key
    ({"EMAIL_BACKEND": "mailgun", "MAILGUN_API_KEY": "key-1"}, False),  # no domain
    ({"EMAIL_BACKEND": "mailgun", "MAILGUN_DOMAIN": "mg.example.org",
      "MAILGUN_API_KEY": "key-1"}, True),
    ({"EMAIL_BACKEND": "smtp", "SMTP_HOST": "smtp.example.org"}, True),
    ({"EMAIL_BACKEND": "smtp", "SMTP_HOST": ""}, False),
])
def test_e_mail_delivers_only_through_a_real_backend(config, delivers):
    assert channels.email_delivers(config) is delivers
    assert channels.delivers(User.EMAIL, config) is delivers


@pytest.mark.parametrize("config,delivers", [
    ({"TELEGRAM_BOT_TOKEN": "", "TELEGRAM_BOT_NAME": ""}, False),
    ({"TELEGRAM_BOT_TOKEN": "1:x", "TELEGRAM_BOT_NAME": ""}, False),
    ({"TELEGRAM_BOT_TOKEN": "1:x", "TELEGRAM_BOT_NAME": "@"}, False),
    ({"TELEGRAM_BOT_TOKEN": "", "TELEGRAM_BOT_NAME": "tutor_bot"}, False),
    ({"TELEGRAM_BOT_TOKEN": "1:x", "TELEGRAM_BOT_NAME": "@tutor_bot"}, True),
])
def test_telegram_delivers_with_a_token_and_a_name(config, delivers):
    assert channels.telegram_delivers(config) is delivers


@pytest.mark.parametrize("config,offered", [
    (NOTHING, ["none"]),
    ({**NOTHING, **EMAIL}, ["email", "none"]),
    ({**NOTHING, **TELEGRAM}, ["telegram", "none"]),
    (OUTSIDE, ["email", "telegram", "none"]),
])
def test_forms_offer_what_delivers_and_the_app(config, offered):
    assert channels.offered(config=config) == offered
    assert channels.offered(User.NO_CHANNEL, config=config) == offered


def test_a_stored_channel_that_stopped_delivering_is_still_shown():
    assert channels.offered(User.TELEGRAM, config=NOTHING) == ["none", "telegram"]
    assert channels.offered(User.EMAIL, config={**NOTHING, **TELEGRAM}) == [
        "telegram", "none", "email"]


@pytest.mark.parametrize("channel,stored,acceptable", [
    ("none", None, True),
    ("email", None, False),
    ("telegram", None, False),
    ("telegram", "telegram", True),  # kept unchanged while saving something else
    ("telegram", "email", False),
    ("pigeon", "pigeon", False),
])
def test_what_a_form_may_save_on_a_plain_install(channel, stored, acceptable):
    assert channels.acceptable(channel, stored, config=NOTHING) is acceptable


@pytest.mark.parametrize("fields,config,works", [
    ({"channel": "none"}, OUTSIDE, False),
    ({"channel": "email", "email": "a@example.org"}, OUTSIDE, True),
    ({"channel": "email", "email": "a@example.org"}, NOTHING, False),  # the log backend
    ({"channel": "email", "email": None}, OUTSIDE, False),
    ({"channel": "telegram", "telegram_chat_id": "42"}, OUTSIDE, True),
    ({"channel": "telegram", "telegram_chat_id": None}, OUTSIDE, False),  # not linked yet
    ({"channel": "telegram", "telegram_chat_id": "42"}, {**NOTHING, **EMAIL}, False),
])
def test_a_working_channel_delivers_and_has_an_address(fields, config, works):
    user = User(login="u", role=User.TEACHER, **fields)
    assert channels.has_working_channel(user, config) is works


def test_the_app_reads_its_own_settings(app_ctx):
    assert channels.delivering() == ()  # the tests' defaults: a plain install
    app_ctx.config.update(OUTSIDE)
    assert channels.delivering() == ("email", "telegram")
