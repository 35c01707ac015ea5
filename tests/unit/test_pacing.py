"""pacing.py: client-side budgets, limits learned from the rate-limit headers, holds after a
429, and the guarantee that a reservation always ends."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from chroma_jina.pacing import LEARNED_MARGIN, Pacer


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
