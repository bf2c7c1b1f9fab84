"""docs/screenshots: the set tools/screenshots.py makes is the set committed and
linked from docs/screenshots.md, small enough for a repository; the tool runs."""
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "docs" / "screenshots"
sys.path.insert(0, str(ROOT / "tools"))
import screenshots  # noqa: E402

NAMES = {f"{name}-{width}.png" for name, _who, _path in screenshots.PAGES
         for width in ("desktop", "phone")}
MAX_TOTAL = 600 * 1024


def test_every_page_is_committed_small_and_linked():
    committed = {path.name for path in SHOTS.glob("*.png")}
    assert committed == NAMES
    assert sum((SHOTS / name).stat().st_size for name in NAMES) < MAX_TOTAL
    gallery = (ROOT / "docs" / "screenshots.md").read_text()
    for name in NAMES:
        assert f"(screenshots/{name})" in gallery, name
        width = Image.open(SHOTS / name).width
        assert width == (screenshots.DESKTOP if "desktop" in name else screenshots.PHONE)["width"]
    assert "docs/screenshots.md" in (ROOT / "README.md").read_text()


@pytest.mark.browser
def test_the_tool_makes_them(tmp_path):
    run = subprocess.run([sys.executable, str(ROOT / "tools" / "screenshots.py"),
                          "--out", str(tmp_path)], capture_output=True, text=True,
                         timeout=300, cwd=ROOT)
    assert run.returncode == 0, run.stderr[-2000:]
    assert {path.name for path in tmp_path.glob("*.png")} == NAMES
    assert "in all" in run.stdout
