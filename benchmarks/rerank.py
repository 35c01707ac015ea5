"""Reranking on one API key: 200 concurrent queries, 100 candidates each, against the emulator with
the free tier's 5 concurrent requests and 50 ms per request; then the same queries while embedding
calls use the same key.

    python -m benchmarks.rerank

For each scenario: calls that failed, requests sent and refused (429), wall time, and the bound
(successful requests / 5 x latency). Targets (issue 27): no call fails, at most 5% of requests
refused, wall within 1.3x of the bound.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from benchmarks.shared_key import CONCURRENCY, LATENCY, Outcome, emulator, outcome
from chroma_jina import JinaEmbeddingFunction, JinaReranker
from chroma_jina.testing import JinaEmulator

KEY = "jina_offline_rerank_benchmark_key"
QUERIES = 200
CANDIDATES = 100
TOP_N = 10


CORPUS = [
    f"Passage {d}: bridge {d % 50} "
    + ("opened in 1932." if d % 17 == 3 else "crosses the river near the old town.")
    for d in range(1000)
]
"""The collection the queries search: its passages come back as candidates for many queries."""


def _results(q: int) -> dict[str, Any]:
    """What `collection.query()` returns for one query: `CANDIDATES` passages of `CORPUS`."""
    picked = [(q * 37 + d * 7) % len(CORPUS) for d in range(CANDIDATES)]
    return {
        "ids": [[f"p{d}" for d in picked]],
        "documents": [[CORPUS[d] for d in picked]],
        "metadatas": [[{"passage": d} for d in picked]],
        "distances": [[r / CANDIDATES for r in range(CANDIDATES)]],
        "included": ["documents", "metadatas", "distances"],
    }


def _reranker(emu: JinaEmulator) -> JinaReranker:
    return JinaReranker(KEY, async_http_client=httpx.AsyncClient(transport=emu.transport()))


RESULTS = [_results(q) for q in range(QUERIES)]
"""Each query's candidates, made before the clock starts: the benchmark times reranking, not a
stand-in for Chroma."""


async def _rerank_all(reranker: JinaReranker) -> list[object]:
    async def one(q: int) -> object:
        found = await reranker.arerank_results(
            f"When did bridge {q % 50} open?", RESULTS[q], top_n=TOP_N
        )
        if len(found["ids"][0]) != TOP_N:
            raise AssertionError("a ranking came back short")
        return found

    return await asyncio.gather(*(one(q) for q in range(QUERIES)), return_exceptions=True)


def _now() -> tuple[float, float]:
    return time.monotonic(), time.process_time()


def concurrent_queries() -> Outcome:
    """200 concurrent `arerank_results` calls of 100 candidates each (one request each)."""
    emu = emulator()
    reranker = _reranker(emu)
    started = _now()
    results = asyncio.run(_rerank_all(reranker))
    return outcome(f"{QUERIES} queries x {CANDIDATES} candidates", emu, results, *started)


def with_embedding_calls() -> Outcome:
    """The same 200 reranks while 200 `aembed_query` calls use the same key at the same time."""
    emu = emulator()
    reranker = _reranker(emu)
    ef = JinaEmbeddingFunction(
        KEY,
        "jina-embeddings-v3",
        async_http_client=httpx.AsyncClient(transport=emu.transport()),
    )

    async def main() -> list[object]:
        embeds = [ef.aembed_query([f"When did bridge {q} open?"]) for q in range(QUERIES)]
        both = await asyncio.gather(
            _rerank_all(reranker), asyncio.gather(*embeds, return_exceptions=True)
        )
        return [*both[0], *both[1]]

    started = _now()
    results = asyncio.run(main())
    return outcome(f"... and {QUERIES} embedding calls", emu, results, *started)


SCENARIOS = (concurrent_queries, with_embedding_calls)


def main() -> None:
    """Print one row per scenario, and whether it meets the targets."""
    warm = JinaEmulator()
    asyncio.run(_reranker(warm).arerank("warm up", ["imports", "numpy"]))
    print(f"One key, emulator at {CONCURRENCY} concurrent requests and {LATENCY * 1000:.0f} ms:")
    print(
        f"{'scenario':<40}{'failed calls':>14}{'refused':>12}{'wall':>9}{'bound':>8}"
        f"{'ratio':>7}{'cpu':>8}  targets"
    )
    for scenario in SCENARIOS:
        o = scenario()
        ratio = o.seconds / o.bound
        met = o.failed_calls == 0 and o.refused <= 0.05 * o.requests and ratio <= 1.3
        print(
            f"{o.name:<40}{o.failed_calls:>8}/{o.calls:<5}{o.refused:>6}/{o.requests:<5}"
            f"{o.seconds:>8.2f}s{o.bound:>7.2f}s{ratio:>7.2f}{o.cpu:>7.2f}s  "
            + ("met" if met else "MISSED")
        )


if __name__ == "__main__":
    main()
