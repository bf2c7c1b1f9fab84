"""Sums of money as people type and read them, in roubles with kopecks.

Typed: digits, optionally grouped by thousands with spaces (a no-break space too, as
copied from a page), and one decimal separator, comma or point, with one or two
digits after it. So "2000", "2000,50", "2 000,50" and "2000.50" are the same in any
browser and any language. Anything a reader could take two ways is refused rather
than guessed: both a comma and a point ("2.000,50", "2,000.50"), several separators
("1,5,0"), three digits after one separator ("2,000": two thousand, or two?), more
than two decimals.

Shown: grouped by the language's rule, kopecks only when there are any and then
always two digits ("1 500", "1 500,50", never "1 500,5"). `input_text` writes an
amount the way `parse_amount` reads it back, for a form field's value."""
import re
from decimal import Decimal

from babel.numbers import format_decimal, get_decimal_symbol

CENT = Decimal("0.01")

# Spaces a person or a copied page puts between thousands.
_SPACES = re.compile(r"[ \u00a0\u202f\u2009]")
_WHOLE = re.compile(r"[0-9]{1,3}(?: [0-9]{3})+|[0-9]+")
_FRACTION = re.compile(r"[0-9]+")
_PARTS = re.compile(r"([^.,]*)([.,]?)(.*)", re.DOTALL)

NOT_A_NUMBER = "not_a_number"  # letters, a sign, an empty part
AMBIGUOUS = "ambiguous"  # a comma and a point, several separators, "2,000"
TOO_PRECISE = "too_precise"  # more than two decimals


class InvalidAmount(ValueError):
    """`kind` is one of the constants above; the form says it in the user's words."""

    def __init__(self, kind):
        super().__init__(kind)
        self.kind = kind


def parse_amount(text):
    """The Decimal (two places) that `text` means, or InvalidAmount. Bounds are the
    caller's: each service has its own (schedule.MAX_PRICE, balances.MAX_AMOUNT)."""
    text = _SPACES.sub(" ", (text or "").strip())
    if len(re.findall(r"[.,]", text)) > 1:
        raise InvalidAmount(AMBIGUOUS)
    whole, separator, fraction = _PARTS.fullmatch(text).groups()
    if not _WHOLE.fullmatch(whole) or (separator and not _FRACTION.fullmatch(fraction)):
        raise InvalidAmount(NOT_A_NUMBER)
    if len(fraction) == 3 and len(whole) <= 3 and whole.strip("0"):
        raise InvalidAmount(AMBIGUOUS)  # "2,000": two thousand in English, two in Russian
    if len(fraction) > 2:
        raise InvalidAmount(TOO_PRECISE)
    # Exact at any length: a string, not arithmetic, so no context precision applies.
    return Decimal(f"{whole.replace(' ', '')}.{fraction.ljust(2, '0')}")


def format_amount(value, locale):
    """An amount as `locale` writes it: "1 500", "1 500,50" / "1,500", "1,500.50"."""
    value = Decimal(value or 0)
    whole = value == value.to_integral_value()
    return format_decimal(value, "#,##0" if whole else "#,##0.00", locale=locale)


def input_text(value, locale):
    """An amount for a text field: no grouping, the language's decimal sign ("1500,50"
    / "1500.50"), which parse_amount reads back in either language."""
    if value is None or value == "":
        return ""
    value = Decimal(value)
    if value == value.to_integral_value():
        return f"{value:.0f}"
    return f"{value:.2f}".replace(".", get_decimal_symbol(locale))
