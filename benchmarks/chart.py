"""Draw the benchmark results as self-contained SVG bar charts (one per language, no scripts, no fonts).

python -m benchmarks.chart [build/bench/results.json] [docs/assets]
"""

from __future__ import annotations

import json
import sys
from html import escape
from pathlib import Path
from typing import Any

WIDTH = 760
LABEL_W = 230
BAR_H = 22
GAP = 8
PANEL_GAP = 26
COLORS = {"builtin": "#9e9e9e", "ours": "#3f51b5", "bound": "#ffffff"}

TEXT = {
    "en": {
        "title": "chroma-jina vs chromadb's built-in JinaEmbeddingFunction ({n:,} passages, jina-embeddings-v3)",
        "wall": "Wall time, s (lower is better)",
        "cpu": "Client CPU time, s (lower is better)",
        "wire": "Bytes on the wire, MB (lower is better)",
        "decode": "Decoding 512 × 1024 vectors, thousand vectors/s (higher is better)",
        "builtin": "built-in, 512 per call",
        "ours": "chroma-jina, defaults",
        "bound": "bound (latency, concurrency{limits})",
        "limits": ", rate limits",
        "note": "Loopback emulator: {lat} ms + {tok} µs/token per request. {date}, {cpus} cores.",
    },
    "zh": {
        "title": "chroma-jina 与 chromadb 内置 JinaEmbeddingFunction 对比（{n:,} 段文本，jina-embeddings-v3）",
        "wall": "总耗时（秒，越低越好）",
        "cpu": "客户端 CPU 时间（秒，越低越好）",
        "wire": "网络传输量（MB，越低越好）",
        "decode": "解码 512 × 1024 个向量（千个向量/秒，越高越好）",
        "builtin": "内置实现，每次 512 条",
        "ours": "chroma-jina，默认参数",
        "bound": "理论下限（延迟、并发{limits}）",
        "limits": "、限流",
        "note": "本机回环模拟器：每个请求 {lat} 毫秒 + 每 token {tok} 微秒。{date}，{cpus} 核。",
    },
}
FONT = "system-ui, -apple-system, 'Segoe UI', 'Noto Sans', 'Noto Sans CJK SC', 'PingFang SC', sans-serif"


def _bars(
    title: str, rows: list[tuple[str, float, str, str]], top: float
) -> tuple[list[str], float]:
    """One panel: a title and horizontal bars (label, value, shown text, color key). Returns svg parts, height."""
    scale = (WIDTH - LABEL_W - 90) / max(value for _, value, _, _ in rows)
    parts = [f'<text x="10" y="{top + 14:.0f}" font-weight="600">{escape(title)}</text>']
    y = top + 24
    for label, value, shown, key in rows:
        width = max(value * scale, 1.0)
        stroke = ' stroke="#3f51b5" stroke-dasharray="4 3"' if key == "bound" else ""
        parts.append(
            f'<text x="{LABEL_W - 8}" y="{y + 15:.0f}" text-anchor="end">{escape(label)}</text>'
        )
        parts.append(
            f'<rect x="{LABEL_W}" y="{y:.0f}" width="{width:.1f}" height="{BAR_H}" '
            f'fill="{COLORS[key]}"{stroke}/>'
        )
        parts.append(f'<text x="{LABEL_W + width + 6:.1f}" y="{y + 15:.0f}">{escape(shown)}</text>')
        y += BAR_H + GAP
    return parts, y - top


def render(results: dict[str, Any], lang: str) -> str:
    """The whole chart for one language as an SVG document."""
    t = TEXT[lang]
    s, runs, bound = results["settings"], results["runs"], results["bound"]
    builtin, ours = runs["builtin"], runs["ours"]
    limits = t["limits"] if s["limits"] else ""
    panels = [
        (
            t["wall"],
            [
                (t["builtin"], builtin["wall_s"], f"{builtin['wall_s']:.1f} s", "builtin"),
                (t["ours"], ours["wall_s"], f"{ours['wall_s']:.1f} s", "ours"),
                (
                    t["bound"].format(limits=limits),
                    bound["bound_s"],
                    f"{bound['bound_s']:.1f} s",
                    "bound",
                ),
            ],
        ),
        (
            t["cpu"],
            [
                (t["builtin"], builtin["cpu_s"], f"{builtin['cpu_s']:.1f} s", "builtin"),
                (t["ours"], ours["cpu_s"], f"{ours['cpu_s']:.1f} s", "ours"),
            ],
        ),
        (
            t["wire"],
            [
                (
                    t["builtin"],
                    builtin["wire_bytes"] / 1e6,
                    f"{builtin['wire_bytes'] / 1e6:,.0f} MB",
                    "builtin",
                ),
                (
                    t["ours"],
                    ours["wire_bytes"] / 1e6,
                    f"{ours['wire_bytes'] / 1e6:,.0f} MB",
                    "ours",
                ),
            ],
        ),
        (
            t["decode"],
            [
                (
                    row["name"],
                    row["vectors_per_s"] / 1e3,
                    f"{row['vectors_per_s'] / 1e3:,.0f}k",
                    "ours" if row["ours"] else "builtin",
                )
                for row in results["decode"]
            ],
        ),
    ]
    body: list[str] = [
        f'<text x="10" y="22" font-size="15" font-weight="700">{escape(t["title"].format(n=s["n"]))}</text>'
    ]
    y = 40.0
    for title, rows in panels:
        parts, height = _bars(title, rows, y)
        body += parts
        y += height + PANEL_GAP
    note = t["note"].format(
        lat=s["latency_ms"],
        tok=s["per_token_us"],
        date=results["date"],
        cpus=results["machine"]["cpus"],
    )
    body.append(f'<text x="10" y="{y:.0f}" font-size="11" fill="#555">{escape(note)}</text>')
    height = y + 14
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height:.0f}" '
        f'viewBox="0 0 {WIDTH} {height:.0f}" font-family="{FONT}" font-size="12.5" role="img">\n'
        f"<title>{escape(t['title'].format(n=s['n']))}</title>\n"
        f'<rect width="100%" height="100%" fill="#ffffff"/>\n' + "\n".join(body) + "\n</svg>\n"
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
