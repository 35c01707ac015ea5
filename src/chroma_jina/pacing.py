"""Client-side rate limiting, one budget per API key and base URL, shared process-wide.

`Pacer` decides how long a request waits before it is sent (pure decisions over a clock);
`Slots` bounds the requests in flight for threads and asyncio tasks alike. The executors in
`client` do the waiting.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import hashlib
import os
import statistics
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal, cast

LEARNED_MARGIN = 61 / 60
"""Learned limits are kept over a window 1/60 longer than the service's, for the time a
request takes to arrive."""


@dataclass(eq=False)
class _Sent:
    """One request this client sent (or is about to): when, how many tokens, its ticket.
    Compared by identity: two bookings alike are still two requests."""

    at: float
    tokens: int
    """Estimated until the response says what was billed."""
    ticket: int
    billed: bool = False


Booking = _Sent
"""A request's place in a function's own pacer (see `CappedPacer.book`): booked before the
request takes a slot of the key, moved to the time the key lets it start."""


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
        """Sorted by `at`: each reservation starts no earlier than the one before (a booking
        moved to its start is put back in its place)."""
        self._tickets = 0
        self._reported = 0
        """Ticket of the newest request whose response reported what remains."""
        self._estimated, self._billed = 0, 0
        """Sums over billed requests, to scale estimates to what the service counts."""

    @property
    def learned(self) -> dict[str, int]:
        """The per-minute limits learned so far from the rate-limit headers, e.g.
        {"tokens": 100000} (a lower bound when other processes share the key)."""
        with self._lock:
            return dict(self._limits)

    def reserve(self, tokens: int) -> tuple[float, int]:
        """Seconds to wait before sending a request of about `tokens` tokens, and the
        request's ticket (pass it to `observe` with the response)."""
        return reserve_together(self, None, tokens)

    def _prune(self, now: float) -> None:
        while self._sent and self._sent[0].at <= now - 2 * self.window:
            self._sent.popleft()

    def _earliest(self, tokens: int, start: float) -> float:
        """The first time >= `start` at which a request of `tokens` fits this pacer's budgets
        and learned limits (under the lock)."""
        start = max(start, self._not_before, self._sent[-1].at if self._sent else start)
        return self._within_limits(tokens, start)

    def _within_limits(self, tokens: int, start: float, *, reserved: bool = False) -> float:
        """The first time >= `start` at which a request of `tokens` fits this pacer's budgets
        and learned limits (under the lock); `reserved`: counting only the requests the key
        has given a start (not the bookings of those still waiting for their slot)."""
        sent = [s for s in self._sent if s.ticket] if reserved else list(self._sent)
        for kind in ("requests", "tokens"):
            for limit, margin in (
                (self._budgets[kind], 1.0),
                (self._limits.get(kind), LEARNED_MARGIN),
            ):
                if limit:
                    start = self._fit(kind, tokens, limit, start, self.window * margin, sent)
        return start

    def _fit(
        self, kind: str, tokens: int, limit: int, start: float, span: float, sent: list[_Sent]
    ) -> float:
        """The first time >= `start` at which one more request keeps the requests (or tokens)
        of `sent` (sorted by time) in the `span` seconds before it within `limit`.

        Walks the sent requests oldest first, dropping one per step, so it ends after at most
        `len(sent)` steps whatever the clock values. A request counts as gone from the
        window at exactly its time + `span` (never recomputed from that float sum, which may
        round below its time)."""
        scale = 1.05 * self._billed / self._estimated if self._estimated else 1.0

        def size(s: _Sent) -> float:
            return 1 if kind == "requests" else s.tokens if s.billed else s.tokens * scale

        cost = 1 if kind == "requests" else tokens * scale
        first = 0
        while first < len(sent) and sent[first].at + span <= start:
            first += 1
        used = sum(size(s) for s in sent[first:])
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

    def book(self, tokens: int) -> tuple[float, Booking]:
        """Seconds until this pacer accepts one more request of about `tokens` tokens, and
        the request's booking (ticket 0 until `reserve_together` gives it the key's)."""
        with self._lock:
            now = self.clock()
            self._prune(now)
            booking = Booking(self._earliest(tokens, now), tokens, 0)
            self._sent.append(booking)  # sorted: `_earliest` is no earlier than the last
            return booking.at - now, booking

    def forget(self, booking: Booking) -> None:
        """Drop a booking whose request was never sent."""
        with self._lock, contextlib.suppress(ValueError):
            self._sent.remove(booking)


MAX_FIT_PASSES = 8
"""Rounds of `reserve_together` looking for a time both pacers accept (each round only moves
the time later; in practice one round agrees)."""


def reserve_together(
    key: Pacer, own: Pacer | None, tokens: int, booking: Booking | None = None
) -> tuple[float, int]:
    """Reserve a request of about `tokens` tokens in the key's pacer: the wait until the key's
    limits (and holds) accept it, and its ticket. A function's own caps (`own`) were waited
    for before, with the request's `booking` there (`Pacer.book`); it moves to the time the
    request starts, under the key's ticket, so that it counts there when it is really sent
    (and `observe` finds it). Only if the key delayed this function's earlier requests so far
    that its own caps no longer hold at that time does the request start later for them.

    Locks are taken own first, then the key's, everywhere, so two functions never deadlock."""
    with own._lock if own is not None else contextlib.nullcontext(), key._lock:
        now = key.clock()
        key._prune(now)
        start = key._earliest(tokens, now)
        if own is not None:
            if booking is None:  # not waited for: counted from its start
                booking = Booking(now, tokens, 0)
            else:
                with contextlib.suppress(ValueError):
                    own._sent.remove(booking)
            # an executor may wake a little before the time it was asked to
            start = max(start, booking.at)
            for _ in range(MAX_FIT_PASSES):
                later = key._earliest(tokens, own._within_limits(tokens, start, reserved=True))
                if later == start:
                    break
                start = later
        key._tickets += 1
        key._sent.append(_Sent(start, tokens, key._tickets))
        if own is not None and booking is not None:
            booking.at, booking.ticket = start, key._tickets
            bisect.insort(own._sent, booking, key=lambda s: s.at)
        return start - now, key._tickets


def _header_int(headers: Mapping[str, str], name: str) -> int | None:
    value = next((v for k, v in headers.items() if k.lower() == name), None)
    try:
        return None if value is None else max(0, int(float(value)))
    except ValueError:
        return None


# ---- concurrency ------------------------------------------------------------------------

DEFAULT_MAX_CONCURRENCY = 5
"""Concurrent requests a key starts with: the free tier's limit."""
DEFAULT_CEILING = 50
"""How far the limit is raised while answers succeed, unless set: tier 1's limit."""
PROBE_INTERVAL = 60.0
"""Seconds after a concurrency refusal before the limit is raised again."""

Outcome = Literal["ok", "refused", "failed"]
"""How a request ended, for the limiter: answered, refused for concurrency, anything else."""


@dataclass(frozen=True)
class Slot:
    """Permission to have one request in flight."""

    level: int
    """Requests in flight when it was granted, this one included."""


class _Waiter:
    """A thread or a task waiting for a slot."""

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self.slot: Slot | None = None
        self.loop = loop
        self.event = threading.Event() if loop is None else None
        """A thread's (no loop)."""
        self.future: asyncio.Future[Slot] | None = (
            loop.create_future() if loop is not None else None
        )
        """A task's (on `loop`)."""

    def wake(self, release: Callable[[Slot], object]) -> None:
        if self.event is not None:
            self.event.set()
            return
        # a task's waiter: it has a loop and a future, and its slot was granted before waking
        loop, slot = cast(asyncio.AbstractEventLoop, self.loop), cast(Slot, self.slot)
        try:
            loop.call_soon_threadsafe(_resolve, cast("asyncio.Future[Slot]", self.future), slot)
        except RuntimeError:  # the waiting task's loop is closed: nobody will use the slot
            release(slot)


def _resolve(future: asyncio.Future[Slot], slot: Slot) -> None:
    if not future.done():
        future.set_result(slot)


class Slots:
    """The concurrent requests one API key may have in flight, shared by threads and asyncio
    tasks alike.

    Fair between callers: when a slot frees, it goes to the callers that are waiting in turn
    (one request each), so a one-request query waits for one slot, not behind the hundreds an
    ingest has queued. The limit is learned: a refusal for concurrency lowers it below the
    number of requests that were in flight; while answers succeed and requests wait, it rises
    by one per `limit` answers, up to `ceiling`, but not within `PROBE_INTERVAL` of a refusal.
    """

    def __init__(
        self,
        limit: int = DEFAULT_MAX_CONCURRENCY,
        ceiling: int = DEFAULT_CEILING,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._lock = threading.Lock()
        self.limit = limit
        self.ceiling = ceiling
        self.clock = clock
        self.in_use = 0
        self._queues: dict[object, deque[_Waiter]] = {}
        self._turns: deque[object] = deque()
        """Callers with waiting requests, in the order they get their next slot."""
        self._answered = 0
        self._raise_after = 0.0

    @property
    def waiting(self) -> int:
        """Requests waiting for a slot."""
        with self._lock:
            return sum(len(queue) for queue in self._queues.values())

    def workers(self) -> int:
        """Batches worth having under way for one call: twice the limit (it may rise in the
        meantime), at most the ceiling. Each holds its request body, so no more than that."""
        with self._lock:
            return min(self.ceiling, 2 * self.limit)

    def acquire(self, caller: object) -> Slot:
        """Wait (blocking this thread) for a slot; `caller` identifies the call for fairness."""
        with self._lock:
            slot = self._take_now()
            if slot is not None:
                return slot
            waiter = _Waiter()
            self._enqueue(caller, waiter)
        cast(threading.Event, waiter.event).wait()  # a thread's waiter has its event
        return cast(Slot, waiter.slot)

    async def acquire_async(self, caller: object) -> Slot:
        """Wait (on the event loop) for a slot; `caller` identifies the call for fairness."""
        with self._lock:
            slot = self._take_now()
            if slot is not None:
                return slot
            waiter = _Waiter(asyncio.get_running_loop())
            self._enqueue(caller, waiter)
        try:
            return await cast("asyncio.Future[Slot]", waiter.future)  # a task's has its future
        except asyncio.CancelledError:
            with self._lock:
                granted = waiter.slot
                if granted is None:
                    self._dequeue(caller, waiter)
            if granted is not None:
                self.release(granted)
            raise

    def release(self, slot: Slot, outcome: Outcome = "failed") -> bool:
        """Give a slot back, learning from how its request ended. Returns True when the
        request was refused for concurrency with more requests in flight than the limit now
        allows: sent again, it waits for a slot under the lower limit (no retry is spent)."""
        with self._lock:
            self.in_use -= 1
            now = self.clock()
            explained = False
            if outcome == "refused":
                self.limit = max(1, min(self.limit, slot.level - 1))
                explained = slot.level > self.limit
                self._answered, self._raise_after = 0, now + PROBE_INTERVAL
            elif outcome == "ok" and self._turns:
                self._answered += 1
                if (
                    self._answered >= self.limit
                    and now >= self._raise_after
                    and self.limit < self.ceiling
                ):
                    self.limit += 1
                    self._answered = 0
            woken = self._grant()
        self._wake(woken)
        return explained

    def _take_now(self) -> Slot | None:
        if self._turns or self.in_use >= self.limit:
            return None
        self.in_use += 1
        return Slot(self.in_use)

    def _enqueue(self, caller: object, waiter: _Waiter) -> None:
        queue = self._queues.get(caller)
        if queue is None:
            queue = self._queues[caller] = deque()
            self._turns.append(caller)
        queue.append(waiter)

    def _dequeue(self, caller: object, waiter: _Waiter) -> None:
        queue = self._queues[caller]
        queue.remove(waiter)
        if not queue:
            del self._queues[caller]
            self._turns.remove(caller)

    def _grant(self) -> list[_Waiter]:
        woken = []
        while self._turns and self.in_use < self.limit:
            caller = self._turns.popleft()
            queue = self._queues[caller]
            waiter = queue.popleft()
            if queue:
                self._turns.append(caller)
            else:
                del self._queues[caller]
            self.in_use += 1
            waiter.slot = Slot(self.in_use)
            woken.append(waiter)
        return woken

    def _wake(self, woken: list[_Waiter]) -> None:
        for waiter in woken:
            waiter.wake(self.release)


# ---- one budget per key, and each function's caps inside it -----------------------------


class CappedSlots:
    """The key's slots as one function uses them: at most its own `max_concurrency` of its
    requests in flight (a fixed cap, never learned), inside the key's shared limit.

    A request takes the function's slot first, then the key's (always in that order, so no
    two functions wait on each other in a cycle); the key's slot is the one that learns."""

    def __init__(self, key: Slots, cap: int | None) -> None:
        self.key = key
        self.own = None if cap is None else Slots(cap, cap, clock=key.clock)

    @property
    def in_use(self) -> int:
        """Requests of the key in flight (all functions')."""
        return self.key.in_use

    @property
    def limit(self) -> int:
        """Requests this function may have in flight now."""
        return self.key.limit if self.own is None else min(self.own.limit, self.key.limit)

    def workers(self) -> int:
        """Batches worth having under way for one call of this function."""
        key = self.key.workers()
        return key if self.own is None else min(key, self.own.limit)

    def acquire(self, caller: object) -> Slot:
        """Wait (blocking this thread) for a slot of the function and one of the key."""
        if self.own is not None:
            self.own.acquire(caller)
        try:
            return self.key.acquire(caller)
        except BaseException:
            self._release_own()
            raise

    async def acquire_async(self, caller: object) -> Slot:
        """Wait (on the event loop) for a slot of the function and one of the key."""
        if self.own is not None:
            await self.own.acquire_async(caller)
        try:
            return await self.key.acquire_async(caller)
        except BaseException:
            self._release_own()
            raise

    def release(self, slot: Slot, outcome: Outcome = "failed") -> bool:
        """Give back both slots; the key learns from `outcome` (see `Slots.release`)."""
        explained = self.key.release(slot, outcome)
        self._release_own()
        return explained

    def _release_own(self) -> None:
        if self.own is not None:
            self.own.release(Slot(0), "failed")  # a fixed cap learns nothing


class CappedPacer:
    """The key's pacer as one function uses it: its requests also wait for its own
    `requests_per_minute` / `tokens_per_minute`, if set. Holds after a 429 and the limits
    learned from the service's headers belong to the key.

    A request waits for its own caps first (`book`), holding no slot of the key and leaving
    nothing in the key's pacer, then takes a slot and reserves in the key's pacer (`reserve`):
    a function's own caps delay that function only."""

    def __init__(self, key: Pacer, requests_per_minute: int | None, tokens_per_minute: int | None):
        self.key = key
        self.own = (
            None
            if requests_per_minute is None and tokens_per_minute is None
            else Pacer(requests_per_minute, tokens_per_minute, clock=key.clock)
        )

    def book(self, tokens: int) -> tuple[float, Booking | None]:
        """Seconds this function's own caps make a request of about `tokens` tokens wait,
        before it takes a slot of the key, and its booking (None without caps of its own):
        pass it to `reserve`, or to `forget` if the request is not sent."""
        return (0.0, None) if self.own is None else self.own.book(tokens)

    def forget(self, booking: Booking | None) -> None:
        """Drop the booking of a request that will not be sent."""
        if self.own is not None and booking is not None:
            self.own.forget(booking)

    def reserve(self, tokens: int, booking: Booking | None) -> tuple[float, int]:
        """Seconds the key's limits make the request wait (its slot held), and its ticket;
        its `booking` moves to the time it starts (see `reserve_together`)."""
        return reserve_together(self.key, self.own, tokens, booking)

    def observe(self, ticket: int, headers: Mapping[str, str], billed: int) -> None:
        """Record the answer to request `ticket` (see `Pacer.observe`)."""
        self.key.observe(ticket, headers, billed)
        if self.own is not None:
            self.own.observe(ticket, {}, billed)  # what was billed; the key's limits are the key's

    def hold(self, seconds: float) -> None:
        """Make every request of the key wait at least `seconds` from now (after a 429)."""
        self.key.hold(seconds)


@dataclass(frozen=True)
class Budget:
    """What every request made with one API key at one base URL shares, process-wide: the
    service's limits as the client knows them (learned from its answers, or set for the whole
    process with JINA_MAX_CONCURRENCY, JINA_REQUESTS_PER_MINUTE and JINA_TOKENS_PER_MINUTE)."""

    pacer: Pacer
    slots: Slots

    def share(
        self,
        max_concurrency: int | None = None,
        requests_per_minute: int | None = None,
        tokens_per_minute: int | None = None,
    ) -> Share:
        """One function's use of this budget, bounded by its own caps (None: no cap of its
        own). The budget itself is left as it is: no function changes another's limits."""
        return Share(
            CappedPacer(self.pacer, requests_per_minute, tokens_per_minute),
            CappedSlots(self.slots, max_concurrency),
        )


@dataclass(frozen=True)
class Share:
    """One function's use of its key's `Budget`: the key's limits and its own caps."""

    pacer: CappedPacer
    slots: CappedSlots


ENV_VARIABLES = {
    "concurrency": "JINA_MAX_CONCURRENCY",
    "requests": "JINA_REQUESTS_PER_MINUTE",
    "tokens": "JINA_TOKENS_PER_MINUTE",
}
"""The environment variables that set the budget of every key in the process."""


def env_limits() -> dict[str, int | None]:
    """The process-wide limits set in the environment (None when unset); raises ValueError
    naming a variable that does not hold a positive integer."""
    limits: dict[str, int | None] = {}
    for kind, name in ENV_VARIABLES.items():
        raw = os.environ.get(name, "").strip()
        try:
            value = int(raw) if raw else None
        except ValueError:
            value = 0
        if value is not None and value < 1:
            raise ValueError(f"{name} must be a positive integer, got {raw!r}")
        limits[kind] = value
    return limits


_BUDGETS: dict[tuple[str, str, Callable[[], float]], Budget] = {}
_BUDGETS_LOCK = threading.Lock()


def _forget_budgets_after_fork() -> None:
    """In a forked child: the parent's budgets (their slots in use, waiters and locks, copied
    as they were at the fork) are not this process's; its clients get budgets of their own."""
    global _BUDGETS_LOCK
    _BUDGETS.clear()
    _BUDGETS_LOCK = threading.Lock()


if hasattr(os, "register_at_fork"):  # not on Windows, which does not fork
    os.register_at_fork(after_in_child=_forget_budgets_after_fork)


def budget_for(api_key: str, base_url: str, clock: Callable[[], float] = time.monotonic) -> Budget:
    """The process-wide budget of `api_key` at `base_url`, counted on `clock`, created on first
    use with the limits of the environment (`env_limits`); a client on another clock, such as a
    test's, gets a budget of its own."""
    ident = (hashlib.sha256(api_key.encode()).hexdigest(), base_url.rstrip("/"), clock)
    with _BUDGETS_LOCK:
        budget = _BUDGETS.get(ident)
        if budget is None:
            limits = env_limits()
            concurrency = limits["concurrency"]
            slots = (
                Slots(clock=clock)
                if concurrency is None
                else Slots(concurrency, concurrency, clock=clock)
            )
            pacer = Pacer(limits["requests"], limits["tokens"], clock=clock)
            budget = _BUDGETS[ident] = Budget(pacer, slots)
        return budget
