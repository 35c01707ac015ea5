"""End to end: real clients against the emulator (chromadb's built-in function and this library)."""

from __future__ import annotations

import asyncio
import json
import uuid

import chromadb
import httpx
import numpy as np
import pytest
from chromadb.utils.embedding_functions import JinaEmbeddingFunction as BuiltInJina

from chroma_jina import JinaEmbeddingFunction, ServerError
from chroma_jina.testing import (
    DroppedConnection,
    JinaEmulator,
    MissingIndices,
    ServerFailure,
    ShuffledIndices,
    TooManyRequests,
)

KEY = "jina_offline_emulator_key"
DOCS = [
    "Berlin is the capital and largest city of Germany.",
    "The city has a rich history dating back centuries.",
    (
        "It was founded in the 13th century and has been a significant cultural and political "
        "center throughout European history."
    ),
]
QUESTION = "When was Berlin founded?"


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHROMA_JINA_API_KEY", KEY)
    monkeypatch.delenv("JINA_API_KEY", raising=False)


def _collection(ef: object) -> chromadb.Collection:
    client = chromadb.EphemeralClient()
    return client.create_collection(f"emu-{uuid.uuid4().hex[:12]}", embedding_function=ef)


# chromadb's built-in function opens an httpx.Client it never closes (third-party: its
# connection to the emulator's server is left open when the function goes away)
@pytest.mark.filterwarnings("ignore:unclosed <socket.socket:ResourceWarning")
def test_builtin_function_pointed_at_the_server() -> None:
    """chromadb's own function cannot take a URL, but its `_api_url` can be pointed at serve()."""
    emu = JinaEmulator()
    ef = BuiltInJina(
        model_name="jina-embeddings-v3",
        task="retrieval.passage",
        query_config={"task": "retrieval.query"},
    )
    with emu.serve() as base_url:
        ef._api_url = f"{base_url}/embeddings"
        collection = _collection(ef)
        collection.add(ids=["1", "2", "3"], documents=DOCS)
        found = collection.query(query_texts=[QUESTION], n_results=1)
    assert found["ids"] == [["3"]]
    sent = [r.json for r in emu.requests]
    assert [s["task"] for s in sent] == ["retrieval.passage", "retrieval.query"]
    stored = collection.get(ids=["1"], include=["embeddings"])["embeddings"][0]
    assert np.array_equal(
        np.asarray(stored, np.float32),
        emu.embed(DOCS[:1], model="jina-embeddings-v3", task="retrieval.passage")[0],
    )


# chromadb's built-in function opens an httpx.Client it never closes (third-party: its
# connection to the emulator's server is left open when the function goes away)
@pytest.mark.filterwarnings("ignore:unclosed <socket.socket:ResourceWarning")
def test_builtin_function_breaks_on_a_fault_the_library_survives() -> None:
    """The built-in has no status check: an HTML 502 reaches the user as a JSON decode error."""
    from chroma_jina.testing import HTMLErrorPage

    emu = JinaEmulator()
    ef = BuiltInJina(model_name="jina-embeddings-v3")
    with emu.serve() as base_url:
        ef._api_url = f"{base_url}/embeddings"
        emu.script(HTMLErrorPage(502))
        with pytest.raises(json.JSONDecodeError):
            ef(["a"])


@pytest.mark.parametrize("wire_base64", [True, False])
def test_library_through_the_transport(wire_base64: bool) -> None:
    emu = JinaEmulator()
    with httpx.Client(transport=emu.transport()) as http:
        ef = JinaEmbeddingFunction(
            model_name="jina-embeddings-v3",
            task="retrieval.passage",
            query_config={"task": "retrieval.query"},
            http_client=http,
            wire_base64=wire_base64,
        )
        collection = _collection(ef)
        collection.add(ids=["1", "2", "3"], documents=DOCS)
        found = collection.query(query_texts=[QUESTION], n_results=1)
        vectors = ef(DOCS)
    assert found["ids"] == [["3"]]
    expected = emu.embed(DOCS, model="jina-embeddings-v3", task="retrieval.passage")
    assert all(np.array_equal(v, e) for v, e in zip(vectors, expected, strict=True))
    assert emu.requests[0].json.get("embedding_type") == ("base64" if wire_base64 else None)


def test_library_through_the_server_with_faults() -> None:
    """Retryable faults, shuffled order: the library still returns every vector, in order."""
    emu = JinaEmulator()
    texts = [f"passage number {i} about topic {i % 7}" for i in range(40)]
    with emu.serve() as base_url:
        ef = JinaEmbeddingFunction(
            model_name="jina-embeddings-v3", base_url=base_url, batch_size=10
        )
        emu.script(
            TooManyRequests(retry_after=0),
            ShuffledIndices(seed=1),
            DroppedConnection(),
            MissingIndices(2),
        )
        vectors = ef(texts)
    expected = emu.embed(texts, model="jina-embeddings-v3")
    assert all(np.array_equal(v, e) for v, e in zip(vectors, expected, strict=True))
    assert emu.stats.faults_injected == 4


def test_library_raises_typed_error_when_faults_persist() -> None:
    emu = JinaEmulator()
    with httpx.Client(transport=emu.transport()) as http:
        ef = JinaEmbeddingFunction(model_name="jina-embeddings-v3", http_client=http, max_retries=1)
        emu.script(ServerFailure(503), ServerFailure(503))
        with pytest.raises(ServerError) as info:
            ef(["a"])
    assert info.value.status == 503 and info.value.code == "SERVICE_UNAVAILABLE"
    assert len(info.value.request_id) == 32


def test_library_async_through_the_transport() -> None:
    emu = JinaEmulator()

    async def run() -> list[np.ndarray]:
        async with httpx.AsyncClient(transport=emu.transport()) as http:
            ef = JinaEmbeddingFunction(
                model_name="jina-embeddings-v3", async_http_client=http, task="retrieval.passage"
            )
            return await ef.aembed(DOCS)

    vectors = asyncio.run(run())
    expected = emu.embed(DOCS, model="jina-embeddings-v3", task="retrieval.passage")
    assert all(np.array_equal(v, e) for v, e in zip(vectors, expected, strict=True))


def test_command_line_server(capsys: pytest.CaptureFixture[str]) -> None:
    """`python -m chroma_jina.testing` serves until stopped and prints its base URL first."""
    import threading
    import time

    from chroma_jina.testing.__main__ import main

    stop = threading.Event()
    thread = threading.Thread(target=main, args=(["--rpm", "1"], stop))
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not (out := capsys.readouterr().out) and time.monotonic() < deadline:
            time.sleep(0.02)
        base_url = out.strip()
        answers = [
            httpx.post(
                f"{base_url}/embeddings",
                json={"model": "jina-embeddings-v3", "input": ["a"]},
                headers={"Authorization": f"Bearer {KEY}"},
            )
            for _ in range(2)
        ]
    finally:
        stop.set()
        thread.join()
    assert [a.status_code for a in answers] == [200, 429]


def test_the_server_is_quiet_when_a_client_goes_away(capfd: pytest.CaptureFixture[str]) -> None:
    """A client that resets or stops half-way through its request used to print a full
    traceback on stderr each time; now nothing is printed and the server keeps answering."""
    import socket
    import struct
    from urllib.parse import urlsplit

    body = b'{"model": "jina-embeddings-v3", "input": ["a"]}'
    with JinaEmulator().serve() as base_url:
        address = (urlsplit(base_url).hostname, urlsplit(base_url).port)
        head = (
            f"POST /v1/embeddings HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        for sent, reset in ((head + body[:10], False), (head + body[:10], True), (head, True)):
            with socket.create_connection(address) as sock:
                sock.sendall(sent)
                if reset:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        with httpx.Client() as client:
            answer = client.post(
                f"{base_url}/embeddings", content=body, headers={"Authorization": f"Bearer {KEY}"}
            )
    assert answer.status_code == 200
    err = capfd.readouterr().err
    assert "Traceback" not in err and "Exception" not in err, err
