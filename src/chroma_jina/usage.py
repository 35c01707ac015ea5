"""Token usage: what the service billed for a call, counted as its requests come back."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Protocol


class Billed(Protocol):
    """A decoded answer's `usage` figures (embeddings, and any other endpoint's)."""

    @property
    def total_tokens(self) -> int: ...

    @property
    def prompt_tokens(self) -> int | None: ...


@dataclass(frozen=True)
class Usage:
    """Token usage of one call, summed over its requests.

    `prompt_tokens` is None when no response reported it; `requests` counts every HTTP
    request sent, retries included.
    """

    total_tokens: int
    prompt_tokens: int | None
    requests: int


class Meter:
    """Thread-safe running totals behind a `Usage`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._total = 0
        self._prompt: int | None = None
        self._requests = 0

    def request(self) -> None:
        """Count one HTTP request sent."""
        with self._lock:
            self._requests += 1

    def add(self, billed: Billed) -> None:
        """Add what one answer says it billed."""
        with self._lock:
            self._total += billed.total_tokens
            if billed.prompt_tokens is not None:
                self._prompt = (self._prompt or 0) + billed.prompt_tokens

    def usage(self) -> Usage:
        """The totals so far."""
        with self._lock:
            return Usage(self._total, self._prompt, self._requests)
