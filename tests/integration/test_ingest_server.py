"""`ingest` through HttpClient against a real `chroma run` server, as with a PersistentClient
(a server restart in the middle is retried), and `python -m chroma_jina ingest --host`. The
command killed with SIGKILL on a PersistentClient: tests/integration/test_benchmark_ingest.py."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import chromadb
import pytest

from chroma_jina import cli, ingest
from chroma_jina.testing import JinaEmulator
from tests.integration.test_ingest import assert_exact, function, text
from tests.support.chroma import chroma_server, forget_clients_of, free_port
from tests.support.service import KEY


def http(url: str) -> chromadb.HttpClient:
    parts = urlsplit(url)
    return chromadb.HttpClient(host=parts.hostname, port=parts.port)


class Server:
    """A `chroma run` server that can be restarted on the same port and data."""

    def __init__(self, data: Path) -> None:
        self.data, self.port = data, free_port()
        self._running = chroma_server(data, port=self.port, restarting=True)
        self.url = self._running.__enter__()

    def restart(self) -> None:
        """Stop and start again on the same port; the clients of the first keep working."""
        self._running.__exit__(None, None, None)
        self._running = chroma_server(self.data, port=self.port, restarting=True)
        self._running.__enter__()

    def stop(self) -> None:
        """Stop for good, closing the chromadb clients that reached it."""
        self._running.__exit__(None, None, None)
        forget_clients_of(self.port)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = Server(tmp_path_factory.mktemp("chroma") / "data")
    yield running
    running.stop()


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHROMA_JINA_API_KEY", KEY)


def test_a_server_restart_in_the_middle_is_retried(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    """The server goes away while chunks are written and comes back on the same port: the
    failed Chroma calls are retried and every record lands once."""
    emu = JinaEmulator()
    collection = http(server.url).create_collection("restarted", embedding_function=function(emu))
    restart = threading.Thread(target=server.restart)

    def documents() -> Iterator[str]:
        for i in range(2000):
            if i == 1024:
                restart.start()
            yield text(i)

    caplog.set_level(logging.INFO, logger="chroma_jina")
    try:
        report = ingest(
            collection,
            ids=(f"doc-{i}" for i in range(2000)),
            documents=documents(),
            chunk_size=256,
            progress=False,
        )
    finally:
        restart.join(60)
    assert report.added == 2000
    assert any("Chroma add failed" in m or "Chroma get failed" in m for m in caplog.messages)
    assert_exact(collection, 2000)


def test_the_command_fills_a_server_collection_then_skips_it(
    server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    n, name = 1500, "from-a-file"
    corpus_file = tmp_path / "corpus.jsonl"
    with corpus_file.open("w", encoding="utf-8") as out:
        for i in range(n):
            out.write(json.dumps({"key": i, "body": text(i), "river": i % 17, "x": None}) + "\n")
    emu = JinaEmulator()
    collection = http(server.url).create_collection(name, embedding_function=function(emu))
    command = ["ingest", str(corpus_file), "--host", server.url.removeprefix("http://")]
    command += ["--collection", name, "--id-field", "key", "--text-field", "body"]
    with emu.serve() as base_url:
        monkeypatch.setenv("JINA_API_BASE_URL", base_url)
        assert cli.main([*command, "--model", "jina-embeddings-v4"]) == 1
        assert "embeds with model 'jina-embeddings-v3', not 'jina-embeddings-v4'" in (
            capsys.readouterr().err
        )
        assert cli.main(command) == 0
        assert cli.main(command) == 0
    first, second = capsys.readouterr().out.splitlines()
    assert first.startswith(f"{name}: 1,500 added, 0 already stored, 3 requests, ")
    assert second.startswith(f"{name}: 0 added, 1,500 already stored, 0 requests, 0 tokens")
    ids = [str(i) for i in range(n)]
    got = collection.get(ids=ids[:2], include=["metadatas", "documents"])
    assert got["metadatas"] == [{"river": 0}, {"river": 1}]  # null fields left out
    assert got["documents"] == [text(0), text(1)]
    assert collection.count() == n


def test_a_bad_line_is_named_before_anything_is_sent(
    server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    corpus_file = tmp_path / "corpus.jsonl"
    lines = [json.dumps({"id": f"d{i}", "text": text(i)}) for i in range(3000)]
    lines[2500] = json.dumps({"id": "d7", "text": "again"})
    corpus_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    emu = JinaEmulator()
    with emu.serve() as base_url:
        monkeypatch.setenv("JINA_API_BASE_URL", base_url)
        status = cli.main(["ingest", str(corpus_file), "--host", server.url, "--collection", "bad"])
    assert status == 1 and emu.stats.requests == 0
    assert f"{corpus_file}, line 2501: id 'd7' is already in the input" in capsys.readouterr().err
