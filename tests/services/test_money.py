"""Sums of money as people type them (any browser, any language) and as they read them."""
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tutor.services import money

AMOUNTS = st.decimals(min_value=0, max_value=Decimal("99999999.99"), places=2)


@pytest.mark.parametrize("text,amount", [
    ("2000", "2000.00"),
    ("2000,50", "2000.50"),
    ("2000.50", "2000.50"),
    ("2 000,50", "2000.50"),
    ("2\u00a0000,50", "2000.50"),  # copied from a page: a no-break space
    ("2\u202f000,50", "2000.50"),  # the narrow one some languages group with
    ("1 500 000", "1500000.00"),
    ("2000,5", "2000.50"),
    ("0,5", "0.50"),
    ("0", "0.00"),
    ("  15 ", "15.00"),
    ("0,12", "0.12"),
])
def test_what_people_type_is_read_the_same_in_any_language(text, amount):
    assert money.parse_amount(text) == Decimal(amount)


@pytest.mark.parametrize("text,kind", [
    ("2.000,50", money.AMBIGUOUS),
    ("2,000.50", money.AMBIGUOUS),
    ("1,5,0", money.AMBIGUOUS),
    ("1.000.000", money.AMBIGUOUS),
    ("2,000", money.AMBIGUOUS),  # two thousand in English, two in Russian
    ("100.500", money.AMBIGUOUS),
    ("2000,505", money.TOO_PRECISE),
    ("0,125", money.TOO_PRECISE),
    ("", money.NOT_A_NUMBER),
    ("abc", money.NOT_A_NUMBER),
    ("-5", money.NOT_A_NUMBER),
    ("1e3", money.NOT_A_NUMBER),
    ("2000,", money.NOT_A_NUMBER),
    (",50", money.NOT_A_NUMBER),
    ("20 00", money.NOT_A_NUMBER),  # spaces only between thousands
    ("2  000", money.NOT_A_NUMBER),
    ("١٢", money.NOT_A_NUMBER),  # digits of another script
    ("NaN", money.NOT_A_NUMBER),
])
def test_anything_a_reader_could_take_two_ways_is_refused(text, kind):
    with pytest.raises(money.InvalidAmount) as refused:
        money.parse_amount(text)
    assert refused.value.kind == kind


@given(AMOUNTS)
def test_an_amount_shown_in_russian_reads_back_as_itself(amount):
    assert money.parse_amount(money.format_amount(amount, "ru")) == amount


@given(AMOUNTS, st.sampled_from(["ru", "en"]))
def test_a_form_fields_value_reads_back_as_itself(amount, locale):
    assert money.parse_amount(money.input_text(amount, locale)) == amount


@given(st.text(max_size=30))
def test_any_text_is_an_amount_or_a_named_refusal(text):
    try:
        amount = money.parse_amount(text)
    except money.InvalidAmount as refused:
        assert refused.kind in (money.NOT_A_NUMBER, money.AMBIGUOUS, money.TOO_PRECISE)
    else:
        # Two places, read off the exponent: quantize would overflow the 28-digit
        # context on the long amounts the parser keeps exactly.
        assert amount >= 0 and amount.as_tuple().exponent == -2


@pytest.mark.parametrize("value,locale,shown", [
    (Decimal("1500.5"), "ru", "1\u00a0500,50"),
    (Decimal("1500.50"), "en", "1,500.50"),
    (Decimal("1500"), "ru", "1\u00a0500"),
    (Decimal("1500.00"), "en", "1,500"),
    (None, "ru", "0"),
])
def test_kopecks_show_in_two_digits_or_not_at_all(value, locale, shown):
    assert money.format_amount(value, locale) == shown


@pytest.mark.parametrize("value,locale,text", [
    (Decimal("1500.5"), "ru", "1500,50"),
    (Decimal("1500.50"), "en", "1500.50"),
    (Decimal("2000.00"), "ru", "2000"),
    (None, "ru", ""),
])
def test_a_form_field_shows_the_amount_without_grouping(value, locale, text):
    assert money.input_text(value, locale) == text
