"""The pytest fixtures testing.md gives readers to copy pass as a real test module would run them:
under pytest, with warnings as errors, and with proxy variables set, as in many readers' shells."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.docs.docs_examples import ROOT

TEMPLATES = [
    ROOT / "snippets" / "testing_pytest.py",
    ROOT / "snippets" / "zh" / "testing_pytest.py",
]
DEAD_PROXY = "http://127.0.0.1:9"
"""Nothing listens on the discard port: a request that goes to the proxy fails at once."""


@pytest.mark.timeout(240)
@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_the_fixtures_pass_under_pytest_behind_a_proxy(template: Path, tmp_path: Path) -> None:
    shutil.copy(template, tmp_path / "test_notes.py")
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")  # not the project's
    unset = {"JINA_API_KEY", "CHROMA_JINA_API_KEY", "JINA_API_BASE_URL"}
    env = {
        k: v
        for k, v in os.environ.items()
        if k.upper() not in unset and not k.upper().endswith("_PROXY")
    }
    env |= dict.fromkeys(("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"), DEAD_PROXY)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=200,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert re.search(r"\b2 passed\b", result.stdout), result.stdout[-1000:]
