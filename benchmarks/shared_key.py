"""Many callers, one API key: threads, asyncio tasks, several functions and a burst of queries
against the emulator with the free tier's 5 concurrent requests and 50 ms per request.

    python -m benchmarks.shared_key

For each scenario: calls that failed, requests sent and refused (429), wall time, and the bound
(successful requests / 5 x latency). Run by `make bench`, which writes the table into the Web
servers page (`<!-- bench:shared-key -->`, both languages); tests/integration/test_shared_key.py
asserts the same scenarios' counts.
"""

from __future__ import annotations

import asyncio
import os
import textwrap
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx

from benchmarks.report import write_blocks
from chroma_jina import JinaEmbeddingFunction
from chroma_jina.testing import JinaEmulator, Latency, RateLimits

KEY = "jina_offline_emulator_key"
MODEL = "jina-embeddings-v3"
CONCURRENCY = 5
LATENCY = 0.05
TEXTS = [f"passage {i} about rivers, lakes and the sea" for i in range(1024)]


@dataclass(frozen=True)
class Outcome:
    """What one scenario did."""

    name: str
    calls: int
    failed_calls: int
    requests: int
    refused: int
    seconds: float
    cpu: float | None = None
    """CPU seconds the process used (client and emulator together), when measured."""

    @property
    def bound(self) -> float:
        """The wall time if every successful request used one of the key's slots in turn."""
        return (self.requests - self.refused) / CONCURRENCY * LATENCY


def emulator() -> JinaEmulator:
    """The emulator of every scenario: the free tier's concurrency and a fixed latency."""
    return JinaEmulator(limits=RateLimits(concurrency=CONCURRENCY), latency=Latency(LATENCY))


def _function(emu: JinaEmulator, *, asynchronous: bool = False) -> JinaEmbeddingFunction:
    client = (
        {"async_http_client": httpx.AsyncClient(transport=emu.transport())}
        if asynchronous
        else {"http_client": httpx.Client(transport=emu.transport())}
    )
    return JinaEmbeddingFunction(KEY, MODEL, batch_size=64, **client)  # type: ignore[arg-type]


def outcome(
    name: str,
    emu: JinaEmulator,
    results: list[object],
    started: float,
    cpu_started: float | None = None,
) -> Outcome:
    """What a scenario begun at `started` (`time.monotonic()`; CPU: `time.process_time()`)
    did: `results` holds each call's result or exception."""
    return Outcome(
        name,
        len(results),
        sum(isinstance(r, BaseException) for r in results),
        emu.stats.requests,
        emu.stats.rate_limited,
        time.monotonic() - started,
        None if cpu_started is None else time.process_time() - cpu_started,
    )


def _threads(name: str, emu: JinaEmulator, calls: list[Callable[[], object]]) -> Outcome:
    def attempt(call: Callable[[], object]) -> object:
        try:
            return call()
        except Exception as exc:
            return exc

    started = time.monotonic()
    with ThreadPoolExecutor(len(calls)) as pool:
        results = list(pool.map(attempt, calls))
    return outcome(name, emu, results, started)


def six_threads() -> Outcome:
    """6 threads embedding 1,024 texts each with one function."""
    emu = emulator()
    ef = _function(emu)
    return _threads("6 threads, one function", emu, [lambda: ef(TEXTS)] * 6)


def three_functions() -> Outcome:
    """3 functions with the same key, one thread each, 1,024 texts each."""
    emu = emulator()
    functions = [_function(emu) for _ in range(3)]
    calls = [lambda ef=ef: ef(TEXTS) for ef in functions]
    return _threads("3 functions, same key", emu, calls)


def _tasks(name: str, emu: JinaEmulator, make: Callable[[], list]) -> Outcome:
    async def main() -> list[object]:
        return await asyncio.gather(*make(), return_exceptions=True)

    started = time.monotonic()
    results = asyncio.run(main())
    return outcome(name, emu, results, started)


def six_tasks() -> Outcome:
    """6 asyncio tasks embedding 1,024 texts each with one function (`aembed`)."""
    emu = emulator()
    ef = _function(emu, asynchronous=True)
    return _tasks(
        "6 asyncio tasks, one function", emu, lambda: [ef.aembed(TEXTS) for _ in range(6)]
    )


def queries() -> Outcome:
    """A web server's load: 200 concurrent `aembed_query` calls of one question each."""
    emu = emulator()
    ef = _function(emu, asynchronous=True)
    return _tasks(
        "200 concurrent queries",
        emu,
        lambda: [ef.aembed_query([f"question {i}?"]) for i in range(200)],
    )


SCENARIOS = (six_threads, six_tasks, three_functions, queries)

LABELS = {
    "en": {
        "6 threads, one function": "6 threads, 1,024 texts each, one function",
        "6 asyncio tasks, one function": "6 asyncio tasks, 1,024 texts each, one function",
        "3 functions, same key": "3 functions with the same key, one thread each",
        "200 concurrent queries": "200 concurrent `aembed_query` calls",
    },
    "zh": {
        "6 threads, one function": "6 个线程共用一个函数，各 1024 条文本",
        "6 asyncio tasks, one function": "6 个 asyncio 任务共用一个函数，各 1024 条文本",
        "3 functions, same key": "同一密钥的 3 个函数，各占一个线程",
        "200 concurrent queries": "200 个并发的 `aembed_query` 调用",
    },
}
HEADERS = {
    "en": ("Callers of one key", "Calls failed", "Requests refused", "Wall time", "Bound"),
    "zh": ("同一密钥的调用方", "失败的调用", "被拒的请求", "耗时", "理论下限"),
}
PAGES = {lang: Path(__file__).parent.parent / "docs" / lang / "applications.md" for lang in LABELS}
"""The pages whose `<!-- bench:shared-key -->` block holds the table."""


def table(outcomes: list[Outcome], lang: str) -> str:
    """The Markdown table of a run, in `lang` ("en" or "zh")."""
    of, unit = (" of ", " s") if lang == "en" else (" / ", " 秒")
    rows = [
        f"| {LABELS[lang][o.name]} | {o.failed_calls}{of}{o.calls} | {o.refused}{of}"
        f"{o.requests} | {o.seconds:.2f}{unit} | {o.bound:.2f}{unit} |"
        for o in outcomes
    ]
    return "\n".join(["| " + " | ".join(HEADERS[lang]) + " |", "|---|---|---|---|---|", *rows])


def note(outcomes: list[Outcome], lang: str, cores: int | None) -> str:
    """What the run measured, in `lang`: the rows share one budget, so a refusal shows when
    the learned limit tried more than 5, not how the calls were made. The story follows the
    count of refusals (none, one, several)."""
    refused = [o for o in outcomes if o.refused]
    total = sum(o.refused for o in outcomes)
    seconds = sum(o.seconds for o in outcomes)
    if lang == "en":
        rows = " and ".join(f"“{LABELS['en'][o.name]}”" for o in refused)
        where = (
            f"the emulator refused {total} request{'s' if total > 1 else ''}, in the "
            f"row{'s' if len(refused) > 1 else ''} {rows}"
            if refused
            else "the emulator refused no request"
        )
        machine = f" on a {cores}-core machine" if cores else ""
        story = f"In this run {where}."
        if total:
            story += (
                f" Where {'the refusal' if total == 1 else 'the refusals'} fell shows when the "
                "learned limit tried more than 5, not a difference between the rows."
            )
        return (
            f"Measured{machine}. The rows ran one after another, {seconds:.1f} s in all, in one "
            "process with the same key, so they shared one budget. " + story
        )
    rows = "、".join(f"“{LABELS['zh'][o.name]}”" for o in refused)
    machine = f"测试机为 {cores} 核。" if cores else ""
    if not total:
        story = "这次运行中，模拟器没有拒绝任何请求。"
    else:
        story = (
            f"这次运行中，模拟器拒绝了 {total} 个请求，出现在{rows}"
            f"{'这一行' if len(refused) == 1 else '这几行'}。拒绝出现在哪一行，只说明自动调整的上限"
            "在什么时候试探到 5 以上，并不说明各行之间有什么差别。"
        )
    return (
        f"{machine}各行在同一个进程里依次运行，共 {seconds:.1f} 秒，用的是同一个密钥，所以共用"
        "一份额度。" + story
    )


def block(outcomes: list[Outcome], lang: str, cores: int | None) -> str:
    """What `make bench` writes between the page's markers: the table and what it measured."""
    text = note(outcomes, lang, cores)
    lines = (
        textwrap.wrap(text, 100)
        if lang == "en"
        else [sentence + "。" for sentence in text.split("。") if sentence]
    )
    return "\n".join([table(outcomes, lang), "", *lines])


def main() -> None:
    """Print one row per scenario, and write the table into the Web servers page (both
    languages)."""
    _function(JinaEmulator(), asynchronous=False)(TEXTS[:64])  # warm up imports and numpy
    print(f"One key, emulator at {CONCURRENCY} concurrent requests and {LATENCY * 1000:.0f} ms:")
    print(f"{'scenario':<32}{'failed calls':>14}{'refused':>16}{'wall':>9}{'bound':>8}{'ratio':>7}")
    outcomes = []
    for scenario in SCENARIOS:
        o = scenario()
        outcomes.append(o)
        refused = f"{o.refused}/{o.requests}"
        print(
            f"{o.name:<32}{o.failed_calls:>8}/{o.calls:<5}{refused:>16}{o.seconds:>8.2f}s"
            f"{o.bound:>7.2f}s{o.seconds / o.bound:>7.2f}"
        )
    for lang, page in PAGES.items():
        write_blocks(page, {"shared-key": block(outcomes, lang, os.cpu_count())})


if __name__ == "__main__":
    main()
