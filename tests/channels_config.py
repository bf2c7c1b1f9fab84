"""Outside channels for tests of the configured path. By default (as after a plain
install) neither e-mail nor Telegram delivers, and the forms offer only "in the app"
(tutor/services/channels.py). Nothing listens at these addresses: a test that needs
a delivery to succeed uses the fakes (tests/fake_telegram.py, a Mailgun httpserver)."""
import pytest

UNREACHABLE = "http://127.0.0.1:9"
EMAIL = {"EMAIL_BACKEND": "mailgun", "MAILGUN_DOMAIN": "mg.example.org",
         "MAILGUN_API_KEY": "key-test", "MAILGUN_URL": UNREACHABLE}
TELEGRAM = {"TELEGRAM_BOT_TOKEN": "123456:test-token", "TELEGRAM_BOT_NAME": "tutor_test_bot",
            "TELEGRAM_API_URL": UNREACHABLE}
OUTSIDE = {**EMAIL, **TELEGRAM}

outside_channels = pytest.mark.config(**OUTSIDE)  # e-mail and Telegram both set up
