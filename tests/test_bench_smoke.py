"""The benchmarks run with tiny sizes so they cannot rot (figures are not checked)."""
import os
import re
import subprocess
import sys
from pathlib import Path

import psycopg2
import pytest

from tests.conftest import POSTGRES_URL
from tutor.database import open_database as peewee_connect

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.slow, pytest.mark.serial]  # timing or load: runs alone (make test's serial phase)


def test_digest_bench_runs(tmp_path):
    result = subprocess.run([sys.executable, "bench/digest_bench.py", "--students", "30"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "digests built: 30" in result.stdout
    assert "delivered to the local fake Mailgun: 30" in result.stdout


def run_seed(url, *args):
    result = subprocess.run([sys.executable, "bench/seed.py", "--database-url", url,
                             "--students", "40", "--lessons", "3000", "--anchor", "2026-11-23",
                             *args], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def lesson_rows(url):
    connection = peewee_connect(url)
    rows = connection.execute_sql('SELECT student_id, "start", "end", status, price FROM lessons '
                                  'ORDER BY "start"').fetchall()
    connection.close()
    return rows


def test_seed_fills_a_database_without_overlaps(empty_database_url):
    database_url = empty_database_url
    out = run_seed(database_url)
    assert "40 students, 3000 lessons" in out
    rows = lesson_rows(database_url)
    assert len(rows) == 3000
    assert {row[3] for row in rows} == {"pending", "confirmed"}
    assert all(a[2] <= b[1] for a, b in zip(rows, rows[1:])), "two lessons overlap"
    sys.path.insert(0, str(ROOT / "bench"))
    import seed
    assert seed.overlaps(database_url) == 0
    # An SQLite file or a PostgreSQL schema that has users is refused.
    result = subprocess.run([sys.executable, "bench/seed.py", "--database-url", database_url],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "already has users" in result.stderr


def test_seed_is_reproducible(tmp_path):
    first, second = f"sqlite:///{tmp_path / 'a.db'}", f"sqlite:///{tmp_path / 'b.db'}"
    run_seed(first)
    run_seed(second)
    assert lesson_rows(first) == lesson_rows(second)
    run_seed(second, "--replace", "--seed", "12")
    assert lesson_rows(first) != lesson_rows(second)


def test_report_bench_runs():
    result = subprocess.run([sys.executable, "bench/report_bench.py", "--sizes", "5,20"],
                            cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    rows = [line.split() for line in result.stdout.splitlines() if line.strip()[:1].isdigit()]
    assert [row[0] for row in rows] == ["5", "20"]
    assert "peak resident size of the process" in result.stdout


def test_report_profile_runs():
    """More lessons than the first part holds: the PDF is laid out in parts and joined."""
    result = subprocess.run([sys.executable, "bench/report_profile.py", "--lessons", "150"],
                            cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    assert "150 lessons:" in result.stdout
    for stage in ("lay out:", "write:", "collect:", "join:", "the rest:"):
        assert stage in result.stdout


def test_report_bench_refuses_bad_sizes():
    result = subprocess.run([sys.executable, "bench/report_bench.py", "--sizes", "ten"],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "comma-separated whole numbers" in result.stderr


def run_load(tmp_path, *args):
    env = {**os.environ, "ARGON2_TIME_COST": "1", "ARGON2_MEMORY_COST": "1024"}
    result = subprocess.run([sys.executable, "bench/load.py", "--students", "30",
                             "--duration", "1", "--warmup", "0", "--connections", "4",
                             "--data", str(tmp_path), *args],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_load_bench_runs(tmp_path):
    """Every scenario at two sizes, with wrk when it is installed (make bench installs it)."""
    out = run_load(tmp_path, "--sizes", "1000,2000", "--cpu-rounds", "1")
    table = out.split("\nscenario ")[-1]
    for scenario in ("bare", "week-student", "week-fragment", "week-fragment-new",
                     "week-teacher", "students-search", "booking"):
        assert f"\n{scenario} " in table
    assert "lessons booked, none overlapping" in out
    assert "latency growth from 1,000 to 2,000 lessons" in out


@pytest.mark.parametrize("generator", ["wrk", "python"])
def test_bookings_are_counted_over_the_time_the_slots_lasted(tmp_path, generator):
    out = run_load(tmp_path, "--sizes", "1000", "--cpu-rounds", "0", "--generator", generator,
                   "--scenarios", "booking", "--booking-slots", "40", "--duration", "20")
    lasted = re.search(r"the 40 free slots offered ran out after ([\d.]+) s of ([\d.]+) s: "
                       r"bookings/s counted over those", out)
    booked = int(re.search(r"(\d+) lessons booked", out)[1])
    # The Python generator stops with the slots, so its run may last no longer (to 0.1 s).
    assert lasted and float(lasted[1]) <= float(lasted[2])
    rate = float(re.search(r"\n  booking +([\d.]+) req/s", out)[1])
    # Intervals between bookings over the span printed to 0.1 s (so within its rounding).
    span = float(lasted[1])
    assert (booked - 1) / (span + 0.05) - 1 <= rate <= (booked - 1) / max(span - 0.05, 0.01) + 1
    assert rate > 2 * 40 / 20  # not 40 bookings over the whole --duration


def test_load_bench_python_generator(tmp_path):
    out = run_load(tmp_path, "--sizes", "1000", "--cpu-rounds", "0", "--generator", "python",
                   "--scenarios", "bare,week-fragment-new,booking")
    assert "generator python" in out
    assert "lessons booked, none overlapping" in out


@pytest.mark.skipif(not POSTGRES_URL, reason="PostgreSQL only (TEST_DATABASE_URL)")
def test_load_bench_runs_every_scenario_on_postgresql_beside_sqlite(tmp_path):
    try:
        out = run_load(tmp_path, "--sizes", "1000", "--cpu-rounds", "1",
                       "--postgresql", POSTGRES_URL)
    finally:
        connection = psycopg2.connect(POSTGRES_URL)
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("SELECT datname FROM pg_database WHERE datname = 'tutor_bench_run' "
                           "OR datname LIKE 'tutor_bench_seed_1000_30_%'")
            for (name,) in cursor.fetchall():
                cursor.execute(f"DROP DATABASE {name} WITH (FORCE)")
        connection.close()
    table = out.split("\nscenario ")[-1].split("\nPostgreSQL beside SQLite")[0]
    for scenario in ("bare", "week-student", "week-fragment", "week-fragment-new",
                     "week-teacher", "students-search", "booking"):
        for database in ("sqlite", "postgresql"):
            assert re.search(rf"\n{scenario} +{database} ", table), (scenario, database)
        assert re.search(rf"\n  {scenario} +1,000 +\d+%", out), scenario
    assert out.count("lessons booked, none overlapping") == 2


def test_lighthouse_scores_a_page_behind_the_login():
    """bench/lighthouse.py logs in, hands the cookie to Lighthouse (installed by
    make test) and stops if the page it scored is not the one asked for."""
    result = subprocess.run([sys.executable, "bench/lighthouse.py", "--only", "my lessons"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    rows = re.findall(r"^\| my lessons \| (mobile|desktop) \|((?: \d+ \|){4})$",
                      result.stdout, re.MULTILINE)
    assert [preset for preset, _ in rows] == ["mobile", "desktop"], result.stdout


def test_machinery_bench_runs_each_piece_with_and_without_it(tmp_path):
    """bench/machinery.py: every piece of the performance machinery and its scenarios,
    with the piece and without it (bench/without.py), in-process and over HTTP."""
    sys.path.insert(0, str(ROOT / "bench"))
    import machinery
    env = {**os.environ, "ARGON2_TIME_COST": "1", "ARGON2_MEMORY_COST": "1024"}
    result = subprocess.run([sys.executable, "bench/machinery.py", "--lessons", "1000",
                             "--students", "30", "--rounds", "1", "--duration", "1",
                             "--warmup", "0", "--connections", "4", "--cpu-rounds", "1",
                             "--cpu-requests", "2", "--data", str(tmp_path)],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    for piece, scenarios in machinery.SCENARIOS.items():
        table = result.stdout.split(f"\n{piece} on sqlite:")[1].split("\n\n")[0]
        for scenario in scenarios:
            assert re.search(rf"\n  {scenario} +[\d.]+ / +[\d.]+ ", table), (piece, scenario)
