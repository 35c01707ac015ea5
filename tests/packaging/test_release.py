"""The release: CHANGELOG.md in Keep a Changelog form with an entry for the package version, the
notes the release workflow takes from it (.ci/release_notes.py), and the workflow itself: run by a
version tag, least privilege per job, the wheel tested on every supported Python before PyPI gets
it by trusted publishing (no token), then the GitHub release. actionlint runs on it with the
other workflows (test_workflows.py)."""

from __future__ import annotations

import importlib.util
import re
import shutil
import tomllib
from pathlib import Path
from types import ModuleType

import pytest

from tests.packaging.test_workflows import load, matrix_pythons, on_events, supported_pythons

ROOT = Path(__file__).resolve().parents[2]
CHANGELOG = ROOT / "CHANGELOG.md"
REPO = "https://github.com/chroma-jina/chroma-jina"
HEADING = re.compile(r"^## \[([^\]]+)\](?: - (.*))?$", re.MULTILINE)
SECTIONS = {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}


def release_notes() -> ModuleType:
    """.ci/release_notes.py, imported from its path (.ci is not a package)."""
    path = ROOT / ".ci" / "release_notes.py"
    spec = importlib.util.spec_from_file_location("release_notes", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_changelog_keeps_a_changelog() -> None:
    text = CHANGELOG.read_text(encoding="utf-8")
    assert text.startswith("# Changelog\n") and "https://keepachangelog.com/" in text
    headings = HEADING.findall(text)
    assert headings[0] == ("Unreleased", ""), "the first entry is `## [Unreleased]`"
    for version, date in headings[1:]:
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), version
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}|Unreleased", date), f"{version}: date {date!r}"
    sections = set(re.findall(r"^### (.+)$", text, re.MULTILINE))
    assert sections <= SECTIONS, f"not a Keep a Changelog section: {sections - SECTIONS}"
    for version, _ in headings:
        assert re.search(rf"^\[{re.escape(version)}\]: {REPO}/\S+$", text, re.MULTILINE), (
            f"no link definition for [{version}]"
        )


def test_changelog_has_an_entry_for_the_package_version() -> None:
    version = release_notes().package_version()
    assert version in [v for v, _ in HEADING.findall(CHANGELOG.read_text(encoding="utf-8"))]


def test_release_notes_are_the_dated_entry_of_the_tagged_version(tmp_path: Path) -> None:
    notes = release_notes()
    version = notes.package_version()
    (tmp_path / "src" / "chroma_jina").mkdir(parents=True)
    shutil.copy(ROOT / "src" / "chroma_jina" / "__init__.py", tmp_path / "src" / "chroma_jina")
    text = re.sub(
        rf"^## \[{re.escape(version)}\].*$",
        f"## [{version}] - 2027-01-15",
        CHANGELOG.read_text(encoding="utf-8"),
        flags=re.MULTILINE,
    )
    (tmp_path / "CHANGELOG.md").write_text(text, encoding="utf-8")

    body = notes.notes(f"v{version}", tmp_path)
    assert body.strip() and body in text
    assert "## [" not in body and f"[{version}]: " not in body
    with pytest.raises(ValueError, match="does not name the package version"):
        notes.notes("v999.0.0", tmp_path)
    with pytest.raises(ValueError, match="is not dated"):
        notes.entry(text.replace("2027-01-15", "Unreleased"), version)
    with pytest.raises(ValueError, match=r"has no entry for 999\.0\.0"):
        notes.entry(text, "999.0.0")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_installation_page_states_versions_and_links_the_changelog(lang: str) -> None:
    """The supported Pythons and the chromadb floor, as pyproject.toml has them."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    page = (ROOT / "docs" / lang / "installation.md").read_text(encoding="utf-8")
    assert f"]({project['urls']['Changelog']})" in page
    section = page[page.index("{#versions}") :].split("\n## ", 1)[0]
    [chromadb] = [r for r in project["dependencies"] if r.startswith("chromadb")]
    floor = chromadb.removeprefix("chromadb>=")
    rows = re.findall(r"^\| (Python|chromadb) \| ([^|]+) \|", section, re.MULTILINE)
    assert dict(rows)["chromadb"].startswith(f"{floor} "), rows
    assert re.findall(r"3\.\d+", dict(rows)["Python"]) == supported_pythons(), rows


def test_release_workflow() -> None:
    workflow = load("release.yml")
    assert on_events(workflow) == {"push": {"tags": ["v*"]}}
    assert workflow["permissions"] == {}, "no permission unless a job asks for it"
    jobs = workflow["jobs"]
    assert {name: job["permissions"] for name, job in jobs.items()} == {
        "build": {"contents": "read"},
        "test-wheel": {"contents": "read"},
        "publish": {"id-token": "write"},
        "github-release": {"contents": "write"},
    }
    runs = {name: [s["run"] for s in job["steps"] if "run" in s] for name, job in jobs.items()}
    assert "merge-base --is-ancestor" in runs["build"][0], "first: the tag's commit is on main"
    assert runs["build"][1:3] == ['python3 .ci/release_notes.py "$GITHUB_REF_NAME"', "make dist"]
    assert matrix_pythons(jobs["test-wheel"]) == supported_pythons()
    assert "make test-wheel CHROMA_JINA_DIST=dist" in runs["test-wheel"]
    publish = jobs["publish"]
    assert set(publish["needs"]) == {"build", "test-wheel"}
    assert publish["environment"]["name"] == "pypi"
    [upload] = [s for s in publish["steps"] if "gh-action-pypi-publish" in s.get("uses", "")]
    assert "password" not in upload.get("with", {}), "trusted publishing: no token"
    assert jobs["github-release"]["needs"] == "publish"
    assert any("release_notes.py" in r and "gh release create" in r for r in runs["github-release"])
    text = (ROOT / ".github" / "workflows" / "release.yml").read_text(encoding="utf-8")
    assert "secrets." not in text
