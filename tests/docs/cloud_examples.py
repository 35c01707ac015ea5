"""Snippets written for Chroma Cloud (`chromadb.CloudClient()`, key and tenant from the
environment, as a user writes them) run against the local stand-in: `chroma run` behind
tests/cloud_standin.py, which imposes Cloud's write quotas and, as Cloud has been reported to
(chroma-core/chroma#5453), answers 1,000 records a write in its pre-flight: a snippet that trusts
`get_max_batch_size()` is refused, and the test fails.

Replaying, `CloudClient` is pointed at the stand-in (its `cloud_host`/`cloud_port`/`enable_ssl`
arguments, which chromadb keeps for testing). Recording, it is an in-process Chroma instead, so
that only the Jina requests go into the cassette (vcrpy would record loopback Chroma traffic)."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import chromadb
import pytest

from tests.support.chroma import chroma_server
from tests.support.cloud_standin import STANDIN_KEY, Quotas, cloud_standin


def uses_cloud(snippet: Path) -> bool:
    """The snippet connects to Chroma Cloud."""
    return "chromadb.CloudClient(" in snippet.read_text(encoding="utf-8")


@dataclass(frozen=True)
class Standin:
    chroma_url: str
    port: int
    quotas: Quotas


@contextmanager
def running_standin(data: Path) -> Iterator[Standin]:
    """`chroma run` on `data` behind the Cloud stand-in (pre-flight 1,000, quota 300)."""
    quotas = Quotas(STANDIN_KEY, advertised_batch=1000)
    with chroma_server(data) as url, cloud_standin(url, quotas) as port:
        yield Standin(url, port, quotas)


def point_cloud_client(standin: Standin | None, monkeypatch: pytest.MonkeyPatch) -> None:
    """`chromadb.CloudClient(...)` reaches `standin` (None: an in-process Chroma), with the
    key, tenant and database in the environment as for Cloud; the stand-in starts empty."""
    real = chromadb.CloudClient
    monkeypatch.setenv("CHROMA_API_KEY", STANDIN_KEY)
    monkeypatch.setenv("CHROMA_TENANT", "default_tenant")
    monkeypatch.setenv("CHROMA_DATABASE", "default_database")
    if standin is None:
        monkeypatch.setattr(chromadb, "CloudClient", lambda *a, **k: chromadb.EphemeralClient())
        return
    server = chromadb.HttpClient(host="127.0.0.1", port=int(standin.chroma_url.rsplit(":", 1)[1]))
    for collection in server.list_collections():
        server.delete_collection(collection.name)
    monkeypatch.setattr(
        chromadb,
        "CloudClient",
        functools.partial(real, cloud_host="127.0.0.1", cloud_port=standin.port, enable_ssl=False),
    )


def assert_quotas_kept(quotas: Quotas) -> None:
    """Nothing the snippet sent was refused by Cloud's quotas (a refusal `ingest` absorbs by
    splitting still means the page's advice made a write Cloud refuses)."""
    assert not quotas.refused, f"the stand-in refused writes: {dict(quotas.refused)}"
