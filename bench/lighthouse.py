"""Lighthouse scores of the main pages: the app on a seeded throw-away SQLite database
(tools/screenshots.py's data) served on a free port of 127.0.0.1, each page run through
Lighthouse (tools/lighthouse/, `make lighthouse` installs it) in Debian's Chromium with
the mobile (Lighthouse's default) and desktop presets. Pages behind a login get the
session cookie of a login made beforehand, through --extra-headers. Prints the
performance, accessibility, best-practices and SEO scores per page, then the audits
that cost points in the last three:

    make lighthouse                      # installs Lighthouse, then runs this
    .venv/bin/python bench/lighthouse.py [--keep DIR] [--only NAME]
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

from screenshots import PASSWORD, seeded_server  # noqa: E402

LIGHTHOUSE = ROOT / "tools" / "lighthouse" / "node_modules" / "lighthouse" / "cli" / "index.js"
CHROMIUM = "/usr/bin/chromium"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
PRESETS = ("mobile", "desktop")
# (name, who looks, path; "{week}" is next week's Monday, where the seeded lessons are)
PAGES = [
    ("visitor calendar", None, "/?week={week}"),
    ("public page", None, "/about"),
    ("login", None, "/login"),
    ("registration", None, "/register"),
    ("my lessons", "alisa", "/lessons/mine"),
    ("teacher calendar", "teacher", "/?week={week}"),
    ("availability", "teacher", "/teacher/availability"),
    ("lessons list", "teacher", "/teacher/lessons"),
]


def session_cookie(base, login):
    """The Cookie header of a fresh login through the real form (CSRF token and all)."""
    browser = requests.Session()
    page = browser.get(base + "/login", timeout=30).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    answer = browser.post(base + "/login", timeout=30, data={
        "csrf_token": token, "login": login, "password": PASSWORD, "next": ""})
    answer.raise_for_status()
    if 'action="/logout"' not in browser.get(base + "/", timeout=30).text:
        raise SystemExit(f"could not log in as {login}")
    return "; ".join(f"{name}={value}" for name, value in browser.cookies.items())


def run_lighthouse(url, preset, cookie, report):
    command = ["node", str(LIGHTHOUSE), url, "--output=json", f"--output-path={report}",
               "--only-categories=" + ",".join(CATEGORIES), "--quiet",
               "--chrome-flags=--headless=new --no-sandbox --disable-gpu"]
    if preset == "desktop":
        command.append("--preset=desktop")
    if cookie:
        command.append("--extra-headers=" + json.dumps({"Cookie": cookie}))
    subprocess.run(command, check=True, env={**os.environ, "CHROME_PATH": CHROMIUM})
    result = json.loads(report.read_text())
    if result.get("runtimeError") or result["finalDisplayedUrl"] != url:
        # e.g. a cookie that did not get through: the login page would be scored instead
        raise SystemExit(f"{url}: {result.get('runtimeError') or result['finalDisplayedUrl']}")
    return result


def scores(result):
    return {name: round(result["categories"][name]["score"] * 100)
            if result["categories"][name]["score"] is not None else None
            for name in CATEGORIES}


def failures(result):
    """{category: [audit id, ...]} of the weighted audits that did not pass, outside
    performance (whose audits are measurements rather than faults)."""
    failed = {}
    for name in CATEGORIES[1:]:
        for ref in result["categories"][name]["auditRefs"]:
            audit = result["audits"][ref["id"]]
            if ref["weight"] and audit["score"] is not None and audit["score"] < 1:
                failed.setdefault(name, []).append(ref["id"])
    return failed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", type=Path, help="write the JSON reports to this folder")
    parser.add_argument("--only", action="append", help="a page's name (repeatable)")
    arguments = parser.parse_args()
    if not LIGHTHOUSE.exists():
        raise SystemExit("Lighthouse is not installed: make lighthouse")
    pages = [page for page in PAGES if not arguments.only or page[0] in arguments.only]
    rows, failed = [], {}
    with tempfile.TemporaryDirectory() as workdir:
        out = arguments.keep or Path(workdir)
        out.mkdir(parents=True, exist_ok=True)
        server, week, _ = seeded_server(workdir)
        base = f"http://127.0.0.1:{server.server_port}"
        try:
            cookies = {who: session_cookie(base, who)
                       for who in {who for _, who, _ in pages if who}}
            for name, who, path in pages:
                for preset in PRESETS:
                    report = out / f"{name.replace(' ', '-')}-{preset}.json"
                    result = run_lighthouse(base + path.format(week=week), preset,
                                            cookies.get(who), report)
                    rows.append((name, preset, scores(result)))
                    for category, ids in failures(result).items():
                        for audit in ids:
                            failed.setdefault((category, audit), []).append(
                                f"{name} ({preset})")
        finally:
            server.shutdown()
    print("| page | preset | " + " | ".join(CATEGORIES) + " |")
    print("|---|---|" + "---:|" * len(CATEGORIES))
    for name, preset, figures in rows:
        print(f"| {name} | {preset} | "
              + " | ".join("–" if figures[c] is None else str(figures[c]) for c in CATEGORIES)
              + " |")
    if failed:
        print("\nAudits that failed (accessibility, best-practices, SEO):")
        for (category, audit), where in sorted(failed.items()):
            print(f"- {category}: `{audit}` on {', '.join(where)}")


if __name__ == "__main__":
    main()
