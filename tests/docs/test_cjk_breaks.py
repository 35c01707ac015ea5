"""zh pages: no source line break is left between Chinese characters (hooks/cjk_breaks.py).

Chromium and WebKit render such a newline as a space between two Chinese characters. Checked on
the real strict build of the site (the session's `built_site`), and code blocks must keep theirs.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from cjk_breaks import CJK, INLINE, join_lines  # hooks/ is on pytest's pythonpath

from tests.support.paths import ROOT

CODE = re.compile(r"<(pre|code|script|style)\b.*?</\1>", re.DOTALL)
PRE = re.compile(r"<pre\b[^>]*>(.*?)</pre>", re.DOTALL)
INLINE_TAG = re.compile(rf"</?{INLINE}\b[^>]*>")
BROKEN = re.compile(rf"[{CJK}]\n\s*[{CJK}]")


def article(page: Path) -> str:
    match = re.search(r"<article\b.*?</article>", page.read_text(encoding="utf-8"), re.DOTALL)
    assert match, f"{page}: no <article>"
    return match[0]


def pre_lines(page_html: str) -> list[str]:
    lines: list[str] = []
    for block in PRE.findall(page_html):
        text = html.unescape(re.sub(r"<[^>]+>", "", block))
        lines += [line.rstrip() for line in text.splitlines()]
    return lines


def test_no_line_break_between_chinese_characters_outside_code(built_site: Path) -> None:
    pages = sorted((built_site / "zh").rglob("*.html"))
    assert len(pages) > 20
    broken: list[str] = []
    for page in pages:
        if page.name == "404.html":
            continue
        # Code becomes a Latin placeholder (a space beside code is wanted); inline tags go, so a
        # break hidden behind </a> or <strong> still counts; block tags stay.
        prose = INLINE_TAG.sub("", CODE.sub("x", article(page)))
        broken += [
            f"{page.relative_to(built_site)}: {prose[m.start() - 15 : m.end() + 15]!r}"
            for m in BROKEN.finditer(prose)
        ]
    assert not broken, "\n".join(broken[:20])


def test_code_blocks_with_chinese_keep_their_line_breaks(built_site: Path) -> None:
    shown = pre_lines(article(built_site / "zh" / "testing" / "index.html"))
    snippet = (ROOT / "snippets" / "zh" / "testing_emulator.py").read_text(encoding="utf-8")
    chinese = [
        line.rstrip() for line in snippet.splitlines() if re.search(r"[\u4e00-\u9fff]", line)
    ]
    # Among them "#> 它建成于 1420 年。", a line ending in full-width punctuation.
    assert any(line.endswith("。") for line in chinese)
    missing = [line for line in chinese if line not in shown]
    assert not missing, f"lines of the snippet not shown as lines: {missing}"


def test_english_pages_are_left_alone(built_site: Path) -> None:
    page = article(built_site / "testing" / "index.html")
    assert page.count("\n") > 100


def test_join_lines() -> None:
    source = (
        "<p>下面是改好的版本，\n并补上了<a href='x'>链接</a>\n  和说明；\n<code>api_key</code>\n"
        "可以传入。</p>\n<p>英文 text\nstays。</p>\n"
        "<pre><code># 注释。\n中文\n</code></pre><!-- 保留，\n注释 -->"
    )
    assert join_lines(source) == (
        "<p>下面是改好的版本，并补上了<a href='x'>链接</a>和说明；<code>api_key</code>\n"
        "可以传入。</p>\n<p>英文 text\nstays。</p>\n"
        "<pre><code># 注释。\n中文\n</code></pre><!-- 保留，\n注释 -->"
    )
