"""The locale-dependent filters take the locale from the render's context
(formatting.in_render_locale): the words are the reader's, in Russian and English,
in a page, in a macro imported without context and in a message rendered under
force_locale, and a list of values asks Flask-Babel for the locale no more than once
and copies no context per value."""
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import jinja2.runtime
import pytest
from flask import render_template_string
from flask_babel import force_locale

from tutor import formatting

LIST = """{% for day in days %}{{ day | day_label }} {{ amount | money }};{% endfor %}"""
DAYS = [date(2026, 12, 7), date(2026, 12, 8)]
AMOUNT = Decimal("1500.50")


@pytest.mark.parametrize("lang, expected", [
    ("ru", "пн, 7 дек. 1\u00a0500,50;вт, 8 дек. 1\u00a0500,50;"),
    ("en", "Mon, 7 Dec 1,500.50;Tue, 8 Dec 1,500.50;"),
])
def test_the_readers_words(app, lang, expected):
    with app.test_request_context(), force_locale(lang):
        assert render_template_string(LIST, days=DAYS, amount=AMOUNT) == expected


def test_a_moment_and_a_zone(app):
    moment = datetime(2026, 12, 7, 15, 30, tzinfo=ZoneInfo("Europe/Moscow"))
    with app.test_request_context(), force_locale("en"):
        assert render_template_string(
            "{{ m | short_moment }} / {{ 'Europe/Berlin' | zone_label(at=m) }}", m=moment
        ) == "Dec 7, 2026, 15:30 / Berlin (UTC+1)"


def test_a_macro_imported_without_context_asks_babel(app):
    """No current_locale in a context-free macro: Flask-Babel's locale, still right."""
    macro = app.jinja_env.from_string("{% macro price(x) %}{{ x | money }}{% endmacro %}")
    with app.test_request_context(), force_locale("ru"):
        assert str(macro.module.price(AMOUNT)) == "1\u00a0500,50"


def test_a_list_asks_for_the_locale_once(app, monkeypatch):
    asked = []
    original = formatting.get_locale

    def counted():
        asked.append(1)
        return original()
    monkeypatch.setattr(formatting, "get_locale", counted)
    monkeypatch.setattr("tutor.template_globals.get_locale", counted)
    formatting._date_in.cache_clear()
    formatting._money_in.cache_clear()
    with app.test_request_context(), force_locale("en"):
        render_template_string(LIST, days=DAYS * 25, amount=AMOUNT)
    assert len(asked) == 1  # the context's current_locale, nothing per value


@pytest.mark.parametrize("lang, expected", [
    ("ru", "7 дек. 2026\u202fг., 15:30 / —"), ("en", "Dec 7, 2026, 15:30 / —")])
def test_a_stored_moment_in_a_table(app, lang, expected):
    """when: a naive UTC moment in the given zone, or a dash for none."""
    with app.test_request_context(), force_locale(lang):
        assert render_template_string(
            "{{ at | when('Europe/Moscow') }} / {{ none | when('Europe/Moscow') }}",
            at=datetime(2026, 12, 7, 12, 30)) == expected


def test_a_list_makes_no_context_per_value(app, monkeypatch):
    """The filters get the render's context as it is: a function taking the context,
    called as a global in a loop, gets a copy of it per call (Jinja's Context.derived:
    50 a list of students, a fifth of its rendering)."""
    copies = []
    original = jinja2.runtime.Context.derived

    def derived(self, *args):
        copies.append(1)
        return original(self, *args)
    monkeypatch.setattr(jinja2.runtime.Context, "derived", derived)
    with app.test_request_context(), force_locale("ru"):
        render_template_string(
            "{% for at in moments %}{% set n = loop.index %}{{ at | when('Europe/Moscow') }} "
            "{{ n | money }} {{ at.date() | short_date }}{% endfor %}",
            moments=[datetime(2026, 12, 7, 12, 30)] * 50)
    assert copies == []
