"""`ingest` through HttpClient against a real `chroma run` server, exactly as with a
PersistentClient; a server restart in the middle retried; and `python -m chroma_jina ingest`
killed with SIGKILL half-way, then run again, on both kinds of client."""

from __future__ import annotations

import json
import logging
import math
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import chromadb
import pytest
from chromadb.api.shared_system_client import SharedSystemClient
from conftest import chroma_server, free_port
from lib_support import KEY
from test_ingest import DIM, assert_exact, function, text

from chroma_jina import ingest
from chroma_jina.testing import JinaEmulator, SlowResponse

ROOT = Path(__file__).resolve().parent.parent


def http(url: str) -> chromadb.HttpClient:
    parts = urlsplit(url)
    return chromadb.HttpClient(host=parts.hostname, port=parts.port)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with chroma_server(tmp_path_factory.mktemp("chroma") / "data") as url:
        yield url


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHROMA_JINA_API_KEY", KEY)


def test_a_server_restart_in_the_middle_is_retried(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The server goes away while chunks are written and comes back on the same port: the
    failed Chroma calls are retried and every record lands once."""
    data, port = tmp_path / "data", free_port()
    first = chroma_server(data, port=port)
    url = first.__enter__()
    second = chroma_server(data, port=port)
    emu = JinaEmulator()
    collection = http(url).create_collection("restarted", embedding_function=function(emu))
    restart = threading.Thread(
        target=lambda: (first.__exit__(None, None, None), second.__enter__())
    )

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
        restart.join(60)
        assert report.added == 2000
        assert any("Chroma add failed" in m or "Chroma get failed" in m for m in caplog.messages)
        assert_exact(collection, 2000)
    finally:
        restart.join(60)
        second.__exit__(None, None, None)


@pytest.mark.parametrize("where", ["path", "host"])
def test_the_command_killed_half_way_resumes_exactly(
    where: str, tmp_path: Path, server: str
) -> None:
    """4 chunks of 512 are answered, the next 4 hang; the command is killed with SIGKILL once
    it has sent them (so the first 4 are written); run again, it sends only what is missing."""
    n, name = 4096, f"killed-{where}"
    corpus_file = tmp_path / "corpus.jsonl"
    with corpus_file.open("w", encoding="utf-8") as out:
        for i in range(n):
            out.write(json.dumps({"id": f"doc-{i}", "text": text(i), "n": i}) + "\n")
    target = ["--path", str(tmp_path / "db")] if where == "path" else ["--host", server]

    def client():
        return chromadb.PersistentClient(str(tmp_path / "db")) if where == "path" else http(server)

    def open_collection():
        return client().get_collection(name)

    emu = JinaEmulator()
    client().create_collection(name, embedding_function=function(emu))  # saved: dimensions=DIM
    SharedSystemClient.clear_system_cache()  # one process at a time opens a directory
    emu.script(*[None] * 4, *[SlowResponse(30)] * 4)
    with emu.serve() as base_url:
        env = {**os.environ, "JINA_API_BASE_URL": base_url, "ANONYMIZED_TELEMETRY": "False"}
        command = [sys.executable, "-m", "chroma_jina", "ingest", str(corpus_file), *target]
        command += ["--collection", name, "--chunk-size", "512"]
        child = subprocess.Popen(command, env=env, cwd=ROOT, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while emu.stats.requests < 8:
            assert child.poll() is None, child.stderr.read().decode()
            assert time.monotonic() < deadline, "the command never reached its 8th request"
            time.sleep(0.01)
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        child.stderr.close()
        assert open_collection().count() == 2048
        SharedSystemClient.clear_system_cache()  # the command opens the directory next
        emu.reset()
        done = subprocess.run(
            command, check=False, env=env, cwd=ROOT, capture_output=True, text=True, timeout=90
        )
    assert done.returncode == 0, done.stderr
    assert f"{name}: 2,048 added, 2,048 already stored, 4 requests" in done.stdout
    assert emu.stats.requests == 4 <= math.ceil((n - 2048) / 512) + 3
    collection = open_collection()
    assert_exact(collection, n)
    assert collection.get(ids=["doc-4000"], include=["metadatas"])["metadatas"] == [{"n": 4000}]
    assert len(collection.get(ids=["doc-1"], include=["embeddings"])["embeddings"][0]) == DIM
