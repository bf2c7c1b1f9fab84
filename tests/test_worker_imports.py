"""A web worker loads what serving pages needs: WeasyPrint and the report code load
with the first report, the Telegram bot where updates are handled, zxcvbn's word
lists with the first password judged, icalendar with the first feed, authlib with the
first sign-in through Yandex, Pillow with the first photo, the task queue (huey, and
redis with it) with the first wake of a consumer and requests with the first call to an
outside service. `import wsgi`
is what gunicorn does in every worker (in a fresh interpreter, as a worker starts)."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LOADED_LATER = ["weasyprint", "pypdf", "tutor.services.reports", "tutor.services.telegram_bot",
                "zxcvbn", "icalendar", "authlib", "PIL",
                # the task queue with the first wake, requests with the first call out
                "tutor.jobs", "huey", "redis", "requests", "urllib3"]


@pytest.fixture
def worker_modules(tmp_path):
    """The modules `import wsgi` leaves loaded."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'worker.db'}",
           "REDIS_URL": "", "TUTOR_ENV": "development"}
    out = subprocess.run(
        [sys.executable, "-c", "import json, sys, wsgi; print(json.dumps(sorted(sys.modules)))"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_a_web_worker_does_not_load_what_it_has_not_used(worker_modules):
    assert "tutor.views.calendar" in worker_modules  # it did load the app
    assert [name for name in LOADED_LATER if name in worker_modules] == []
    assert not [name for name in worker_modules if name.startswith("weasyprint.")]


def test_what_is_loaded_later_still_works_when_used(app_ctx):
    from tutor.services import password_strength, periodic, reports, telegram_bot  # noqa: F401
    assert password_strength.evaluate("correct horse battery staple").acceptable
    assert "waiting_work" in periodic.declared()
