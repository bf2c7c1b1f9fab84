"""The one rule of when two stretches of time meet (tutor/spans.py): half-open, the
same on values as in the WHERE clause the models build from it."""
from datetime import datetime, timedelta
from itertools import product

import pytest

from tutor.models import UnavailableInterval
from tutor.spans import overlap

NINE = datetime(2026, 12, 9, 9, 0)


def hours(start, end):
    return NINE + timedelta(hours=start), NINE + timedelta(hours=end)


@pytest.mark.parametrize("first, second, meet", [
    ((0, 2), (1, 3), True),     # partly
    ((0, 4), (1, 2), True),     # one inside the other
    ((1, 2), (0, 4), True),
    ((0, 2), (0, 2), True),     # the same
    ((0, 2), (2, 3), False),    # one ends as the other starts
    ((2, 3), (0, 2), False),
    ((0, 1), (2, 3), False),    # apart
])
def test_values(first, second, meet):
    assert overlap(*hours(*first), *hours(*second)) is meet


def test_the_database_answers_as_the_values_do(app_ctx, teacher):
    """Every stored interval of a small grid against every asked range: the rows the
    query returns are exactly those the rule says of the values."""
    stretches = [(start, end) for start, end in product(range(5), repeat=2) if start < end]
    stored = {UnavailableInterval.create(teacher=teacher, start=hours(*stretch)[0],
                                         end=hours(*stretch)[1]).id: stretch
              for stretch in stretches}
    for asked in stretches:
        found = {row.id for row in UnavailableInterval.in_range(teacher, *hours(*asked))}
        expected = {id_ for id_, stretch in stored.items()
                    if overlap(*hours(*stretch), *hours(*asked))}
        assert found == expected, asked
