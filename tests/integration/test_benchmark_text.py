"""What `make bench` writes into the Chinese pages and chart follows docs/glossary.yml's
conventions (万 from 10,000 up, no thousands separator, 秒 not s, no 'k'), checked on a fixture
shaped like a full-size run (the figures of the 2026-11-30 and 2026-12-06 runs), without running
the benchmark."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from benchmarks import chart, report


def _run(**figures: Any) -> dict[str, Any]:
    run = {
        "embedded": 20_000,
        "error": None,
        "wall_s": 4.35,
        "cpu_s": 0.65,
        "emulator_cpu_s": 2.2,
        "rss_before_mb": 100.0,
        "rss_peak_mb": 257.0,
        "requests": 41,
        "tokens": 3_082_123,
        "wire_bytes": 128_800_000,
        "load_before": 0.9,
        "correct": 20_000,
        "contender": "ours",
    }
    return run | figures


RESULTS: dict[str, Any] = {
    "date": "2026-11-30",
    "command": "make bench",
    "machine": {"cpus": 2, "python": "3.11.7", "platform": "Linux x86_64"},
    "settings": {
        "n": 20_000,
        "latency_ms": 100.0,
        "per_token_us": 5.0,
        "limits": False,
        "fault_rate": 0.15,
    },
    "bound": {"bound_s": 3.88, "formula": "ceil(R/5) × (100 ms + 5 µs × T/R)"},
    "runs": {
        "builtin": _run(wall_s=25.04, cpu_s=5.59, requests=40, wire_bytes=279_600_000),
        "ours": _run(),
        "ours_faults": _run(wall_s=6.0, requests=46, faults_injected={"A": 3, "B": 4}),
        "builtin_faults": _run(
            contender="builtin",
            correct=None,
            seeds=[
                {"embedded": e, "error": f"{err}: boom", "wrong_count_batches": 0}
                for e, err in [
                    (3584, "RuntimeError"),
                    (1024, "RuntimeError"),
                    (2560, "JSONDecodeError"),
                    (512, "RuntimeError"),
                    (3072, "RemoteProtocolError"),
                ]
            ],
        ),
        "langchain": _run(wall_s=27.61, load_before=7.4),
        "llama_index": _run(wall_s=31.46, requests=40, load_before=7.4),
    },
    "decode": [
        {"key": "builtin-float", "ours": False, "vectors_per_s": 4_312.0},
        {"key": "ours-float", "ours": True, "vectors_per_s": 12_700.0},
        {"key": "ours-base64", "ours": True, "vectors_per_s": 114_600.0},
    ],
}
RESULTS["runs"]["ours"]["load_before"] = 7.4  # the frameworks block reads the load from "ours"

SEPARATOR = re.compile(r"\d,\d{3}")
"""A thousands separator, which the Chinese pages never write."""


def test_the_fault_cells_put_the_measure_word_right_after_wan() -> None:
    table = report.comparison(RESULTS, "zh")
    assert "2 万个向量全部正确且顺序一致，6.0 秒，46 个请求（其中 7 个遇到故障）" in table
    assert (
        "5 次运行全部中途失败；失败前已向量化 2560 段（中位数，各次为 3584、1024、2560、512、3072）；"
        "异常：RuntimeError ×3、JSONDecodeError ×1、RemoteProtocolError ×1" in table
    )
    assert "2 万 / 2 万 |" in table
    assert " 个" not in table.replace("46 个", "").replace("7 个", "")  # no "万 个"
    assert not SEPARATOR.search(table), table
    assert "20,000 / 20,000 vectors correct and in order" in report.comparison(RESULTS, "en")


def test_a_short_run_keeps_its_exact_count_in_digits_and_the_round_total_in_wan() -> None:
    results = copy.deepcopy(RESULTS)
    results["runs"]["builtin"] |= {"embedded": 19_999, "error": "ValueError: a|b"}
    results["runs"]["ours_faults"] |= {"correct": 19_488}
    table = report.comparison(results, "zh")
    assert "| 19999 / 2 万（ValueError: a/b） |" in table
    assert "2 万个向量中 19488 个正确且顺序一致" in table
    assert "| 19,999 / 20,000 (ValueError: a/b) |" in report.comparison(results, "en")


def test_a_busy_machine_is_flagged_and_an_idle_one_is_not() -> None:
    busy, idle = report.frameworks(RESULTS, "zh"), report.measured(RESULTS, "zh")
    assert "开始时系统负载 7.4，高于核数，耗时会偏长，只宜在本表内比较）" in busy
    assert "| 流程（2 万段） |" in busy
    assert idle.endswith("开始时系统负载 0.9），命令：`make bench`。")
    assert "more than its cores" in report.frameworks(RESULTS, "en")
    assert "more than its cores" not in report.measured(RESULTS, "en")


def _texts(svg: str) -> list[str]:
    return re.findall(r"<text[^>]*>([^<]*)</text>", svg)


def test_the_chinese_chart_writes_wan_seconds_and_no_k() -> None:
    texts = _texts(chart.render(RESULTS, "zh"))
    assert texts[1].startswith("2 万段文本，") and "每个 token 5 微秒" in texts[1]
    for shown in ("25.0 秒", "4.3 秒", "3.9 秒", "280 MB", "4300", "1.3 万", "11.5 万"):
        assert shown in texts, shown
    assert "解码一个 512 × 1024 的响应（向量/秒，越高越好）" in texts
    assert "内置实现：json.loads + np.array，JSON 浮点数" in texts
    for text in texts:
        assert not SEPARATOR.search(text), text
        assert not re.search(r"\d(?:\.\d)?k\b|\d s\b", text), text


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_both_charts_have_one_bar_label_per_value(lang: str) -> None:
    texts = _texts(chart.render(RESULTS, lang))
    unit = "秒" if lang == "zh" else "s"
    assert sum(t.endswith(f" {unit}") for t in texts) == 5  # 3 wall (with the bound) + 2 CPU
    if lang == "en":
        assert "20,000 passages" in texts[1] and "114.6k" in texts


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_bytes_panel_says_uncompressed_and_adds_the_gzip_bar_when_measured(lang: str) -> None:
    """The panel plots `wire_bytes`, the uncompressed bodies of the plain-JSON timed runs: its
    bars say so, and chroma-jina's gzipped bytes (the extra run) get their own bar."""
    plain = _texts(chart.render(RESULTS, lang))
    uncompressed = "chroma-jina，不压缩" if lang == "zh" else "chroma-jina, uncompressed"
    gzipped = "chroma-jina，响应经 gzip 压缩" if lang == "zh" else "chroma-jina, answers gzipped"
    assert uncompressed in plain and gzipped not in plain
    assert not any("网络传输量" in t or "on the wire" in t for t in plain)
    results = copy.deepcopy(RESULTS)
    results["runs"]["ours"]["wire_bytes_gzip"] = 97_400_000
    results["runs"]["builtin"]["wire_bytes_gzip"] = 279_600_000
    texts = _texts(chart.render(results, lang))
    assert texts[texts.index(gzipped) + 1] == "97 MB"
    table = report.comparison(results, lang)
    row = "实际传输的字节数" if lang == "zh" else "bytes actually sent"
    assert any(line.startswith(f"| {row}") and "97.4 MB" in line for line in table.splitlines())
