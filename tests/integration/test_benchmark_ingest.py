"""`python -m chroma_jina ingest` on a PersistentClient, killed with SIGKILL half-way and run
again, as `make bench` does it (benchmarks/ingest.py `resume`, at small scale): the second run
sends only what is missing and the collection ends exact. Timings are never checked."""

from __future__ import annotations

import argparse
import importlib
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from chroma_jina.testing import JinaEmulator

ROOT = Path(__file__).resolve().parents[2]
N = 2048


def _server_blocks() -> Callable[[dict[str, Any], str], dict[str, str]]:
    """The Chroma Cloud page's generator, `benchmarks.ingest.server_blocks`."""
    with pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(str(ROOT))
        return importlib.import_module("benchmarks.ingest").server_blocks


def _measured_server() -> dict[str, dict[str, float]]:
    """One server run's walls, 10 writers faster than 1, as `server_runs` records them."""
    walls = {"embed": 12.6, "write_w1": 130.4, "write_w10": 91.9}
    walls |= {"ingest_w1": 204.7, "ingest_w10": 157.3}
    return {key: {"n": 30_000, "wall_s": wall} for key, wall in walls.items()}


def test_the_command_killed_half_way_resumes_exactly(tmp_path: Path) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(str(ROOT))
        bench = importlib.import_module("benchmarks.ingest")
        corpus = importlib.import_module("benchmarks.corpus")
    args = argparse.Namespace(out=tmp_path, corpus=tmp_path / "corpus.jsonl", n=N)
    with args.corpus.open("w", encoding="utf-8") as out:
        for i, text in enumerate(corpus.passages(N)):
            out.write(json.dumps({"id": f"p-{i}", "text": text}) + "\n")
    emu = JinaEmulator()
    reference = bench.warm_up(emu, N)
    with emu.serve() as base_url:
        args.base_url = base_url
        resumed = bench.resume(args, emu, reference)
    # killed once 2 of its 4 requests were answered, with 1,024 vectors or more still to write
    assert resumed["requests_before_kill"] >= 2 and resumed["stored_at_kill"] < N
    assert resumed["skipped"] == resumed["stored_at_kill"]
    assert resumed["added"] == resumed["remaining"] == N - resumed["stored_at_kill"]
    assert resumed["requests"] <= math.ceil(resumed["remaining"] / 512) + 3 == resumed["bound"]
    assert resumed["exact"]


def test_chinese_counts_follow_the_glossary_conventions() -> None:
    """The Chinese page's generated prose writes round counts with 万 and no thousands separator
    (docs/glossary.yml), as the English templates' `{n:,}` would not."""
    from benchmarks.ingest import LABELS, ZhCount, resume_line

    assert [f"{ZhCount(n):,}段" for n in (10_000, 30_000, 12_288, 999)] == [
        "1 万段",
        "3 万段",
        "12288 段",
        "999 段",
    ]
    res = {"stored_at_kill": 12_288, "n": 30_000, "requests": 35, "remaining": 17_712}
    line = resume_line({**res, "fewest": 35, "exact": True}, "zh")
    assert "存入 12288 段（共 3 万段）" in line
    assert "剩下的 17712 段" in line and "文本和向量都正确。" in line
    when = LABELS["zh"]["when"].format(
        date="d", cpus=2, latency=100, per_token=5, rounds=3, ratio=1.01
    )
    assert "100 毫秒" in when and "5 微秒" in when and "1,024" not in when


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_resume_sentence_says_how_the_collection_ended(lang: str) -> None:
    """The page says the collection ended exact only when the run measured it so."""
    from benchmarks.ingest import resume_line

    res = {"stored_at_kill": 12_288, "n": 30_000, "requests": 35, "remaining": 17_712, "fewest": 35}
    exact, wrong = (
        resume_line({**res, "exact": True}, lang),
        resume_line({**res, "exact": False}, lang),
    )
    assert (
        ("NOT" in wrong and "NOT" not in exact)
        if lang == "en"
        else ("不对" in wrong and "不对" not in exact)
    )
    assert "ingest.json" in wrong and "ingest.json" not in exact


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_server_figures_say_a_single_run_is_not_a_median(lang: str) -> None:
    """One run of each way is one run: the page must not call it a median, and says it is noisy;
    with several rounds it is a median."""
    server_blocks = _server_blocks()
    server = _measured_server()
    results = {"date": "d", "cpus": 2, "server": server}
    settings = {"n": 30_000, "latency_ms": 100.0, "per_token_us": 5.0}
    once = server_blocks({**results, "settings": {**settings, "rounds": 1}}, lang)
    server3 = {**server, "write_w1": {**server["write_w1"], "rounds_s": [75.4, 130.4, 233.6]}}
    thrice = server_blocks(
        {**results, "server": server3, "settings": {**settings, "rounds": 3}}, lang
    )
    median, noisy = ("median", "noisy") if lang == "en" else ("中位数", "波动大")
    assert median not in once["server-measured"] and noisy in once["server-measured"]
    assert median in thrice["server-measured"] and noisy not in thrice["server-measured"]
    spread = "differed by up to 3.1x" if lang == "en" else "最多是最快一次的 3.1 倍"
    assert spread in thrice["server-measured"]
    if lang == "zh":
        assert "| 3 万段文本写入 `chroma run` |" in once["server-table"]
        assert "| 12.6 秒 | 2381 |" in once["server-table"]
        assert "写入线程" not in once["server-table"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_server_sentence_is_computed_from_the_figures(lang: str) -> None:
    """Which of 1 and 10 writers was faster, by how much, and `ingest`'s ratio to the slower of
    embedding alone and the best writing alone come from the figures: the same template says
    "10 writers faster" for one run and "1 writer faster" or "about as fast" for another."""
    server_blocks = _server_blocks()
    settings = {"n": 30_000, "latency_ms": 100.0, "per_token_us": 5.0, "rounds": 1}

    def sentence(**walls: float) -> str:
        server = {key: {"n": 30_000, "wall_s": wall} for key, wall in walls.items()}
        results = {"date": "d", "cpus": 2, "server": server, "settings": settings}
        return server_blocks(results, lang)["server-measured"]

    ten_faster = sentence(
        embed=12.6, write_w1=130.4, write_w10=91.9, ingest_w1=204.7, ingest_w10=157.3
    )
    one_faster = sentence(
        embed=12.6, write_w1=80.0, write_w10=100.0, ingest_w1=81.0, ingest_w10=82.0
    )
    if lang == "en":
        assert "Writing alone ran 1.42x as fast with 10 writers as with 1 writer" in ten_faster
        assert "`ingest` ran 1.30x as fast with 10 writers as with 1 writer" in ten_faster
        assert "took 1.71x as long" in ten_faster and "(10 writers)" in ten_faster
        assert "the writes slow down" in ten_faster
        assert "Writing alone ran 1.25x as fast with 1 writer as with 10 writers" in one_faster
        assert "`ingest` ran about as fast with 1 writer as with 10" in one_faster
        assert "took 1.02x as long" in one_faster and "(1 writer)" in one_faster
        assert "done while the writes went on" in one_faster
    else:
        assert "只写入时，10 路写入的速度是 1 路写入的 1.42 倍" in ten_faster
        assert "1.71 倍" in ten_faster and "写入会变慢" in ten_faster
        assert "只写入时，1 路写入的速度是 10 路写入的 1.25 倍" in one_faster
        assert "用 `ingest` 时，1 路和 10 路写入耗时相差不到 5%" in one_faster
    for text in (ten_faster, one_faster):
        assert "gain little" not in text and "收益也不大" not in text


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_writer_ratios_inside_the_spread_between_runs_are_not_stated_as_results(lang: str) -> None:
    """When one way's runs differed by more than 1 and 10 writers did, the sentence says the
    ratios are within that spread, once, instead of presenting them as findings."""
    server_blocks = _server_blocks()
    server = _measured_server()
    server["write_w1"]["rounds_s"] = [75.4, 130.4, 233.6]  # 3.1x between runs
    settings = {"n": 30_000, "latency_ms": 100.0, "per_token_us": 5.0, "rounds": 3}
    text = server_blocks({"date": "d", "cpus": 2, "server": server, "settings": settings}, lang)[
        "server-measured"
    ]
    if lang == "en":
        assert "writing alone ran 1.42x and `ingest` 1.30x as fast as with 1, both within" in text
        assert "as fast with 10 writers as with 1 writer" not in text
    else:
        assert (
            "10 路写入的速度是 1 路的 1.42 倍（只写入）和 1.30 倍（用 `ingest`），都在几次测量的波动范围之内"
            in text
        )
        assert "10 路写入的速度是 1 路写入的" not in text
