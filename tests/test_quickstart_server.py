"""The quickstart also runs against a real Chroma server: `chroma run` on loopback, `HttpClient`.

Same snippet, same cassette, same `#>` outputs: only the client is swapped, so this proves the
example does not depend on an in-process Chroma.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import chromadb
import pytest
import pytest_examples.traceback
from docs_examples import SNIPPETS, snippet_example
from pytest_examples import EvalExample
from recording import replaying
from test_examples import configure, example_frame

QUICKSTART = SNIPPETS / "quickstart.py"
CHROMA = Path(sys.executable).parent / "chroma"
STARTUP_SECONDS = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[int]:
    """A `chroma run` server on a free loopback port, stopped after the test; yields the port."""
    port = free_port()
    log = (tmp_path / "chroma.log").open("wb")
    server = subprocess.Popen(
        [
            str(CHROMA),
            "run",
            "--path",
            str(tmp_path / "data"),
            "--port",
            str(port),
            "--host",
            "127.0.0.1",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1):
                    break
            except OSError:
                assert server.poll() is None, (tmp_path / "chroma.log").read_text(errors="replace")
                assert time.monotonic() < deadline, (
                    f"chroma run did not answer in {STARTUP_SECONDS}s"
                )
                time.sleep(0.1)
        yield port
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def test_quickstart_against_chroma_server(
    chroma_server: int, eval_example: EvalExample, monkeypatch: pytest.MonkeyPatch
) -> None:
    def http_client(*args: object, **kwargs: object) -> chromadb.ClientAPI:
        return chromadb.HttpClient(host="127.0.0.1", port=chroma_server)

    for constructor in ("EphemeralClient", "PersistentClient", "Client"):
        monkeypatch.setattr(chromadb, constructor, http_client)
    monkeypatch.setattr(pytest_examples.traceback, "create_custom_frame", example_frame)
    example = snippet_example(QUICKSTART)
    configure(eval_example)
    with replaying(QUICKSTART, monkeypatch, allow_localhost=True):
        eval_example.run_print_check(example)
    server = chromadb.HttpClient(host="127.0.0.1", port=chroma_server)
    assert server.list_collections(), "the quickstart's collection is not on the server"
