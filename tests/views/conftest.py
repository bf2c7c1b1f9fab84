"""Fixtures the view tests share."""
import pytest

from tutor.services import calendar


@pytest.fixture
def builds(monkeypatch):
    """The weeks built while a test runs: one entry (the arguments) per build."""
    built = []
    build = calendar.build_week

    def counting(*args):
        built.append(args)
        return build(*args)
    monkeypatch.setattr(calendar, "build_week", counting)
    return built
