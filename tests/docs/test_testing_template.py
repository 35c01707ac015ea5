"""The pytest fixtures testing.md gives readers to copy work where readers run them: under pytest
with warnings as errors, in a shell that holds a key and proxy variables (a Clash-style `all_proxy`
on `socks5://` without httpx's socks extra, a lower-case `no_proxy` that would override `NO_PROXY`),
and a test that forgets the emulator still reaches no one. The live test they end with runs too,
against a served emulator standing in for Jina's API."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from chroma_jina.testing import JinaEmulator
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
    "NO_PROXY": "127.0.0.1",
    "JINA_API_KEY": "jina_the_readers_own_key",
}
FORGETFUL_TEST = """

def test_a_test_without_the_emulator_reaches_no_one(chroma):
    from chroma_jina import NetworkError

    chroma.create_collection("stray", embedding_function=JinaEmbeddingFunction())
    with pytest.raises(NetworkError, match="no HTTP answer"):
        chroma.get_collection("stray").add(ids=["1"], documents=["x"])
"""


def run_pytest(module: str, tmp_path: Path, shell: dict[str, str], *args: str) -> str:
    """pytest's summary for `module` run in a fresh process, with `shell` as the reader's settings
    (and none of this machine's proxy or chroma-jina variables)."""
    (tmp_path / "test_notes.py").write_text(module, encoding="utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")  # not the project's
    ours = {"CHROMA_JINA_API_KEY", "JINA_API_BASE_URL", "JINA_LIVE_TEST_KEY", "JINA_LIVE_BASE_URL"}
    env = {
        k: v
        for k, v in os.environ.items()
        if k.upper() not in ours and not k.upper().endswith("_PROXY")
    }
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error", *args],
        cwd=tmp_path,
        env=env | shell,
        capture_output=True,
        text=True,
        timeout=200,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    return result.stdout


@pytest.mark.timeout(240)
@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_the_fixtures_pass_in_a_readers_shell(template: Path, tmp_path: Path) -> None:
    module = template.read_text(encoding="utf-8") + FORGETFUL_TEST
    summary = run_pytest(module, tmp_path, A_SHELL | {"JINA_REQUESTS_PER_MINUTE": "1"})
    assert re.search(r"\b3 passed, 1 skipped\b", summary), summary[-1000:]


@pytest.mark.timeout(240)
@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_the_live_test_passes_against_a_served_api(template: Path, tmp_path: Path) -> None:
    """With its key set, the live test leaves the fixtures' dead address for the base URL it is
    given (here the emulator's; the reader's is Jina's or a gateway) and finds the answer."""
    emulator = JinaEmulator()
    with emulator.serve() as base_url:
        live = {"JINA_LIVE_TEST_KEY": "jina_live_test", "JINA_LIVE_BASE_URL": base_url}
        http_proxies = {k: v for k, v in A_SHELL.items() if k != "all_proxy"}  # a socks proxy
        # would need httpx[socks] here, as the page says: the live test uses the reader's proxy
        summary = run_pytest(
            template.read_text(encoding="utf-8"), tmp_path, http_proxies | live, "-k", "real_api"
        )
    assert re.search(r"\b1 passed\b", summary), summary[-1000:]
    assert emulator.stats.requests == 2  # the documents, then the query
