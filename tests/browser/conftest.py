"""Every page the browser tests open is watched: a CSP violation, a JavaScript error
or any console error fails the test. The pages close before the test's server stops.
What a test does on a page waits until a person could do it (wait_until_ready)."""
import pytest
from playwright.sync_api import Browser, Error, Locator, Page, expect

# What a person can do to a page through a locator, and with the keyboard.
ACTIONS = ("check", "clear", "click", "dblclick", "fill", "press", "press_sequentially",
           "select_option", "set_checked", "set_input_files", "tap", "type", "uncheck")
KEYS = ("down", "insert_text", "press", "type")
# A page is ready for a person once its scripts have run (the load event follows its
# deferred scripts: htmx, tutor.js) and htmx has settled what it last swapped in (for
# 20 ms a swapped-in link keeps its old attributes, not yet taken by htmx: Enter on it
# leaves the page). Acted on before that, a test was lost where no person can be: a
# filter changed before htmx took it, a field before tutor.js cleared its error, the
# next week's link pressed as the week swapped in.
# (Asked through locators and the load state, which need no script of the page's: some
# tests turn JavaScript off.)
SWAPPING = ".htmx-swapping, .htmx-settling"


def wait_until_ready(page):
    page.wait_for_load_state()
    expect(page.locator(SWAPPING)).to_have_count(0)


class KeyboardWhenReady:
    """A page's keyboard whose keys wait until the page is ready."""

    def __init__(self, page, keyboard):
        self._page, self._keyboard = page, keyboard

    def __getattr__(self, name):
        action = getattr(self._keyboard, name)
        if name not in KEYS:
            return action

        def when_ready(*args, **kwargs):
            wait_until_ready(self._page)
            return action(*args, **kwargs)
        return when_ready


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
def actions_when_ready(monkeypatch):
    for name in ACTIONS:
        def when_ready(self, *args, _action=getattr(Locator, name), **kwargs):
            wait_until_ready(self.page)
            return _action(self, *args, **kwargs)
        monkeypatch.setattr(Locator, name, when_ready)
    keyboard = Page.keyboard.fget
    monkeypatch.setattr(Page, "keyboard", property(
        lambda page: KeyboardWhenReady(page, keyboard(page))))
