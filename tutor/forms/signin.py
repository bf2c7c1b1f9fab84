"""Forms of signing in with Yandex ID and the Telegram Login Widget."""
from wtforms import HiddenField

from tutor.forms.accounts import RegistrationForm
from tutor.forms.base import FlaskForm
from tutor.services import accounts
from tutor.services.passwords import random_password


class YandexRegistrationForm(RegistrationForm):
    """Registration's rules without a password (Yandex ID is the way in): the names come
    filled in from Yandex, the person adds only what is missing."""

    password = None

    def personal_words(self):
        return []

    def registration(self, locale):
        return accounts.Registration(
            first_name=self.first_name.data, last_name=self.last_name.data,
            login=self.login.data, password=random_password(),
            channel=self.chosen_channel, email=self.email.data or None,
            digest_time=self.digest_time.data, goal_id=self.goal.data,
            timezone=self.timezone.data, locale=locale)


class TelegramLoginForm(FlaskForm):
    """What the Login Widget's callback hands the page, posted with our CSRF token."""

    id = HiddenField()
    first_name = HiddenField()
    last_name = HiddenField()
    username = HiddenField()
    photo_url = HiddenField()
    auth_date = HiddenField()
    hash = HiddenField()

    def payload(self):
        return {name: self[name].data or "" for name in
                ("id", "first_name", "last_name", "username", "photo_url", "auth_date",
                 "hash")}
