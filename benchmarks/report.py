"""Turn the results JSON into Markdown tables (English or Chinese); `make bench` prints the English ones.

python -m benchmarks.report [build/bench/results.json] [en|zh]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

LABELS = {
    "en": {
        "metric": "",
        "builtin": "built-in, 512 per call",
        "ours": "chroma-jina, defaults",
        "ratio": "built-in / ours",
        "wall": "wall time",
        "cpu": "CPU time (client)",
        "mem": "peak memory (RSS) / growth",
        "requests": "requests",
        "tokens": "tokens",
        "wire": "bytes on the wire (sent + received)",
        "bound": "bound: {formula}",
        "faults": "{rate:.0%} random faults",
        "died": "died in {dead} of {runs} runs, after {median:,} passages (median; each run: {each}); first error: {error}",
        "short": "; {k} batch(es) came back silently short",
        "survived": "{ok:,} / {n:,} vectors correct and in order, {wall:.1f} s, {requests} requests",
        "wrong": "{ok:,} / {n:,} vectors correct and in order ({error})",
        "same": "vectors identical to the built-in's",
        "target": "target",
        "measured": "measured",
        "met": "met",
        "yes": "yes",
        "no": "**no**",
        "decoder": "decoder",
        "body": "response body",
        "mbs": "MB/s",
        "vps": "vectors/s",
        "per_request": "per request",
    },
    "zh": {
        "metric": "",
        "builtin": "内置实现，每次 512 条",
        "ours": "chroma-jina，默认参数",
        "ratio": "内置 / 本库",
        "wall": "总耗时",
        "cpu": "CPU 时间（客户端）",
        "mem": "内存峰值（RSS）/ 增量",
        "requests": "请求数",
        "tokens": "token 数",
        "wire": "网络传输量（发送 + 接收）",
        "bound": "理论下限：{formula}",
        "faults": "{rate:.0%} 随机故障",
        "died": "{runs} 次运行中 {dead} 次中断，中位数为处理 {median:,} 段后（各次：{each}）；首个错误：{error}",
        "short": "；另有 {k} 批静默少返回了向量",
        "survived": "{ok:,} / {n:,} 个向量全部正确且顺序一致，{wall:.1f} 秒，{requests} 个请求",
        "wrong": "{ok:,} / {n:,} 个向量正确且顺序一致（{error}）",
        "same": "向量与内置实现完全相同",
        "target": "目标",
        "measured": "实测",
        "met": "达成",
        "yes": "是",
        "no": "**否**",
        "decoder": "解码方式",
        "body": "响应体",
        "mbs": "MB/s",
        "vps": "向量/秒",
        "per_request": "每个请求",
    },
}
TARGET_NAMES = {
    "en": {
        "speedup": "wall time at least 5x faster than the built-in",
        "bound": "wall time within 1.3x of the bound",
        "wire": "at least 2x fewer bytes on the wire",
        "faults": "with {rate:.0%} faults, every vector correct and in order",
    },
    "zh": {
        "speedup": "总耗时至少比内置实现快 5 倍",
        "bound": "总耗时不超过理论下限的 1.3 倍",
        "wire": "网络传输量至少减少一半（2 倍）",
        "faults": "{rate:.0%} 故障下，所有向量正确且顺序一致",
    },
}


def _row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


def _fault_cell(run: dict[str, Any], n: int, t: dict[str, str]) -> str:
    if run.get("correct") is not None and run["embedded"] == n and run["correct"] == n:
        return t["survived"].format(
            ok=run["correct"], n=n, wall=run["wall_s"], requests=run["requests"]
        )
    if run["contender"] == "ours":
        return t["wrong"].format(ok=run.get("correct") or 0, n=n, error=run["error"] or "-")
    seeds = run["seeds"]
    done = sorted(r["embedded"] for r in seeds)
    text = t["died"].format(
        dead=sum(r["error"] is not None for r in seeds),
        runs=len(seeds),
        median=done[len(done) // 2],
        each=", ".join(f"{r['embedded']:,}" for r in seeds),
        error=run["error"] or "-",
    )
    short = sum(r["wrong_count_batches"] for r in seeds)
    return text + (t["short"].format(k=short) if short else "")


def comparison(results: dict[str, Any], lang: str = "en") -> str:
    """The main table: one row per measure, the two contenders side by side, and their ratio."""
    t = LABELS[lang]
    s, runs, bound = results["settings"], results["runs"], results["bound"]
    b, o = runs["builtin"], runs["ours"]
    lines = [
        _row(t["metric"], t["builtin"], t["ours"], t["ratio"]),
        _row("---", "---:", "---:", "---:"),
        _row(
            t["wall"],
            f"{b['wall_s']:.2f} s",
            f"{o['wall_s']:.2f} s",
            f"{b['wall_s'] / o['wall_s']:.1f}x",
        ),
        _row(
            t["cpu"],
            f"{b['cpu_s']:.2f} s",
            f"{o['cpu_s']:.2f} s",
            f"{b['cpu_s'] / o['cpu_s']:.1f}x",
        ),
        _row(
            t["mem"],
            f"{b['rss_peak_mb']:.0f} / +{b['rss_peak_mb'] - b['rss_before_mb']:.0f} MB",
            f"{o['rss_peak_mb']:.0f} / +{o['rss_peak_mb'] - o['rss_before_mb']:.0f} MB",
            f"{(b['rss_peak_mb'] - b['rss_before_mb']) / max(o['rss_peak_mb'] - o['rss_before_mb'], 1):.1f}x",
        ),
        _row(
            t["requests"],
            f"{b['requests']:,}",
            f"{o['requests']:,}",
            f"{b['requests'] / o['requests']:.2f}x",
        ),
        _row(t["tokens"], f"{b['tokens']:,}", f"{o['tokens']:,}", ""),
        _row(
            t["wire"],
            f"{b['wire_bytes'] / 1e6:,.1f} MB",
            f"{o['wire_bytes'] / 1e6:,.1f} MB",
            f"{b['wire_bytes'] / o['wire_bytes']:.1f}x",
        ),
        _row(
            t["bound"].format(formula=bound["formula"]),
            "",
            f"{bound['bound_s']:.2f} s",
            f"ours / bound {o['wall_s'] / bound['bound_s']:.2f}x" if bound["bound_s"] else "",
        ),
    ]
    if "builtin_faults" in runs:
        rate = s["fault_rate"]
        lines.append(
            _row(
                t["faults"].format(rate=rate),
                _fault_cell(runs["builtin_faults"], s["n"], t),
                _fault_cell(runs["ours_faults"], s["n"], t),
                "",
            )
        )
    return "\n".join(lines)


def targets(results: dict[str, Any], lang: str = "en") -> str:
    """The issue's targets with the measured value and whether each is met."""
    t, names = LABELS[lang], TARGET_NAMES[lang]
    lines = [_row(t["target"], t["measured"], t["met"]), _row("---", "---:", ":---:")]
    for target in results["targets"]:
        name = names[target["name"]].format(rate=results["settings"]["fault_rate"])
        lines.append(_row(name, target["measured"], t["yes"] if target["met"] else t["no"]))
    return "\n".join(lines)


def decoding(results: dict[str, Any], lang: str = "en") -> str:
    """Decode throughput of one 512 x 1024 response, per decoder."""
    t = LABELS[lang]
    lines = [_row(t["decoder"], t["body"], t["mbs"], t["vps"]), _row("---", "---:", "---:", "---:")]
    for row in results["decode"]:
        lines.append(
            _row(
                row["name"],
                f"{row['body_bytes'] / 1e6:.1f} MB",
                f"{row['mb_per_s']:,.0f}",
                f"{row['vectors_per_s']:,.0f}",
            )
        )
    return "\n".join(lines)


def render(results: dict[str, Any], lang: str = "en") -> str:
    """All three tables, separated by blank lines."""
    return "\n\n".join((comparison(results, lang), targets(results, lang), decoding(results, lang)))


def main() -> None:
    src = Path(sys.argv[1] if len(sys.argv) > 1 else "build/bench/results.json")
    print(
        render(
            json.loads(src.read_text(encoding="utf-8")), sys.argv[2] if len(sys.argv) > 2 else "en"
        )
    )


if __name__ == "__main__":
    main()
