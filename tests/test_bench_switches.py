"""bench/without.py switches each piece of the performance machinery off for real: a
"without" that quietly ran with the piece would show no gain, and a piece that pays
would be removed on its figures."""
import fcntl
import sys
from pathlib import Path

import pytest

from tests import factories
from tests.conftest import TEACHER_PASSWORD, browser_for
from tutor.database import exclusive, open_database
from tutor.models import User
from tutor.models import accounts as account_models
from tutor.services import calendar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import without  # noqa: E402


def counted(monkeypatch, target, name):
    calls = []
    original = getattr(target, name)

    def counting(*args, **kwargs):
        calls.append(args)
        return original(*args, **kwargs)
    monkeypatch.setattr(target, name, counting)
    return calls


@pytest.mark.parametrize("login", [None, "teacher"])
def test_without_the_kept_weeks_every_week_is_built(app, client, teacher, time_machine,
                                                    monkeypatch, login):
    factories.ready_calendar(app, teacher, time_machine)
    builds = counted(monkeypatch, calendar, "build_week")
    browser = browser_for(app, login, TEACHER_PASSWORD)

    def fragments():
        before = len(builds)
        for _ in range(3):
            response = browser.get("/?week=2026-11-23", headers={"HX-Request": "true"})
            assert response.status_code == 200
        return len(builds) - before
    with without.switched_off(["kept-weeks"]):
        assert fragments() == 3
    assert fragments() <= 1


def test_without_prepared_each_query_is_built_again(app_ctx, teacher, monkeypatch):
    prepared = account_models._FIRST_TEACHER
    builds = counted(monkeypatch, prepared, "build")
    prepared._sql.clear()
    with without.switched_off(["prepared"]):
        assert [User.first_teacher().id for _ in range(3)] == [teacher.id] * 3
        assert len(builds) == 3
    assert [User.first_teacher().id for _ in range(3)] == [teacher.id] * 3
    assert len(builds) == 4


def test_without_the_flock_writers_take_no_lock_file(tmp_path):
    database = open_database(f"sqlite:///{tmp_path / 'w.db'}")
    lock_file = tmp_path / "w.db-writers.lock"

    def lock_file_taken():
        with exclusive(database, "x"), open(lock_file, "ab") as probe:
            try:
                fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(probe, fcntl.LOCK_UN)
            return False
    with without.switched_off(["flock"]):
        assert not lock_file_taken()
    assert lock_file_taken()
    database.close()
