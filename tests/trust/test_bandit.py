"""bandit finds nothing in our code (the same run as `make audit`; exceptions are
`# nosec` comments with their reasons). It needs no network, so it runs with the
suite; pip-audit, which asks PyPI, runs only in `make audit`."""
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bandit_finds_nothing():
    paths = re.search(r"^BANDIT_PATHS := (.+)$", (ROOT / "Makefile").read_text(),
                      re.MULTILINE).group(1).split()
    result = subprocess.run([sys.executable, "-m", "bandit", "-f", "txt", "-r", *paths],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout
    assert "No issues identified." in result.stdout
    scanned = int(re.search(r"Total lines of code: (\d+)", result.stdout).group(1))
    assert scanned > 5000  # the whole package, not an empty path
