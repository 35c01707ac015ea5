"""Browser fixtures: the built site on a loopback HTTP server and Debian's Chromium driven by Playwright.

Chromium comes from Debian (`.ci/ensure-packages`, run by `make test`); Playwright's own browser
download does not work on our machines, so the browser is launched from /usr/bin/chromium.
"""

from __future__ import annotations

import functools
import re
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Route,
    sync_playwright,
)
from playwright.sync_api import Error as PlaywrightError

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "build" / "screenshots"


def site_path() -> str:
    """The path part of `site_url` in mkdocs.yml ('/chroma-jina/'): the site is served there, as deployed."""
    match = re.search(
        r"^site_url:\s*(\S+)", (ROOT / "mkdocs.yml").read_text(encoding="utf-8"), re.MULTILINE
    )
    path = urlsplit(match.group(1)).path if match else "/"
    return path if path.endswith("/") else path + "/"


class _SiteHandler(SimpleHTTPRequestHandler):
    """Serves the built site under `prefix` only (404 elsewhere), without a log line per request."""

    prefix = "/"

    def translate_path(self, path: str) -> str:
        if not path.startswith(self.prefix):
            return str(Path(self.directory) / "__outside_the_site_path__")
        return super().translate_path("/" + path[len(self.prefix) :])

    def log_message(self, fmt: str, *args: object) -> None:
        pass


class _SiteServer(ThreadingHTTPServer):
    """Loopback server that ignores connections the browser drops when it navigates away."""

    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@pytest.fixture(scope="session")
def site_url(built_site: Path) -> Iterator[str]:
    """Serve the strictly built site on 127.0.0.1 on a free port under the deployed path.

    Yields the base URL, e.g. 'http://127.0.0.1:PORT/chroma-jina/'. Serving under the same path as
    production keeps root-relative links (404 page, language switcher on home pages) meaningful.
    """
    handler_class = type("Handler", (_SiteHandler,), {"prefix": site_path()})
    handler = functools.partial(handler_class, directory=str(built_site))
    server = _SiteServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}{site_path()}"
    server.shutdown()
    server.server_close()


# Package scope: Playwright's sync API keeps an event loop running while it is open, which
# would make asyncio.run() fail in the async tests that run after the browser tests.
@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """One headless Debian Chromium shared by all the browser tests."""
    assert CHROMIUM.exists(), "Chromium is missing: run `make test` (it runs .ci/ensure-packages)"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def is_loopback(url: str) -> bool:
    """True for the local site server (and data:/blob: URLs the page makes itself)."""
    parts = urlsplit(url)
    return parts.scheme in ("data", "blob", "about") or parts.hostname == "127.0.0.1"


@dataclass
class ErrorLog:
    """Console errors, uncaught page errors and requests to other hosts seen by one page.

    No page may contact another host (GitHub's API, web fonts, analytics): such requests are aborted,
    recorded in `elsewhere` and fail the test. The console errors the aborts cause are left out of
    `errors`, so the failure names the request rather than its echo.
    """

    errors: list[str] = field(default_factory=list)
    elsewhere: list[str] = field(default_factory=list)

    def watch(self, page: Page) -> None:
        """Record every console 'error' message and every uncaught exception of `page`."""
        page.on("console", lambda msg: self._console(page, msg))
        page.on("pageerror", lambda exc: self.errors.append(f"{page.url}: uncaught {exc}"))

    def block_other_hosts(self, context: BrowserContext) -> None:
        """Abort every request of `context` that leaves the local site server, and record it."""

        def abort(route: Route) -> None:
            try:
                source = route.request.frame.url
            except PlaywrightError:  # a worker's request, or a navigation before its frame exists
                source = "a worker"
            self.elsewhere.append(f"{source} requested {route.request.url}")
            route.abort("blockedbyclient")

        context.route(lambda url: not is_loopback(url), abort)

    def _console(self, page: Page, msg: ConsoleMessage) -> None:
        source = msg.location.get("url") or page.url
        if msg.type == "error" and is_loopback(source):
            self.errors.append(f"{page.url}: console.error {msg.text} ({source})")


@pytest.fixture
def page_errors() -> ErrorLog:
    """The errors collected by the `page` fixture; asserted empty after every test."""
    return ErrorLog()


@pytest.fixture
def page(browser: Browser, site_url: str, page_errors: ErrorLog) -> Iterator[Page]:
    """A fresh page (own context, clipboard access granted).

    It fails its test on any console error and on any request that leaves the local server.
    """
    context = browser.new_context(
        base_url=site_url,
        viewport={"width": 1280, "height": 900},
        permissions=["clipboard-read", "clipboard-write"],
    )
    context.set_default_timeout(10_000)
    page_errors.block_other_hosts(context)
    page = context.new_page()
    page_errors.watch(page)
    yield page
    context.close()
    assert page_errors.errors == [], "console errors:\n" + "\n".join(page_errors.errors)
    assert page_errors.elsewhere == [], "requests to other hosts:\n" + "\n".join(
        page_errors.elsewhere
    )


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """build/screenshots/ (git-ignored), created on demand."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture
def visit(page: Page, site_url: str):
    """Open a site path (relative to the site root, e.g. 'zh/late-chunking/') and assert it loaded."""

    def _visit(path: str) -> Page:
        response = page.goto(site_url + path)
        assert response is not None and response.ok, (
            f"{site_url + path}: HTTP {response and response.status}"
        )
        return page

    return _visit
