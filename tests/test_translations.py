"""Every text in the code and templates has a Russian translation, and the
compiled catalog the app loads is current."""
from io import BytesIO
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "tutor/translations/ru/LC_MESSAGES/messages.po"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}


def source_messages():
    method_map = [("tutor/**.py", "python"), ("templates/**.html", "jinja2")]
    found = set()
    for _, _, message, _, _ in extract_from_dir(str(ROOT), method_map, keywords=KEYWORDS):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_every_text_has_a_russian_translation():
    catalog = read_po(PO.open("rb"))
    translated = {m.id if isinstance(m.id, str) else m.id[0]
                  for m in catalog if m.id and complete(m.string) and not m.fuzzy}
    missing = sorted(source_messages() - translated)
    assert missing == [], "run `make messages` and translate these in messages.po"


def complete(string):
    """A translation, with every plural form filled in (Russian has three)."""
    return bool(string) if isinstance(string, str) else len(string) == 3 and all(string)


def test_no_obsolete_or_fuzzy_entries_linger():
    catalog = read_po(PO.open("rb"))
    assert not catalog.obsolete
    assert [m.id for m in catalog if m.id and m.fuzzy] == []


def test_compiled_catalog_matches_the_po_file():
    mo = PO.with_suffix(".mo")
    assert mo.exists(), "make translations compiles it"
    compiled = read_mo(BytesIO(mo.read_bytes()))
    source = read_po(PO.open("rb"))
    assert entries(compiled) == entries(source)


def entries(catalog):
    """Plural entries come back as lists from .mo files and tuples from .po files."""
    def key(value):
        return value if isinstance(value, str) else tuple(value)
    return {key(m.id): key(m.string) for m in catalog if m.id and not m.fuzzy}
