"""A dependency check that works where pip-audit cannot: PyPI's per-project JSON
lists the known vulnerabilities of a project's latest release, so every pin that is
the latest release is checked against it; pins behind the latest are reported as not
checked (move them forward, or run pip-audit where PyPI's per-release API answers).

    .venv/bin/python tools/audit_pins.py requirements.txt requirements-dev.txt

Exit status: 1 when a pinned release has a known vulnerability, else 0.
"""
import json
import re
import sys
import urllib.request

PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s;#]+)")


def pins(paths):
    found = {}
    for path in paths:
        with open(path, encoding="utf-8") as lines:
            for line in lines:
                match = PIN.match(line.strip())
                if match:
                    found[match.group(1).lower()] = match.group(2)
    return found


def project(name):
    url = f"https://pypi.org/pypi/{name}/json"
    with urllib.request.urlopen(url, timeout=20) as answer:  # nosec B310 (a fixed https URL)
        return json.load(answer)


def main(paths):
    vulnerable, unchecked, clean = [], [], 0
    for name, version in sorted(pins(paths).items()):
        data = project(name)
        latest = data["info"]["version"]
        if latest != version:
            unchecked.append(f"{name}=={version} (latest {latest})")
            continue
        advisories = data.get("vulnerabilities") or []
        if advisories:
            vulnerable += [f"{name}=={version}: {a.get('id')} {a.get('summary') or ''}".strip()
                           for a in advisories]
        else:
            clean += 1
    print(f"{clean} pins are the latest release with no known vulnerability")
    for line in unchecked:
        print(f"not checked: {line}")
    for line in vulnerable:
        print(f"VULNERABLE: {line}")
    return 1 if vulnerable else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["requirements.txt", "requirements-dev.txt"]))
