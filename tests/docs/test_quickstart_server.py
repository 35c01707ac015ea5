"""The quickstart also runs against a real Chroma server: `chroma run` on loopback, `HttpClient`.

Same snippet, same cassette, same `#>` outputs: only the client is swapped, so this proves the
example does not depend on an in-process Chroma.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import chromadb
import pytest
import pytest_examples.traceback
from pytest_examples import EvalExample

from tests.docs.docs_examples import SNIPPETS, snippet_example
from tests.docs.recording import replaying
from tests.docs.test_examples import configure, example_frame
from tests.support.chroma import chroma_server

QUICKSTART = SNIPPETS / "quickstart.py"


@pytest.fixture
def chroma_port(tmp_path: Path) -> Iterator[int]:
    """A `chroma run` server on a free loopback port, stopped after the test; yields the port."""
    with chroma_server(tmp_path / "data") as url:
        yield int(url.rsplit(":", 1)[1])


# chromadb's HttpClient leaves its connections to the `chroma run` server open (third-party)
@pytest.mark.filterwarnings("ignore:unclosed <socket.socket:ResourceWarning")
def test_quickstart_against_chroma_server(
    chroma_port: int, eval_example: EvalExample, monkeypatch: pytest.MonkeyPatch
) -> None:
    def http_client(*args: object, **kwargs: object) -> chromadb.ClientAPI:
        return chromadb.HttpClient(host="127.0.0.1", port=chroma_port)

    for constructor in ("EphemeralClient", "PersistentClient", "Client"):
        monkeypatch.setattr(chromadb, constructor, http_client)
    monkeypatch.setattr(pytest_examples.traceback, "create_custom_frame", example_frame)
    example = snippet_example(QUICKSTART)
    configure(eval_example, example)
    with replaying(QUICKSTART, monkeypatch, allow_localhost=True):
        eval_example.run_print_check(example)
    server = chromadb.HttpClient(host="127.0.0.1", port=chroma_port)
    assert server.list_collections(), "the quickstart's collection is not on the server"
