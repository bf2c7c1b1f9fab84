"""Every page the browser tests open is watched: a CSP violation, a JavaScript error
or any console error fails the test."""
import pytest
from playwright.sync_api import Browser


@pytest.fixture(autouse=True)
def console_errors(monkeypatch):
    errors = []
    original = Browser.new_context

    def watch(page):
        page.on("console", lambda message: errors.append(f"console: {message.text}")
                if message.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(f"page error: {error}"))

    def new_context(self, *args, **kwargs):
        context = original(self, *args, **kwargs)
        context.on("page", watch)
        return context

    monkeypatch.setattr(Browser, "new_context", new_context)
    yield errors
    assert errors == [], "the browser reported errors"
