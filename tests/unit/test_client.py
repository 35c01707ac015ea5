"""client.py: calls split into requests (items and tokens), late chunking, splitting what is too
large, re-requesting what is missing, bounded concurrency sync and async, progress, usage. How
batches are planned: test_planning.py; pacing: test_pacing.py; retries: test_retries.py."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from chroma_jina import (
    InvalidRequestError,
    JinaEmbeddingFunction,
    MalformedResponseError,
    ServerError,
    Usage,
)
from chroma_jina.models import ModelInfo
from chroma_jina.pacing import budget_for
from chroma_jina.planning import estimate_tokens
from chroma_jina.steps import DEFAULT_BASE_URL
from chroma_jina.testing import (
    DroppedConnection,
    ErrorReply,
    HTMLErrorPage,
    JinaEmulator,
    Latency,
    MissingIndices,
    RandomFaults,
    ServerFailure,
    ShuffledIndices,
    SlowResponse,
    When,
)
from tests.support.service import KEY, FakeClock, make_ef, same, sent, want

TEXTS = [f"passage number {i} about rivers" for i in range(1100)]


def test_calls_are_split_by_the_model_cap_and_by_batch_size() -> None:
    emu = JinaEmulator()
    ef, _ = make_ef(emu)
    assert same(ef(TEXTS), want(emu, TEXTS))
    assert sorted(len(r["input"]) for r in sent(emu)) == [76, 512, 512]  # sent side by side
    emu.reset()
    ef, _ = make_ef(emu, batch_size=300, max_tokens_per_request=2000)
    assert same(ef(TEXTS[:700]), want(emu, TEXTS[:700]))
    assert all(sum(estimate_tokens(t) for t in r["input"]) <= 2000 for r in sent(emu))
    assert max(len(r["input"]) for r in sent(emu)) <= 300
    in_order = sorted(sent(emu), key=lambda r: TEXTS.index(r["input"][0]))
    assert [t for r in in_order for t in r["input"]] == TEXTS[:700]  # each once, in slices


def test_too_large_batches_are_halved_until_they_fit() -> None:
    emu = JinaEmulator()
    over_100 = ErrorReply(422, "VALIDATION_ERROR", "Each input list can contain at most 100 items")
    emu.script(*[When(lambda body: len(body["input"]) > 100, over_100)] * 100)
    ef, clock = make_ef(emu)
    assert same(ef(TEXTS[:512]), want(emu, TEXTS[:512]))
    sizes = [len(r["input"]) for r in sent(emu)]
    assert sizes == [512, 256, 128, 64, 64, 128, 64, 64, 256, 128, 64, 64, 128, 64, 64]
    assert clock.sleeps == []
    assert [t for r in sent(emu) if len(r["input"]) <= 100 for t in r["input"]] == TEXTS[:512]


@pytest.mark.parametrize(
    "too_large",
    [
        HTMLErrorPage(413),
        ErrorReply(
            400,
            "VALIDATION_ERROR",
            '"input" length 2049 is larger than the largest allowed size 2048',
        ),
    ],
    ids=["413", "400"],
)
def test_a_single_input_that_is_still_too_large_is_named(too_large) -> None:
    emu = JinaEmulator()
    emu.script(*[When(lambda body: "BIG" in body["input"], too_large)] * 20)
    ef, _ = make_ef(emu)
    items = ["a", "b", "c", "BIG", "d"]
    with pytest.raises(InvalidRequestError) as info:
        ef(items)
    assert info.value.at_fault == [3]


LONG = " ".join(f"w{i % 97}" for i in range(20_000))
"""About 20,000 tokens: over every 8,192-token context."""


def _emulated(**options):
    from chroma_jina.testing import JinaEmulator

    emu = JinaEmulator()
    ef = JinaEmbeddingFunction(
        KEY, "jina-embeddings-v3", **options, http_client=httpx.Client(transport=emu.transport())
    )
    return emu, ef


def test_an_over_long_input_is_named_after_a_few_requests_and_little_billing() -> None:
    """One text over the context among 512: the service refuses the request. The client used
    to halve it (14 requests, ~300 inputs billed, then an error); it now sends the longest
    input alone, finds it refused, and raises naming it."""
    texts = [f"passage {i} about rivers and the sea" for i in range(512)]
    emu, ef = _emulated()
    ef(texts)
    others = emu.stats.tokens
    texts[300] = LONG
    emu, ef = _emulated()
    with pytest.raises(InvalidRequestError) as info:
        ef(texts)
    assert info.value.at_fault == [300] and info.value.code == "INPUT_TOKEN_LIMIT_EXCEEDED"
    assert "truncate=True" in str(info.value)
    assert emu.stats.requests <= 4 and ef.last_usage.requests == emu.stats.requests
    assert emu.stats.tokens < 0.1 * others
    emu, ef = _emulated(truncate=True)
    assert len(ef(texts)) == 512 and emu.stats.requests == 1


def test_every_over_long_input_is_named() -> None:
    texts = [f"passage {i}" for i in range(100)]
    texts[7], texts[70] = LONG, LONG + " more"
    emu, ef = _emulated()
    with pytest.raises(InvalidRequestError) as info:
        ef(texts)
    assert info.value.at_fault == [7, 70] and emu.stats.requests == 3
    for i in (3, 30, 50, 90):  # more than a few: each is sent alone once, refused, not billed
        texts[i] = LONG
    emu, ef = _emulated()
    with pytest.raises(InvalidRequestError) as info:
        ef(texts)
    assert info.value.at_fault == [3, 7, 30, 50, 70, 90]
    assert emu.stats.requests == 7 and emu.stats.tokens == 0


NEW_MODEL = ModelInfo(
    "some-new-model",
    dimensions=64,
    matryoshka=None,
    context=8192,
    tasks=(),
    default_task=None,
    fields=frozenset({"embedding_type"}),
)
"""A model newer than the catalog (the client knows nothing of it; the emulator serves it)."""


def test_over_long_inputs_of_an_unknown_model_are_found_longest_first() -> None:
    """No context to rule inputs out: the longest are sent alone until one passes."""
    emu = JinaEmulator(models=[NEW_MODEL])
    too_long = ErrorReply(
        400, "INPUT_TOKEN_LIMIT_EXCEEDED", "Single text cannot exceed 50 tokens. 60 tokens given."
    )
    emu.script(*[When(lambda body: max(map(len, body["input"])) > 200, too_long)] * 9)
    ef, _ = make_ef(emu, KEY, "some-new-model")
    items = ["short"] * 20 + ["x" * 300, "y" * 250, "z" * 150]
    with pytest.raises(InvalidRequestError) as info:
        ef(items)
    assert info.value.at_fault == [20, 21]
    assert [r["input"] for r in sent(emu)[1:]] == [["x" * 300], ["y" * 250], ["z" * 150]]


def test_late_chunking_is_never_split() -> None:
    emu = JinaEmulator()
    emu.script(HTMLErrorPage(413))
    ef, _ = make_ef(emu, KEY, "jina-embeddings-v3", late_chunking=True)
    with pytest.raises(InvalidRequestError) as info:
        ef(TEXTS[:400])
    assert len(emu.requests) == 1 and info.value.input_indices == list(range(400))
    late = want(emu, TEXTS[:400], "jina-embeddings-v3", late_chunking=True)
    assert same(ef(TEXTS[:400]), late)
    assert len(emu.requests) == 2 and sent(emu)[1]["late_chunking"] is True
    with pytest.raises(ValueError, match=r"late_chunking.*at most 512 inputs.*got 600"):
        ef(TEXTS[:600])
    assert len(emu.requests) == 2


def test_late_chunked_queries_are_sent_one_by_one() -> None:
    emu = JinaEmulator()
    ef, _ = make_ef(
        emu,
        KEY,
        "jina-embeddings-v3",
        late_chunking=True,
        task="retrieval.passage",
        query_config={"task": "retrieval.query"},
    )
    queries = ["what is a bank?", "where do rivers start?", "why is the sky blue?"]
    alone = [
        want(emu, [q], "jina-embeddings-v3", late_chunking=True, task="retrieval.query")[0]
        for q in queries
    ]
    assert same(ef.embed_query(queries), alone)
    assert sorted(r["input"] for r in sent(emu)) == sorted([q] for q in queries)
    ef2, _ = make_ef(
        emu, KEY, "jina-embeddings-v3", late_chunking=True, query_config={"late_chunking": False}
    )
    ef2.embed_query(queries)
    assert sent(emu)[-1]["input"] == queries and sent(emu)[-1]["late_chunking"] is False


def test_only_missing_indices_are_asked_again() -> None:
    emu = JinaEmulator()
    emu.script(MissingIndices(at=(3, 7)))
    ef, _ = make_ef(emu)
    items = [f"t{i}" for i in range(10)]
    assert same(ef(items), want(emu, items))
    assert [r["input"] for r in sent(emu)] == [items, ["t3", "t7"]]
    assert ef.last_usage.requests == 2


def test_an_answer_out_of_order_is_put_back_in_order() -> None:
    emu = JinaEmulator()
    emu.script(ShuffledIndices(seed=3))
    ef, _ = make_ef(emu)
    items = [f"t{i}" for i in range(10)]
    assert same(ef(items), want(emu, items)) and len(emu.requests) == 1


def test_still_missing_indices_raise_and_no_partial_list() -> None:
    emu = JinaEmulator()
    emu.script(MissingIndices(at=(3, 7)), MissingIndices(at=(1,)))
    ef, _ = make_ef(emu)
    with pytest.raises(MalformedResponseError) as info:
        ef([f"t{i}" for i in range(10)])
    assert info.value.at_fault == [7]


def test_late_chunking_asks_again_for_the_whole_call_when_some_are_missing() -> None:
    emu = JinaEmulator()
    emu.script(MissingIndices(at=(1,)))
    ef, _ = make_ef(emu, KEY, "jina-embeddings-v3", late_chunking=True)
    items = ["a", "b", "c"]
    assert same(ef(items), want(emu, items, "jina-embeddings-v3", late_chunking=True))
    assert [r["input"] for r in sent(emu)] == [items, items]


@pytest.mark.parametrize("asynchronous", [False, True])
def test_concurrency_is_bounded_and_order_kept(asynchronous: bool) -> None:
    # answers 0 to 30 ms late, at random (seeded): they come back out of order
    late = [SlowResponse(i / 1000) for i in range(0, 31, 5)]
    emu = JinaEmulator(faults=RandomFaults(rate=1.0, seed=7, mix=late))
    ef, _ = make_ef(emu, batch_size=50, max_concurrency=3, asynchronous=asynchronous)
    items = TEXTS[:1000]
    got = asyncio.run(ef.aembed(items)) if asynchronous else ef(items)
    assert same(got, want(emu, items))
    assert len(emu.requests) == 20 and emu.stats.peak_concurrency == 3


def test_default_concurrency_starts_at_five_grows_while_answers_succeed_and_env_caps_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """20 requests of 0.2 s on 10 threads: 5 are sent, 5 wait for a slot long before the first
    answer. The limit rises by one per `limit` answers while requests wait (the exact rule:
    test_pacing.py), so it ends above 5 and, by construction, at most 8 (5 + 6 + 7 = 18 answers
    for three raises; a fourth would need 26)."""
    emu = JinaEmulator(latency=Latency(0.2))
    clock = FakeClock()  # its own budget, and no wait is slept
    ef = JinaEmbeddingFunction(
        KEY, http_client=httpx.Client(transport=emu.transport()), batch_size=10, clock=clock.clock
    )
    slots = budget_for(KEY, DEFAULT_BASE_URL, clock.monotonic).slots
    assert (slots.limit, slots.ceiling) == (5, 50)
    ef(TEXTS[:200])
    assert emu.stats.requests == 20
    assert 6 <= slots.limit <= 8 and emu.stats.peak_concurrency <= slots.limit
    monkeypatch.setenv("JINA_MAX_CONCURRENCY", "2")
    emu2 = JinaEmulator(latency=Latency(0.02))
    JinaEmbeddingFunction(
        KEY + "2", http_client=httpx.Client(transport=emu2.transport()), batch_size=10
    )(TEXTS[:100])
    assert emu2.stats.peak_concurrency == 2


@pytest.mark.parametrize("asynchronous", [False, True])
def test_a_failing_batch_raises_with_its_indices_and_stops_the_rest(asynchronous: bool) -> None:
    marker = "passage number 150 about rivers"
    emu = JinaEmulator(latency=Latency(0.05))  # the 500 comes at once, the answers 50 ms late
    emu.script(*[When(lambda body: marker in body["input"], ServerFailure(500))] * 100)
    ef, _ = make_ef(
        emu, batch_size=100, max_concurrency=2, max_retries=2, asynchronous=asynchronous
    )
    with pytest.raises(ServerError) as info:
        asyncio.run(ef.aembed(TEXTS)) if asynchronous else ef(TEXTS)
    assert info.value.at_fault == list(range(100, 200))
    assert len(emu.requests) < 11 + 2  # did not go on through all 11 batches


def test_when_the_search_finds_no_culprit_the_inputs_that_fitted_are_not_named() -> None:
    """The search order is an estimate: here the three longest fit when sent alone, so the
    error names the request's other inputs, not the three embedded (and billed) on the way."""
    emu = JinaEmulator(models=[NEW_MODEL])
    too_long = ErrorReply(
        400, "INPUT_TOKEN_LIMIT_EXCEEDED", "Single text cannot exceed 50 tokens. 60 tokens given."
    )
    emu.script(When(lambda body: len(body["input"]) > 1, too_long))
    ef, _ = make_ef(emu, KEY, "some-new-model")
    items = ["short"] * 5 + ["x" * 300, "y" * 250, "z" * 150, "w" * 100]
    with pytest.raises(InvalidRequestError) as info:
        ef(items)
    assert sorted(info.value.embedded) == [5, 6, 7]
    assert info.value.at_fault == [0, 1, 2, 3, 4, 8]
    assert len(sent(emu)) == 4
    emu.script(When(lambda body: len(body["input"]) > 1, too_long))
    with pytest.raises(InvalidRequestError) as info:  # each fits alone: the request is named
        ef(items[5:8])
    assert sorted(info.value.embedded) == [0, 1, 2] and info.value.at_fault == [0, 1, 2]


def test_async_without_an_async_client_uses_the_sync_one_in_a_thread() -> None:
    emu = JinaEmulator()
    ef, _ = make_ef(emu)
    assert same(asyncio.run(ef.aembed_query(["q"])), want(emu, ["q"]))


def test_async_and_sync_send_the_same_requests() -> None:
    a, b = JinaEmulator(), JinaEmulator()
    kw = {"batch_size": 64, "max_concurrency": 1, "task": "retrieval.passage", "dimensions": 128}
    make_ef(a, KEY, "jina-embeddings-v3", **kw)[0](TEXTS[:300])
    asyncio.run(
        make_ef(b, KEY, "jina-embeddings-v3", asynchronous=True, **kw)[0].aembed(TEXTS[:300])
    )
    assert sent(a) == sent(b) and len(sent(a)) == 5


def test_last_usage_sums_tokens_and_counts_requests() -> None:
    emu = JinaEmulator()
    emu.script(DroppedConnection())
    ef, _ = make_ef(emu, KEY, "jina-embeddings-v2-base-en")  # it reports prompt_tokens too
    assert ef.last_usage is None
    ef(TEXTS[:600])
    answered = sum(r.tokens for r in emu.requests if r.status == 200)
    assert answered > 600
    assert ef.last_usage == Usage(total_tokens=answered, prompt_tokens=answered, requests=3)
    # the dropped request was billed too, as a real broken connection is: its answer never came
    assert emu.stats.tokens > answered


def test_progress_bar_can_be_forced_and_is_off_by_default_off_a_terminal(capsys) -> None:
    emu = JinaEmulator()
    make_ef(emu, progress=True)[0](TEXTS)
    assert "1100/1100" in capsys.readouterr().err
    make_ef(emu)[0](TEXTS)  # stderr is not a terminal under pytest
    make_ef(emu, progress=False)[0](TEXTS)
    assert capsys.readouterr().err == ""


def test_progress_bar_is_on_by_itself_for_large_calls_in_a_terminal(monkeypatch, capsys) -> None:
    import sys

    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    emu = JinaEmulator()
    make_ef(emu)[0](TEXTS[:999])
    assert capsys.readouterr().err == ""  # small calls stay quiet
    make_ef(emu)[0](TEXTS)
    assert "1100/1100" in capsys.readouterr().err
