"""Accessibility in a real browser: axe-core on every built page of both languages, and keyboard use.

axe-core comes from npm (pinned in package-lock.json) and is injected into each page by Playwright.
A page fails on any serious or critical violation of WCAG 2.0/2.1 A or AA. Requests to other hosts
fail every browser test (the `page` fixture), so the crawl here also proves no page makes one.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urljoin

import pytest
from playwright.sync_api import Locator, Page, expect

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = ("serious", "critical")
# A desktop window, and the same at 400 % zoom (WCAG's reflow width), where wide tables scroll.
WIDTHS = (1280, 320)
HEIGHT = 900
SHOWN_NODES = 5  # elements named per rule and page in a failure; the count says how many more

# Content a reader can reveal is checked too: every tab of a tab set (the TypeScript code is in
# hidden tabs on load) and every collapsed <details>. Two frames later the theme has reacted to the
# new layout (a code block wider than its box becomes focusable, so keys can scroll it).
REVEAL = """() => {
    const style = document.createElement('style');
    style.textContent = '.tabbed-set > .tabbed-content > .tabbed-block { display: block !important }';
    document.head.append(style);
    document.querySelectorAll('details:not([open])').forEach(details => { details.open = true; });
    return new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
}"""

AXE_RUN = """tags => axe.run(document, {
    runOnly: {type: 'tag', values: tags},
    resultTypes: ['violations'],
}).then(results => results.violations.map(violation => ({
    rule: violation.id,
    impact: violation.impact,
    help: violation.help,
    targets: violation.nodes.map(node => node.target.join(' ')),
})))"""


def built_pages(site: Path) -> list[str]:
    """Site paths of every built HTML page, both languages and the 404 page included."""
    paths = []
    for html in sorted(site.rglob("*.html")):
        path = html.relative_to(site).as_posix()
        paths.append(path.removesuffix("index.html"))
    return paths


def axe_violations(page: Page) -> list[str]:
    """Serious and critical WCAG A/AA violations on the open page."""
    page.evaluate(REVEAL)
    found = []
    for violation in page.evaluate(AXE_RUN, WCAG_TAGS):
        if violation["impact"] not in BLOCKING:
            continue
        targets = violation["targets"]
        more = len(targets) - SHOWN_NODES
        found.append(
            f"{violation['rule']} ({violation['impact']}): {violation['help']}\n"
            + "".join(f"        {target}\n" for target in targets[:SHOWN_NODES])
            + (f"        ... and {more} more\n" if more > 0 else "")
        )
    return found


@pytest.fixture
def axe_page(page: Page, node_modules: Path) -> Page:
    """The `page` fixture with axe-core loaded into every document it opens."""
    page.context.add_init_script(path=node_modules / "axe-core" / "axe.min.js")
    return page


@pytest.mark.timeout(
    600
)  # every page at two widths, about a second each: 45-95 s here, more when loaded
def test_every_page_passes_axe(axe_page: Page, built_site: Path, site_url: str) -> None:
    pages = built_pages(built_site)
    assert any(path.startswith("zh/") for path in pages) and len(pages) > 2, pages
    failures = []
    for width in WIDTHS:
        axe_page.set_viewport_size({"width": width, "height": HEIGHT})
        for path in pages:
            response = axe_page.goto(site_url + path)
            assert response is not None, f"{path}: no response"
            assert axe_page.locator("[data-md-component='palette']").count() == 0, (
                "the site offers a colour palette toggle now: audit every palette it offers"
            )
            failures += [
                f"{site_url + path} at {width} px: {violation}"
                for violation in axe_violations(axe_page)
            ]
    assert not failures, f"{len(failures)} axe violations (rule per page):\n" + "".join(failures)


def test_repository_link_without_requests_to_github(page: Page, site_url: str) -> None:
    """The header links to the repository but asks GitHub's API for nothing (stars, forks, release).

    The `page` fixture fails the test on any request to another host; waiting for the network to go
    quiet gives the theme the time it would take to send one.
    """
    page.goto(site_url)
    page.wait_for_load_state("networkidle")
    expect(page.locator(".md-header a.md-source")).to_have_attribute(
        "href", re.compile("^https://")
    )
    expect(page.locator(".md-source__facts")).to_have_count(0)


# --- keyboard -------------------------------------------------------------------------------------

KEYBOARD_PAGE = "options/task/"  # tabs, copy buttons and code annotations on one page
MAX_TABS = 400  # more Tab presses than any page has tab stops
SETTLE_SHOTS, SETTLE_MS = 20, 50  # a look is taken once it holds still for 50 ms (1 s at most)


FOCUS_STOP = """selector => {
    const element = document.activeElement;
    if (!element.matches(selector)) return null;
    element.dataset.testStop = (window.testStops = (window.testStops || 0) + 1);
    return element.dataset.testStop;
}"""


def tab_to(page: Page, selector: str) -> Locator:
    """Press Tab until the focused element matches `selector`; return that element.

    The element gets a `data-test-stop` attribute, so the locator keeps naming it after the focus moves.
    """
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        stop = page.evaluate(FOCUS_STOP, selector)
        if stop:
            return page.locator(f"[data-test-stop='{stop}']")
    raise AssertionError(f"{MAX_TABS} Tab presses on {page.url} never reached {selector}")


def look(page: Page, element: Locator) -> bytes:
    """A screenshot of `element` and a few pixels around it (where an outline would be drawn).

    The theme reacts to focus changes in JavaScript too, a moment later: shots are taken until two
    in a row agree.
    """
    element.scroll_into_view_if_needed()
    box = element.bounding_box()
    assert box is not None, f"{element} has no box on the screen"
    margin = 4
    clip = {
        "x": box["x"] - margin,
        "y": box["y"] - margin,
        "width": box["width"] + 2 * margin,
        "height": box["height"] + 2 * margin,
    }
    shot = page.screenshot(clip=clip, animations="disabled")
    for _ in range(SETTLE_SHOTS):
        page.wait_for_timeout(SETTLE_MS)
        again = page.screenshot(clip=clip, animations="disabled")
        if again == shot:
            return shot
        shot = again
    raise AssertionError(f"{element} on {page.url} kept changing for {SETTLE_SHOTS} screenshots")


def assert_focus_visible(page: Page, shown: Locator, what: str) -> None:
    """The focused element looks different from when the focus is one Tab stop back."""
    focused = look(page, shown)
    page.keyboard.press("Shift+Tab")
    unfocused = look(page, shown)
    page.keyboard.press("Tab")
    assert focused != unfocused, f"{what} on {page.url}: the keyboard focus is not visible"


def test_keyboard_alone(page: Page, site_url: str) -> None:
    """Tabs, copy button, code annotation, language switcher and search, by keyboard only."""
    page.goto(site_url + KEYBOARD_PAGE)

    radio = tab_to(page, ".tabbed-set > input")
    tab_set = page.locator(".tabbed-set", has=page.locator(f"#{radio.get_attribute('id')}"))
    labels = tab_set.locator(":scope > .tabbed-labels")
    assert_focus_visible(page, labels, "tab labels")
    blocks = tab_set.locator(":scope > .tabbed-content > .tabbed-block")
    page.keyboard.press("ArrowRight")
    expect(blocks.nth(1)).to_be_visible()
    expect(blocks.nth(0)).to_be_hidden()
    page.keyboard.press("ArrowLeft")
    expect(blocks.nth(0)).to_be_visible()

    copy = tab_to(page, ".md-code__button")
    assert_focus_visible(page, copy, "copy button")
    page.evaluate("navigator.clipboard.writeText('')")
    page.keyboard.press("Enter")
    page.wait_for_function("async () => (await navigator.clipboard.readText()) !== ''")
    code = page.locator("pre", has=copy).locator(":scope > code").inner_text()
    assert page.evaluate("navigator.clipboard.readText()").split("\n")[0] == code.split("\n")[0]

    marker = tab_to(page, ".md-annotation")
    expect(marker).to_have_attribute("aria-label", re.compile(r"^Annotation \d+$"))
    tooltip = marker.locator(".md-tooltip")
    expect(tooltip).to_have_class(re.compile("md-tooltip--active"))
    expect(tooltip).to_be_visible()
    assert tooltip.inner_text().strip(), "the annotation's tooltip is empty"
    assert_focus_visible(page, marker.locator(".md-annotation__index"), "annotation marker")
    page.keyboard.press("Escape")
    expect(tooltip).to_be_hidden()
    expect(marker).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Shift+Tab")
    expect(tooltip).to_be_visible()

    chinese = tab_to(page, ".md-select__link[hreflang='zh']")
    assert_focus_visible(page, chinese, "language switcher")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == site_url + "zh/" + KEYBOARD_PAGE

    tab_to(page, ".md-search__input")
    assert_focus_visible(page, page.locator(".md-search__form"), "search box")
    # A Chinese input method commits a whole word, then a key comes up: Material searches on keyup.
    page.keyboard.insert_text("延迟分块")
    page.keyboard.press("End")
    expect(page.locator(".md-search-result__link[href*='late-chunking/']").first).to_be_visible()
    first = page.locator(".md-search-result__link").first
    unfocused = look(page, first)
    page.keyboard.press("ArrowDown")
    expect(first).to_be_focused()
    assert look(page, first) != unfocused, "the focused search result looks like the others"
    target = first.get_attribute("href")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.split("#")[0] == urljoin(site_url + "zh/" + KEYBOARD_PAGE, target).split("#")[0]


# An annotation marker shows an icon; the text inside it is its tooltip, transparent until focused.
ICON_ONLY_CONTROLS = """() => [...document.querySelectorAll('a[href], button, [tabindex="0"]')]
    .filter(control => control.tabIndex >= 0 && control.checkVisibility({visibilityProperty: true}))
    .filter(control => !control.innerText.trim() || control.matches('.md-annotation'))
    .map(control => [control.outerHTML.slice(0, 80),
        control.getAttribute('aria-label') || control.getAttribute('title') || ''])"""


def test_icon_only_controls_are_named_in_chinese(page: Page, site_url: str) -> None:
    """On a Chinese page, every control shown as an icon alone has a Chinese accessible name."""
    page.goto(site_url + "zh/" + KEYBOARD_PAGE)
    controls = page.evaluate(ICON_ONLY_CONTROLS)
    assert len(controls) >= 5, f"expected icons in the header and the code blocks, found {controls}"
    unnamed = [html for html, name in controls if not re.search(r"[\u4e00-\u9fff]", name)]
    assert not unnamed, "icon-only controls without a Chinese name:\n" + "\n".join(unnamed)
