"""Every page the browser tests open is watched: a CSP violation, a JavaScript error
or any console error fails the test. The pages close before the test's server stops.
What a test does on a page waits for the page's scripts to have run."""
import pytest
from playwright.sync_api import Browser, Error, Locator

# What a person can do to a page. Done by a test, each first waits for the page's load
# event, which follows its deferred scripts (htmx, tutor.js): an action sent between a
# new page's first paint and its scripts is one no person can make, and it was lost
# (a filter changed before htmx took it, a field before tutor.js cleared its error).
ACTIONS = ("check", "clear", "click", "dblclick", "fill", "press", "press_sequentially",
           "select_option", "set_checked", "set_input_files", "tap", "type", "uncheck")


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


@pytest.fixture(autouse=True)
def actions_after_scripts(monkeypatch):
    for name in ACTIONS:
        def after_load(self, *args, _action=getattr(Locator, name), **kwargs):
            self.page.wait_for_load_state()
            return _action(self, *args, **kwargs)
        monkeypatch.setattr(Locator, name, after_load)
