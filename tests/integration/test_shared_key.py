"""One budget per API key: every call, thread, task and function of the process that uses the
key shares its concurrency limit and its pacing; the limit is learned from the service; a
query waits for one slot, not for an ingest to finish."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import httpx
import pytest

from benchmarks import shared_key
from chroma_jina import JinaEmbeddingFunction
from chroma_jina.pacing import budget_for
from chroma_jina.steps import DEFAULT_BASE_URL
from chroma_jina.testing import JinaEmulator, Latency, RateLimits
from tests.support.service import KEY


@pytest.mark.parametrize("scenario", shared_key.SCENARIOS, ids=lambda s: s.__name__)
def test_many_callers_on_one_key_are_never_refused_into_failure(scenario) -> None:
    """Against 5 concurrent requests: before, 4 of 6 threaded calls, 3 of 6 async calls and
    147 of 200 queries failed, with 70-95% of requests refused. Wall times are printed by
    `make bench` (benchmarks/shared_key.py), not asserted here."""
    outcome = scenario()
    assert outcome.failed_calls == 0
    assert outcome.refused <= 0.05 * outcome.requests


def test_the_measured_table_is_written_into_both_pages(tmp_path) -> None:
    """`make bench` writes the table between the Web servers page's bench markers, in each
    language's number style; nothing between the markers is typed by hand."""
    from benchmarks.report import write_blocks

    run = [shared_key.Outcome("6 threads, one function", 6, 0, 97, 1, 1.234)]
    for lang, page in shared_key.PAGES.items():
        copy = tmp_path / f"{lang}.md"
        copy.write_text(page.read_text(encoding="utf-8"), encoding="utf-8")
        write_blocks(copy, {"shared-key": shared_key.block(run, lang, 2)})
        text = copy.read_text(encoding="utf-8")
        row = {
            "en": "1,024 texts each, one function | 0 of 6 | 1 of 97 | 1.23 s | 0.96 s |",
            "zh": "各 1024 条文本 | 0 / 6 | 1 / 97 | 1.23 秒 | 0.96 秒 |",
        }[lang]
        assert row in text and text.count("<!-- bench:shared-key -->") == 1
        # the note under the table says where the run's one refusal fell, and on what machine
        where = {
            "en": "refused 1 request, in the row “6 threads, 1,024 texts each, one function”",
            "zh": "模拟器拒绝了 1 个请求，出现在“6 个线程共用一个函数，各 1024 条文本”这一行",
        }[lang]
        assert where in text.replace("\n", " ") or where in text
        assert {"en": "2-core machine", "zh": "测试机为 2 核"}[lang] in text


def test_functions_share_a_budget_per_key_and_base_url_only() -> None:
    """A function's requests count in the process-wide budget of its key and base URL (the one
    `budget_for` gives, whatever the trailing slash): what one learns, all of them know. Another
    key or base URL has a budget of its own."""
    shared = budget_for(KEY, "https://api.jina.ai/v1")
    assert budget_for(KEY, "https://api.jina.ai/v1/") is shared
    others = [
        budget_for("jina_another_offline_key", "https://api.jina.ai/v1"),
        budget_for(KEY, "http://127.0.0.1:9/v1"),
    ]
    assert all(other is not shared for other in others)
    emu = JinaEmulator(limits=RateLimits(requests_per_minute=100))
    http = httpx.Client(transport=emu.transport())
    JinaEmbeddingFunction(KEY, base_url="https://api.jina.ai/v1/", http_client=http)(["a"])
    assert shared.pacer.learned == {"requests": 100}  # learned from the emulator's headers
    assert all(other.pacer.learned == {} for other in others)


def test_a_query_waits_for_one_slot_not_for_an_ingest() -> None:
    """An ingest queues 40 requests on a key limited to 2; a query sent meanwhile is answered
    after at most one more of the ingest's requests per slot."""
    emu = JinaEmulator(limits=RateLimits(concurrency=2), latency=Latency(0.03))
    ef = JinaEmbeddingFunction(
        KEY, http_client=httpx.Client(transport=emu.transport()), batch_size=10, max_concurrency=2
    )
    ingest = threading.Thread(target=ef, args=([f"passage {i}" for i in range(400)],))
    ingest.start()
    while emu.stats.requests < 4:
        time.sleep(0.005)
    sent_before = emu.stats.requests
    ef.embed_query(["a question?"])
    position = next(i for i, r in enumerate(emu.requests) if r.json["input"] == ["a question?"])
    ingest.join(30)
    assert position - sent_before <= 2 + 1
    assert emu.stats.requests == 41 and emu.stats.rate_limited == 0


def test_a_concurrency_refusal_does_not_spend_a_retry() -> None:
    """The service allows 2 at once, the function is told 4 and may not retry at all: the
    refusals lower the key's limit and the requests wait for a slot instead of failing."""
    emu = JinaEmulator(limits=RateLimits(concurrency=2), latency=Latency(0.02))
    ef = JinaEmbeddingFunction(
        KEY,
        http_client=httpx.Client(transport=emu.transport()),
        batch_size=10,
        max_concurrency=4,
        max_retries=0,
    )
    assert len(ef([f"passage {i}" for i in range(200)])) == 200
    assert 1 <= emu.stats.rate_limited <= 2
    assert budget_for(KEY, DEFAULT_BASE_URL).slots.limit == 2


def test_async_calls_on_one_loop_reuse_one_http_client(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without an async_http_client, a server's queries used to open a new httpx.AsyncClient
    (new connections, a new TLS handshake) per call; now one client per event loop is kept."""
    opened: list[httpx.AsyncClient] = []

    class Counted(httpx.AsyncClient):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            opened.append(self)

    monkeypatch.setattr(httpx, "AsyncClient", Counted)
    emu = JinaEmulator()
    with emu.serve() as base_url:
        monkeypatch.setenv("JINA_API_BASE_URL", base_url)
        ef = JinaEmbeddingFunction(KEY, "jina-embeddings-v3")

        async def three_queries() -> None:
            for n in range(3):
                await ef.aembed_query([f"question {n}"])

        asyncio.run(three_queries())
        asyncio.run(three_queries())
    assert emu.stats.requests == 6 and len(opened) == 2  # one client per loop, not per call
    assert all(c.is_closed for c in opened)  # closed when asyncio.run shut its loop down


def test_the_note_tells_only_of_the_refusals_the_run_counted() -> None:
    """With no refusal the note speaks of none; with several it does not speak of one."""
    calm = [shared_key.Outcome("6 threads, one function", 6, 0, 97, 0, 1.0)]
    assert "refuses" not in shared_key.note(calm, "en", 2)
    assert "拒绝一个请求" not in shared_key.note(calm, "zh", 2)
    busy = [shared_key.Outcome("6 threads, one function", 6, 0, 97, 2, 1.0)]
    assert "the refusals fell" in shared_key.note(busy, "en", 2)
    assert "拒绝了 2 个请求" in shared_key.note(busy, "zh", 2)
