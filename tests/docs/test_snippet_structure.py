"""What the reader sees is what the tests ran: includes resolve, every snippet is on both sites,
and every Python or TypeScript block in the built HTML is a snippet (or a section of one) or a
page block that test_examples.py runs."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest
from pymdownx.snippets import SnippetMissingError

from tests.docs.docs_examples import (
    LANGUAGES,
    ROOT,
    expand,
    inline_blocks,
    original_of,
    page_includes,
    pages,
    sections,
    snippet_files,
)

SITE_LANGUAGES = {
    "python": "python",
    "py": "python",
    "python3": "python",
    "pycon": "python",  # a console session is Python a reader sees, and no test runs it
    "typescript": "typescript",
    "ts": "typescript",
}
SNIPPET_SUFFIXES = (".py", ".ts")


class CodeBlocks(HTMLParser):
    """Collect the text of highlighted code blocks (`div.language-X.highlight`), no line numbers."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[str, str]] = []
        self._stack: list[str] = []
        self._block: tuple[int, str, list[str]] | None = None
        self._skip_depth: int | None = None
        self._in_code = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "img", "input", "meta", "link", "hr", "wbr"):
            return
        self._stack.append(tag)
        classes = (dict(attrs).get("class") or "").split()
        if self._block is None and tag == "div" and "highlight" in classes:
            langs = [c.removeprefix("language-") for c in classes if c.startswith("language-")]
            self._block = (len(self._stack), langs[0] if langs else "", [])
        elif self._block is not None:
            if self._skip_depth is None and ({"linenos", "linenodiv"} & set(classes)):
                self._skip_depth = len(self._stack)
            if tag == "code":
                self._in_code += 1

    def handle_endtag(self, tag: str) -> None:
        if tag not in self._stack:
            return
        while self._stack:
            depth = len(self._stack)
            closed = self._stack.pop()
            if self._skip_depth == depth:
                self._skip_depth = None
            if self._block is not None and closed == "code":
                self._in_code -= 1
            if self._block is not None and depth == self._block[0]:
                self.blocks.append((self._block[1], "".join(self._block[2])))
                self._block = None
            if closed == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._block is not None and self._in_code and self._skip_depth is None:
            self._block[2].append(data)


def normalize(code: str) -> str:
    """Compare code as text: trailing spaces and surrounding blank lines do not count."""
    return "\n".join(line.rstrip() for line in code.strip("\n").splitlines()).strip("\n")


def site_pages(site: Path, lang: str) -> list[Path]:
    """The HTML pages of one language in the built site (English at /, Chinese under /zh/)."""
    every = sorted(site.rglob("*.html"))
    zh = site / "zh"
    if lang == "zh":
        return [p for p in every if zh in p.parents]
    return [p for p in every if zh not in p.parents]


def site_blocks(site: Path, lang: str) -> list[tuple[Path, str, str]]:
    """(page, language, code) for every Python and TypeScript block of one language's site."""
    found = []
    for page in site_pages(site, lang):
        parser = CodeBlocks()
        parser.feed(page.read_text(encoding="utf-8"))
        found += [
            (page, SITE_LANGUAGES[name], code)
            for name, code in parser.blocks
            if name in SITE_LANGUAGES
        ]
    return found


def code_under_test() -> dict[str, str]:
    """Normalized code the tests run -> where it comes from (snippets, sections, page blocks)."""
    known: dict[str, str] = {}
    for suffix in SNIPPET_SUFFIXES:
        for snippet in snippet_files(suffix):
            target = snippet.relative_to(ROOT).as_posix()
            known[normalize(expand(target))] = target
            for name in sections(snippet):
                known[normalize(expand(f"{target}:{name}"))] = f"{target}:{name}"
    for lang in LANGUAGES:  # line ranges (`file.py:3:9`) too: what the pages really include
        for page in pages(lang):
            for include in page_includes(page):
                if include.path.endswith(SNIPPET_SUFFIXES):
                    known.setdefault(normalize(expand(include.target)), include.target)
    for block in inline_blocks():
        known[normalize(block.source)] = (
            f"{block.path.relative_to(ROOT).as_posix()}:{block.start_line}"
        )
    return known


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_include_resolves(lang: str) -> None:
    broken = []
    for page in pages(lang):
        for include in page_includes(page):
            try:
                expand(include.target)
            except SnippetMissingError as exc:
                broken.append(f"{page.relative_to(ROOT)}:{include.line}: {include.target!r}: {exc}")
    assert not broken, "includes that do not resolve (fix the path or section name):\n" + "\n".join(
        broken
    )


def shown_in(lang: str, snippet: Path, included: set[str]) -> bool:
    """Whether docs/<lang> shows a snippet. A Chinese variant (snippets/zh/x.py) belongs to the
    Chinese site only, where it stands in for snippets/x.py."""
    name = snippet.relative_to(ROOT).as_posix()
    original = original_of(snippet)
    if original is not None:
        return lang == "en" or name in included
    variant = (ROOT / "snippets" / "zh" / snippet.relative_to(ROOT / "snippets")).relative_to(ROOT)
    return name in included or (lang == "zh" and variant.as_posix() in included)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_snippet_is_included(lang: str) -> None:
    included = {Path(inc.path).as_posix() for page in pages(lang) for inc in page_includes(page)}
    missing = [
        snippet.relative_to(ROOT).as_posix()
        for suffix in SNIPPET_SUFFIXES
        for snippet in snippet_files(suffix)
        if not shown_in(lang, snippet, included)
    ]
    assert not missing, (
        f'snippets no docs/{lang} page includes (include them with --8<-- "snippets/...", '
        f"or delete them): {missing}"
    )


def test_every_chinese_variant_has_an_original() -> None:
    orphans = [
        snippet.relative_to(ROOT).as_posix()
        for snippet in snippet_files(".py")
        if (original := original_of(snippet)) is not None and not original.is_file()
    ]
    assert not orphans, f"Chinese variants of snippets that do not exist: {orphans}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_built_code_blocks_are_tested(built_site: Path, lang: str) -> None:
    known = code_under_test()
    blocks = site_blocks(built_site, lang)
    includes = [
        inc
        for page in pages(lang)
        for inc in page_includes(page)
        if inc.path.endswith(SNIPPET_SUFFIXES)
    ]
    assert len(blocks) >= len(includes) > 0, (
        f"found {len(blocks)} Python/TypeScript blocks in the built {lang} site for "
        f"{len(includes)} snippet includes: the HTML parser no longer sees the code blocks"
    )
    untested = [
        f"{page.relative_to(built_site)} ({language}): {code.strip().splitlines()[0][:80]!r}..."
        for page, language, code in blocks
        if normalize(code) not in known
    ]
    assert not untested, (
        f"code blocks on the {lang} site that no test runs; put the code in snippets/ and include "
        'it with --8<--, or mark a page block ```python {test="skip" reason="..."}:\n'
        + "\n".join(untested)
    )


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_included_snippet_appears_on_the_site(built_site: Path, lang: str) -> None:
    shown = {normalize(code) for _, _, code in site_blocks(built_site, lang)}
    missing = sorted(
        {
            inc.target
            for page in pages(lang)
            for inc in page_includes(page)
            if inc.path.endswith(SNIPPET_SUFFIXES) and normalize(expand(inc.target)) not in shown
        }
    )
    assert not missing, f"included in docs/{lang} but not shown as a code block: {missing}"
