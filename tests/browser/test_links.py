"""Crawl every page of both languages in the browser: no broken internal link or anchor, no console error."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from playwright.sync_api import Page

# Links a reader can follow. Material's code annotation markers are left out: they are JavaScript
# controls whose href points at a tooltip the theme renames once it has mounted it.
PAGE_DATA = """() => ({
    ids: [...document.querySelectorAll('[id]')].map(el => el.id)
        .concat([...document.querySelectorAll('a[name]')].map(el => el.name)),
    links: [...document.querySelectorAll('a[href]')]
        .filter(a => !a.closest('.md-annotation')).map(a => a.href),
})"""


def sitemap_pages(site: Path, site_url: str) -> set[str]:
    """Every page the sitemap lists (both languages), as URLs on the local server."""
    xml = (site / "sitemap.xml").read_text(encoding="utf-8")
    urls = re.findall(r"<loc>([^<]+)</loc>", xml) + re.findall(
        r'hreflang="[^"]+" href="([^"]+)"', xml
    )
    return {_local(url, site_url) for url in urls}


def _local(url: str, site_url: str) -> str:
    """Map a deployed URL (https://chroma-jina.github.io/chroma-jina/x/) to the same page on the local server."""
    base_path = urlsplit(site_url).path
    path = urlsplit(url).path
    assert path.startswith(base_path), f"sitemap URL {url} is outside the site path {base_path}"
    return site_url + path[len(base_path) :]


def test_crawl_finds_no_broken_link_or_anchor(page: Page, built_site: Path, site_url: str) -> None:
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(site_url))
    queue = sorted(
        sitemap_pages(built_site, site_url) | {site_url, site_url + "zh/", site_url + "404.html"}
    )
    ids: dict[str, set[str]] = {}
    links: list[tuple[str, str]] = []  # (page it is on, absolute href)
    broken: list[str] = []
    while queue:
        url = queue.pop()
        if url in ids:
            continue
        response = page.goto(url)
        if response is None or not response.ok:
            broken.append(f"{url}: HTTP {response and response.status}")
            ids[url] = set()
            continue
        data = page.evaluate(PAGE_DATA)
        ids[url] = set(data["ids"])
        for href in data["links"]:
            if not href.startswith(origin):
                continue  # external (GitHub, Jina): not ours to check offline
            links.append((url, href))
            target = href.split("#")[0]
            if not target.startswith(site_url):
                broken.append(f"{url} links outside the site: {href}")
            elif target not in ids and target.endswith("/"):
                queue.append(target)

    for source, href in links:
        target, _, fragment = href.partition("#")
        if target not in ids:
            if target.startswith(site_url) and not target.endswith("/"):
                response = page.request.get(target)  # a file, not a page
                if not response.ok:
                    broken.append(f"{source} -> {href}: HTTP {response.status}")
            continue
        if fragment and unquote(fragment) not in ids[target]:
            broken.append(f"{source} -> {href}: no element with id {unquote(fragment)!r}")

    pages = [url for url in ids if url.endswith("/")]
    zh_pages = [url for url in pages if url.startswith(site_url + "zh/")]
    assert len(zh_pages) >= 1 and len(pages) - len(zh_pages) >= 1, (
        f"crawl found too few pages: {pages}"
    )
    assert not broken, f"{len(broken)} broken links in {len(ids)} pages:\n" + "\n".join(
        sorted(set(broken))
    )
