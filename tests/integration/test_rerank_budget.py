"""Rerank and embedding calls on one key share its budget: together they never have more requests
in flight than the key allows, so the service refuses none of them."""

from __future__ import annotations

import asyncio
import itertools
import threading

import httpx
import pytest

from benchmarks import rerank as bench
from chroma_jina import JinaEmbeddingFunction, JinaReranker
from chroma_jina.pacing import budget_for
from chroma_jina.testing import JinaEmulator, Latency, RateLimits

LIMIT = 3
_keys = itertools.count()
TEXTS = [f"note {i} about bridges and rivers" for i in range(96)]
CANDIDATES = [f"Bridge {i} opened in {1900 + i}." for i in range(40)]


def _pair(emu: JinaEmulator, *, asynchronous: bool = False) -> tuple:
    """An embedding function and a reranker with the same key and base URL (a fresh key per test:
    the budget is process-wide)."""
    key = f"jina_shared_budget_{next(_keys)}"
    http = (
        {"async_http_client": httpx.AsyncClient(transport=emu.transport())}
        if asynchronous
        else {"http_client": httpx.Client(transport=emu.transport())}
    )
    with pytest.MonkeyPatch.context() as env:  # the key's limit, read when the key is first used
        env.setenv("JINA_MAX_CONCURRENCY", str(LIMIT))
        ef = JinaEmbeddingFunction(
            key, "jina-embeddings-v3", batch_size=8, max_concurrency=LIMIT, **http
        )
    reranker = JinaReranker(
        key, "jina-reranker-v2-base-multilingual", max_documents=10, max_concurrency=LIMIT, **http
    )
    assert reranker._client.budget is budget_for(key, "https://api.jina.ai/v1")  # the ef's too
    return ef, reranker


def _emulator() -> JinaEmulator:
    return JinaEmulator(limits=RateLimits(concurrency=LIMIT), latency=Latency(0.02))


def test_threads_embedding_and_reranking_never_overrun_the_key() -> None:
    emu = _emulator()
    ef, reranker = _pair(emu)
    failures: list[BaseException] = []
    rankings: list[list] = []

    def embed() -> None:
        try:
            assert len(ef(TEXTS)) == len(TEXTS)
        except BaseException as exc:
            failures.append(exc)

    def rerank() -> None:
        try:
            rankings.append(reranker.rerank("When did bridge 7 open?", CANDIDATES, top_n=3))
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=f) for f in (embed, rerank) * 3]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not failures
    assert len(rankings) == 3
    paths = {r.path for r in emu.requests}
    assert paths == {"/v1/embeddings", "/v1/rerank"}
    assert emu.stats.requests == 3 * 12 + 3 * 4  # 96 texts in 8s, 40 candidates in 10s
    assert emu.stats.rate_limited == 0
    assert emu.stats.peak_concurrency == LIMIT


def test_tasks_embedding_and_reranking_never_overrun_the_key() -> None:
    emu = _emulator()
    ef, reranker = _pair(emu, asynchronous=True)

    async def main() -> list:
        calls = [ef.aembed(TEXTS), reranker.arerank("bridge 7", CANDIDATES)] * 3
        return await asyncio.gather(*calls)

    results = asyncio.run(main())
    assert [len(r) for r in results] == [96, 40] * 3
    assert emu.stats.rate_limited == 0
    assert emu.stats.peak_concurrency == LIMIT


@pytest.mark.parametrize("scenario", bench.SCENARIOS, ids=lambda s: s.__name__)
def test_the_benchmark_scenarios_fail_no_call(scenario) -> None:
    """The counts of `python -m benchmarks.rerank` (its wall times are printed, not asserted)."""
    outcome = scenario()
    assert outcome.failed_calls == 0
    assert outcome.refused <= 0.05 * outcome.requests
