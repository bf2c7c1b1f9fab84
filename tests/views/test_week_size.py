"""The teacher's week is the largest fragment the app sends: every free cell carries a
link to book it and a button to block it, every lesson a tooltip. On the benchmark's
seeded calendar (bench/seed.py: a busy tutor, a third of the slots booked) a week's
fragment stays within 40 KB, in Russian, the default language (two bytes a letter).
It was 74 KB when issue #21 measured it and 45 KB before the last cut (bench/RESULTS.md,
"The teacher's week"); a few bytes more per cell add up to kilobytes again."""
import importlib.util
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import browser_for

ROOT = Path(__file__).resolve().parent.parent.parent
LIMIT = 40_000  # bytes
ANCHOR = datetime(2026, 12, 6, 6, 0)  # the seed's day, 09:00 in Moscow: a Sunday
WEEKS = 8  # the weeks after it, each its own mix of free slots, lessons and days off


def bench_seed():
    spec = importlib.util.spec_from_file_location("bench_seed", ROOT / "bench" / "seed.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def seeded(app, time_machine):
    """The benchmark's calendar (40 students: the week ahead is the same shape at
    every size), the clock on its day."""
    time_machine.move_to(ANCHOR, tick=False)
    seed = bench_seed()
    with app.app_context():
        seed.fill(students=40, lessons=2_000, years=1, anchor=ANCHOR.date(), log=lambda _: None)
    return seed


def test_the_teachers_week_stays_within_40_kb(app, client, seeded):
    teacher = browser_for(app, seeded.TEACHER_LOGIN, seeded.BENCH_PASSWORD, lang="ru")
    sizes = {}
    for n in range(1, WEEKS + 1):
        monday = (ANCHOR + timedelta(days=7 * n - ANCHOR.weekday())).date()
        response = teacher.get(f"/?week={monday}", headers={"HX-Request": "true"})
        assert response.status_code == 200 and 'id="week"' in response.text
        assert "Сделать недоступным" in response.text and "Показать ученика" in response.text
        sizes[monday.isoformat()] = len(response.data)
    over = {week: size for week, size in sizes.items() if size > LIMIT}
    assert not over, f"over {LIMIT:,} bytes: {over} (all: {sizes})"
