"""A function's own caps bound that function only, inside its key's shared budget: creating,
reopening or dropping a function never loosens or tightens another's (issue 23).

Before: A (max_concurrency=2, requests_per_minute=10) set the key's limits, so B with
defaults ran 2 in flight and 10 a minute; C (max_concurrency=20) raised A to 20; dropping A
left its budget behind."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import threading
import time
import weakref

import httpx
import pytest

from chroma_jina import Clock, JinaEmbeddingFunction
from chroma_jina.client import JinaClient
from chroma_jina.pacing import DEFAULT_CEILING, DEFAULT_MAX_CONCURRENCY, budget_for
from chroma_jina.steps import Acquire, Context, Sleep, request
from chroma_jina.testing import JinaEmulator, Latency
from chroma_jina.usage import Meter

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


# ---- a function's own per-minute caps delay that function only (review r3, A1) ----------
#
# Before: the own cap's wait was reserved in the key's pacer (which starts requests in the
# order they were reserved) and slept with a slot of the key held, so A with
# requests_per_minute=2 made every other function of the key wait: B's request, reserved
# after A's third, waited 60 s too.


class Now:
    """A fake monotonic clock that moves only when told."""

    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


class Driver:
    """Drives one request's step as an executor would, stopping at each wait so that others
    run meanwhile (the test moves the clock)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx, self.caller = ctx, object()
        self.step = request("/embeddings", b"{}", tokens=10, decode=Answer, indices=[0], ctx=ctx)
        self.value: object = None

    def until_wait(self) -> list[tuple[str, float, int]]:
        """The effects up to the next Sleep or the Send: ("acquire" | "sleep" | "send",
        seconds, the key's slots in use). A step at its Send keeps its slot, as a request out."""
        seen: list[tuple[str, float, int]] = []
        while True:
            effect = self.step.send(self.value)  # type: ignore[arg-type]
            self.value = None
            in_use = self.ctx.slots.key.in_use
            if isinstance(effect, Acquire):
                seen.append(("acquire", 0.0, in_use))
                self.value = self.ctx.slots.acquire(self.caller)
                continue
            seen.append(
                ("sleep", effect.seconds, in_use)
                if isinstance(effect, Sleep)
                else ("send", 0.0, in_use)
            )
            return seen


class Answer:  # never built: these steps stop at their Send
    total_tokens = 0

    def __init__(self, content: bytes) -> None:
        raise AssertionError("not reached")


def clients(now: Now, url: str) -> tuple[Context, Context]:
    """A (requests_per_minute=2) and B (no caps of its own): one key, one fake clock."""
    clock = Clock(monotonic=now)
    a = JinaClient(KEY, base_url=url, requests_per_minute=2, clock=clock)
    b = JinaClient(KEY, base_url=url, clock=clock)
    return a.context(Meter()), b.context(Meter())


def test_a_capped_function_does_not_hold_up_another_of_the_same_key() -> None:
    now = Now()
    a, b = clients(now, "http://own-cap-a1.test/v1")
    a1, a2, a3, b1 = Driver(a), Driver(a), Driver(a), Driver(b)
    assert a1.until_wait() == [("acquire", 0, 0), ("send", 0, 1)]
    assert a2.until_wait() == [("acquire", 0, 1), ("send", 0, 2)]
    # A's 3rd waits its minute first, holding no slot of the key (before: the key's slot
    # taken, then 60 s in the key's pacer)
    assert a3.until_wait() == [("sleep", 60.0, 2)]
    assert b1.until_wait() == [("acquire", 0, 2), ("send", 0, 3)]  # B: 0 s (before: 60 s)
    now.t = 60.0
    assert a3.until_wait() == [("acquire", 0, 3), ("send", 0, 4)]  # and then goes at once
    for d in (a1, a2, a3, b1):
        d.step.close()
    assert b.slots.key.in_use == 0


def test_the_key_limits_still_hold_for_both(monkeypatch: pytest.MonkeyPatch) -> None:
    """The key's 3 a minute (JINA_REQUESTS_PER_MINUTE) count A's requests and B's alike;
    A's own 2 a minute holds on top."""
    monkeypatch.setenv("JINA_REQUESTS_PER_MINUTE", "3")
    now = Now()
    a, b = clients(now, "http://own-cap-key.test/v1")
    a1, a2, a3, b1, b2 = Driver(a), Driver(a), Driver(a), Driver(b), Driver(b)
    for d in (a1, a2, b1):
        assert [e[0] for e in d.until_wait()] == ["acquire", "send"]
    assert b2.until_wait() == [("acquire", 0, 3), ("sleep", 60.0, 4)]  # the key's: A's count
    assert a3.until_wait() == [("sleep", 60.0, 4)]  # A's own cap, no slot held
    now.t = 60.0
    assert b2.until_wait() == [("send", 0, 4)]
    assert a3.until_wait() == [("acquire", 0, 4), ("send", 0, 5)]  # fits both at 60 s
    for d in (a1, a2, a3, b1, b2):
        d.step.close()


def test_the_own_record_moves_to_the_start_the_key_gives(monkeypatch: pytest.MonkeyPatch) -> None:
    """A request the key's limits delay counts in its function's own cap at the time it
    starts, under the key's ticket; the records stay sorted."""
    monkeypatch.setenv("JINA_REQUESTS_PER_MINUTE", "1")
    now = Now()
    a, _ = clients(now, "http://own-cap-record.test/v1")
    own, key = a.pacer.own, a.pacer.key
    assert own is not None
    first, second, third = Driver(a), Driver(a), Driver(a)
    assert [e[0] for e in first.until_wait()] == ["acquire", "send"]
    assert second.until_wait()[-1][:2] == ("sleep", 60.0)  # the key's 1 a minute
    assert [(s.at, s.ticket) for s in own._sent] == [(0.0, 1), (60.0, 2)]
    assert third.until_wait() == [("sleep", 60.0, 2)]  # its own 2 a minute: with the second
    now.t = 60.0
    assert second.until_wait()[-1][0] == "send"
    assert third.until_wait()[-1][:2] == ("sleep", 60.0)  # the key's: at 120 s
    assert [(s.at, s.ticket) for s in own._sent] == [(0.0, 1), (60.0, 2), (120.0, 3)]
    assert [(s.at, s.ticket) for s in own._sent] == [(s.at, s.ticket) for s in key._sent]
    for d in (first, second, third):
        d.step.close()


def test_a_request_stopped_while_it_waits_for_its_own_cap_leaves_nothing_behind() -> None:
    a, _ = clients(Now(), "http://own-cap-stop.test/v1")
    sent = [Driver(a), Driver(a)]
    for d in sent:
        d.until_wait()
    stopped = Driver(a)
    assert stopped.until_wait() == [("sleep", 60.0, 2)]
    stopped.step.close()  # its call failed elsewhere: it never takes a slot nor counts
    assert a.pacer.own is not None and len(a.pacer.own._sent) == 2
    assert a.slots.key.in_use == 2
    assert a.pacer.own.book(10)[0] == 60.0  # the next waits for the first two only


def test_a_capped_import_does_not_hold_up_queries_live() -> None:
    """Real time, the emulator: A (requests_per_minute=2, one text a request) embeds 3 texts
    in a thread, its 3rd request paced for a minute; B's embed_query and aembed_query, same
    key, return at once (before: not after 10 s)."""
    emu = JinaEmulator()
    woken = threading.Event()
    a = JinaEmbeddingFunction(
        KEY,
        base_url="http://own-cap-live.test/v1",
        http_client=httpx.Client(transport=emu.transport()),
        requests_per_minute=2,
        batch_size=1,
        clock=Clock(sleep=woken.wait),  # the system's clock; the test ends A's wait
    )
    b_async_http = httpx.AsyncClient(transport=emu.transport())
    b = JinaEmbeddingFunction(
        KEY,
        base_url="http://own-cap-live.test/v1",
        http_client=httpx.Client(transport=emu.transport()),
        async_http_client=b_async_http,
    )
    importing = threading.Thread(target=a, args=(["one", "two", "three"],))
    importing.start()
    try:
        deadline = time.monotonic() + 10
        while emu.stats.requests < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert emu.stats.requests == 2  # A's third is waiting for its minute
        began = time.monotonic()
        b.embed_query(["q"])
        asyncio.run(asyncio.wait_for(b.aembed_query(["q"]), 5))
        took = time.monotonic() - began
        assert emu.stats.requests == 4 and took < 2.0
    finally:
        woken.set()
        importing.join(10)
        asyncio.run(b_async_http.aclose())
    assert not importing.is_alive() and emu.stats.requests == 5


def test_a_capped_import_on_the_event_loop_does_not_hold_up_queries_live() -> None:
    """The same with both on one event loop (the async executor runs the same steps)."""
    emu = JinaEmulator()
    url = "http://own-cap-live-async.test/v1"

    async def main() -> float:
        woken = asyncio.Event()

        async def nap(seconds: float) -> None:  # A's waits, ended by the test
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(woken.wait(), seconds)

        def http() -> httpx.AsyncClient:
            return httpx.AsyncClient(transport=emu.transport())

        a = JinaEmbeddingFunction(
            KEY,
            base_url=url,
            async_http_client=http(),
            requests_per_minute=2,
            batch_size=1,
            clock=Clock(async_sleep=nap),
        )
        b = JinaEmbeddingFunction(KEY, base_url=url, async_http_client=http())
        importing = asyncio.ensure_future(a.aembed(["one", "two", "three"]))
        try:
            deadline = time.monotonic() + 10
            while emu.stats.requests < 2 and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            assert emu.stats.requests == 2 and not importing.done()
            began = time.monotonic()
            await asyncio.wait_for(b.aembed_query(["q"]), 5)  # before: TimeoutError
            took = time.monotonic() - began
            assert emu.stats.requests == 3
        finally:
            woken.set()
            await asyncio.wait_for(importing, 10)
        return took

    assert asyncio.run(main()) < 2.0
    assert emu.stats.requests == 4
