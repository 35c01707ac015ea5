"""A function closes the HTTP clients it created (`close()`, `with`, `async with`, and at
interpreter exit) and never one passed in (issue 23: the Chinese-text page's first example,
copied into a fresh project, printed `ResourceWarning: unclosed socket` twice at exit)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import httpx

from chroma_jina import JinaEmbeddingFunction
from chroma_jina.testing import JinaEmulator

KEY = "jina_offline_emulator_key"
ROOT = Path(__file__).resolve().parents[2]


def test_the_chinese_pages_first_example_leaves_no_socket_open() -> None:
    """Over real sockets (the emulator's loopback server), with ResourceWarning as an error."""
    emu = JinaEmulator()
    with emu.serve() as base_url:
        env = {**os.environ, "CHROMA_JINA_API_KEY": KEY, "JINA_API_BASE_URL": base_url}
        env.pop("JINA_API_KEY", None)
        run = subprocess.run(
            [sys.executable, "-W", "error::ResourceWarning", "snippets/chinese_default_model.py"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=90,
            check=True,
        )
    assert "(1024,)" in run.stdout and emu.stats.requests == 2
    assert "ResourceWarning" not in run.stderr and "unclosed" not in run.stderr, run.stderr


def test_close_and_with_close_what_the_function_opened(monkeypatch) -> None:
    emu = JinaEmulator()
    with emu.serve() as base_url:
        monkeypatch.setenv("JINA_API_BASE_URL", base_url)
        with JinaEmbeddingFunction(KEY) as ef:
            ef(["a text"])
            opened = ef._jina_client._owned.sync
            assert opened is not None and not opened.is_closed
        assert opened.is_closed
        ef(["again"])  # a later call opens a new client
        assert ef._jina_client._owned.sync is not None
        ef.close()
        assert ef._jina_client._owned.sync is None

        async def main() -> httpx.AsyncClient:
            async with JinaEmbeddingFunction(KEY) as ef:
                await ef.aembed(["a text"])
                [(client, _)] = ef._jina_client._owned.loops.values()
            return client

        assert asyncio.run(main()).is_closed


def test_a_client_passed_in_is_never_closed() -> None:
    emu = JinaEmulator()
    http = httpx.Client(transport=emu.transport())
    ahttp = httpx.AsyncClient(transport=emu.transport())
    with JinaEmbeddingFunction(KEY, http_client=http, async_http_client=ahttp) as ef:
        ef(["a text"])
        asyncio.run(ef.aembed(["a text"]))
    assert not http.is_closed and not ahttp.is_closed
    http.close()
