"""The site builds strictly in both languages, and `make serve`'s config serves them."""

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.support.chroma import free_port
from tests.support.paths import ROOT

pytestmark = pytest.mark.serve


def test_strict_build_produces_both_languages(built_site: Path) -> None:
    assert (built_site / "index.html").is_file()
    zh_home = (built_site / "zh" / "index.html").read_text(encoding="utf-8")
    assert '<html lang="zh"' in zh_home


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=2) as response:
        return response.read().decode("utf-8")


def test_make_serve_config_serves_both_languages_at_the_root() -> None:
    """What `make serve` runs: English at /, Chinese at /zh/, the same page in both."""
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "serve",
            "--strict",
            "--config-file",
            "mkdocs.serve.yml",
            "--dev-addr",
            f"127.0.0.1:{port}",
            "--no-livereload",
        ],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                home = fetch(f"{base}/")
                break
            except OSError:
                assert server.poll() is None, "mkdocs serve exited"
                assert time.monotonic() < deadline, "mkdocs serve did not answer in 60 s"
                time.sleep(0.2)
        assert '<html lang="en"' in home
        assert '<html lang="zh"' in fetch(f"{base}/zh/")
        assert '<html lang="zh"' in fetch(f"{base}/zh/late-chunking/")
    finally:
        server.terminate()
        server.wait(timeout=10)
