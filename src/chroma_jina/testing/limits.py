"""Rate limits and the latency model of the emulated service."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class RateLimits:
    """Per-key limits, enforced over a sliding `window` (60 s, like the real per-minute limits)."""

    requests_per_minute: int | None = None
    tokens_per_minute: int | None = None
    concurrency: int | None = None
    window: float = 60.0

    @classmethod
    def free_tier(cls) -> RateLimits:
        """Free keys: 500 requests/min, 1M tokens/min, 5 concurrent (Jina's OpenAPI, 2026)."""
        return cls(500, 1_000_000, 5)

    @classmethod
    def tier1(cls) -> RateLimits:
        """Tier 1: 500 requests/min, 10M tokens/min, 50 concurrent."""
        return cls(500, 10_000_000, 50)

    @classmethod
    def tier2(cls) -> RateLimits:
        """Tier 2: 5,000 requests/min, 100M tokens/min, 500 concurrent."""
        return cls(5_000, 100_000_000, 500)


@dataclass(frozen=True)
class Latency:
    """Time to answer: `fixed` seconds plus `per_token` seconds per billed token."""

    fixed: float = 0.0
    per_token: float = 0.0

    def delay(self, tokens: int) -> float:
        """Seconds a request of `tokens` tokens takes."""
        return self.fixed + self.per_token * tokens


@dataclass(frozen=True)
class Refusal:
    """Why a request was refused by a limit."""

    code: str
    detail: str
    retry_after: int


class Limiter:
    """Thread-safe bookkeeping for `RateLimits`."""

    def __init__(self, limits: RateLimits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self.clock = clock
        self._lock = threading.Lock()
        self._requests: deque[float] = deque()
        self._tokens: deque[tuple[float, int]] = deque()
        self._token_sum = 0
        self.in_flight = 0

    def _prune(self, now: float) -> None:
        edge = now - self.limits.window
        while self._requests and self._requests[0] <= edge:
            self._requests.popleft()
        while self._tokens and self._tokens[0][0] <= edge:
            self._token_sum -= self._tokens.popleft()[1]

    def enter(self) -> Refusal | None:
        """Admit a request (count it and hold a concurrency slot) or say why not."""
        lim = self.limits
        with self._lock:
            now = self.clock()
            self._prune(now)
            if lim.concurrency is not None and self.in_flight >= lim.concurrency:
                return Refusal(
                    "RATE_CONCURRENCY_LIMIT_EXCEEDED",
                    f"Concurrency limit exceeded: {self.in_flight + 1}/{lim.concurrency} concurrent "
                    "requests. Wait for pending requests to complete before sending new ones.",
                    1,
                )
            rpm = lim.requests_per_minute
            if rpm is not None and len(self._requests) >= rpm:
                wait = self._requests[len(self._requests) - rpm] + lim.window - now
                return Refusal(
                    "RATE_REQUEST_LIMIT_EXCEEDED",
                    f"Request rate limit exceeded: {len(self._requests) + 1}/{rpm} requests per "
                    "minute. Reduce request frequency or upgrade your plan at "
                    "https://jina.ai/api-dashboard/key-manager.",
                    max(1, math.ceil(wait)),
                )
            self._requests.append(now)
            self.in_flight += 1
            return None

    def charge(self, tokens: int) -> Refusal | None:
        """Count `tokens` against the token limit, or say why they do not fit."""
        tpm = self.limits.tokens_per_minute
        if tpm is None:
            return None
        with self._lock:
            now = self.clock()
            self._prune(now)
            if self._token_sum + tokens > tpm:
                need, wait = self._token_sum + tokens - tpm, self.limits.window
                for stamp, n in self._tokens:
                    need -= n
                    if need <= 0:
                        wait = stamp + self.limits.window - now
                        break
                return Refusal(
                    "RATE_TOKEN_LIMIT_EXCEEDED",
                    f"Token rate limit exceeded: {self._token_sum + tokens:,}/{tpm:,} tokens per "
                    "minute. Reduce batch sizes or upgrade your plan at "
                    "https://jina.ai/api-dashboard/key-manager.",
                    max(1, math.ceil(wait)),
                )
            self._tokens.append((now, tokens))
            self._token_sum += tokens
            return None

    def leave(self) -> None:
        """Release the concurrency slot taken by `enter`."""
        with self._lock:
            self.in_flight -= 1

    def headers(self) -> list[tuple[str, str]]:
        """`X-RateLimit-Remaining-*` headers for the limits that are set."""
        out = []
        with self._lock:
            self._prune(self.clock())
            if self.limits.requests_per_minute is not None:
                left = max(0, self.limits.requests_per_minute - len(self._requests))
                out.append(("X-RateLimit-Remaining-Requests", str(left)))
            if self.limits.tokens_per_minute is not None:
                left = max(0, self.limits.tokens_per_minute - self._token_sum)
                out.append(("X-RateLimit-Remaining-Tokens", str(left)))
        return out
