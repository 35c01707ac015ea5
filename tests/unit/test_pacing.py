"""pacing.py: client-side budgets, limits learned from the rate-limit headers, holds after a
429, and the guarantee that a reservation always ends; then the same through whole calls, on a
fake clock shared with the service."""

from __future__ import annotations

import asyncio
import threading

import httpx
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from chroma_jina import JinaEmbeddingFunction
from chroma_jina.pacing import (
    LEARNED_MARGIN,
    PROBE_INTERVAL,
    CappedPacer,
    Pacer,
    Slots,
    budget_for,
)
from chroma_jina.steps import DEFAULT_BASE_URL
from chroma_jina.testing import JinaEmulator, RateLimits, TooManyRequests
from tests.support.service import KEY, FakeClock, make_ef, same, want

TEXTS = [f"passage number {i} about rivers" for i in range(300)]
MODEL = "jina-embeddings-v3"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _waits(pacer: Pacer, n: int, tokens: int = 10) -> list[float]:
    return [pacer.reserve(tokens)[0] for _ in range(n)]


def test_requests_per_minute_budget() -> None:
    clock = Clock()
    pacer = Pacer(requests_per_minute=3, clock=clock)
    assert _waits(pacer, 4) == [0, 0, 0, 60]
    clock.now = 30
    assert _waits(pacer, 1) == [30]  # in order: not before the one reserved for t=60


def test_a_functions_bookings_move_to_where_the_key_starts_them() -> None:
    """A function's own cap is booked before its requests take a slot of the key; each
    booking then moves to the start the key gives it, under the key's ticket, in order. Two
    bookings alike stay two requests."""
    clock = Clock()
    capped = CappedPacer(Pacer(requests_per_minute=1, clock=clock), 2, None)
    (w1, first), (w2, second) = capped.book(10), capped.book(10)
    assert (w1, w2) == (0, 0) and capped.book(10)[0] == 60  # its own 2 a minute
    assert capped.reserve(10, second) == (0, 1)  # the second took its slot first
    assert capped.reserve(10, first) == (60, 2)  # the key's 1 a minute
    assert capped.own is not None
    assert [(s.at, s.ticket) for s in capped.own._sent] == [(0, 1), (60, 0), (60, 2)]
    assert [s.at for s in capped.key._sent] == [0, 60]  # nothing of the own cap in the key's


def test_a_function_delayed_by_the_key_still_keeps_its_own_cap() -> None:
    """Two requests of a function (2 a minute of its own) booked at 0 s are held by the key
    until 59 s (a 429's Retry-After); the third, booked for 60 s, then starts at 119 s: never
    three of the function in one minute."""
    clock = Clock()
    capped = CappedPacer(Pacer(clock=clock), 2, None)
    bookings = [capped.book(10) for _ in range(3)]
    assert [wait for wait, _ in bookings] == [0, 0, 60]
    capped.key.hold(59)
    assert capped.reserve(10, bookings[0][1]) == (59, 1)
    assert capped.reserve(10, bookings[1][1]) == (59, 2)
    clock.now = 60
    assert capped.reserve(10, bookings[2][1]) == (59, 3)  # at 119 s (not at once)
    assert capped.own is not None
    assert [s.at for s in capped.own._sent] == [59, 59, 119]


def test_tokens_per_minute_budget() -> None:
    clock = Clock()
    pacer = Pacer(tokens_per_minute=1000, clock=clock)
    assert _waits(pacer, 3, 400) == [0, 0, 60]
    assert _waits(pacer, 1, 5000) == [120]  # larger than the budget: waits for an empty window


def test_remaining_headers_teach_the_limit_and_slow_down_just_enough() -> None:
    clock = Clock()
    pacer = Pacer(clock=clock)
    tickets = [pacer.reserve(100)[1] for _ in range(3)]
    pacer.observe(tickets[0], {"x-ratelimit-remaining-tokens": "1000000"}, 100)
    assert _waits(pacer, 1, 100) == [0]  # plenty left: no pacing
    # after two requests of 100, 250 remain: the limit is 450 tokens a minute; with two more
    # in flight (estimates scaled by billed/estimated, +5%), the next one must wait until the
    # requests of t=0 leave the window (plus the 1/60 margin)
    pacer.observe(tickets[1], {"X-RateLimit-Remaining-Tokens": "250"}, 100)
    assert _waits(pacer, 1, 100) == [61]
    clock.now = 61
    assert _waits(pacer, 1, 100) == [0]


def test_no_requests_left_waits_for_the_oldest_to_leave_the_window() -> None:
    clock = Clock()
    pacer = Pacer(clock=clock)
    first = pacer.reserve(1)[1]
    clock.now = 10
    second = pacer.reserve(1)[1]
    clock.now = 20
    pacer.observe(second, {"x-ratelimit-remaining-requests": "0"}, 1)  # limit: 2 a minute
    assert _waits(pacer, 1) == [41]  # t=61: the request of t=0 has left the window
    pacer.observe(first, {"x-ratelimit-remaining-requests": "5"}, 1)  # an older report: ignored
    assert _waits(pacer, 1) == [51]  # t=71: the request of t=10 has left


def test_a_clock_value_that_floats_round_down_does_not_spin_forever() -> None:
    """(0.3 + 61) - 61 < 0.3 in floating point: the old loop stepped to the oldest request's
    time + window, recomputed the window from that sum, still found the request inside it and
    never ended. Reserving now returns, at exactly that time + window."""
    clock = Clock()
    clock.now = 0.3
    pacer = Pacer(clock=clock)
    pacer.window = 60.0
    assert (0.3 + 61.0) - 61.0 < 0.3
    first = pacer.reserve(1)[1]
    pacer.observe(first, {"x-ratelimit-remaining-requests": "0"}, 1)  # limit: 1 a minute
    wait, _ = pacer.reserve(1)
    assert clock.now + wait == 0.3 + 60.0 * LEARNED_MARGIN


def _in_window(sent: list[tuple[float, float]], t: float, span: float) -> float:
    """What was sent in the `span` seconds up to `t` (a request leaves at its time + span;
    1 µs of slack for the rounding of now + wait)."""
    return sum(cost for at, cost in sent if t < at + span - 1e-6)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    start=st.floats(0, 1e7, allow_nan=False, allow_infinity=False),
    window=st.floats(0.01, 600, allow_nan=False, allow_infinity=False),
    rpm=st.none() | st.integers(1, 20),
    tpm=st.none() | st.integers(1, 5_000),
    steps=st.lists(
        st.tuples(st.integers(1, 3_000), st.floats(0, 5, allow_nan=False), st.booleans()),
        min_size=1,
        max_size=40,
    ),
)
def test_every_reservation_ends_and_keeps_the_budgets(start, window, rpm, tpm, steps) -> None:
    """Whatever the clock values, window, limits and request sizes: every `reserve` returns
    (the test would hang otherwise, and fail on its timeout), requests start in order, and
    every window of the budget's length holds at most the budget (a request larger than the
    whole budget goes alone)."""
    clock = Clock()
    clock.now = start
    pacer = Pacer(rpm, tpm, clock=clock)
    pacer.window = window
    starts: list[tuple[float, int]] = []
    for tokens, advance, report in steps:
        clock.now += advance
        wait, ticket = pacer.reserve(tokens)
        assert wait >= 0
        at = clock.now + wait
        assert not starts or at >= starts[-1][0] - 1e-6
        starts.append((at, tokens))
        if report:  # teach a limit too, so that learned limits are exercised
            pacer.observe(ticket, {"x-ratelimit-remaining-requests": "3"}, tokens)
    for budget, cost in ((rpm, lambda n: 1), (tpm, lambda n: n)):
        if budget is None:
            continue
        for i, (at, tokens) in enumerate(starts):
            used = _in_window([(a, cost(n)) for a, n in starts[: i + 1]], at, window)
            assert used <= budget or used == cost(tokens)


# ---- through whole calls ------------------------------------------------------------------------------


def test_a_429_holds_every_request_for_its_retry_after() -> None:
    emu = JinaEmulator()
    emu.script(TooManyRequests(retry_after=2))
    ef, clock = make_ef(emu, batch_size=10, max_concurrency=1)
    ef(TEXTS[:30])
    assert clock.sleeps == [2.0] and len(emu.requests) == 4


def test_a_service_that_counts_down_is_never_pushed_into_429() -> None:
    """The emulator allows 20 requests a minute and says what remains; it counts on the
    client's fake clock, so the minutes pass without waiting."""
    clock = FakeClock()
    emu = JinaEmulator(limits=RateLimits(requests_per_minute=20), clock=clock.monotonic)
    ef, _ = make_ef(emu, batch_size=5, max_concurrency=1, clock=clock)
    assert same(ef(TEXTS[:300]), want(emu, TEXTS[:300]))
    assert ef.last_usage.requests == 60 and emu.stats.rate_limited == 0
    assert sum(clock.sleeps) > 60


def test_requests_per_minute_budget_paces_a_call() -> None:
    emu = JinaEmulator()
    ef, clock = make_ef(
        emu, batch_size=10, max_concurrency=1, requests_per_minute=2, tokens_per_minute=10**9
    )
    assert same(ef(TEXTS[:50]), want(emu, TEXTS[:50]))
    assert clock.sleeps == [60.0, 60.0]  # 5 requests at 2 a minute: at 0, 0, 60, 60, 120 s


def test_rate_limit_headers_keep_a_limited_key_clear_of_429() -> None:
    """The emulator enforces a token limit over a sliding minute and reports what remains: the
    client learns the limit and waits instead of running into 429s (measured with 5 concurrent
    requests, without pacing: 4 to 6 per call; with it 0 or 1, when concurrent requests reach
    the emulator out of order). Client and emulator share a fake clock: the minutes pass
    without waiting."""
    from chroma_jina.testing import RateLimits

    texts = [
        f"passage {i} on topic {i % 23}: rivers, banks and {i * 7 % 101} stones" for i in range(120)
    ]
    # another key: what it sends is not counted in the limited key's budget
    probe = JinaEmbeddingFunction(
        "jina_another_offline_key",
        MODEL,
        http_client=httpx.Client(transport=JinaEmulator().transport()),
    )
    probe(texts)
    billed = probe.last_usage.total_tokens
    limit = billed // 4 + 40  # 3 requests of 10 texts per window
    clock = FakeClock()
    emu = JinaEmulator(limits=RateLimits(tokens_per_minute=limit), clock=clock.monotonic)
    ef = JinaEmbeddingFunction(
        KEY,
        MODEL,
        http_client=httpx.Client(transport=emu.transport()),
        batch_size=10,
        max_concurrency=3,
        clock=clock.clock,
    )
    got = ef(texts)
    assert np.array_equal(np.stack(got), emu.embed(texts, MODEL))
    assert ef.last_usage.total_tokens == billed
    learned = budget_for(KEY, DEFAULT_BASE_URL, clock.monotonic).pacer.learned
    assert abs(learned["tokens"] - limit) <= billed // 12  # learned, within a request
    assert emu.stats.rate_limited <= 2 and ef.last_usage.requests == 12 + emu.stats.rate_limited
    assert clock.now >= 3 * 60  # 4 windows' worth of tokens: it waited 3 times


# ---- concurrency slots ----------------------------------------------------------------


def test_the_limit_is_lowered_on_refusal_and_raised_slowly_while_answers_succeed() -> None:
    clock = Clock()
    slots = Slots(limit=5, ceiling=6, clock=clock)
    granted: list = []

    async def request() -> None:
        granted.append(await slots.acquire_async("ingest"))

    async def answer(n: int) -> None:
        for _ in range(n):
            slots.release(granted.pop(0), "ok")
            await asyncio.sleep(0.001)  # a waiting request takes the slot

    async def main() -> None:
        tasks = [asyncio.ensure_future(request()) for _ in range(40)]
        await asyncio.sleep(0.01)
        assert len(granted) == 5 and slots.in_use == 5
        assert slots.release(granted.pop(), "refused") is True  # 5 in flight: 1 too many
        assert slots.limit == 4
        await answer(8)
        assert slots.limit == 4  # not raised within PROBE_INTERVAL of the refusal
        clock.now = PROBE_INTERVAL
        await answer(1)  # 4 answers or more while requests waited: one more slot
        assert slots.limit == 5 and len(granted) == 5
        await answer(4)
        assert slots.limit == 5  # the next needs 5 answers
        await answer(1)
        assert slots.limit == 6
        await answer(20)
        assert slots.limit == 6  # the ceiling
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    asyncio.run(main())


def test_threads_and_tasks_share_the_slots_and_a_cancelled_task_gives_its_slot_back() -> None:
    slots = Slots(limit=1)
    first = slots.acquire("thread")

    async def main() -> None:
        waiter = asyncio.ensure_future(slots.acquire_async("task"))
        await asyncio.sleep(0.01)
        assert not waiter.done()
        waiter.cancel()
        await asyncio.gather(waiter, return_exceptions=True)
        released = asyncio.ensure_future(slots.acquire_async("task"))
        await asyncio.sleep(0.01)
        threading.Thread(target=slots.release, args=(first, "ok")).start()
        second = await asyncio.wait_for(released, 5)
        slots.release(second, "ok")

    asyncio.run(main())
    assert slots.in_use == 0 and slots.waiting == 0
