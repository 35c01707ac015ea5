"""A request that cannot resolve or connect to api.jina.ai says why that happens in mainland China
and links the guide's page on it (both languages); other network failures keep the plain hint."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import httpx
import pytest

from chroma_jina import JinaEmbeddingFunction, JinaTimeoutError, NetworkError
from chroma_jina.errors import GUIDE_URL

ROOT = Path(__file__).resolve().parents[2]
KEY = "jina_offline_emulator_key"
PAGES = [f"{GUIDE_URL}mainland-china/", f"{GUIDE_URL}zh/mainland-china/"]


def failing(exc: type[httpx.TransportError]) -> httpx.MockTransport:
    """A transport whose every request fails with `exc`, as httpx's own transport raises it."""

    def handle(request: httpx.Request) -> httpx.Response:
        raise exc(f"{exc.__name__} to {request.url.host}", request=request)

    return httpx.MockTransport(handle)


def fail_sync(exc: type[httpx.TransportError], base_url: str | None = None) -> NetworkError:
    ef = JinaEmbeddingFunction(
        KEY,
        base_url=base_url,
        max_retries=0,
        http_client=httpx.Client(transport=failing(exc)),
    )
    with pytest.raises(NetworkError) as info:
        ef(["hello"])
    return info.value


def fail_async(exc: type[httpx.TransportError]) -> NetworkError:
    ef = JinaEmbeddingFunction(
        KEY, max_retries=0, async_http_client=httpx.AsyncClient(transport=failing(exc))
    )
    with pytest.raises(NetworkError) as info:
        asyncio.run(ef.aembed(["hello"]))
    return info.value


@pytest.mark.parametrize("exc", [httpx.ConnectError, httpx.ConnectTimeout])
@pytest.mark.parametrize("fail", [fail_sync, fail_async], ids=["sync", "async"])
def test_no_connection_to_the_default_host_links_the_mainland_page(exc, fail) -> None:
    error = fail(exc)
    assert isinstance(error, JinaTimeoutError) == (exc is httpx.ConnectTimeout)
    for url in PAGES:
        assert url in error.hint and url in str(error)
    assert "JINA_API_BASE_URL" in error.hint


@pytest.mark.parametrize(
    ("exc", "base_url"),
    [
        (httpx.ConnectError, "https://gateway.example.internal/v1"),  # the reader's own address
        (httpx.ReadError, None),  # connected to api.jina.ai, then the connection broke
        (httpx.RemoteProtocolError, None),
    ],
)
def test_other_network_failures_keep_the_plain_hint(exc, base_url) -> None:
    error = fail_sync(exc, base_url)
    assert error.hint == NetworkError.default_hint
    assert "mainland-china" not in str(error)


def test_the_linked_pages_exist_where_the_site_is_published() -> None:
    site_url = re.search(
        r"^site_url:\s*(\S+)", (ROOT / "mkdocs.yml").read_text(encoding="utf-8"), re.MULTILINE
    )
    assert site_url and site_url.group(1) == GUIDE_URL
    for lang in ("en", "zh"):
        assert (ROOT / "docs" / lang / "mainland-china.md").is_file()
