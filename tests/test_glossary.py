"""The Chinese pages use the glossary's terms (docs/glossary.yml), and the glossary page shows them.

Prose only: code blocks, inline code, link targets, URLs and HTML comments are not checked, nor an
English gloss in full-width parentheses such as `录制文件（cassette）`.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ZH = ROOT / "docs" / "zh"
FENCE = re.compile(r"^([ \t]*)(`{3,}|~{3,}).*?^\1\2[ \t]*$", re.MULTILINE | re.DOTALL)
FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.DOTALL)
COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
INLINE_CODE = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)")
LINK_TARGET = re.compile(r"\]\([^)\n]*\)")
URL = re.compile(r"https?://\S+")
ATTRIBUTES = re.compile(r"\{[:#.][^}\n]*\}")
GLOSS = re.compile(r"（[^（）\u4e00-\u9fff]*）")
HAN = re.compile(r"[\u4e00-\u9fff]")
LATE_CHUNKING = "延迟分块"
LATE_CHUNKING_GLOSS = re.compile(rf"{LATE_CHUNKING}[\]*_]*（late chunking）")


def _load_hook():
    spec = importlib.util.spec_from_file_location("glossary_hook", ROOT / "hooks" / "glossary.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


HOOK = _load_hook()
TERMS = HOOK.load_terms()


def blank(match: re.Match[str]) -> str:
    """The matched text with everything but its line breaks removed (line numbers stay true)."""
    return "\n" * match.group(0).count("\n")


def prose(markdown: str) -> str:
    """A page's running text, line for line: code, link targets, URLs and comments blanked."""
    text = FRONT_MATTER.sub(blank, markdown)
    text = FENCE.sub(blank, text)
    text = COMMENT.sub(blank, text)
    text = INLINE_CODE.sub("", text)
    text = LINK_TARGET.sub("]", text)
    text = URL.sub("", text)
    return ATTRIBUTES.sub("", text)


def zh_pages() -> list[Path]:
    return sorted(ZH.rglob("*.md"))


def forbidden(term: str) -> re.Pattern[str]:
    """A variant as a pattern: Latin words match whole words only, case-insensitively."""
    if HAN.search(term):
        return re.compile(re.escape(term))
    return re.compile(rf"(?<![A-Za-z_]){re.escape(term)}(?![A-Za-z_])", re.IGNORECASE)


def violations(markdown: str, shown: str) -> list[str]:
    """`file:line: found 'variant', write 'term' (English)` for every avoided variant."""
    found = []
    checks = [(forbidden(v), v, t) for t in TERMS for v in t.get("avoid") or []]
    for number, line in enumerate(prose(markdown).splitlines(), start=1):
        line = GLOSS.sub("", line)
        for pattern, variant, term in checks:
            if pattern.search(line):
                found.append(
                    f"{shown}:{number}: found {variant!r}, write {term['zh']!r} ({term['en']})"
                )
    return found


@pytest.mark.parametrize("page", zh_pages(), ids=lambda p: p.relative_to(ZH).as_posix())
def test_chinese_pages_use_the_glossary_terms(page: Path) -> None:
    found = violations(page.read_text(encoding="utf-8"), page.relative_to(ROOT).as_posix())
    assert not found, "terms the glossary (docs/glossary.yml) says not to use:\n" + "\n".join(found)


def first_use_of_late_chunking(markdown: str) -> tuple[int, str] | None:
    """(line number, line) of the first 延迟分块 in running text (headings excluded), or None."""
    for number, line in enumerate(prose(markdown).splitlines(), start=1):
        if LATE_CHUNKING in line and not line.lstrip().startswith("#"):
            return number, line
    return None


@pytest.mark.parametrize("page", zh_pages(), ids=lambda p: p.relative_to(ZH).as_posix())
def test_late_chunking_is_glossed_at_its_first_use(page: Path) -> None:
    first = first_use_of_late_chunking(page.read_text(encoding="utf-8"))
    if first is None:
        return
    number, line = first
    at = line.index(LATE_CHUNKING)
    assert LATE_CHUNKING_GLOSS.match(line, at), (
        f"{page.relative_to(ROOT).as_posix()}:{number}: the first 延迟分块 in the text must be "
        f"followed by its English name: 延迟分块（late chunking）\n  {line.strip()}"
    )


def test_the_checks_catch_what_they_must() -> None:
    page = """# 标题
用向量函数把文本向量化。
代码里的 `向量函数` 和 [链接](https://x/向量函数) 不算。
```python
向量函数 = 1
```
录制文件（cassette）没问题，单独写 cassette 不行。
"""
    assert violations(page, "p.md") == [
        "p.md:2: found '向量函数', write '嵌入函数' (embedding function)",
        "p.md:7: found 'cassette', write '录制文件' (cassette)",
    ]
    assert first_use_of_late_chunking(
        "# 延迟分块\n\n先讲[延迟分块](x.md)（late chunking）。\n"
    ) == (
        3,
        "先讲[延迟分块]（late chunking）。",
    )


def test_every_term_is_complete_and_unique() -> None:
    keys = {"en", "zh", "source", "source_zh", "avoid"}
    incomplete = [t.get("en") for t in TERMS if not keys <= set(t)]
    assert not incomplete, f"docs/glossary.yml entries missing one of {sorted(keys)}: {incomplete}"
    names = [t["en"] for t in TERMS]
    assert len(names) == len(set(names)), "docs/glossary.yml lists a term twice"
    clashes = [(t["en"], v) for t in TERMS for v in t["avoid"] for u in TERMS if v in u["zh"]]
    assert not clashes, f"a variant to avoid would match inside a term's rendering: {clashes}"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_glossary_page_shows_every_term(built_site: Path, lang: str) -> None:
    html = (built_site / ("zh/" if lang == "zh" else "") / "glossary" / "index.html").read_text(
        encoding="utf-8"
    )
    article = html[html.index("<article") : html.index("</article>")]
    assert "<table>" in article, f"{lang}/glossary: no table was generated"
    missing = [t["en"] for t in TERMS if f"<td>{t['zh']}</td>" not in article]
    assert not missing, f"{lang}/glossary lacks rows for {missing}"
