"""Material's search in a real browser: English and Chinese (jieba-segmented) queries find the guide."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError


def search(page: Page, query: str, expected: str) -> list[tuple[str, str]]:
    """Type `query` into the header's search box and wait for a result linking to `expected`.

    Returns (link without query or fragment, title) for every result shown.
    """
    box = page.locator(".md-search__input")
    assert box.count() == 1, "no search box in the header: is the search plugin enabled?"
    box.fill(query)
    results = page.locator(".md-search-result__item a.md-search-result__link")
    # on a time-out the caller's assertion lists what was found instead
    with contextlib.suppress(PlaywrightTimeoutError):
        results.and_(page.locator(f'[href^="{expected}"]')).first.wait_for()
    found = results.evaluate_all(
        "links => links.map(link => [link.href, link.querySelector('h1, h2').textContent.trim()])"
    )
    return [
        (urlsplit(href)._replace(query="", fragment="").geturl(), title) for href, title in found
    ]


@pytest.mark.parametrize(
    ("start", "query", "expected"),
    [
        ("", "late chunking", "late-chunking/"),
        ("zh/", "延迟分块", "zh/late-chunking/"),
    ],
)
def test_search_finds_the_late_chunking_page(
    visit, site_url: str, start: str, query: str, expected: str
) -> None:
    page = visit(start)
    results = search(page, query, site_url + expected)
    assert site_url + expected in {link for link, _ in results}, (
        f"searching {query!r} found {results}"
    )
    broken = [(link, title) for link, title in results if not title or link.endswith("/undefined")]
    assert not broken, f"results without a page (empty title, link to 'undefined'): {broken}"


def test_every_search_section_has_its_page(built_site: Path) -> None:
    """Material shows a section hit under its page's entry; without one the result links to 'undefined'.

    mkdocs-static-i18n drops a zh page entry whose title and text equal the English one (a page with
    an untranslatable title such as `dimensions` and no text before its first heading).
    """
    index = json.loads((built_site / "search" / "search_index.json").read_text(encoding="utf-8"))
    locations = {doc["location"] for doc in index["docs"]}
    orphans = sorted(
        {loc for loc in locations if "#" in loc and loc.split("#")[0] not in locations}
    )
    assert not orphans, (
        f"search sections whose page has no entry (give the page an intro paragraph): {orphans}"
    )
