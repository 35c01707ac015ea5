"""The pytest fixtures testing.md gives readers to copy work where readers run them: under pytest
with warnings as errors, in a shell that holds a key and proxy variables (a Clash-style `all_proxy`
on `socks5://` without httpx's socks extra, a lower-case `no_proxy` that would override `NO_PROXY`),
and a test that forgets the emulator still reaches no one."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.docs.docs_examples import ROOT

TEMPLATES = [
    ROOT / "snippets" / "testing_pytest.py",
    ROOT / "snippets" / "zh" / "testing_pytest.py",
]
DEAD_PROXY = "127.0.0.1:9"
"""Nothing listens on the discard port: a request that goes to the proxy fails at once."""
A_SHELL = {
    "HTTP_PROXY": f"http://{DEAD_PROXY}",
    "HTTPS_PROXY": f"http://{DEAD_PROXY}",
    "all_proxy": f"socks5://{DEAD_PROXY}",
    "no_proxy": "localhost",
    "JINA_API_KEY": "jina_the_readers_own_key",
}
FORGETFUL_TEST = """

def test_a_test_without_the_emulator_reaches_no_one(chroma):
    from chroma_jina import NetworkError

    chroma.create_collection("stray", embedding_function=JinaEmbeddingFunction())
    with pytest.raises(NetworkError, match="no HTTP answer"):
        chroma.get_collection("stray").add(ids=["1"], documents=["x"])
"""


@pytest.mark.timeout(240)
@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_the_fixtures_pass_in_a_readers_shell(template: Path, tmp_path: Path) -> None:
    module = template.read_text(encoding="utf-8") + FORGETFUL_TEST
    (tmp_path / "test_notes.py").write_text(module, encoding="utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")  # not the project's
    ours = {"CHROMA_JINA_API_KEY", "JINA_API_BASE_URL"}
    env = {
        k: v
        for k, v in os.environ.items()
        if k.upper() not in ours and not k.upper().endswith("_PROXY")
    }
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error"],
        cwd=tmp_path,
        env=env | A_SHELL,
        capture_output=True,
        text=True,
        timeout=200,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert re.search(r"\b3 passed\b", result.stdout), result.stdout[-1000:]
