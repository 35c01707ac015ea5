"""Shared fixtures. Keep this small: example programs must never depend on anything here."""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
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
    return ROOT / "node_modules"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Close the run by saying where the cassettes came from (the real Jina API or the emulator)
    and what recording them all from the real API costs."""
    from recording import provenance_summary, token_cost_summary

    terminalreporter.write_sep("-", provenance_summary())
    terminalreporter.write_sep("-", token_cost_summary())


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def chroma_server(
    data_dir: Path, startup_seconds: float = 60, port: int | None = None
) -> Iterator[str]:
    """A real Chroma server (`chroma run`) on a loopback port (default: a free one); yields its
    URL."""
    port = port or free_port()
    log = data_dir.parent / f"{data_dir.name}-chroma.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "chroma"),
                "run",
                "--path",
                str(data_dir),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_seconds
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1).close()
                break
            except OSError:
                tail = log.read_text(errors="replace")[-2000:]
                assert process.poll() is None, f"chroma run exited:\n{tail}"
                assert time.monotonic() < deadline, f"chroma run did not start:\n{tail}"
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(autouse=True)
def _fresh_key_budgets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with no shared per-key budgets, as a new process does: tests use the
    same fake key, and one test's learned limits, holds and fake clocks must not reach
    another's."""
    from chroma_jina import pacing

    monkeypatch.setattr(pacing, "_BUDGETS", {})
