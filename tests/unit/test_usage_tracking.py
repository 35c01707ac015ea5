"""`last_usage` is set by every call, a failed one included; `track_usage()` gives each thread
or asyncio task sharing one function the usage of its own calls (issue 23)."""

from __future__ import annotations

import asyncio
import threading
from typing import cast

import httpx
import pytest

from chroma_jina import JinaEmbeddingFunction, JinaReranker, Usage, track_usage
from chroma_jina.testing import JinaEmulator, Latency

KEY = "jina_offline_emulator_key"


def function(emu: JinaEmulator) -> JinaEmbeddingFunction:
    return JinaEmbeddingFunction(
        KEY,
        http_client=httpx.Client(transport=emu.transport()),
        async_http_client=httpx.AsyncClient(transport=emu.transport()),
        batch_size=2,
    )


def test_a_call_that_fails_its_input_checks_clears_last_usage() -> None:
    ef = function(JinaEmulator())
    ef(["hello world"])
    assert ef.last_usage is not None and ef.last_usage.requests == 1
    with pytest.raises(ValueError, match="empty"):
        ef([])
    assert ef.last_usage == Usage(0, None, 0)  # before: the first call's 1 request


def test_a_call_refused_by_the_service_shows_its_request() -> None:
    from chroma_jina import InvalidRequestError

    emu = JinaEmulator()
    ef = JinaEmbeddingFunction(
        KEY, "jina-embeddings-v9", http_client=httpx.Client(transport=emu.transport())
    )
    with track_usage() as tracked, pytest.raises(InvalidRequestError):
        ef(["hello world"])
    assert ef.last_usage == tracked.usage == Usage(0, None, 1)
    assert tracked.calls == 1


def _texts(caller: int, n: int) -> list[str]:
    return [f"caller {caller} text {i} " + "word " * caller for i in range(n)]


def _alone(n: int, caller: int) -> Usage:
    ef = function(JinaEmulator())
    ef(_texts(caller, n))
    return ef.last_usage


def test_threads_sharing_a_function_each_read_their_own_usage() -> None:
    ef = function(JinaEmulator(latency=Latency(0.01)))
    got: dict[int, Usage] = {}

    def handler(caller: int) -> None:
        with track_usage() as tracked:
            for _ in range(3):
                ef(_texts(caller, 2 + caller))
        got[caller] = tracked.usage

    threads = [threading.Thread(target=handler, args=(c,)) for c in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    for caller in range(6):
        one = _alone(2 + caller, caller)
        assert got[caller] == Usage(
            3 * one.total_tokens, 3 * one.prompt_tokens, 3 * one.requests
        ), caller


def test_asyncio_tasks_sharing_a_function_each_read_their_own_usage() -> None:
    ef = function(JinaEmulator(latency=Latency(0.01)))

    async def handler(caller: int) -> tuple[int, Usage]:
        with track_usage() as tracked:
            await ef.aembed(_texts(caller, 2 + caller))
            await ef.aembed_query(_texts(caller, 1))
        return caller, tracked.usage

    async def main() -> list[tuple[int, Usage]]:
        with track_usage() as everything:
            results = await asyncio.gather(*(handler(c) for c in range(6)))
        assert everything.calls == 12  # blocks nest: the outer one sees every task's calls
        return results

    for caller, usage in asyncio.run(main()):
        docs, query = _alone(2 + caller, caller), _alone(1, caller)
        assert usage.total_tokens == docs.total_tokens + query.total_tokens, caller
        assert usage.requests == docs.requests + query.requests, caller


def test_rerank_calls_are_tracked_too() -> None:
    """Before: inside `track_usage()`, a rerank left the tracker at 0 calls and 0 tokens."""
    emu = JinaEmulator()
    ef = function(emu)
    ranker = JinaReranker(
        KEY,
        http_client=httpx.Client(transport=emu.transport()),
        async_http_client=httpx.AsyncClient(transport=emu.transport()),
    )
    documents = ["rivers flow to the sea", "mountains are high", "the sea is salty"]
    with track_usage() as tracked:
        ranker.rerank("where do rivers go", documents)
        ranked = ranker.last_usage
        assert ranked is not None and ranked.total_tokens > 0 and ranked.requests == 1
        assert tracked.calls == 1 and tracked.usage == ranked
        asyncio.run(ranker.arerank("what is salty", documents))
        assert tracked.calls == 2 and tracked.usage.requests == 2
        ef(["one text"])
        embedded = ef.last_usage
    assert embedded is not None and tracked.calls == 3
    reranked = tracked.usage.total_tokens - embedded.total_tokens
    assert reranked == ranked.total_tokens + cast(Usage, ranker.last_usage).total_tokens
    with track_usage() as empty:  # nothing to rank: nothing sent (before: ValueError from
        assert ranker.rerank("q", []) == []  # a thread pool of 0 workers)
        assert asyncio.run(ranker.arerank("q", [])) == []
    assert empty.usage == ranker.last_usage == Usage(0, None, 0) and empty.calls == 2
