"""Planning: how a call's inputs are cut into requests (item cap, token budget, late chunking,
inputs sent alone) and how tokens are estimated before anything is sent."""

from __future__ import annotations

from chroma_jina.planning import Job, estimate_tokens, plan_batches


def _job(items, **kw) -> Job:
    return Job("m", items, {}, "float", None, **kw)


def test_plan_respects_item_cap_and_token_budget_in_order() -> None:
    assert [len(b) for b in plan_batches(_job(["a"] * 1100), 512, 10**9)] == [512, 512, 76]
    long, short = "word " * 400, "hi"  # ~502 and 2+... tokens
    batches = plan_batches(_job([long, long, short, long, short, short]), 512, 1100)
    assert batches == [[0, 1, 2], [3, 4, 5]]
    assert plan_batches(_job([long * 10]), 512, 100) == [
        [0]
    ]  # an over-budget input still goes alone
    assert plan_batches(_job(["a"] * 10, late_chunking=True), 512, 5) == [list(range(10))]
    assert plan_batches(_job(["a"] * 3, each_alone=True), 512, 10**9) == [[0], [1], [2]]


def test_token_estimate_counts_latin_and_wide_text() -> None:
    assert estimate_tokens("shape") == 3 and estimate_tokens("Hello world") == 4  # as measured
    assert estimate_tokens("川流不息") >= 6
    assert estimate_tokens(b"") == 1000  # images: a fixed estimate
