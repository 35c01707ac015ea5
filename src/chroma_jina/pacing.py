"""Client-side rate limiting: how long a request must wait before it is sent.

Pure decisions over a clock, no I/O: the executors in `client` do the waiting.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass

LEARNED_MARGIN = 61 / 60
"""Learned limits are kept over a window 1/60 longer than the service's, for the time a
request takes to arrive."""


@dataclass
class _Sent:
    """One request this client sent (or is about to): when, how many tokens, its ticket."""

    at: float
    tokens: int
    """Estimated until the response says what was billed."""
    ticket: int
    billed: bool = False


class Pacer:
    """Decides how long a request must wait before it is sent, shared by every request made
    with one API key (requests start in the order they were reserved).

    Three sources: optional requests/tokens-per-minute budgets; a hold after a 429 (every
    request waits out the Retry-After, not only the one that got it); and the
    `X-RateLimit-Remaining-Requests` / `-Tokens` headers. From what remains and what was sent
    in the 60 s before, a response tells the key's per-minute limits (a lower bound if other
    processes share the key); later requests then wait, like the service's own sliding
    window, until they fit under those limits, with a 1/60 margin for the time a request
    takes to arrive. So the client slows down before a 429, and no more than the limits
    require.
    """

    window = 60.0

    def __init__(
        self,
        requests_per_minute: int | None = None,
        tokens_per_minute: int | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._lock = threading.Lock()
        self._budgets = {"requests": requests_per_minute, "tokens": tokens_per_minute}
        self._limits: dict[str, int] = {}
        """Limits learned from the rate-limit headers: the median of the last estimates (each
        may be off by a request or two when concurrent requests reach the service out of
        order)."""
        self._estimates: dict[str, deque[int]] = {}
        self.clock = clock
        self._not_before = 0.0
        self._sent: deque[_Sent] = deque()
        """Sorted by `at`: each reservation starts no earlier than the one before."""
        self._tickets = 0
        self._reported = 0
        """Ticket of the newest request whose response reported what remains."""
        self._estimated, self._billed = 0, 0
        """Sums over billed requests, to scale estimates to what the service counts."""

    def reserve(self, tokens: int) -> tuple[float, int]:
        """Seconds to wait before sending a request of about `tokens` tokens, and the
        request's ticket (pass it to `observe` with the response)."""
        with self._lock:
            now = self.clock()
            while self._sent and self._sent[0].at <= now - 2 * self.window:
                self._sent.popleft()
            start = max(now, self._not_before, self._sent[-1].at if self._sent else now)
            for kind in ("requests", "tokens"):
                for limit, margin in (
                    (self._budgets[kind], 1.0),
                    (self._limits.get(kind), LEARNED_MARGIN),
                ):
                    if limit:
                        start = self._fit(kind, tokens, limit, start, self.window * margin)
            self._tickets += 1
            self._sent.append(_Sent(start, tokens, self._tickets))
            return start - now, self._tickets

    def _fit(self, kind: str, tokens: int, limit: int, start: float, span: float) -> float:
        """The first time >= `start` at which one more request keeps the requests (or tokens)
        sent in the `span` seconds before it within `limit`.

        Walks the sent requests oldest first, dropping one per step, so it ends after at most
        `len(self._sent)` steps whatever the clock values. A request counts as gone from the
        window at exactly its time + `span` (never recomputed from that float sum, which may
        round below its time)."""
        scale = 1.05 * self._billed / self._estimated if self._estimated else 1.0

        def size(s: _Sent) -> float:
            return 1 if kind == "requests" else s.tokens if s.billed else s.tokens * scale

        cost = 1 if kind == "requests" else tokens * scale
        sent = self._sent
        first = 0
        while first < len(sent) and sent[first].at + span <= start:
            first += 1
        used = sum(size(s) for s in list(sent)[first:])
        t = start
        while first < len(sent) and used + cost > limit:
            t = max(t, sent[first].at + span)
            used -= size(sent[first])
            first += 1
        return t

    def hold(self, seconds: float) -> None:
        """Make every request wait at least `seconds` from now (after a 429)."""
        with self._lock:
            self._not_before = max(self._not_before, self.clock() + seconds)

    def observe(self, ticket: int, headers: Mapping[str, str], billed: int) -> None:
        """Record the response to request `ticket`: the tokens it was `billed` (0 if it was
        refused) and the remaining-budget headers, if any."""
        left = {
            "requests": _header_int(headers, "x-ratelimit-remaining-requests"),
            "tokens": _header_int(headers, "x-ratelimit-remaining-tokens"),
        }
        with self._lock:
            sent = next((s for s in self._sent if s.ticket == ticket), None)
            if sent is None:
                return
            if billed:
                self._estimated += sent.tokens
                self._billed += billed
            sent.tokens, sent.billed = billed, True
            if ticket < self._reported or all(v is None for v in left.values()):
                return
            self._reported = ticket
            counted = [
                s
                for s in self._sent
                if s.ticket <= ticket and sent.at - self.window < s.at <= sent.at
            ]
            for kind, remaining in left.items():
                if remaining is not None:
                    used = len(counted) if kind == "requests" else sum(s.tokens for s in counted)
                    estimates = self._estimates.setdefault(kind, deque(maxlen=9))
                    estimates.append(remaining + used)
                    self._limits[kind] = int(statistics.median_low(estimates))


def _header_int(headers: Mapping[str, str], name: str) -> int | None:
    value = next((v for k, v in headers.items() if k.lower() == name), None)
    try:
        return None if value is None else max(0, int(float(value)))
    except ValueError:
        return None
