"""A small fake of the Jina embeddings endpoint for the library's unit tests (httpx.MockTransport).

Vectors are a deterministic function of each input, so a test can compute the vector any
input must get and check order and alignment exactly. Responses honour `embedding_type` and
`dimensions` like the real API (default length: the model's, or `dim`). `script` replaces the answer to the next requests: an
`httpx.Response`, an exception to raise (a network failure), or a callable
`(body) -> httpx.Response`. `delay(body)` gives seconds to wait before answering.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import numpy as np

from chroma_jina.clock import Clock
from chroma_jina.models import lookup

KEY = "jina_offline_emulator_key"
WALL_START = 1_800_000_000.0
"""The fake wall clock's start (2027-01-15 08:00 UTC)."""


def vector_for(item: object, dim: int) -> np.ndarray:
    """The fake's float32 vector for one input (a str or an `{"image": ...}` object)."""
    key = item if isinstance(item, str) else json.dumps(item, sort_keys=True)
    seed = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "little")
    return np.random.default_rng(seed).standard_normal(dim).astype(np.float32)


def encode(vector: np.ndarray, embedding_type: str) -> Any:
    """Encode a float32 vector as the API does for `embedding_type`."""
    if embedding_type == "base64":
        return base64.b64encode(vector.astype("<f4").tobytes()).decode()
    if embedding_type in ("ubinary", "binary"):
        packed = np.packbits(vector > 0).astype(np.float64)
        return (packed - (128 if embedding_type == "binary" else 0)).tolist()
    return [float(x) for x in vector]


def expected(
    items: list[object], dim: int = 768, embedding_type: str = "float"
) -> list[np.ndarray]:
    """The float32 vectors a correct client returns for `items` from this fake."""
    out = []
    for item in items:
        v = vector_for(item, dim)
        if embedding_type in ("ubinary", "binary"):
            v = np.where(v > 0, 1.0, -1.0).astype(np.float32)
        out.append(v)
    return out


def error(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    """An error response; `body` is JSON-encoded unless it is bytes."""
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx.Response(status, content=content, headers=headers or {})


class FakeJina:
    """The fake endpoint. `requests` holds the parsed bodies of all requests, in order."""

    def __init__(
        self, dim: int | None = None, delay: Callable[[dict], float] | None = None
    ) -> None:
        self.dim = dim
        self.delay = delay
        self.requests: list[dict[str, Any]] = []
        self.urls: list[str] = []
        self.headers: list[httpx.Headers] = []
        self.script: list[Any] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()

    def answer(
        self,
        body: dict[str, Any],
        *,
        drop: tuple[int, ...] = (),
        shuffle: bool = False,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """A correct 200 answer to `body`, optionally without some indices or shuffled."""
        kind = body.get("embedding_type", "float")
        info = lookup(body["model"])
        dim = body.get("dimensions") or self.dim or (info.dimensions if info else 768)
        data = [
            {"object": "embedding", "index": i, "embedding": encode(vector_for(x, dim), kind)}
            for i, x in enumerate(body["input"])
            if i not in drop
        ]
        if shuffle:
            data.reverse()
        tokens = sum(len(str(x).split()) + 2 for x in body["input"])
        payload = {
            "model": body["model"],
            "object": "list",
            "usage": {"total_tokens": tokens, "prompt_tokens": tokens},
            "data": data,
        }
        return httpx.Response(200, json=payload, headers=headers or {})

    def _reply(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        with self._lock:
            self.requests.append(body)
            self.urls.append(str(request.url))
            self.headers.append(request.headers)
            step = self.script.pop(0) if self.script else None
        if isinstance(step, Exception):
            raise step
        if isinstance(step, httpx.Response):
            return step
        if callable(step):
            return step(body)
        return self.answer(body)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.delay:
                time.sleep(self.delay(json.loads(request.content)))
            return self._reply(request)
        finally:
            with self._lock:
                self.in_flight -= 1

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self))

    def async_client(self) -> httpx.AsyncClient:
        async def handler(request: httpx.Request) -> httpx.Response:
            import asyncio

            with self._lock:
                self.in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self.in_flight)
            try:
                await asyncio.sleep(self.delay(json.loads(request.content)) if self.delay else 0)
                return self._reply(request)
            finally:
                with self._lock:
                    self.in_flight -= 1

        return httpx.AsyncClient(transport=httpx.MockTransport(handler))


class FakeClock:
    """A clock for tests: waits are recorded, not slept. Pass `clock=fake.clock` to a function.

    Each thread's wait ends its own length after the time that thread last read, and the clock
    shows the latest end so far: threads waiting side by side move it on as real time would,
    and one thread's waits add up exactly."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []
        """Every wait the client asked for, in seconds, in order."""
        self._lock = threading.Lock()
        self._seen = threading.local()
        self.clock = Clock(self.monotonic, self.wall, self.sleep, self.async_sleep)

    def monotonic(self) -> float:
        with self._lock:
            self._seen.at = self.now
            return self.now

    def wall(self) -> float:
        """Wall time: WALL_START plus the time passed (for Retry-After dates)."""
        return WALL_START + self.monotonic()

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            end = getattr(self._seen, "at", self.now) + seconds
            self.now = max(self.now, end)
            self._seen.at = end

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)
        await asyncio.sleep(0)


async def _no_async_wait(seconds: float) -> None:
    await asyncio.sleep(0)


NO_WAIT = Clock(sleep=lambda seconds: None, async_sleep=_no_async_wait)
"""The system's time, but retry waits are decided, not slept."""


def make_ef(fake: FakeJina, *args: Any, asynchronous: bool = False, **kw: Any):
    """Our function wired to `fake`, on a fake clock: waits are recorded, not slept.

    Returns (ef, clock), a `FakeClock`: `clock.sleeps` lists every wait the client asked for;
    its time (pacing, and wall time from WALL_START for Retry-After dates) moves only by them."""
    from chroma_jina import JinaEmbeddingFunction

    if not args:
        kw.setdefault("api_key", KEY)
    if asynchronous:
        kw.setdefault("async_http_client", fake.async_client())
    else:
        kw.setdefault("http_client", fake.client())
    clock = FakeClock()
    ef = JinaEmbeddingFunction(*args, clock=clock.clock, **kw)
    return ef, clock


def same(got: list[np.ndarray], want: list[np.ndarray]) -> bool:
    """Exactly equal float32 vectors, in the same order."""
    return len(got) == len(want) and all(
        g.dtype == np.float32 and np.array_equal(g, w) for g, w in zip(got, want, strict=False)
    )
