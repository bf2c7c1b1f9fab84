"""The benchmarks run with tiny sizes so they cannot rot (figures are not checked)."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def test_digest_bench_runs(tmp_path):
    result = subprocess.run([sys.executable, "bench/digest_bench.py", "--students", "30"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "digests built: 30" in result.stdout
    assert "delivered to the local fake Mailgun: 30" in result.stdout
