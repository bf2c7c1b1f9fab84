"""Post a form the way a browser sends it untouched: what the page shows, nothing
added. A select sends its selected option, or its first one when none is marked
(what a browser does, and how Africa/Abidjan once replaced a saved time zone); a
checkbox or a radio button only when checked; a text field its value."""
from html.parser import HTMLParser
from urllib.parse import urlsplit

from werkzeug.datastructures import MultiDict

SKIPPED_INPUTS = {"submit", "button", "reset", "image", "file"}


class _Forms(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms = []  # (action, [(name, value)])
        self._form = None
        self._select = None  # [name, multiple, options [(value, selected)]]
        self._option = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("method", "get").lower() == "post":
            self._form = (attrs.get("action", ""), [])
            self.forms.append(self._form)
        if self._form is None or "disabled" in attrs:
            return
        fields = self._form[1]
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text").lower()
            if kind in SKIPPED_INPUTS:
                return
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    fields.append((name, attrs.get("value", "on")))
            else:
                fields.append((name, attrs.get("value", "")))
        elif tag == "select" and name:
            self._select = [name, "multiple" in attrs, []]
        elif tag == "option" and self._select is not None:
            self._option = [attrs.get("value"), "selected" in attrs, ""]
            self._select[2].append(self._option)
        elif tag == "textarea" and name:
            self._textarea = [name, ""]

    def handle_data(self, data):
        if self._option is not None:
            self._option[2] += data
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "option":
            self._option = None
        elif tag == "textarea" and self._textarea is not None:
            name, text = self._textarea
            self._form[1].append((name, text[1:] if text.startswith("\n") else text))
            self._textarea = None
        elif tag == "select" and self._select is not None:
            name, multiple, options = self._select
            values = [(value if value is not None else label.strip())
                      for value, selected, label in options if selected]
            if not values and options and not multiple:
                first = options[0]
                values = [first[0] if first[0] is not None else first[2].strip()]
            self._form[1].extend((name, value) for value in values)
            self._select = None


def form_as_shown(html, action):
    """The (name, value) pairs a browser posts for the form that posts to `action`."""
    parser = _Forms()
    parser.feed(html)
    for form_action, fields in parser.forms:
        if urlsplit(form_action).path == action:
            return fields
    raise AssertionError(f"no form posting to {action}")


def post_as_shown(browser, page, action, changes=None, headers=None):
    """GET `page`, then post its form for `action` as shown, with `changes` (what
    the user typed) put in place of the shown values."""
    fields = form_as_shown(browser.get(page).text, action)
    changes = dict(changes or {})
    data = [(name, changes.pop(name) if name in changes else value) for name, value in fields]
    data += list(changes.items())
    return browser.post(action, data=MultiDict(data), headers=headers or {})
