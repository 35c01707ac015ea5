"""Code blocks in a real browser: the copy button copies runnable snippet code; language tabs are linked.

What the copy button copies (the project's decision): the snippet file's text exactly, including the
`#>` output lines. They are ordinary Python comments, so the pasted program runs unchanged and still
shows what it prints. Only Material's code annotation markers (`# (1)!`), which the page shows as
a (+) bubble, are absent from the copy (the spaces before a marker stay, as trailing whitespace).
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

ROOT = Path(__file__).resolve().parents[2]
SNIPPETS = ROOT / "snippets"
MARKER = re.compile(r"^\s*# --8<-- \[(?:start|end):[a-z][-_0-9a-z]*\]\s*$")
SECTION = re.compile(r"# --8<-- \[start:([a-z][-_0-9a-z]*)\]")
ANNOTATION = re.compile(r"# \(\d+\)!$")  # Material drops the marker, not the spaces before it


def _as_copied(lines: list[str]) -> str:
    """What a reader should get from copying an included snippet: no markers, no annotation markers."""
    kept = [ANNOTATION.sub("", line) for line in lines if not MARKER.match(line)]
    return "\n".join(kept).rstrip()


def snippet_texts() -> dict[str, str]:
    """Every whole Python snippet file and every named section of one, as the page should copy it."""
    texts: dict[str, str] = {}
    for path in sorted(SNIPPETS.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        name = str(path.relative_to(ROOT))
        texts[_as_copied(lines)] = name
        stripped = [line.strip() for line in lines]
        for section in SECTION.findall(source):
            begin = stripped.index(f"# --8<-- [start:{section}]")
            end = stripped.index(f"# --8<-- [end:{section}]")
            body = textwrap.dedent("\n".join(lines[begin + 1 : end])).splitlines()
            texts[_as_copied(body)] = f"{name}:{section}"
    return texts


def copy_block(page: Page, block: Locator) -> str:
    """Click a code block's copy button and return what landed on the clipboard."""
    page.evaluate("navigator.clipboard.writeText('\\u2063')")  # an invisible sentinel
    block.hover()
    block.locator("button[data-clipboard-target]").click()
    page.wait_for_function("async () => (await navigator.clipboard.readText()) !== '\\u2063'")
    return page.evaluate("navigator.clipboard.readText()")


@pytest.mark.parametrize("path", ["quickstart/", "zh/late-chunking/"])
def test_copy_button_copies_the_snippet_exactly(visit, path: str) -> None:
    page = visit(path)
    blocks = page.locator(".md-content .language-python.highlight:visible")
    count = blocks.count()
    assert count > 0, f"no visible Python code block on {path}"
    expected = snippet_texts()
    copied_outputs = 0
    for index in range(count):
        copied = copy_block(page, blocks.nth(index))
        assert copied in expected, (
            f"block {index} on {path}: the copy is not the text of any snippet file or section:\n{copied}"
        )
        compile(copied, expected[copied], "exec")  # pasted code must at least be valid Python
        copied_outputs += copied.count("\n#>") + copied.count("    #>")
    assert copied_outputs > 0, f"no copied block on {path} kept its `#>` output lines"


def tab_sets(page: Page) -> Locator:
    """The tab sets on the page that have both a "Python" and a "TypeScript" tab."""
    sets = page.locator(".tabbed-set")
    for label in ("Python", "TypeScript"):
        sets = sets.filter(
            has=page.locator(".tabbed-labels > label", has_text=re.compile(f"^{label}$"))
        )
    return sets


def selected_languages(page: Page) -> list[str]:
    """For each Python/TypeScript tab set on the page, the label of its selected tab."""
    return tab_sets(page).evaluate_all(
        """sets => sets.map(set => {
            const checked = set.querySelector(':scope > input:checked');
            return set.querySelector(`label[for="${checked.id}"]`).innerText.trim();
        })"""
    )


def tabbed_pages(site: Path) -> list[str]:
    """Site paths of built pages with Python/TypeScript tabs, the page with the most tab sets first."""
    counts: dict[str, int] = {}
    for html in site.rglob("index.html"):
        text = html.read_text(encoding="utf-8")
        sets = len(re.findall(r'<label for="__tabbed_\d+_\d+">TypeScript</label>', text))
        if sets and 'lang="en"' in text[:200]:
            counts[html.parent.relative_to(site).as_posix() + "/"] = sets
    return sorted(counts, key=lambda path: (-counts[path], path))


def test_language_tabs_switch_together(visit, built_site: Path) -> None:
    """Choosing TypeScript in one tab set selects it in every set on the page and on every other page."""
    pages = tabbed_pages(built_site)
    assert len(pages) >= 2, f"need Python/TypeScript tabs on two pages at least, found {pages}"
    first = pages[0]
    page = visit(first)
    sets = tab_sets(page)
    assert set(selected_languages(page)) == {"Python"}, "Python should be the default tab"

    sets.first.locator(":scope > .tabbed-labels > label", has_text="TypeScript").click()
    expect(sets.last.locator(":scope > .tabbed-content .language-typescript").first).to_be_visible()
    assert set(selected_languages(page)) == {"TypeScript"}, (
        f"tab sets on {first} did not switch together"
    )

    for other in [*pages[1:], "zh/" + first]:
        visit(other)
        assert set(selected_languages(page)) == {"TypeScript"}, (
            f"{other} did not follow the TypeScript choice"
        )

    sets.last.locator(":scope > .tabbed-labels > label", has_text="Python").click()
    expect(sets.first.locator(":scope > .tabbed-content .language-python").first).to_be_visible()
    assert set(selected_languages(page)) == {"Python"}
