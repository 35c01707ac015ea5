"""The library's tests talk to one fake of the service: the offline emulator
(`chroma_jina.testing.JinaEmulator`), scripted with its faults. Here: a function wired to it on
a fake clock, the bodies it received, and the vectors a correct client must return."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import httpx
import numpy as np

from chroma_jina import JinaEmbeddingFunction
from chroma_jina.clock import Clock
from chroma_jina.models import DEFAULT_MODEL
from chroma_jina.testing import JinaEmulator

KEY = "jina_offline_emulator_key"
WALL_START = 1_800_000_000.0
"""The fake wall clock's start (2027-01-15 08:00 UTC)."""


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


def make_ef(
    emu: JinaEmulator,
    *args: Any,
    asynchronous: bool = False,
    clock: FakeClock | None = None,
    **kw: Any,
) -> tuple[JinaEmbeddingFunction, FakeClock]:
    """Our function wired to the emulator `emu` (in-process), on a fake clock: waits are
    recorded, not slept. Returns (ef, clock): `clock.sleeps` lists every wait the client asked
    for; its time (pacing, and wall time from WALL_START for Retry-After dates) moves only by
    them."""
    if not args:
        kw.setdefault("api_key", KEY)
    if asynchronous:
        kw.setdefault("async_http_client", httpx.AsyncClient(transport=emu.transport()))
    else:
        kw.setdefault("http_client", httpx.Client(transport=emu.transport()))
    clock = clock or FakeClock()
    return JinaEmbeddingFunction(*args, clock=clock.clock, **kw), clock


def sent(emu: JinaEmulator) -> list[Any]:
    """The parsed bodies of every request `emu` received, in order."""
    return [r.json for r in emu.requests]


def want(
    emu: JinaEmulator, items: list[Any], model: str = DEFAULT_MODEL, **options: Any
) -> list[np.ndarray]:
    """The float32 vectors a correct client returns for `items` from the emulator, asked with
    these request `options` (binary types come back as +1/-1 per bit)."""
    kind = options.pop("embedding_type", None)
    vectors = emu.embed(items, model, **options)
    if kind in ("ubinary", "binary"):
        vectors = np.where(vectors > 0, 1.0, -1.0).astype(np.float32)
    return list(vectors)


def same(got: list[np.ndarray], want: list[np.ndarray]) -> bool:
    """Exactly equal float32 vectors, in the same order."""
    return len(got) == len(want) and all(
        g.dtype == np.float32 and np.array_equal(g, w) for g, w in zip(got, want, strict=False)
    )
