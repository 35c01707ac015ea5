"""mkdocs hook: on Chinese pages, drop the source line breaks that fall between Chinese characters.

The zh pages are hard-wrapped in Markdown, and the HTML keeps each break as a newline. Chromium and
WebKit render a newline between two Chinese characters as a space ("改好的版本， 并补上了"); only
Firefox drops it. So, in the rendered HTML of a zh page, a newline (and the indentation after it)
is removed when:

- the characters on both sides are Chinese characters or full-width punctuation, inline tags such as
  `</a>` or `<strong>` allowed in between; or
- the character before it is full-width punctuation (no space belongs after "，" whatever follows).

Text inside `<pre>`, `<code>`, `<script>`, `<style>`, `<textarea>` and HTML comments is left as it is,
so code blocks with Chinese comments keep their lines.
"""

from __future__ import annotations

import re
from typing import Any

PUNCTUATION = (
    "\u3001-\u303f"  # 、。〈〉《》「」『』【】 …
    "\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65"  # ！（），：；？ …
    "\u2018\u2019\u201c\u201d\u2026\u2014"  # curly quotes, ellipsis, em dash
)
CJK = (
    "\u2e80-\u2fdf"  # radicals
    "\u3040-\u30ff"  # kana
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff" + PUNCTUATION  # Han
)
INLINE = r"(?:a|abbr|b|em|i|kbd|mark|q|small|span|strong|sub|sup)"
CLOSING = rf"(?:</{INLINE}>)*"
OPENING = rf"(?:<{INLINE}\b[^>]*>)*"

PROTECTED = re.compile(
    r"(<(pre|code|script|style|textarea)\b.*?</\2\s*>|<!--.*?-->)",
    re.DOTALL | re.IGNORECASE,
)
BETWEEN = re.compile(rf"([{CJK}]{CLOSING})\n[ \t]*(?={OPENING}[{CJK}])")
AFTER_PUNCTUATION = re.compile(rf"([{PUNCTUATION}]{CLOSING})\n[ \t]*")


def join_lines(html_text: str) -> str:
    """`html_text` with the line breaks between Chinese characters removed, outside code."""
    parts = PROTECTED.split(html_text)
    # split() with two groups yields: text, protected block, tag name, text, ...
    out: list[str] = []
    for index, part in enumerate(parts):
        kind = index % 3
        if kind == 0:
            out.append(AFTER_PUNCTUATION.sub(r"\1", BETWEEN.sub(r"\1", part)))
        elif kind == 1:
            out.append(part)
    return "".join(out)


def on_page_content(html_text: str, page: Any, config: Any, files: Any) -> str:
    if getattr(page.file, "locale", None) != "zh":
        return html_text
    return join_lines(html_text)
