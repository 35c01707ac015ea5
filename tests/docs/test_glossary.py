"""The Chinese pages and examples use the glossary's terms and its conventions for numbers and
units (docs/glossary.yml), and the glossary page shows both.

Pages: prose only; code blocks, inline code, link targets, URLs and HTML comments are not checked,
nor an English gloss in full-width parentheses such as `录制文件（cassette）`. Examples (snippets/zh,
Python and TypeScript): their comments and strings, not the code nor the output written under a
print (`#>` and `//>` lines, pytest-examples' output blocks).
"""

from __future__ import annotations

import importlib.util
import io
import re
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ZH = ROOT / "docs" / "zh"
ZH_SNIPPETS = ROOT / "snippets" / "zh"
FENCE = re.compile(r"^([ \t]*)(`{3,}|~{3,}).*?^\1\2[ \t]*$", re.MULTILINE | re.DOTALL)
FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.DOTALL)
COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
INLINE_CODE = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)")
LINK_TARGET = re.compile(r"\]\([^)\n]*\)")
URL = re.compile(r"https?://\S+")
ATTRIBUTES = re.compile(r"\{[:#.][^}\n]*\}")
GENERATED = re.compile(r"^<!-- (bench:[\w-]+) -->\n.*?^<!-- /\1 -->$", re.MULTILINE | re.DOTALL)
"""A block benchmarks/report.py writes (figures in its own table format), not hand-written prose."""
OUTPUT_BLOCK = re.compile(r"\A[rRbBuU]?(\"\"\"|''')\n")
"""pytest-examples' output of a long print: a string statement that opens with a line break."""
QUOTED = re.compile(r"\A[rRbBuUfF]*(\"\"\"|'''|\"|')(.*)\1\Z", re.DOTALL)
"""A Python string literal: group 2 is what stands between its quotes."""
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
CONVENTIONS = HOOK.load_conventions()


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


def zh_snippets() -> list[Path]:
    return sorted(p for p in ZH_SNIPPETS.rglob("*") if p.suffix in {".py", ".ts"})


def _place(lines: list[str], row: int, text: str) -> None:
    """Put `text`, which starts on line `row` (1-based), into `lines`, keeping its line breaks."""
    for k, part in enumerate(text.split("\n")):
        lines[row - 1 + k] += " " + part


def python_words(source: str) -> str:
    """The comments and strings of a Python program, line for line, the rest blank."""
    lines = [""] * (source.count("\n") + 1)
    fstring_middle = getattr(tokenize, "FSTRING_MIDDLE", None)  # Python 3.12+
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        text = tok.string
        if tok.type == tokenize.COMMENT and not text.startswith("#>"):
            _place(lines, tok.start[0], text[1:])
        elif tok.type in (tokenize.STRING, fstring_middle) and not OUTPUT_BLOCK.match(text):
            _place(lines, tok.start[0], QUOTED.sub(r"\2", text))
    return "\n".join(lines)


TS_TOKEN = re.compile(
    r"""//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'|`(?:\\.|[^`\\])*`""",
    re.DOTALL,
)
"""A TypeScript comment or string literal (regular expressions and nested templates aside)."""


def typescript_words(source: str) -> str:
    """The comments and strings of a TypeScript program, line for line, the rest blank."""
    lines = [""] * (source.count("\n") + 1)
    for match in TS_TOKEN.finditer(source):
        text = match.group(0)
        if not text.startswith("//>"):
            inside = (
                text[2:] if text.startswith("//") else text[2:-2] if text[0] == "/" else text[1:-1]
            )
            _place(lines, source.count("\n", 0, match.start()) + 1, inside)
    return "\n".join(lines)


def snippet_words(path: Path) -> str:
    source = path.read_text(encoding="utf-8")
    return python_words(source) if path.suffix == ".py" else typescript_words(source)


def convention_violations(text: str, shown: str) -> list[str]:
    """`file:line: 'match' breaks 'rule' (how)` for each number or unit not written as agreed."""
    found = []
    checks = [(re.compile(c["pattern"]), c) for c in CONVENTIONS]
    for number, line in enumerate(text.splitlines(), start=1):
        for pattern, rule in checks:
            found += [
                f"{shown}:{number}: {m.group(0)!r} breaks {rule['zh']!r} ({rule['rule_en']})"
                for m in pattern.finditer(line)
            ]
    return found


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


@pytest.mark.parametrize(
    "snippet", zh_snippets(), ids=lambda p: p.relative_to(ZH_SNIPPETS).as_posix()
)
def test_chinese_examples_use_the_glossary_terms(snippet: Path) -> None:
    shown = snippet.relative_to(ROOT).as_posix()
    found = violations(snippet_words(snippet), shown)
    assert not found, "terms the glossary (docs/glossary.yml) says not to use:\n" + "\n".join(found)


@pytest.mark.parametrize(
    "path", zh_pages() + zh_snippets(), ids=lambda p: p.relative_to(ROOT).as_posix()
)
def test_chinese_numbers_and_units_follow_the_conventions(path: Path) -> None:
    shown = path.relative_to(ROOT).as_posix()
    if path.suffix == ".md":
        text = prose(GENERATED.sub(blank, path.read_text(encoding="utf-8")))
    else:
        text = snippet_words(path)
    found = convention_violations(text, shown)
    assert not found, "write numbers and units as docs/glossary.yml says:\n" + "\n".join(found)


def test_every_convention_catches_its_bad_examples_and_passes_its_good_ones() -> None:
    assert CONVENTIONS, "docs/glossary.yml has no conventions"
    for rule in CONVENTIONS:
        pattern = re.compile(rule["pattern"])
        assert rule["bad"] and rule["good"], f"{rule['en']}: give bad and good examples"
        assert [b for b in rule["bad"] if not pattern.search(b)] == [], rule["en"]
        assert [g for g in rule["good"] if pattern.search(g)] == [], rule["en"]


PYTHON_SAMPLE = '''x = 1  # 用向量函数
print("query 任务", f"{x} 毫秒")
#> 1,000,000
print(y)
"""
4.4 s
"""
'''
TYPESCRIPT_SAMPLE = """const url = "http://x"; // 用 query 任务
/* 1,024 维
 */ f(`4.4 s`);
//> 1,000
"""


def test_examples_are_read_for_comments_and_strings_only() -> None:
    words = python_words(PYTHON_SAMPLE).splitlines()
    assert "向量函数" in words[0] and "x = 1" not in words[0]
    assert "query 任务" in words[1] and "print" not in words[1]
    assert "".join(words[2:]) == "", "output lines and code are not read"
    words = typescript_words(TYPESCRIPT_SAMPLE).splitlines()
    assert "query 任务" in words[0] and "http://x" in words[0] and "const" not in words[0]
    assert "1,024 维" in words[1] and "4.4 s" in words[2] and words[3] == ""
    assert len(violations(typescript_words(TYPESCRIPT_SAMPLE), "t.ts")) == 1
    assert len(convention_violations(typescript_words(TYPESCRIPT_SAMPLE), "t.ts")) == 2


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
    missing = [c["en"] for c in CONVENTIONS if f"<td>{c['zh']}</td>" not in article]
    assert not missing, f"{lang}/glossary lacks the conventions {missing}"


def test_chinese_notes_are_joined_without_a_half_width_space() -> None:
    """A Chinese note ends with 。; the other names follow it directly, as Chinese text runs."""
    row = HOOK.table(
        "zh",
        [
            {
                "en": "x",
                "zh": "甲",
                "source_zh": "本指南",
                "note_zh": "一句话。",
                "also": ["乙（某处）"],
            }
        ],
    ).splitlines()[-1]
    assert "一句话。别处也写作：乙（某处）" in row
    assert not re.search(r"。 [^|]", HOOK.table("zh"))
    en = HOOK.table(
        "en", [{"en": "x", "zh": "甲", "source": "s", "note_en": "One.", "also": ["b"]}]
    )
    assert "One. Also met elsewhere: b" in en
