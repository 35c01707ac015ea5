"""Faults the emulator can inject: scripted one by one, or drawn at random with a seed."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any


class Fault:
    """Something the emulator does instead of, or to, a normal answer."""

    @property
    def kind(self) -> str:
        """Short name used in the emulator's counters."""
        return type(self).__name__


@dataclass(frozen=True)
class TooManyRequests(Fault):
    """429 with the 2026 body; `Retry-After` in seconds, as an HTTP date, or absent (None)."""

    retry_after: int | None = 1
    http_date: bool = False
    code: str = "RATE_REQUEST_LIMIT_EXCEEDED"


@dataclass(frozen=True)
class ServerFailure(Fault):
    """A 5xx with a JSON body (500 INTERNAL_ERROR, 503 SERVICE_UNAVAILABLE, 504 SERVICE_TIMEOUT)."""

    status: int = 503


@dataclass(frozen=True)
class HTMLErrorPage(Fault):
    """An HTML error page, as a proxy in front of the API serves it (not JSON)."""

    status: int = 502


@dataclass(frozen=True)
class ErrorReply(Fault):
    """Any error the API can give, e.g. `ErrorReply(403, "AUTHZ_INSUFFICIENT_BALANCE")`."""

    status: int
    code: str
    detail: str | None = None


@dataclass(frozen=True)
class DroppedConnection(Fault):
    """The connection closes instead of answering.

    `after_bytes=None`: nothing is sent (httpx raises `RemoteProtocolError`); a number: the
    headers and that many bytes of the body are sent first. `reset=True` aborts the connection
    with a TCP reset instead of closing it (httpx raises `ReadError`).
    The request is still processed and billed, as when a real connection breaks.
    """

    after_bytes: int | None = None
    reset: bool = False


@dataclass(frozen=True)
class SlowResponse(Fault):
    """A normal answer, `seconds` late (a client with a shorter read timeout times out)."""

    seconds: float = 1.0


@dataclass(frozen=True)
class ShuffledIndices(Fault):
    """A normal answer with the `data` entries in a shuffled order (indices still right)."""

    seed: int = 0


@dataclass(frozen=True)
class MissingIndices(Fault):
    """A 200 answer whose `data` lacks `count` entries (the last ones), or the entries of the
    input positions `at` when given."""

    count: int = 1
    at: tuple[int, ...] = ()


@dataclass(frozen=True)
class RawReply(Fault):
    """An answer given byte for byte: `status` and `body` as `content_type`, for what the API
    itself never sends (a proxy's page, a body of another shape, a 200 that is not JSON)."""

    status: int
    body: bytes
    content_type: str = "application/json"


@dataclass(frozen=True)
class DuplicatedIndex(Fault):
    """A 200 answer where the last entry repeats the first entry's index instead of its own."""


@dataclass(frozen=True)
class When(Fault):
    """`fault` for a request whose parsed JSON body `match` accepts; a normal answer otherwise.

    For faults that depend on what is sent, e.g.
    `When(lambda body: len(body["input"]) > 100, ErrorReply(413, "REQUEST_TOO_LARGE"))`.
    """

    match: Callable[[Any], bool]
    fault: Fault

    @property
    def kind(self) -> str:
        """The kind of `fault`: counted as that fault when it applies."""
        return self.fault.kind


DEFAULT_MIX: tuple[Fault, ...] = (
    TooManyRequests(retry_after=1),
    ServerFailure(500),
    ServerFailure(503),
    HTMLErrorPage(502),
    DroppedConnection(),
    DroppedConnection(after_bytes=64),
    SlowResponse(0.2),
    ShuffledIndices(),
    MissingIndices(1),
)
"""What `RandomFaults` draws from unless told otherwise (equal weights)."""


class RandomFaults:
    """Inject a fault into a share `rate` of requests, drawn from `mix` with a seeded generator.

    `mix` is a sequence of faults (equal weights) or a mapping fault -> weight. Draws happen in
    the order requests arrive, so a sequential client sees the same faults on every run.
    """

    def __init__(
        self,
        rate: float,
        seed: int = 0,
        mix: Sequence[Fault] | Mapping[Fault, float] | None = None,
    ) -> None:
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"rate must be between 0 and 1, got {rate!r}")
        mix = DEFAULT_MIX if mix is None else mix
        self.rate = rate
        self.seed = seed
        self.faults = list(mix)
        if not self.faults:
            raise ValueError("mix must hold at least one fault")
        self.weights = [float(mix[f]) for f in self.faults] if isinstance(mix, Mapping) else None
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    def draw(self) -> Fault | None:
        """The fault for the next request, or None for a normal answer."""
        with self._lock:
            if self._rng.random() >= self.rate:
                return None
            return self._rng.choices(self.faults, weights=self.weights)[0]

    def __repr__(self) -> str:
        return f"RandomFaults(rate={self.rate!r}, seed={self.seed!r}, faults={len(self.faults)})"
