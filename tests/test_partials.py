"""Each htmx fragment is a partial template (templates/**/partials/_*.html) that the
full page includes and that renders alone with what its view passes. So a partial says
what it reads: its leading comment (before any markup; only imports may come first)
names every variable it reads beyond the Jinja globals and the request-wide names,
as its "Context:" or, for a partial only ever included, the includer that sets them.
A name a parent template sets but the view does not pass would render as empty when
the fragment is rendered alone; naming the context makes that a thing to check."""
import re
from pathlib import Path

from jinja2 import meta

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
# What Flask and Flask-Login put in every template's context.
REQUEST_WIDE = {"request", "session", "g", "config", "current_user", "current_locale",
                "get_flashed_messages", "url_for"}
LEADING_COMMENT = re.compile(r"\s*(?:\{%-?\s*(?:from|import)\b.*?-?%\}\s*)*\{#-?(.*?)-?#\}",
                             re.S)
WORD = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")


def partials():
    return sorted(TEMPLATES.rglob("partials/_*.html"))


def leading_comment(source):
    found = LEADING_COMMENT.match(source)
    return found.group(1) if found else ""


def unnamed(env, source):
    """The variables `source` reads that are not globals and that its leading comment
    does not mention."""
    read = meta.find_undeclared_variables(env.parse(source))
    free = read - set(env.globals) - REQUEST_WIDE
    return sorted(free - set(WORD.findall(leading_comment(source))))


def test_every_partial_names_what_it_reads(app):
    missing = {str(path.relative_to(TEMPLATES)): names for path in partials()
               if (names := unnamed(app.jinja_env, path.read_text()))}
    assert not missing, ("partials whose leading comment does not name these:\n"
                         + "\n".join(f"  {path}: {', '.join(names)}"
                                     for path, names in missing.items()))


def test_the_scan_sees_what_a_partial_does_not_name(app):
    env = app.jinja_env
    named = '{# One item. Context: item. #}<p>{{ item.name }} {{ _("Open") }} {{ stray }}</p>'
    assert unnamed(env, named) == ["stray"]
    assert unnamed(env, '{% from "macros/forms.html" import csrf %}\n{# Context: stray. #}'
                        '{{ csrf() }}{{ stray }}') == []
    # A comment further down is not the partial's leading comment.
    assert unnamed(env, '<p>{{ stray }}</p>{# stray #}') == ["stray"]


def test_there_are_partials_to_check():
    assert len(partials()) > 40
