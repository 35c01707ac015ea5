"""Shared fixtures and the markers each folder gets. Keep this small: example programs must never
depend on anything here."""

from __future__ import annotations

import gc
import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from filelock import FileLock

from tests.support.paths import MISSING_CAPTURES, ROOT, find_captures

WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
"""This process's pytest-xdist worker ("gw0", ...), or "" when the tests run in one process."""
SITE_DIR = ROOT / "build" / (f"site-{WORKER}" if WORKER else "site")


@pytest.fixture(scope="session")
def built_site() -> Path:
    """Build the whole site once per test process with `mkdocs build --strict` into build/site
    (build/site-gw0 ... under `make test`'s workers: each builds its own, never into another's)."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(SITE_DIR)],
        check=False,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stderr[-4000:]}"
    return SITE_DIR


@pytest.fixture(scope="session")
def node_modules() -> Path:
    """`npm ci` from package-lock.json, skipped when node_modules already matches the lock file.

    The TypeScript examples need it, and the browser tests take axe-core from it.
    """
    npm = shutil.which("npm")
    assert npm, "npm is not on PATH: the TypeScript examples and axe-core need Node.js 20+ with npm"
    lock = ROOT / "package-lock.json"
    stamp = ROOT / "node_modules" / ".chroma-jina-lock.sha256"
    digest = hashlib.sha256(lock.read_bytes()).hexdigest()
    (ROOT / "build").mkdir(exist_ok=True)
    # One worker installs while the others wait (bounded), then they find the stamp.
    with FileLock(ROOT / "build" / "npm-ci.lock", timeout=360):
        _npm_ci(npm, stamp, digest)
    return ROOT / "node_modules"


def _npm_ci(npm: str, stamp: Path, digest: str) -> None:
    """Run `npm ci` unless the stamp says node_modules matches the lock file's digest."""
    if not (stamp.exists() and stamp.read_text() == digest):
        result = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=ROOT,
            check=False,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, f"npm ci failed:\n{result.stdout}\n{result.stderr}"
        stamp.write_text(digest)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Close the run by saying where the cassettes came from (the real Jina API or the emulator)
    and what recording them all from the real API costs."""
    from tests.docs.recording import provenance_summary, token_cost_summary

    terminalreporter.write_sep("-", provenance_summary())
    terminalreporter.write_sep("-", token_cost_summary())


@pytest.fixture(autouse=True)
def _fresh_key_budgets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with no shared per-key budgets, as a new process does: tests use the
    same fake key, and one test's learned limits, holds and fake clocks must not reach
    another's."""
    from chroma_jina import pacing

    monkeypatch.setattr(pacing, "_BUDGETS", {})


@pytest.fixture(autouse=True)
def _embedding_functions_restored() -> Iterator[None]:
    """Chroma's registry of embedding functions is as the test found it afterwards: a test that
    creates a collection with chromadb's built-in "jina" registers the built-in in its place,
    and the tests after it (in whatever order the workers run them) must see ours again."""
    from chromadb.utils.embedding_functions import known_embedding_functions

    before = dict(known_embedding_functions)
    yield
    known_embedding_functions.clear()
    known_embedding_functions.update(before)


FOLDER_MARKERS = {
    "unit": "unit",
    "emulator": "emulator",
    "integration": "integration",
    "docs": "docs",
    "packaging": "packaging",
    "browser": "browser",
}
"""tests/<folder> -> the marker every test in it gets (declared in pyproject.toml)."""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark each test by its folder, so suites are chosen with -m instead of --ignore lists; and
    skip the tests marked `captures` when the real API's captures are not beside the checkout."""
    tests = Path(__file__).resolve().parent
    missing = find_captures() is None
    for item in items:
        folder = item.path.resolve().relative_to(tests).parts[0]
        if folder in FOLDER_MARKERS:
            item.add_marker(FOLDER_MARKERS[folder])
        if "captures" in getattr(item, "fixturenames", ()):
            item.add_marker("captures")
        if missing and item.get_closest_marker("captures") is not None:
            item.add_marker(pytest.mark.skip(reason=MISSING_CAPTURES))


@pytest.fixture(scope="session")
def captures() -> Path:
    """The real API's captures (../shared/reference/captures). Tests that use it are marked
    `captures` and skipped, saying so, when the folder is not there."""
    found = find_captures()
    if found is None:
        pytest.skip(MISSING_CAPTURES)
    return found


@pytest.fixture(autouse=True)
def _collect_garbage() -> Iterator[None]:
    """Collect garbage after each test, so an unclosed socket or file (a ResourceWarning, an
    error here) fails the test that left it open, not whichever test the collector next runs in."""
    yield
    gc.collect()
