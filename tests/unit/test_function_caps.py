"""A function's own caps bound that function only, inside its key's shared budget: creating,
reopening or dropping a function never loosens or tightens another's (issue 23).

Before: A (max_concurrency=2, requests_per_minute=10) set the key's limits, so B with
defaults ran 2 in flight and 10 a minute; C (max_concurrency=20) raised A to 20; dropping A
left its budget behind."""

from __future__ import annotations

import gc
import threading
import weakref

import httpx
import pytest

from chroma_jina import Clock, JinaEmbeddingFunction
from chroma_jina.pacing import DEFAULT_CEILING, DEFAULT_MAX_CONCURRENCY, budget_for
from chroma_jina.testing import JinaEmulator, Latency

KEY = "jina_offline_emulator_key"


class Counting(httpx.BaseTransport):
    """The emulator's transport, counting the requests of one function in flight."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner, self.in_flight, self.peak = inner, 0, 0
        self.lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
        try:
            response = self.inner.handle_request(request)
            response.read()
            return response
        finally:
            with self.lock:
                self.in_flight -= 1


def test_a_functions_concurrency_cap_is_its_own() -> None:
    emu = JinaEmulator(latency=Latency(0.05))

    def make(**kw: object) -> tuple[JinaEmbeddingFunction, Counting]:
        counting = Counting(emu.transport())
        http = httpx.Client(transport=counting)
        return JinaEmbeddingFunction(KEY, http_client=http, batch_size=4, **kw), counting

    texts = [f"text {i}" for i in range(40)]  # 10 requests a call
    a, in_a = make(max_concurrency=2, requests_per_minute=10)
    b, in_b = make()
    b(texts)
    assert in_b.peak >= DEFAULT_MAX_CONCURRENCY - 1  # the key's limit, not A's 2 (before: 2)
    c, in_c = make(max_concurrency=20)
    threads = [threading.Thread(target=f, args=(texts,)) for f in (a, c)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert in_a.peak == 2  # C's 20 did not raise A's cap (before: 10, all its requests at once)
    assert in_c.peak > 2
    key = budget_for(KEY, "https://api.jina.ai/v1")
    assert key.slots.ceiling == DEFAULT_CEILING and key.pacer._budgets == {
        "requests": None,
        "tokens": None,
    }
    gone = weakref.ref(a._jina_client.share)
    del a
    gc.collect()
    assert gone() is None  # nothing of A is left in the key's budget
    d, in_d = make()
    d(texts)
    assert in_d.peak > 2


def test_a_functions_rate_caps_are_its_own() -> None:
    """On a fake clock: 30 one-text calls of each function, interleaved. A waits for its 10 a
    minute; B and C never wait (before: B and C waited 180 s each for A's budget, and a
    function created after A was dropped 180 s too)."""
    emu = JinaEmulator()
    now = [0.0]
    waited: dict[str, float] = {}

    def monotonic() -> float:  # one time for all: they share the key's budget
        return now[0]

    def make(name: str, **kw: object) -> JinaEmbeddingFunction:
        waited[name] = 0.0

        def sleep(seconds: float) -> None:
            waited[name] += seconds
            now[0] += seconds

        clock = Clock(monotonic=monotonic, sleep=sleep)
        http = httpx.Client(transport=emu.transport())
        return JinaEmbeddingFunction(KEY, http_client=http, clock=clock, **kw)

    functions = {
        "A": make("A", max_concurrency=2, requests_per_minute=10),
        "B": make("B"),
        "C": make("C", max_concurrency=20),
    }
    for i in range(30):
        for name, f in functions.items():
            f([f"{name} probe {i}"])
    assert waited == {"A": 120.0, "B": 0.0, "C": 0.0}  # A: 10 at 0 s, 10 at 60 s, 10 at 120 s
    del functions["A"]
    gc.collect()
    d = make("D")
    for i in range(30):
        d([f"D probe {i}"])
    assert waited["D"] == 0.0


def test_the_environment_sets_every_functions_key_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JINA_MAX_CONCURRENCY", "3")
    monkeypatch.setenv("JINA_REQUESTS_PER_MINUTE", "100")
    f = JinaEmbeddingFunction(KEY, max_concurrency=20, requests_per_minute=500)
    key = f._jina_client.budget
    assert (key.slots.limit, key.slots.ceiling) == (3, 3)
    assert key.pacer._budgets == {"requests": 100, "tokens": None}
    assert f._jina_client.share.slots.limit == 3  # its own 20 is bounded by the key's 3
    monkeypatch.setenv("JINA_TOKENS_PER_MINUTE", "lots")
    with pytest.raises(ValueError, match="JINA_TOKENS_PER_MINUTE must be a positive integer"):
        JinaEmbeddingFunction("jina_offline_emulator_key_other")
