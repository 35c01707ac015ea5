"""Shared fixtures. Keep this small: example programs must never depend on anything here."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SITE_DIR = ROOT / "build" / "site"


@pytest.fixture(scope="session")
def built_site() -> Path:
    """Build the whole site once per test session with `mkdocs build --strict` into build/site."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(SITE_DIR)],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stderr[-4000:]}"
    return SITE_DIR


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Close the run by saying where the cassettes came from: the real Jina API or the emulator."""
    from recording import provenance_summary

    terminalreporter.write_sep("-", provenance_summary())
