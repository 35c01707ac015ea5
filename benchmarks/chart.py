"""Draw the benchmark results as self-contained SVG bar charts, one per language (no scripts, no
web fonts), so the offline site can show them.

    python -m benchmarks.chart [build/bench/results.json] [docs/assets]
"""

from __future__ import annotations

import json
import sys
from html import escape
from pathlib import Path
from typing import Any

from benchmarks.report import DECODERS, ZhCount, rounded

WIDTH, LABEL_W, BAR_H, GAP, PANEL_GAP = 780, 250, 22, 8, 26
COLORS = {"builtin": "#9e9e9e", "ours": "#3f51b5", "bound": "#ffffff"}
FONT = "system-ui, 'Segoe UI', 'Noto Sans', 'Noto Sans CJK SC', 'PingFang SC', sans-serif"

TEXT = {
    "en": {
        "title": "chroma-jina vs chromadb's built-in JinaEmbeddingFunction",
        "subtitle": "{n:,} passages, jina-embeddings-v3, loopback emulator: {lat:g} ms + {tok:g} µs/token per request",
        "wall": "Wall time, s (lower is better)",
        "cpu": "Client CPU time, s (lower is better)",
        "wire": "Bytes of the bodies, sent + received, MB (lower is better)",
        "decode": "Decoding one 512 × 1024 response, thousand vectors/s (higher is better)",
        "builtin": "built-in, 512 per call",
        "ours": "chroma-jina, defaults",
        "wire_builtin": "built-in (never compressed)",
        "wire_ours": "chroma-jina, uncompressed",
        "wire_gzip": "chroma-jina, answers gzipped",
        "bound": "bound (latency, concurrency{limits})",
        "limits": ", rate limits",
        "decoders": {
            "builtin-float": "json.loads + np.array, float",
            "ours-float": "chroma-jina, float",
            "ours-base64": "chroma-jina, base64",
        },
        "seconds": "{:.1f} s",
        "mb": "{:,.0f} MB",
        "note": "Measured {date} on {cpus} cores with: {command}",
    },
    "zh": {
        "title": "chroma-jina 与 chromadb 内置 JinaEmbeddingFunction 对比",
        "subtitle": "{n}段文本，jina-embeddings-v3，模拟器运行在本机回环地址上：每个请求 {lat:g} 毫秒 + 每个 token {tok:g} 微秒",
        "wall": "总耗时（秒，越短越好）",
        "cpu": "客户端 CPU 时间（秒，越短越好）",
        "wire": "请求体和响应体的字节数（MB，越少越好）",
        "decode": "解码一个 512 × 1024 的响应（向量/秒，越高越好）",
        "builtin": "内置实现，每次 512 段",
        "ours": "chroma-jina，默认参数",
        "wire_builtin": "内置实现（从不压缩）",
        "wire_ours": "chroma-jina，不压缩",
        "wire_gzip": "chroma-jina，响应经 gzip 压缩",
        "bound": "理论下限（延迟、并发{limits}）",
        "limits": "、限流",
        "decoders": {
            "builtin-float": "内置实现：json.loads + np.array，JSON 浮点数",
            "ours-float": "chroma-jina，JSON 浮点数",
            "ours-base64": "chroma-jina，base64",
        },
        "seconds": "{:.1f} 秒",
        "mb": "{:.0f} MB",
        "note": "{date} 在 {cpus} 核机器上测得，命令：{command}",
    },
}
assert {k for t in TEXT.values() for k in t["decoders"]} == set(DECODERS["en"])

Bar = tuple[str, float, str, str]
"""(label, value, text shown after the bar, color key)."""


def _panel(title: str, bars: list[Bar], top: float) -> tuple[list[str], float]:
    """A panel title and its horizontal bars; returns the SVG elements and the panel's height."""
    scale = (WIDTH - LABEL_W - 90) / max(value for _, value, _, _ in bars)
    parts = [f'<text x="10" y="{top + 14:.0f}" font-weight="600">{escape(title)}</text>']
    y = top + 24
    for label, value, shown, key in bars:
        width = max(value * scale, 1.0)
        dash = ' stroke="#3f51b5" stroke-dasharray="4 3"' if key == "bound" else ""
        parts += [
            f'<text x="{LABEL_W - 8}" y="{y + 15:.0f}" text-anchor="end">{escape(label)}</text>',
            f'<rect x="{LABEL_W}" y="{y:.0f}" width="{width:.1f}" height="{BAR_H}" fill="{COLORS[key]}"{dash}/>',
            f'<text x="{LABEL_W + width + 6:.1f}" y="{y + 15:.0f}">{escape(shown)}</text>',
        ]
        y += BAR_H + GAP
    return parts, y - top


def _rate(vectors_per_s: float, lang: str) -> str:
    """A decoding rate: `114.6k` in English, `11.5 万` (or `4300`) in Chinese, whose panel title
    already says 向量/秒."""
    if lang == "zh":
        return rounded(round(vectors_per_s, -2), lang)
    return f"{vectors_per_s / 1e3:,.1f}k"


def _wire(t: dict[str, Any], b: dict[str, Any], o: dict[str, Any]) -> list[Bar]:
    """The bytes panel: each contender's bodies uncompressed, and chroma-jina's as a gzipping
    server sends them when the run measured it (the built-in asks for `identity`)."""
    bars: list[Bar] = [
        (
            t["wire_builtin"],
            b["wire_bytes"] / 1e6,
            t["mb"].format(b["wire_bytes"] / 1e6),
            "builtin",
        ),
        (t["wire_ours"], o["wire_bytes"] / 1e6, t["mb"].format(o["wire_bytes"] / 1e6), "ours"),
    ]
    if "wire_bytes_gzip" in o:
        mb = o["wire_bytes_gzip"] / 1e6
        bars.append((t["wire_gzip"], mb, t["mb"].format(mb), "ours"))
    return bars


def render(results: dict[str, Any], lang: str) -> str:
    """The whole chart for one language as an SVG document."""
    t, s = TEXT[lang], results["settings"]
    b, o, bound = results["runs"]["builtin"], results["runs"]["ours"], results["bound"]

    def pair(field: str, scale: float, fmt: str) -> list[Bar]:
        return [
            (t["builtin"], b[field] / scale, fmt.format(b[field] / scale), "builtin"),
            (t["ours"], o[field] / scale, fmt.format(o[field] / scale), "ours"),
        ]

    bound_label = t["bound"].format(limits=t["limits"] if s["limits"] else "")
    panels = [
        (
            t["wall"],
            [
                *pair("wall_s", 1, t["seconds"]),
                (bound_label, bound["bound_s"], t["seconds"].format(bound["bound_s"]), "bound"),
            ],
        ),
        (t["cpu"], pair("cpu_s", 1, t["seconds"])),
        (t["wire"], _wire(t, b, o)),
        (
            t["decode"],
            [
                (
                    t["decoders"][row["key"]],
                    row["vectors_per_s"],
                    _rate(row["vectors_per_s"], lang),
                    "ours" if row["ours"] else "builtin",
                )
                for row in results["decode"]
            ],
        ),
    ]
    title = t["title"]
    n = ZhCount(s["n"]) if lang == "zh" else s["n"]
    subtitle = t["subtitle"].format(n=n, lat=s["latency_ms"], tok=s["per_token_us"])
    body = [
        f'<text x="10" y="22" font-size="16" font-weight="700">{escape(title)}</text>',
        f'<text x="10" y="42" fill="#444">{escape(subtitle)}</text>',
    ]
    y = 58.0
    for panel_title, bars in panels:
        parts, height = _panel(panel_title, bars, y)
        body += parts
        y += height + PANEL_GAP
    note = t["note"].format(
        date=results["date"], cpus=results["machine"]["cpus"], command=results["command"]
    )
    body.append(f'<text x="10" y="{y:.0f}" font-size="11" fill="#555">{escape(note)}</text>')
    height = y + 14
    sep = "：" if lang == "zh" else ": "
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height:.0f}" '
        f'viewBox="0 0 {WIDTH} {height:.0f}" font-family="{FONT}" font-size="12.5" role="img">\n'
        f"<title>{escape(title)}{sep}{escape(subtitle)}</title>\n"
        '<rect width="100%" height="100%" fill="#ffffff"/>\n' + "\n".join(body) + "\n</svg>\n"
    )


def write_charts(results: dict[str, Any], out_dir: Path) -> list[Path]:
    """Write `benchmarks-en.svg` and `benchmarks-zh.svg` into `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for lang in TEXT:
        path = out_dir / f"benchmarks-{lang}.svg"
        path.write_text(render(results, lang), encoding="utf-8")
        paths.append(path)
    return paths


def main() -> None:
    src = Path(sys.argv[1] if len(sys.argv) > 1 else "build/bench/results.json")
    out = Path(sys.argv[2] if len(sys.argv) > 2 else "docs/assets")
    for path in write_charts(json.loads(src.read_text(encoding="utf-8")), out):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
