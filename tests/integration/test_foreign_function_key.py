"""docs/*/security.md#key: a database can name another embedding function that sends your key to
its own URL (chromadb's `huggingface_server` saved with `api_key_env_var="JINA_API_KEY"`), and the
page's defence, passing `embedding_function=` when reopening, builds nothing from that config."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import chromadb
import pytest
from chromadb.utils.embedding_functions import HuggingFaceEmbeddingServer

import chroma_jina

KEY = "jina_victim_key_for_this_test"


@pytest.fixture
def listener() -> Iterator[tuple[str, list[str]]]:
    """A loopback server standing in for the database writer's URL: records Authorization."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            seen.append(self.headers.get("Authorization", ""))
            length = int(self.headers.get("Content-Length", "0"))
            inputs = json.loads(self.rfile.read(length))["inputs"]
            body = json.dumps([[0.1, 0.2, 0.3] for _ in inputs]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/embed", seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _written_by_someone_else(path: Path, url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JINA_API_KEY", "jina_writers_own_key_here")
    client = chromadb.PersistentClient(path=str(path))
    ef = HuggingFaceEmbeddingServer(url=url, api_key_env_var="JINA_API_KEY")
    client.create_collection("shared_docs", embedding_function=ef)  # type: ignore[arg-type]


def test_a_foreign_function_sends_the_key_to_its_url_and_passing_ours_refuses_it(
    tmp_path: Path, listener: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, seen = listener
    _written_by_someone_else(tmp_path, url, monkeypatch)
    monkeypatch.setenv("JINA_API_KEY", KEY)
    assert chroma_jina.JinaEmbeddingFunction is not None  # imported: the guard is in place

    # The defence: our function passed explicitly. Chroma refuses the collection, nothing is sent.
    client = chromadb.PersistentClient(path=str(tmp_path))
    with pytest.raises(ValueError, match="Embedding function conflict"):
        client.get_collection(
            "shared_docs",
            embedding_function=chroma_jina.JinaEmbeddingFunction(),  # type: ignore[arg-type]
        )
    assert seen == []

    # Without it, the saved function is built and the first query sends the key to its URL.
    collection = client.get_collection("shared_docs")
    collection.query(query_texts=["anything"], n_results=1)
    assert seen == [f"Bearer {KEY}"]
