"""The Telegram Login Widget's check (https://core.telegram.org/widgets/login,
"Checking authorization"): the data-check-string, the key, and the day it is good for."""
from datetime import datetime, timedelta

import pytest

from tutor.services import signin

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
SIGNED_AT = datetime(2026, 12, 1, 12, 0)
STAMP = str(int((SIGNED_AT - datetime(1970, 1, 1)).total_seconds()))


def payload(**fields):
    fields = {"id": "42", "first_name": "Мария", "username": "Maria_TG", "auth_date": STAMP,
              **fields}
    return {**fields, "hash": signin.telegram_signature(fields, TOKEN)}


def test_the_check_string_is_the_sorted_fields_without_the_hash():
    assert signin.check_string({"id": "42", "auth_date": "1", "hash": "x", "first_name": "M"}) \
        == "auth_date=1\nfirst_name=M\nid=42"


def test_a_signed_payload_names_its_person():
    login = signin.verify_telegram(payload(), TOKEN, now=SIGNED_AT + timedelta(hours=23))
    assert (login.id, login.username, login.first_name) == ("42", "maria_tg", "Мария")


@pytest.mark.parametrize("age", [timedelta(days=1, seconds=1), timedelta(minutes=-6)])
def test_older_than_a_day_or_from_the_future_is_refused(age):
    with pytest.raises(signin.ExpiredLogin):
        signin.verify_telegram(payload(), TOKEN, now=SIGNED_AT + age)


@pytest.mark.parametrize("change", [
    {"first_name": "Борис"},  # a field changed after signing
    {"photo_url": "https://t.me/i/userpic/1.jpg"},  # a field added
    {"hash": "ф" * 64},  # not hex at all
    {"hash": ""},
    {"auth_date": "99999999999999999999"},
])
def test_anything_but_the_signed_payload_is_refused(change):
    with pytest.raises(signin.ForgedLogin):
        signin.verify_telegram({**payload(), **change}, TOKEN, now=SIGNED_AT)


def test_another_bots_signature_is_refused():
    with pytest.raises(signin.ForgedLogin):
        signin.verify_telegram(payload(), "987:other-bot", now=SIGNED_AT)


def test_an_absurd_signed_date_is_refused_not_a_crash():
    fields = {"id": "42", "auth_date": "9" * 30}
    with pytest.raises(signin.ExpiredLogin):
        signin.verify_telegram({**fields, "hash": signin.telegram_signature(fields, TOKEN)},
                               TOKEN, now=SIGNED_AT)
