"""Where the library reads the time and how it waits: the system's by default; a test passes
its own (`JinaEmbeddingFunction(..., clock=...)`), so retries and pacing run without waiting."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Clock:
    """The time sources and waits of one client.

    Clients with the same API key and base URL share a pacing budget only when they share
    `monotonic`, since each budget counts time on one clock.
    """

    monotonic: Callable[[], float] = time.monotonic
    """Seconds, for pacing and concurrency decisions."""
    wall: Callable[[], float] = time.time
    """Seconds since the epoch, for Retry-After dates."""
    sleep: Callable[[float], object] | None = None
    """A blocking wait; None: real time, cut short when another batch of the call fails."""
    async_sleep: Callable[[float], Awaitable[object]] = asyncio.sleep
    """A wait on the event loop."""


SYSTEM = Clock()
"""The system's clocks and real waits."""
