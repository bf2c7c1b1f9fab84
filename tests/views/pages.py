"""What the view tests share to ask for pages and read them: the htmx header
(HTMX), this week's address (THIS_WEEK), one day of a week page (day_of), its free
cells (free_cells); and for the availability page, the settings form as saved
(SETTINGS), the ready calendar's windows (WINDOWS), the windows saved (windows) and
the ones the weekly grid shows (shown_windows)."""
import re
from datetime import time

from tutor.models import AvailabilityWindow

HTMX = {"HX-Request": "true"}
THIS_WEEK = "/?week=2026-11-23"  # factories.MONDAY_MORNING's week
WINDOWS = [(1, time(10), time(14)), (2, time(10), time(14)), (3, time(10), time(14))]
SETTINGS = {"lesson_length_minutes": "60", "buffer_minutes": "0", "min_notice_hours": "12",
            "horizon_days": "56", "cancellation_notice_hours": "24", "default_price": "0",
            "timezone": "Europe/Moscow", "max_pending_lessons": "10", "max_pending_series": "2"}


def day_of(page, iso_date):
    """The part of a week page showing one day."""
    start = page.index(f'aria-labelledby="day-{iso_date}"')
    end = page.find('<section class="day', start)
    return page[start:end if end != -1 else None]


def free_cells(html):
    return html.count('class="cell cell-free"')


def windows(app):
    with app.app_context():
        return [(w.weekday, w.start, w.end) for w in AvailabilityWindow.select().order_by(
            AvailabilityWindow.weekday, AvailabilityWindow.start)]


WINDOW_INPUTS = re.compile(r'id="w-(\d)-\d{4}-start" name="start" value="([\d:]+)" required>\s*'
                           r'<span aria-hidden="true">–</span>\s*<label[^>]*>[^<]*</label>\s*'
                           r'<input type="time" id="w-\d-\d{4}-end" name="end" value="([\d:]+)"')


def shown_windows(page):
    """The weekly grid's windows as the page shows them: (weekday, "HH:MM", "HH:MM")."""
    return [(int(day), start, end) for day, start, end in WINDOW_INPUTS.findall(page)]
