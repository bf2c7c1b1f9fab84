"""Every page the browser tests open is watched: a CSP violation, a JavaScript error
or any console error fails the test. The pages close before the test's server stops."""
import pytest
from playwright.sync_api import Browser, Error


@pytest.fixture
def opened_contexts():
    """The browser contexts the test opened and has not closed (console_errors notes
    them)."""
    return []


@pytest.fixture(autouse=True)
def console_errors(monkeypatch, opened_contexts):
    errors = []
    original = Browser.new_context

    def watch(page):
        page.on("console", lambda message: errors.append(f"console: {message.text}")
                if message.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(f"page error: {error}"))

    def new_context(self, *args, **kwargs):
        context = original(self, *args, **kwargs)
        context.on("page", watch)
        opened_contexts.append(context)
        # "close" is emitted before close() returns
        context.on("close", lambda _: opened_contexts.remove(context))
        return context

    monkeypatch.setattr(Browser, "new_context", new_context)
    yield errors
    assert errors == [], "the browser reported errors"


@pytest.fixture
def live_server(live_server, opened_contexts):
    """tests/conftest.py's server, which stops only after the test's pages are closed:
    a request still in flight as the test ends (the favicon of the last page) would
    otherwise fail as the socket closes, and read as the page's console error."""
    yield live_server
    for context in list(opened_contexts):  # the ones the test left open
        try:
            context.close()
        except Error:  # closed with its browser
            pass
