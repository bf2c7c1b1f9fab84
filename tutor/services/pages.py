"""Lists come back as a Page: one query for the rows, one for the total, however much
data there is."""
import math
from dataclasses import dataclass

PER_PAGE = 50


@dataclass(frozen=True)
class Page:
    items: list
    number: int
    per_page: int
    total: int

    @property
    def count(self):
        return max(1, math.ceil(self.total / self.per_page))

    def numbers(self, show=7):
        """Up to `show` page numbers around the current one."""
        start = max(1, min(self.number - show // 2, self.count - show + 1))
        return list(range(start, min(start + show, self.count + 1)))


def page_of(query, number, per_page, total=None):
    number = max(1, int(number or 1))
    total = query.count() if total is None else total
    return Page(list(query.paginate(number, per_page)), number, per_page, total)
