"""`make bench` at tiny scale: every figure is produced and every vector is right (timing is not checked)."""

from __future__ import annotations

import importlib
import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from chroma_jina.testing import JinaEmulator

ROOT = Path(__file__).resolve().parents[2]
N = 300


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    """Run the benchmark once: 300 passages, no latency, half the responses faulty.

    Seed 8 makes the first answer lack one vector and the second arrive late.
    """
    out = tmp_path_factory.mktemp("bench")
    for lang in ("en", "zh"):  # copies of the pages, whose figures the run refreshes
        (out / "docs" / lang).mkdir(parents=True)
        shutil.copy(ROOT / "docs" / lang / "benchmarks.md", out / "docs" / lang)
    with pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(str(ROOT))
        run = importlib.import_module("benchmarks.run")
        results = run.main(
            [
                "--n",
                str(N),
                "--latency-ms",
                "0",
                "--per-token-us",
                "0",
                "--fault-rate",
                "0.5",
                "--seed",
                "8",
                "--fault-seeds",
                "1",
                "--out",
                str(out),
                "--docs",
                str(out / "docs"),
            ]
        )
    return results, out


def frameworks() -> tuple[str, ...]:
    """The framework contenders the run includes: both whenever the frameworks group is installed
    (`make test`); `make lowest` leaves the group out."""
    run = importlib.import_module("benchmarks.run")
    return run.FRAMEWORKS if run.frameworks_installed() else ()


def _expected() -> np.ndarray:
    corpus = importlib.import_module("benchmarks.corpus")
    return JinaEmulator().embed(corpus.passages(N), "jina-embeddings-v3")


def test_every_contender_gets_the_emulators_vectors_in_order(bench: tuple[dict, Path]) -> None:
    results, out = bench
    expected = _expected()
    for label in ("builtin", "ours", "ours_faults", *frameworks()):
        got = np.load(out / f"{label}.npy")
        assert got.shape == (N, 1024), label
        assert np.array_equal(got, expected), label
        assert results["runs"][label]["correct"] == N, label
    faulty = results["runs"]["ours_faults"]
    assert faulty["faults_injected"]["MissingIndices"] == 1 and faulty["requests"] >= 2
    # the built-in returns 299 vectors for 300 inputs without a word
    assert results["runs"]["builtin_faults"]["seeds"] == [
        {"seed": 8, "embedded": N - 1, "error": None, "wrong_count_batches": 1}
    ]


def test_every_figure_is_measured(bench: tuple[dict, Path]) -> None:
    results, _ = bench
    for label in ("builtin", "ours", *frameworks()):
        run = results["runs"][label]
        assert run["embedded"] == N and run["error"] is None, label
        assert run["wall_s"] > 0 and run["cpu_s"] > 0, label
        assert run["rss_peak_mb"] >= run["rss_before_mb"] > 0, label
        assert run["requests"] >= 1 and run["tokens"] > N, label
        assert run["wire_bytes"] > run["bytes_sent_by_client"] > 0, label
        assert run["wire_bytes"] >= run["wire_bytes_gzip"] > run["bytes_sent_by_client"], label
    # the server gzips for clients that accept gzip: chroma-jina's httpx does, the built-in not
    builtin, ours = results["runs"]["builtin"], results["runs"]["ours"]
    assert builtin["wire_bytes_gzip"] == builtin["wire_bytes"]
    assert ours["wire_bytes_gzip"] < ours["wire_bytes"]
    assert results["runs"]["ours"]["wire_bytes"] < results["runs"]["builtin"]["wire_bytes"]
    assert len(results["runs"]["builtin_faults"]["seeds"]) == 1
    assert results["bound"]["bound_s"] == pytest.approx(0.0)  # no latency: no bound
    assert [t["name"] for t in results["targets"]] == ["speedup", "bound", "wire", "faults"]
    assert [row["wire_type"] for row in results["decode"]] == ["float", "float", "base64"]
    assert all(row["vectors_per_s"] > 0 for row in results["decode"])


def test_report_charts_and_pages_are_written(bench: tuple[dict, Path]) -> None:
    results, out = bench
    assert json.loads((out / "results.json").read_text(encoding="utf-8"))["settings"]["n"] == N
    report = importlib.import_module("benchmarks.report")
    for lang in ("en", "zh"):
        svg = ET.parse(out / "docs" / "assets" / f"benchmarks-{lang}.svg").getroot()
        assert svg.tag == "{http://www.w3.org/2000/svg}svg"
        assert len(svg.findall(".//{http://www.w3.org/2000/svg}rect")) >= 10
        page = (out / "docs" / lang / "benchmarks.md").read_text(encoding="utf-8")
        for name, block in report.blocks(results, lang).items():
            assert f"<!-- bench:{name} -->\n{block}\n<!-- /bench:{name} -->" in page
        assert f"{N:,} / {N:,}" in page


def test_chinese_tables_write_numbers_as_the_chinese_pages_do(bench: tuple[dict, Path]) -> None:
    results, _ = bench
    report = importlib.import_module("benchmarks.report")
    assert [report.count(n, "zh") for n in (20_000, 3_082_123, 2560)] == ["2 万", "3082123", "2560"]
    assert report.count(20_000, "en") == "20,000"
    assert (report.seconds(4.35, "zh"), report.seconds(4.35, "en")) == ("4.35 秒", "4.35 s")
    assert (report.times(5.76, 1, "zh"), report.times(5.76, 1, "en")) == ("5.8 倍", "5.8x")
    assert report.rounded(153_000, "zh") == "15.3 万"
    table = report.comparison(results, "zh")
    assert " 秒 |" in table
    assert not re.search(r"\d,\d{3}|\d s\b|\dx\b", table), table
