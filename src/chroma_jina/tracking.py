"""The usage of the calls made inside a `with track_usage():` block, per thread and per asyncio
task, so that callers sharing one function each see their own figures; `metered` accounts one
call of an embedding function or a reranker."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Protocol

from chroma_jina.usage import Meter, Usage

_ACTIVE: ContextVar[tuple[UsageTracker, ...]] = ContextVar("chroma_jina_usage", default=())


class UsageTracker:
    """Sums the usage of the embedding and rerank calls made in its block (failed calls included: what
    they billed before failing)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls = 0
        self._total = 0
        self._prompt: int | None = None
        self._requests = 0

    def add(self, usage: Usage) -> None:
        """Count one call's usage."""
        with self._lock:
            self.calls += 1
            self._total += usage.total_tokens
            self._requests += usage.requests
            if usage.prompt_tokens is not None:
                self._prompt = (self._prompt or 0) + usage.prompt_tokens

    @property
    def usage(self) -> Usage:
        """The calls' usage so far, summed."""
        with self._lock:
            return Usage(self._total, self._prompt, self._requests)

    def __repr__(self) -> str:
        return f"UsageTracker(calls={self.calls}, usage={self.usage})"


@contextmanager
def track_usage() -> Iterator[UsageTracker]:
    """Collect the usage of every embedding or rerank call made inside the block by this thread or
    asyncio task (and by the tasks it starts inside it), whatever function makes it:

        with chroma_jina.track_usage() as tracked:
            collection.add(ids=ids, documents=documents)
        print(tracked.usage.total_tokens)

    Blocks nest; calls made by other threads or tasks are not counted, so request handlers
    sharing one function each read their own figures (`last_usage` shows the last call of
    any caller)."""
    tracker = UsageTracker()
    token = _ACTIVE.set((*_ACTIVE.get(), tracker))
    try:
        yield tracker
    finally:
        _ACTIVE.reset(token)


def record(usage: Usage) -> None:
    """Add one call's usage to every block the current thread or task is in."""
    for tracker in _ACTIVE.get():
        tracker.add(usage)


class Accountable(Protocol):
    """What makes calls: an embedding function or a reranker."""

    last_usage: Usage | None


@contextmanager
def metered(caller: Accountable) -> Iterator[Meter]:
    """The meter of one call of `caller`: when the call ends, failed or not, what it billed
    becomes `caller.last_usage` and is counted by every `track_usage()` block it runs in."""
    meter = Meter()
    try:
        yield meter
    finally:
        caller.last_usage = usage = meter.usage()
        record(usage)
