"""Turn the results JSON into Markdown tables (English or Chinese).

`make bench` prints the English ones and writes both into the benchmark pages, between
`<!-- bench:NAME -->` and `<!-- /bench:NAME -->` marker lines.

    python -m benchmarks.report [build/bench/results.json] [en|zh]
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

LABELS = {
    "en": {
        "metric": "",
        "builtin": "built-in, 512 per call",
        "ours": "chroma-jina, defaults",
        "ratio": "built-in / ours",
        "returned": "vectors returned",
        "wall": "wall time",
        "cpu": "CPU time (client)",
        "emu_cpu": "CPU time of the emulator (server side)",
        "mem": "peak memory (RSS) / growth",
        "requests": "requests",
        "tokens": "tokens",
        "wire": "bytes of the bodies, uncompressed (sent + received)",
        "wire_gzip": "bytes actually sent, answers gzipped (one extra run; the built-in asks for `identity`)",
        "bound": "bound: `{formula}`",
        "faults": "{rate:.0%} random faults",
        "died_all": "died in all {runs} runs",
        "died_some": "died in {dead} of {runs} runs",
        "died": "{died}, after {median} passages (median; each: {each}); exceptions: {errors}",
        "intact": "no exception in {runs} runs",
        "sep": "; ",
        "list": ", ",
        "short": "{k} response(s) silently short of vectors",
        "survived": "{ok} / {n} vectors correct and in order, {wall:.1f} s, {requests} requests "
        "({faults} faulty)",
        "wrong": "{ok} / {n} vectors correct and in order ({error})",
        "target": "target",
        "measured": "measured",
        "met": "met",
        "yes": "yes",
        "no": "**no**",
        "decoder": "decoder",
        "body": "response body",
        "mbs": "MB/s",
        "vps": "vectors/s",
        "vs_bound": "ours / bound {x:.2f}x",
        "pipeline": "pipeline ({n} passages)",
        "vs_ours": "wall time / chroma-jina alone",
        "fw_ours": "chroma-jina alone: `function(texts)`",
        "fw_langchain": "LangChain: `JinaEmbeddings.embed_documents` (what `Chroma.add_texts` calls)",
        "fw_llama_index": "LlamaIndex: `JinaEmbedding.get_text_embedding_batch` (what "
        "`VectorStoreIndex` calls)",
        "when": "Measured on {date} on a {cpus}-core machine ({platform}, Python {python}; load "
        "average {load:.1f} at the start{busy}) with `{command}`.",
        "busy": ", more than its cores: the times are inflated, compare them within this table only",
    },
    "zh": {
        "metric": "",
        "builtin": "内置实现，每次 512 段",
        "ours": "chroma-jina，默认参数",
        "ratio": "内置 / 本库",
        "returned": "返回的向量数",
        "wall": "总耗时",
        "cpu": "CPU 时间（客户端）",
        "emu_cpu": "模拟器 CPU 时间（服务端）",
        "mem": "内存峰值（RSS）/ 增量",
        "requests": "请求数",
        "tokens": "token 数",
        "wire": "请求体和响应体的字节数，不压缩（发送 + 接收）",
        "wire_gzip": "实际传输的字节数，响应经 gzip 压缩（另跑一次测得；内置实现要求 `identity`）",
        "bound": "理论下限：`{formula}`",
        "faults": "{rate:.0%} 随机故障",
        "died_all": "{runs} 次运行全部中途失败",
        "died_some": "{runs} 次运行中 {dead} 次中途失败",
        "died": "{died}；失败前已向量化 {median}段（中位数，各次为 {each}）；异常：{errors}",
        "intact": "{runs} 次运行均未抛出异常",
        "sep": "；",
        "list": "、",
        "short": "{k} 个响应悄悄少了向量",
        "survived": "{n}个向量全部正确且顺序一致，{wall:.1f} 秒，{requests} 个请求"
        "（其中 {faults} 个遇到故障）",
        "wrong": "{n}个向量中 {ok}个正确且顺序一致（{error}）",
        "target": "目标",
        "measured": "实测",
        "met": "达成",
        "yes": "是",
        "no": "**否**",
        "decoder": "解码方式",
        "body": "响应体",
        "mbs": "MB/s",
        "vps": "向量/秒",
        "vs_bound": "本库 / 下限 {x:.2f} 倍",
        "pipeline": "流程（{n}段）",
        "vs_ours": "总耗时 / 单用 chroma-jina",
        "fw_ours": "单用 chroma-jina：`function(texts)`",
        "fw_langchain": "LangChain：`JinaEmbeddings.embed_documents`（`Chroma.add_texts` 调用的就是它）",
        "fw_llama_index": "LlamaIndex：`JinaEmbedding.get_text_embedding_batch`"
        "（`VectorStoreIndex` 调用的就是它）",
        "when": "{date} 在一台 {cpus} 核机器上测得（{platform}，Python {python}；开始时系统负载 "
        "{load:.1f}{busy}），命令：`{command}`。",
        "busy": "，高于核数，耗时会偏长，只宜在本表内比较",
    },
}
TARGET_NAMES = {
    "en": {
        "speedup": "wall time at least 5x faster than the built-in",
        "bound": "wall time within 1.3x of the bound",
        "wire": "at least 2x fewer bytes, uncompressed",
        "faults": "with {rate:.0%} faults, every vector correct and in order",
    },
    "zh": {
        "speedup": "总耗时至少比内置实现快 5 倍",
        "bound": "总耗时不超过理论下限的 1.3 倍",
        "wire": "不压缩时的传输字节数不超过内置实现的一半",
        "faults": "{rate:.0%} 故障下，所有向量正确且顺序一致",
    },
}

DECODERS = {
    "en": {
        "builtin-float": "built-in's way: json.loads + np.array, float JSON",
        "ours-float": "chroma-jina decoder, float JSON",
        "ours-base64": "chroma-jina decoder, base64",
    },
    "zh": {
        "builtin-float": "内置实现的做法：json.loads + np.array，JSON 浮点数",
        "ours-float": "chroma-jina 解码器，JSON 浮点数",
        "ours-base64": "chroma-jina 解码器，base64",
    },
}


def count(n: int, lang: str) -> str:
    """A whole number as the page's language writes it: `20,000` in English; in Chinese digits
    below 10,000, 万 for round figures from 10,000 up (2 万) and digits for exact ones (3082123)."""
    if lang != "zh":
        return f"{n:,}"
    if n >= 10_000 and n % 1000 == 0:
        return f"{n / 10_000:g} 万"
    return str(n)


class ZhCount(int):
    """A count as the Chinese pages write it before a measure word (docs/glossary.yml): round
    figures from 10,000 up with 万 ("3 万"), others without a separator ("12288 "). Formatted with
    any spec, e.g. the English templates' `{n:,}`; the trailing space of the plain form stands
    before the measure word, which the zh templates write right after the field ("{n}段")."""

    def __format__(self, spec: str) -> str:
        n = int(self)
        if n >= 10_000 and n % 1_000 == 0:
            return f"{n / 10_000:g} 万"
        return f"{n} "


def counted(n: int, lang: str) -> ZhCount | str:
    """A count for a template that writes the measure word after it: `20,000` in English,
    a `ZhCount` in Chinese ("2 万个向量", "2560 段")."""
    return ZhCount(n) if lang == "zh" else f"{n:,}"


def pair(got: int, of: int, lang: str) -> str:
    """`got / of` as a table cell, each number written as `count` writes it: in Chinese, as
    docs/glossary.yml says, 万 for a round figure and digits for an exact one ("19999 / 2 万")."""
    return f"{count(got, lang)} / {count(of, lang)}"


def rounded(x: float, lang: str) -> str:
    """A measured rate rounded to a whole number: in Chinese, 万 from 10,000 up (15.3 万)."""
    if lang != "zh":
        return f"{x:,.0f}"
    return f"{x / 10_000:.1f} 万" if x >= 10_000 else f"{x:.0f}"


def seconds(x: float, lang: str) -> str:
    """Seconds with two decimals: `4.35 s`, in Chinese `4.35 秒`."""
    return f"{x:.2f} 秒" if lang == "zh" else f"{x:.2f} s"


def times(x: float, digits: int, lang: str) -> str:
    """A ratio: `5.8x`, in Chinese `5.8 倍`."""
    return f"{x:.{digits}f} 倍" if lang == "zh" else f"{x:.{digits}f}x"


def _row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


def _fault_cell(run: dict[str, Any], n: int, lang: str) -> str:
    t = LABELS[lang]
    if run.get("correct") is not None and run["embedded"] == n and run["correct"] == n:
        return t["survived"].format(
            ok=counted(run["correct"], lang),
            n=counted(n, lang),
            wall=run["wall_s"],
            requests=run["requests"],
            faults=sum(run["faults_injected"].values()),
        )
    if run["contender"] == "ours":
        return t["wrong"].format(
            ok=counted(run.get("correct") or 0, lang), n=counted(n, lang), error=run["error"] or "-"
        )
    seeds = run["seeds"]
    dead = [r for r in seeds if r["error"] is not None]
    parts = []
    if dead:
        done = sorted(r["embedded"] for r in dead)
        died = t["died_all"] if len(dead) == len(seeds) else t["died_some"]
        parts.append(
            t["died"].format(
                died=died.format(dead=len(dead), runs=len(seeds)),
                median=counted(done[len(done) // 2], lang),
                each=t["list"].join(count(r["embedded"], lang) for r in dead),
                errors=t["list"].join(
                    f"{name} ×{k}"
                    for name, k in Counter(r["error"].split(":")[0] for r in dead).most_common()
                ),
            )
        )
    short = sum(r["wrong_count_batches"] for r in seeds)
    if short:
        parts.append(t["short"].format(k=short))
    return t["sep"].join(parts) or t["intact"].format(runs=len(seeds))


def _returned(run: dict[str, Any], n: int, lang: str) -> str:
    text = pair(run["embedded"], n, lang)
    if not run["error"]:
        return text
    error = run["error"].replace("|", "/")
    return f"{text}（{error}）" if lang == "zh" else f"{text} ({error})"


def _when(results: dict[str, Any], load: float, lang: str) -> str:
    """When, where and with which command; says so when the machine was busier than its cores."""
    machine, t = results["machine"], LABELS[lang]
    return t["when"].format(
        date=results["date"],
        cpus=machine["cpus"],
        platform=machine["platform"],
        python=machine["python"],
        load=load,
        busy=t["busy"] if load > machine["cpus"] else "",
        command=results["command"],
    )


def comparison(results: dict[str, Any], lang: str = "en") -> str:
    """The main table: one row per measure, the two contenders side by side, and their ratio."""
    t = LABELS[lang]
    s, runs, bound = results["settings"], results["runs"], results["bound"]
    b, o, n = runs["builtin"], runs["ours"], s["n"]
    whole = b["embedded"] == n and o["embedded"] == n

    def ratio(mine: float, theirs: float, digits: int) -> str:
        """built-in / ours, only when both did the whole job."""
        return times(mine / theirs, digits, lang) if whole else ""

    lines = [
        _row(t["metric"], t["builtin"], t["ours"], t["ratio"]),
        _row("---", "---:", "---:", "---:"),
        _row(t["returned"], _returned(b, n, lang), _returned(o, n, lang), ""),
        _row(
            t["wall"],
            seconds(b["wall_s"], lang),
            seconds(o["wall_s"], lang),
            ratio(b["wall_s"], o["wall_s"], 1),
        ),
        _row(
            t["cpu"],
            seconds(b["cpu_s"], lang),
            seconds(o["cpu_s"], lang),
            ratio(b["cpu_s"], o["cpu_s"], 1),
        ),
        _row(
            t["emu_cpu"],
            seconds(b["emulator_cpu_s"], lang),
            seconds(o["emulator_cpu_s"], lang),
            "",
        ),
        _row(
            t["mem"],
            f"{b['rss_peak_mb']:.0f} / +{b['rss_peak_mb'] - b['rss_before_mb']:.0f} MB",
            f"{o['rss_peak_mb']:.0f} / +{o['rss_peak_mb'] - o['rss_before_mb']:.0f} MB",
            ratio(
                b["rss_peak_mb"] - b["rss_before_mb"],
                max(o["rss_peak_mb"] - o["rss_before_mb"], 1),
                1,
            ),
        ),
        _row(
            t["requests"],
            count(b["requests"], lang),
            count(o["requests"], lang),
            ratio(b["requests"], o["requests"], 2),
        ),
        _row(t["tokens"], count(b["tokens"], lang), count(o["tokens"], lang), ""),
        _row(
            t["wire"],
            f"{b['wire_bytes'] / 1e6:,.1f} MB",
            f"{o['wire_bytes'] / 1e6:,.1f} MB",
            ratio(b["wire_bytes"], o["wire_bytes"], 1),
        ),
        *(
            [
                _row(
                    t["wire_gzip"],
                    f"{b['wire_bytes_gzip'] / 1e6:,.1f} MB",
                    f"{o['wire_bytes_gzip'] / 1e6:,.1f} MB",
                    ratio(b["wire_bytes_gzip"], o["wire_bytes_gzip"], 1),
                )
            ]
            if "wire_bytes_gzip" in b and "wire_bytes_gzip" in o  # not in older results
            else []
        ),
        _row(
            t["bound"].format(formula=bound["formula"]),
            "",
            seconds(bound["bound_s"], lang),
            t["vs_bound"].format(x=o["wall_s"] / bound["bound_s"]) if bound["bound_s"] else "",
        ),
    ]
    if "builtin_faults" in runs:
        rate = s["fault_rate"]
        lines.append(
            _row(
                t["faults"].format(rate=rate),
                _fault_cell(runs["builtin_faults"], s["n"], lang),
                _fault_cell(runs["ours_faults"], s["n"], lang),
                "",
            )
        )
    return "\n".join(lines)


FRAMEWORKS = ("langchain", "llama_index")


def frameworks(results: dict[str, Any], lang: str = "en") -> str:
    """chroma-jina alone against the same function inside each framework's embedding call."""
    t, runs, n = LABELS[lang], results["runs"], results["settings"]["n"]
    ours = runs["ours"]
    when = _when(results, ours["load_before"], lang)
    lines = [
        when,
        "",
        _row(
            t["pipeline"].format(n=counted(n, lang)),
            t["returned"],
            t["wall"],
            t["cpu"],
            t["mem"],
            t["requests"],
            t["vs_ours"],
        ),
        _row("---", "---:", "---:", "---:", "---:", "---:", "---:"),
    ]
    for name in ("ours", *FRAMEWORKS):
        run = runs[name]
        lines.append(
            _row(
                t[f"fw_{name}"],
                _returned(run, n, lang),
                seconds(run["wall_s"], lang),
                seconds(run["cpu_s"], lang),
                f"{run['rss_peak_mb']:.0f} / +{run['rss_peak_mb'] - run['rss_before_mb']:.0f} MB",
                count(run["requests"], lang),
                times(run["wall_s"] / ours["wall_s"], 2, lang),
            )
        )
    return "\n".join(lines)


def targets(results: dict[str, Any], lang: str = "en") -> str:
    """The issue's targets with the measured value and whether each is met."""
    t, names = LABELS[lang], TARGET_NAMES[lang]
    lines = [_row(t["target"], t["measured"], t["met"]), _row("---", "---:", ":---:")]
    for target in results["targets"]:
        name = names[target["name"]].format(rate=results["settings"]["fault_rate"])
        met = "-" if target["met"] is None else t["yes"] if target["met"] else t["no"]
        lines.append(_row(name, target["measured"], met))
    return "\n".join(lines)


def decoding(results: dict[str, Any], lang: str = "en") -> str:
    """Decode throughput of one 512 x 1024 response, per decoder."""
    t = LABELS[lang]
    lines = [_row(t["decoder"], t["body"], t["mbs"], t["vps"]), _row("---", "---:", "---:", "---:")]
    lines += [
        _row(
            DECODERS[lang][row["key"]],
            f"{row['body_bytes'] / 1e6:.1f} MB",
            rounded(row["mb_per_s"], lang),
            rounded(row["vectors_per_s"], lang),
        )
        for row in results["decode"]
    ]
    return "\n".join(lines)


def measured(results: dict[str, Any], lang: str = "en") -> str:
    """One sentence: when, where and with which command the figures were measured."""
    return _when(results, results["runs"]["builtin"]["load_before"], lang)


def blocks(results: dict[str, Any], lang: str = "en") -> dict[str, str]:
    """The generated parts of the Benchmarks page, by marker name: when it was measured and the
    tables (targets and decoding are printed by the run, and kept in results.json)."""
    parts = {"measured": measured(results, lang), "comparison": comparison(results, lang)}
    if all(name in results["runs"] for name in FRAMEWORKS):
        parts["frameworks"] = frameworks(results, lang)
    return parts


def render(results: dict[str, Any], lang: str = "en") -> str:
    """Every table of a run, separated by blank lines, as `make bench` prints them."""
    parts = [*blocks(results, lang).values(), targets(results, lang), decoding(results, lang)]
    return "\n\n".join(parts)


def update_page(page: Path, results: dict[str, Any], lang: str) -> None:
    """Write fresh figures into the Benchmarks page of one language."""
    write_blocks(page, blocks(results, lang))


def write_blocks(page: Path, contents: dict[str, str]) -> None:
    """Replace what stands between each pair of `<!-- bench:NAME -->` marker lines in `page`."""
    text = page.read_text(encoding="utf-8")
    for name, content in contents.items():
        pattern = re.compile(
            rf"(<!-- bench:{name} -->\n)(?:.*?\n)?(<!-- /bench:{name} -->)", re.DOTALL
        )
        text, count = pattern.subn(lambda m, new=content: f"{m.group(1)}{new}\n{m.group(2)}", text)
        if count != 1:
            raise ValueError(f"{page}: expected one <!-- bench:{name} --> block, found {count}")
    page.write_text(text, encoding="utf-8")


def main() -> None:
    src = Path(sys.argv[1] if len(sys.argv) > 1 else "build/bench/results.json")
    print(
        render(
            json.loads(src.read_text(encoding="utf-8")), sys.argv[2] if len(sys.argv) > 2 else "en"
        )
    )


if __name__ == "__main__":
    main()
