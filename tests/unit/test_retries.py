"""Retries: what is retried (408, 429, 5xx, network) and what never is (other 4xx), backoff and
Retry-After, and the fault matrix over the offline emulator: random mixes of 429, 5xx, HTML pages, dropped
connections, slow and timed-out responses, shuffled and missing indices, over 3,000-input
calls (seeds fixed). Every call returns exactly the right vectors in order, or raises a typed
error naming the failed inputs; nothing that must not be retried is retried."""

from __future__ import annotations

import asyncio
import json
import random

import httpx
import numpy as np
import pytest

from chroma_jina import (
    AuthenticationError,
    InsufficientBalanceError,
    InvalidRequestError,
    JinaEmbeddingFunction,
    JinaError,
    JinaTimeoutError,
    NetworkError,
    RateLimitError,
    ServerError,
)
from chroma_jina.testing import (
    DroppedConnection,
    ErrorReply,
    HTMLErrorPage,
    JinaEmulator,
    MissingIndices,
    RandomFaults,
    ServerFailure,
    SlowResponse,
    TooManyRequests,
)
from chroma_jina.testing.faults import DEFAULT_MIX
from tests.support.service import KEY, NO_WAIT, WALL_START, FakeClock, make_ef, same, want

MODEL = "jina-embeddings-v3"
TEXTS = [
    f"passage {i} on topic {i % 23}: rivers, banks and {i * 7 % 101} stones" for i in range(3000)
]
TIMEOUT = 0.15
MIX = (*DEFAULT_MIX, SlowResponse(0.02), SlowResponse(5.0))
"""The emulator's default mix plus a response slower than the client's timeout."""


@pytest.fixture(scope="module")
def all_vectors() -> np.ndarray:
    emu = JinaEmulator()
    return np.concatenate([emu.embed(TEXTS[i : i + 500], MODEL) for i in range(0, len(TEXTS), 500)])


def _ef(emu: JinaEmulator, asynchronous: bool, key: str = KEY, **kw) -> JinaEmbeddingFunction:
    transport = emu.transport()
    client = (
        {"async_http_client": httpx.AsyncClient(transport=transport)}
        if asynchronous
        else {"http_client": httpx.Client(transport=transport)}
    )
    # retry waits are decided, not slept
    return JinaEmbeddingFunction(key, MODEL, timeout=TIMEOUT, clock=NO_WAIT, **client, **kw)


def _call(ef: JinaEmbeddingFunction, asynchronous: bool, texts: list[str]) -> list[np.ndarray]:
    return asyncio.run(ef.aembed(texts)) if asynchronous else ef(texts)


@pytest.mark.parametrize("seed", range(4))
def test_random_faults_give_exact_vectors_in_order(seed: int, all_vectors: np.ndarray) -> None:
    rng = random.Random(seed)
    asynchronous = seed % 2 == 1
    emu = JinaEmulator(faults=RandomFaults(rate=rng.choice([0.15, 0.3]), seed=seed, mix=MIX))
    ef = _ef(
        emu,
        asynchronous,
        batch_size=rng.choice([64, 100, 128, 250]),
        max_concurrency=rng.randint(1, 5),
        max_retries=8,
    )
    got = _call(ef, asynchronous, TEXTS)
    assert len(got) == len(TEXTS) and all(v.dtype == np.float32 for v in got)
    assert np.array_equal(np.stack(got), all_vectors)
    stats = emu.stats
    assert stats.faults_injected > 0 and ef.last_usage.requests == stats.requests
    # every input was answered at least once, and what went missing was asked for again alone
    for record in emu.requests:
        if isinstance(record.fault, MissingIndices):
            lost = record.json["input"][-record.fault.count :]
            assert any(r.json and r.json["input"] == lost for r in emu.requests), lost


@pytest.mark.parametrize("seed", range(2))
def test_faults_past_the_retries_give_a_typed_error_naming_the_inputs(seed: int) -> None:
    asynchronous = seed % 2 == 0
    emu = JinaEmulator(faults=RandomFaults(rate=0.9, seed=100 + seed, mix=MIX))
    # one request at a time, so the seeded faults meet the requests in one order: with 9 in 10
    # requests faulty and one retry, some batch runs out of tries on every run
    ef = _ef(emu, asynchronous, batch_size=200, max_concurrency=1, max_retries=1)
    with pytest.raises(JinaError) as info:
        _call(ef, asynchronous, TEXTS)
    err = info.value
    assert err.input_indices and set(err.input_indices) <= set(range(len(TEXTS)))
    assert err.status is None or err.status in (200, 408, 429, 500, 502, 503, 504)


NEVER_RETRIED = {
    ErrorReply(400, "INPUT_MODEL_NOT_FOUND"): 1.0,
    ErrorReply(401, "AUTH_INVALID_API_KEY"): 1.0,
    ErrorReply(403, "AUTHZ_INSUFFICIENT_BALANCE"): 1.0,
    ErrorReply(422, "VALIDATION_ERROR", "Validation error: 'task' Invalid value"): 1.0,
}


@pytest.mark.parametrize("seed", range(3))
def test_4xx_other_than_408_and_429_are_never_retried(seed: int) -> None:
    asynchronous = seed % 2 == 1
    mix = {**dict.fromkeys(DEFAULT_MIX, 1.0), **NEVER_RETRIED}
    emu = JinaEmulator(faults=RandomFaults(rate=0.4, seed=200 + seed, mix=mix))
    ef = _ef(emu, asynchronous, batch_size=100, max_concurrency=4, max_retries=8)
    with pytest.raises(JinaError) as info:
        _call(ef, asynchronous, TEXTS)
    refused = [r for r in emu.requests if isinstance(r.fault, ErrorReply)]
    assert refused and info.value.status in {f.status for f in NEVER_RETRIED}
    bodies = [json.dumps(r.json, sort_keys=True) for r in emu.requests]
    for i, record in enumerate(emu.requests):
        if isinstance(record.fault, ErrorReply):
            assert bodies[i] not in bodies[i + 1 :], "a request refused with a 4xx was sent again"


def test_retried_faults_resend_the_same_request() -> None:
    emu = JinaEmulator()
    emu.script(*MIX[:5])  # 429, 500, 503, HTML 502, dropped connection
    ef = _ef(emu, asynchronous=False, batch_size=512)
    got = ef(TEXTS[:10])
    assert np.array_equal(np.stack(got), emu.embed(TEXTS[:10], MODEL))
    assert [r.json for r in emu.requests] == [emu.requests[0].json] * 6


# ---- what is retried, and how ----------------------------------------------------------------

RETRIED = [
    ErrorReply(408, "REQUEST_TIMEOUT", "Request Timeout"),
    TooManyRequests(retry_after=None),
    ServerFailure(500),
    HTMLErrorPage(502),
    ServerFailure(503),
    ServerFailure(504),
    DroppedConnection(),  # httpx.RemoteProtocolError
    DroppedConnection(reset=True),  # httpx.ReadError
    DroppedConnection(after_bytes=64),  # the body cut short
    SlowResponse(1.0),  # httpx.ReadTimeout: longer than the 0.05 s timeout below
]


@pytest.mark.parametrize("failure", RETRIED, ids=repr)
def test_transient_failures_are_retried(failure) -> None:
    emu = JinaEmulator()
    emu.script(failure, failure)
    ef, clock = make_ef(emu, timeout=0.05)
    assert same(ef(["a", "b"]), want(emu, ["a", "b"]))
    assert len(emu.requests) == 3 and len(clock.sleeps) == 2
    assert ef.last_usage.requests == 3


def test_a_refused_connection_is_retried() -> None:
    """Nothing listens on the port: each try is refused (httpx.ConnectError) and retried, then
    the call raises a NetworkError."""
    from tests.support.chroma import free_port

    clock = FakeClock()
    ef = JinaEmbeddingFunction(
        KEY, base_url=f"http://127.0.0.1:{free_port()}/v1", max_retries=2, clock=clock.clock
    )
    with pytest.raises(NetworkError) as info:
        ef(["a"])
    assert len(clock.sleeps) == 2 and ef.last_usage.requests == 3
    assert not isinstance(info.value, JinaTimeoutError)


NOT_RETRIED = [
    (ErrorReply(400, "INPUT_MODEL_NOT_FOUND", "no such model"), InvalidRequestError),
    (ErrorReply(401, "AUTH_INVALID_API_KEY"), AuthenticationError),
    (ErrorReply(402, "INSUFFICIENT_BALANCE", "Insufficient balance"), InsufficientBalanceError),
    (ErrorReply(403, "AUTHZ_INSUFFICIENT_BALANCE"), InsufficientBalanceError),
    (HTMLErrorPage(404), InvalidRequestError),
    (ErrorReply(409, "CONFLICT", "busy"), InvalidRequestError),
    (HTMLErrorPage(413), InvalidRequestError),
    (ErrorReply(422, "VALIDATION_ERROR", "Validation error: unknown task"), InvalidRequestError),
]


@pytest.mark.parametrize(("fault", "cls"), NOT_RETRIED, ids=lambda x: str(x)[:24])
@pytest.mark.parametrize("asynchronous", [False, True])
def test_other_4xx_are_never_retried(fault, cls, asynchronous) -> None:
    emu = JinaEmulator()
    emu.script(fault, fault, fault)
    ef, clock = make_ef(emu, asynchronous=asynchronous)
    with pytest.raises(cls) as info:
        asyncio.run(ef.aembed(["only one"])) if asynchronous else ef(["only one"])
    assert len(emu.requests) == 1 and clock.sleeps == []
    assert info.value.status == fault.status and info.value.input_indices == [0]


def test_backoff_is_exponential_with_jitter_and_gives_up_after_max_retries() -> None:
    emu = JinaEmulator()
    emu.script(*[ServerFailure(503)] * 10)
    ef, clock = make_ef(emu, max_retries=4)
    with pytest.raises(ServerError) as info:
        ef(["a", "b", "c"])
    assert len(emu.requests) == 5 and info.value.input_indices == [0, 1, 2]
    assert [0.5 * 2**i * 0.5 <= s <= 0.5 * 2**i for i, s in enumerate(clock.sleeps)] == [True] * 4
    assert len(set(clock.sleeps)) == 4


def test_retry_after_in_seconds_and_as_a_date_is_honoured() -> None:
    clock = FakeClock()
    emu = JinaEmulator(wall=clock.wall)
    assert clock.wall() == WALL_START  # Fri, 15 Jan 2027 08:00:00 GMT
    # the second says "Fri, 15 Jan 2027 08:00:42 GMT": 39 s after it is sent, at 08:00:03
    emu.script(TooManyRequests(retry_after=3), TooManyRequests(retry_after=39, http_date=True))
    ef, _ = make_ef(emu, clock=clock)
    assert same(ef(["a"]), want(emu, ["a"]))
    assert clock.sleeps == [3.0, 39.0]  # the date is 39 s away once the first 3 s have passed


def test_a_retry_after_too_long_to_wait_raises_at_once() -> None:
    emu = JinaEmulator()
    emu.script(TooManyRequests(retry_after=86400, code="RATE_TOKEN_LIMIT_EXCEEDED"))
    ef, clock = make_ef(emu)
    with pytest.raises(RateLimitError) as info:
        ef(["a"])
    assert info.value.retry_after == 86400 and clock.sleeps == [] and len(emu.requests) == 1


def test_max_retries_zero_sends_once() -> None:
    emu = JinaEmulator()
    emu.script(DroppedConnection())
    ef, _ = make_ef(emu, max_retries=0, timeout=0.05)
    with pytest.raises(NetworkError) as info:
        ef(["a"])
    assert len(emu.requests) == 1 and not isinstance(info.value, JinaTimeoutError)
    emu.script(SlowResponse(1.0))
    with pytest.raises(JinaTimeoutError):
        ef(["a"])
    assert len(emu.requests) == 2
