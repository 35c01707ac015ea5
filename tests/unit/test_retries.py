"""Fault matrix over the offline emulator: random mixes of 429, 5xx, HTML pages, dropped
connections, slow and timed-out responses, shuffled and missing indices, over 3,000-input
calls (seeds fixed). Every call returns exactly the right vectors in order, or raises a typed
error naming the failed inputs; nothing that must not be retried is retried."""

from __future__ import annotations

import asyncio
import json
import random
import time

import httpx
import numpy as np
import pytest

from chroma_jina import JinaEmbeddingFunction, JinaError
from chroma_jina.testing import (
    ErrorReply,
    JinaEmulator,
    MissingIndices,
    RandomFaults,
    SlowResponse,
)
from chroma_jina.testing.faults import DEFAULT_MIX
from tests.support.service import KEY

MODEL = "jina-embeddings-v3"
TEXTS = [
    f"passage {i} on topic {i % 23}: rivers, banks and {i * 7 % 101} stones" for i in range(3000)
]
TIMEOUT = 0.15
MIX = (*DEFAULT_MIX, SlowResponse(0.02), SlowResponse(5.0))
"""The emulator's default mix plus a response slower than the client's timeout."""


@pytest.fixture(scope="module")
def want() -> np.ndarray:
    emu = JinaEmulator()
    return np.concatenate([emu.embed(TEXTS[i : i + 500], MODEL) for i in range(0, len(TEXTS), 500)])


def _ef(emu: JinaEmulator, asynchronous: bool, key: str = KEY, **kw) -> JinaEmbeddingFunction:
    transport = emu.transport()
    client = (
        {"async_http_client": httpx.AsyncClient(transport=transport)}
        if asynchronous
        else {"http_client": httpx.Client(transport=transport)}
    )
    ef = JinaEmbeddingFunction(key, MODEL, timeout=TIMEOUT, **client, **kw)

    async def no_wait(seconds: float) -> None:
        await asyncio.sleep(0)

    ef._jina_client.sleep = lambda seconds: None  # retry waits are decided, not slept
    ef._jina_client.async_sleep = no_wait
    return ef


def _call(ef: JinaEmbeddingFunction, asynchronous: bool, texts: list[str]) -> list[np.ndarray]:
    return asyncio.run(ef.aembed(texts)) if asynchronous else ef(texts)


@pytest.mark.parametrize("seed", range(4))
def test_random_faults_give_exact_vectors_in_order(seed: int, want: np.ndarray) -> None:
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
    assert np.array_equal(np.stack(got), want)
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


def test_rate_limit_headers_keep_a_limited_key_clear_of_429() -> None:
    """The emulator enforces a token limit over a sliding window (shortened to 0.5 s here,
    the client's to 0.55 s) and reports what remains: the client learns the limit and waits
    instead of running into 429s (measured with 5 concurrent requests, without pacing: 4 to
    6 per call; with it 0 or 1, when concurrent requests reach the emulator out of order)."""
    from chroma_jina.testing import RateLimits

    texts = TEXTS[:120]
    # another key: what it sends is not counted in the limited key's budget
    probe = _ef(JinaEmulator(), asynchronous=False, key="jina_another_offline_key")
    probe(texts)
    billed = probe.last_usage.total_tokens
    limit = billed // 4 + 40  # 3 requests of 10 texts per window
    emu = JinaEmulator(limits=RateLimits(tokens_per_minute=limit, window=0.5))
    ef = JinaEmbeddingFunction(
        KEY,
        MODEL,
        http_client=httpx.Client(transport=emu.transport()),
        batch_size=10,
        max_concurrency=3,
    )
    ef._jina_client.budget.pacer.window = 0.55
    started = time.monotonic()
    got = ef(texts)
    assert np.array_equal(np.stack(got), emu.embed(texts, MODEL))
    assert ef.last_usage.total_tokens == billed
    assert (
        abs(ef._jina_client.budget.pacer._limits["tokens"] - limit) <= billed // 12
    )  # learned, within a request
    assert emu.stats.rate_limited <= 2 and ef.last_usage.requests == 12 + emu.stats.rate_limited
    assert time.monotonic() - started >= 3 * 0.5  # 4 windows' worth of tokens: it waited 3 times
