"""A call that fails part-way hands back what was paid for: `embedded` maps each embedded input
to its vector and `input_indices` lists every other input; requests already out are answered
and kept, nothing more is sent. Every failure is a JinaError with httpx's exception as its
cause, and only transient network errors are retried (issue 23)."""

from __future__ import annotations

import asyncio
import gzip
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import numpy as np
import pytest

from chroma_jina import (
    ConfigurationError,
    JinaEmbeddingFunction,
    MalformedResponseError,
    ServerError,
)
from chroma_jina.testing import JinaEmulator, Latency, ServerFailure

KEY = "jina_offline_emulator_key"
MODEL = "jina-embeddings-v3"
TEXTS = [f"passage {i} about rivers" for i in range(100)]


def function(emu: JinaEmulator, asynchronous: bool, **kw: object) -> JinaEmbeddingFunction:
    clients = (
        {"async_http_client": httpx.AsyncClient(transport=emu.transport())}
        if asynchronous
        else {"http_client": httpx.Client(transport=emu.transport())}
    )
    return JinaEmbeddingFunction(KEY, MODEL, batch_size=10, max_retries=0, **clients, **kw)


def call(ef: JinaEmbeddingFunction, asynchronous: bool) -> None:
    if asynchronous:
        asyncio.run(ef.aembed(TEXTS))
    else:
        ef(TEXTS)


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_batches_done_before_a_failure_are_handed_back(asynchronous: bool) -> None:
    """One request at a time: batches 0 and 1 come back, batch 2 fails, 3-9 are never sent.
    Before: the error named batch 2 only (inputs 20..29) and no vector came back."""
    emu = JinaEmulator()
    emu.script(None, None, ServerFailure(500))
    ef = function(emu, asynchronous, max_concurrency=1)
    with pytest.raises(ServerError) as info:
        call(ef, asynchronous)
    error = info.value
    assert sorted(error.embedded) == list(range(20))
    assert error.input_indices == list(range(20, 100))
    assert error.at_fault == list(range(20, 30))
    want = emu.embed(TEXTS[:20], MODEL)
    assert all(error.embedded[i].dtype == np.float32 for i in range(20))
    assert np.array_equal(np.stack([error.embedded[i] for i in range(20)]), want)
    assert emu.stats.requests == 3


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_requests_out_when_one_fails_are_answered_and_kept(asynchronous: bool) -> None:
    """Three requests out at once, the third answered at once with a failure: the two others
    are answered (they are billed) and their vectors kept; no new request starts."""
    emu = JinaEmulator(latency=Latency(0.2))
    emu.script(None, None, ServerFailure(500))
    ef = function(emu, asynchronous, max_concurrency=3)
    with pytest.raises(ServerError) as info:
        call(ef, asynchronous)
    error = info.value
    embedded, missing = set(error.embedded), set(error.input_indices)
    assert embedded.isdisjoint(missing) and embedded | missing == set(range(100))
    assert len(embedded) == 20  # the two batches that were out
    assert emu.stats.requests == 3
    for i in embedded:
        assert np.array_equal(error.embedded[i], emu.embed([TEXTS[i]], MODEL)[0])


class _Odd(BaseHTTPRequestHandler):
    """A loopback server that redirects forever (/loop/...) or sends a corrupt gzip body."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path.startswith("/loop"):
            self.send_response(307)  # keeps the method and body
            self.send_header("Location", self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = gzip.compress(b'{"data": []}')[:-8] + b"corrupt!"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def odd_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Odd)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    ("where", "error", "cause"),
    [
        ("ftp://127.0.0.1/v1", ConfigurationError, httpx.UnsupportedProtocol),
        ("http://[::1/v1", ConfigurationError, httpx.InvalidURL),
        ("{server}/loop/v1", ConfigurationError, httpx.TooManyRedirects),
        ("{server}/gzip/v1", MalformedResponseError, httpx.DecodingError),
    ],
)
def test_every_failure_of_httpx_is_typed_with_its_cause_and_not_retried(
    odd_server: str, where: str, error: type, cause: type
) -> None:
    """Before: DecodingError, TooManyRedirects and InvalidURL escaped raw, and
    UnsupportedProtocol was retried 5 times as a network error."""
    http = httpx.Client(follow_redirects=True, max_redirects=3)
    for asynchronous in (False, True):
        kw: dict[str, object] = {"http_client": http}
        if asynchronous:
            kw["async_http_client"] = httpx.AsyncClient(follow_redirects=True, max_redirects=3)
        ef = JinaEmbeddingFunction(KEY, base_url=where.format(server=odd_server), **kw)
        started = time.monotonic()
        with pytest.raises(error) as info:
            asyncio.run(ef.aembed(["a text"])) if asynchronous else ef(["a text"])
        assert isinstance(info.value.__cause__, cause)
        assert ef.last_usage is not None and ef.last_usage.requests == 1  # not retried
        assert time.monotonic() - started < 5
        assert info.value.input_indices == [0] and info.value.embedded == {}
