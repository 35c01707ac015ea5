"""Home pages, the language switcher and screenshots, in a real browser."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

GUIDE = "late-chunking/"
CJK = re.compile(r"[\u4e00-\u9fff]")


def switch_language(page: Page, hreflang: str) -> None:
    """Open the header's language menu and click the entry for `hreflang`, as a reader does."""
    switcher = page.locator(".md-header__option .md-select")
    assert switcher.count() == 1, "no language switcher in the header"
    switcher.hover()
    with page.expect_navigation():
        page.locator(f".md-header__option a.md-select__link[hreflang='{hreflang}']").click()


def test_english_home_loads(visit) -> None:
    page = visit("")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator(".md-content h1")).to_have_count(1)
    expect(page.locator(".md-search__input")).to_have_attribute("placeholder", "Search")
    assert page.locator(".md-content").inner_text().strip(), "home page has no content"


def test_language_switcher_keeps_the_page(visit, site_url: str) -> None:
    page = visit(GUIDE)
    english_title = page.locator(".md-content h1").inner_text()

    switch_language(page, "zh")
    assert page.url == site_url + "zh/" + GUIDE, f"中文 on {GUIDE} led to {page.url}"
    expect(page.locator("html")).to_have_attribute("lang", "zh")
    expect(page.locator(".md-search__input")).to_have_attribute("placeholder", "搜索")
    chinese_title = page.locator(".md-content h1").inner_text()
    assert CJK.search(chinese_title) and chinese_title != english_title, (
        f"zh page title {chinese_title!r} is not Chinese (fallback to English?)"
    )

    switch_language(page, "en")
    assert page.url == site_url + GUIDE, f"English on zh/{GUIDE} led to {page.url}"
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator(".md-search__input")).to_have_attribute("placeholder", "Search")
    expect(page.locator(".md-content h1")).to_have_text(english_title)


GLYPHS_DIFFER = """() => {
    const font = getComputedStyle(document.querySelector('.md-content h1')).font;
    const draw = text => {
        const canvas = document.createElement('canvas');
        canvas.width = canvas.height = 64;
        const context = canvas.getContext('2d');
        context.font = font;
        context.fillText(text, 4, 48);
        return Array.from(context.getImageData(0, 0, 64, 64).data).join();
    };
    return draw('中') !== draw('文');
}"""


def test_chinese_glyphs_render(visit) -> None:
    """Without a CJK font every Chinese character is the same empty box (fonts-noto-cjk fixes it)."""
    page = visit("zh/")
    assert page.evaluate(GLYPHS_DIFFER), "Chinese characters render as identical boxes: no CJK font"


@pytest.mark.parametrize(
    ("name", "path"),
    [("home-en", ""), ("home-zh", "zh/"), ("guide-en", GUIDE), ("guide-zh", "zh/" + GUIDE)],
)
def test_screenshot(visit, screenshots: Path, name: str, path: str) -> None:
    """Save a full-page screenshot under build/screenshots/ (also what `make screenshots` runs)."""
    page = visit(path)
    page.evaluate("document.fonts.ready")
    target = screenshots / f"{name}.png"
    png = page.screenshot(path=target, full_page=True)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_screenshot_of_code_and_prose(visit, screenshots: Path, lang: str) -> None:
    """Save an annotated code block and a paragraph with a link, as a reader sees them (contrast,
    underlines), to build/screenshots/code-LANG.png and prose-LANG.png."""
    page = visit(("zh/" if lang == "zh" else "") + GUIDE)
    page.evaluate("document.fonts.ready")
    elements = {
        "code": page.locator(".md-content .highlight:has(.md-annotation)").first,
        "prose": page.locator(".md-content p:has(> a:not(:has(code)))").first,
    }
    for name, element in elements.items():
        png = element.screenshot(path=screenshots / f"{name}-{lang}.png", animations="disabled")
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 2_000, f"{name}-{lang}.png"
