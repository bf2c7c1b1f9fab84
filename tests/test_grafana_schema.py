"""The Grafana dashboard in deploy/ checked against Grafana's own published types.

Grafana cannot be installed here (no registry serves it), so its dashboard model is
checked with what Grafana publishes on the npm registry: @grafana/schema (the
dashboard and each panel plugin's options, generated from Grafana's schemas) and
@grafana/grafana-foundation-sdk (the Prometheus and Loki query types), by the
TypeScript compiler (tools/grafana-schema/check-dashboard.cjs). `make test` installs
them (make lint-tools); a missing one fails here rather than skipping."""
import copy
import json
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOOL = ROOT / "tools" / "grafana-schema"
DASHBOARDS = sorted((ROOT / "deploy" / "grafana" / "dashboards").glob("*.json"))


def check(*paths):
    if not (TOOL / "node_modules" / "@grafana" / "schema" / "package.json").is_file():
        pytest.fail("Grafana's types are not installed: `make lint-tools` installs them "
                    "(npm ci --prefix tools/grafana-schema)")
    return subprocess.run(["node", str(TOOL / "check-dashboard.cjs"), *map(str, paths)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_the_dashboard_has_the_shape_grafana_publishes():
    assert [path.name for path in DASHBOARDS] == ["tutor.json"]
    result = check(*DASHBOARDS)
    assert result.returncode == 0, result.stdout + result.stderr


def panel(model, kind):
    return next(p for p in model["panels"] if p["type"] == kind)


# Mistakes a hand-edited dashboard can have, and what the check says of each.
MISTAKES = {
    "misspelt-setting": (lambda d: d.update(refesh="30s"),
                         "dashboard: Object literal may only specify known properties, "
                         "and '\"refesh\"'"),
    "grid-position-as-text": (lambda d: panel(d, "stat")["gridPos"].update(w="4"),
                              "Type 'string' is not assignable to type 'number'"),
    "unknown-legend-mode": (lambda d: panel(d, "timeseries")["options"]["legend"].update(
        displayMode="tabel"), "Type '\"tabel\"' is not assignable"),
    "misspelt-query-field": (lambda d: panel(d, "stat")["targets"][0].update(exp="up"),
                             "target A: Object literal may only specify known properties"),
    "unknown-log-order": (lambda d: panel(d, "logs")["options"].update(sortOrder="Down"),
                          "Type '\"Down\"' is not assignable"),
    "misspelt-unit-setting": (lambda d: panel(d, "stat")["fieldConfig"]["defaults"].update(
        unitt="s"), "fieldConfig: Object literal may only specify known properties"),
    "query-of-an-unknown-source": (lambda d: panel(d, "logs")["targets"][0].update(
        datasource={"type": "elasticsearch", "uid": "x"}), "is not assignable to type 'never'"),
}


def test_the_check_finds_each_kind_of_mistake(tmp_path):
    model = json.loads(DASHBOARDS[0].read_text())
    broken = []
    for name, (spoil, _) in MISTAKES.items():
        spoilt = copy.deepcopy(model)
        spoil(spoilt)
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(spoilt))
        broken.append(path)
    result = check(*broken)
    assert result.returncode == 1, result.stderr
    for path, (_, said) in zip(broken, MISTAKES.values()):
        problems = [line for line in result.stdout.splitlines() if line.startswith(f"{path}:")]
        assert len(problems) == 1 and said in problems[0], (path.name, problems)
