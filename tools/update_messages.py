"""`make messages`: extract the texts of the code and templates and bring each
catalog up to date with them, so that a change's diff shows only its own texts.

pybabel update rewrites the header's dates and keeps the template's order, which
follows the files: moving code between modules moved unrelated entries. Here the
entries are sorted by their text and the header is left as it was; obsolete entries
go, and nothing is matched fuzzily (a guess would be shipped as a translation)."""
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "tutor" / "translations" / "messages.pot"


def main():
    subprocess.run([str(Path(sys.executable).with_name("pybabel")), "-q", "extract", "-F", "babel.cfg",
                    "-k", "_l", "-k", "lazy_gettext", "--no-location", "--omit-header",
                    "-o", str(TEMPLATE), "."], cwd=ROOT, check=True)
    with TEMPLATE.open("rb") as file:
        template = read_po(file)
    for path in sorted(ROOT.glob("tutor/translations/*/LC_MESSAGES/messages.po")):
        with path.open("rb") as file:
            catalog = read_po(file, locale=path.parent.parent.name)
        catalog.update(template, no_fuzzy_matching=True, update_creation_date=False)
        with path.open("wb") as file:
            write_po(file, catalog, width=100, no_location=True, sort_output=True,
                     ignore_obsolete=True, include_previous=False)
        untranslated = [m.id for m in catalog if m.id and not m.string]
        print(f"{path.relative_to(ROOT)}: {len(untranslated)} untranslated")


if __name__ == "__main__":
    main()
