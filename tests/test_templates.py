"""What every template does one way: a POST form carries its CSRF token through
macros/forms.html (csrf(), hidden_fields(form) or post_button), never an input written
by hand, so where the token comes from stays one place."""
import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
MACROS = TEMPLATES / "macros" / "forms.html"
POST_FORM = re.compile(r'<form\b[^>]*\bmethod="post"[^>]*>(.*?)</form>', re.S)
TOKEN_FROM_MACRO = re.compile(r"\{\{-? *(csrf\(\)|hidden_fields\()")


def templates():
    return sorted(path for path in TEMPLATES.rglob("*.html") if path != MACROS)


def test_no_template_writes_the_token_input_by_hand():
    by_hand = [str(path.relative_to(TEMPLATES)) for path in templates()
               if 'name="csrf_token"' in path.read_text()]
    assert by_hand == []


def test_every_post_form_carries_the_token():
    without = [f"{path.relative_to(TEMPLATES)}: {body.strip()[:60]!r}"
               for path in templates()
               for body in POST_FORM.findall(path.read_text())
               if not TOKEN_FROM_MACRO.search(body)]
    assert without == []


def test_the_scan_sees_a_form_without_the_token():
    assert not TOKEN_FROM_MACRO.search(POST_FORM.findall(
        '<form method="post" action="/x"><button>Go</button></form>')[0])
