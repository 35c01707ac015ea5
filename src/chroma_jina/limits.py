"""What a Chroma client lets `ingest` write: records per write, bytes per document, writers.

The records per write come from the client (`get_max_batch_size()`: a server or Chroma Cloud
answers it in its pre-flight checks; a PersistentClient from SQLite's limits). No endpoint
reports the bytes a document may hold, nor Cloud's other record quotas: they are taken from
Chroma's "Quotas & Limits" page (docs/mintlify/cloud/quotas-limits.mdx in chroma-core/chroma:
document bytes 16,384; ID size bytes 128; record metadata value size bytes 8,182; metadata key
size bytes 36; record metadata keys 32). A Cloud client is recognised by the settings
chromadb's `CloudClient` gives it (whatever its host) or by Cloud's host; chromadb has no async
Cloud client, so an `AsyncHttpClient` is recognised by its host, or told (`cloud=True`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chromadb.errors import BatchSizeExceededError, ChromaError

CLOUD_MAX_DOCUMENT_BYTES = 16_384
"""Chroma Cloud's "Maximum document bytes" quota."""
CLOUD_CONCURRENT_WRITES = 10
"""Chroma Cloud's "Maximum number of concurrent writes per collection" quota."""
CLOUD_RECORDS_PER_WRITE = 300
"""Chroma Cloud's "Maximum number of records per write" quota (its pre-flight answer has been
reported as 1,000, chroma-core/chroma#5453)."""
REMOTE_WRITERS = CLOUD_CONCURRENT_WRITES
"""Writers for any remote client (a Chroma server or Cloud) unless told otherwise."""

_FASTAPI = ("chromadb.api.fastapi.FastAPI", "chromadb.api.async_fastapi.AsyncFastAPI")
CLOUD_HOST = "api.trychroma.com"
"""Chroma Cloud's host (chromadb's `CloudClient` default)."""
_CLOUD_AUTH_PROVIDER = "chromadb.auth.token_authn.TokenAuthClientProvider"


@dataclass(frozen=True)
class RecordQuotas:
    """Chroma Cloud's quotas on one record besides its document (quotas-limits.mdx)."""

    id_bytes: int = 128
    """"Maximum ID size bytes"."""
    metadata_keys: int = 32
    """"Maximum number of record metadata keys"."""
    metadata_key_bytes: int = 36
    """"Maximum metadata key size bytes"."""
    metadata_value_bytes: int = 8_182
    """"Maximum record metadata value size bytes" (a string's UTF-8 bytes; each string of a
    list value on its own)."""


CLOUD_RECORD_QUOTAS = RecordQuotas()


def over_quotas(id_: str, metadata: Any, quotas: RecordQuotas) -> str | None:
    """What of Cloud's record quotas `id_` and `metadata` exceed, or None."""
    size = len(id_.encode())
    if size > quotas.id_bytes:
        return f"id of {size:,} bytes (at most {quotas.id_bytes})"
    if not metadata:
        return None
    if len(metadata) > quotas.metadata_keys:
        return f"{len(metadata)} metadata keys (at most {quotas.metadata_keys})"
    for key, value in metadata.items():
        size = len(str(key).encode())
        if size > quotas.metadata_key_bytes:
            return f"metadata key of {size:,} bytes (at most {quotas.metadata_key_bytes})"
        for item in value if isinstance(value, list) else [value]:
            size = len(item.encode()) if isinstance(item, str) else 0
            if size > quotas.metadata_value_bytes:
                return (
                    f"metadata value {key!r} of {size:,} bytes (at most "
                    f"{quotas.metadata_value_bytes:,})"
                )
    return None


@dataclass(frozen=True)
class WriteLimits:
    """How `ingest` sizes and spreads its writes."""

    max_batch_size: int
    """Records per `collection.add()`."""
    max_document_bytes: int | None
    """UTF-8 bytes a document may hold (None: no limit known)."""
    writers: int
    """`collection.add()` calls at once (1: one after the other, on the calling thread)."""
    cloud: bool
    """The client is configured as chromadb's `CloudClient` configures one."""
    record_quotas: RecordQuotas | None = None
    """Quotas on ids and metadata checked before embedding (Cloud's; None elsewhere)."""


def _settings(client: Any) -> Any:
    get = getattr(client, "get_settings", None)
    return get() if callable(get) else getattr(client, "_settings", None)


def is_remote(settings: Any) -> bool:
    """The client talks HTTP to a server (HttpClient, CloudClient, AsyncHttpClient)."""
    return getattr(settings, "chroma_api_impl", None) in _FASTAPI


def is_cloud(settings: Any) -> bool:
    """The client talks to Cloud's host, or is set up as `chromadb.CloudClient` sets one up:
    HTTP, a token sent in the X-Chroma-Token header, tenant and database taken from the key."""
    if not is_remote(settings):
        return False
    if str(getattr(settings, "chroma_server_host", "")).lower() == CLOUD_HOST:
        return True
    header = getattr(settings, "chroma_auth_token_transport_header", None)
    return (
        getattr(settings, "chroma_client_auth_provider", None) == _CLOUD_AUTH_PROVIDER
        and str(getattr(header, "value", header)).lower() == "x-chroma-token"
        and bool(
            getattr(settings, "chroma_overwrite_singleton_tenant_database_access_from_auth", False)
        )
    )


def write_limits(
    client: Any,
    *,
    max_document_bytes: int | None = None,
    writers: int | None = None,
    cloud: bool | None = None,
) -> WriteLimits:
    """The limits of `client` (a collection's `_client`), with the caller's overrides."""
    return limits_from(
        _settings(client), client.get_max_batch_size(), max_document_bytes, writers, cloud
    )


async def awrite_limits(
    client: Any,
    *,
    max_document_bytes: int | None = None,
    writers: int | None = None,
    cloud: bool | None = None,
) -> WriteLimits:
    """`write_limits` for an async client (an AsyncHttpClient collection's `_client`)."""
    return limits_from(
        _settings(client), await client.get_max_batch_size(), max_document_bytes, writers, cloud
    )


def limits_from(
    settings: Any,
    max_batch_size: Any,
    max_document_bytes: int | None,
    writers: int | None,
    cloud: bool | None = None,
) -> WriteLimits:
    """The limits a client with `settings` and `max_batch_size` sets, with the overrides
    (`cloud`: Chroma Cloud's quotas apply; None: recognised from `settings`)."""
    if cloud is not None and not isinstance(cloud, bool):
        raise ValueError(f"cloud must be True, False or None, got {cloud!r}")
    cloud = is_cloud(settings) if cloud is None else cloud
    batch = int(max_batch_size)
    if batch < 1:  # an older server that does not say
        batch = 1024
    if cloud:  # Cloud's pre-flight has been seen to answer 1,000 (chroma-core/chroma#5453)
        batch = min(batch, CLOUD_RECORDS_PER_WRITE)
    if max_document_bytes is None and cloud:
        max_document_bytes = CLOUD_MAX_DOCUMENT_BYTES
    if writers is None:
        writers = REMOTE_WRITERS if is_remote(settings) else 1
    for name, value in (("max_document_bytes", max_document_bytes), ("writers", writers)):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < 1
        ):
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return WriteLimits(
        batch, max_document_bytes, writers, cloud, CLOUD_RECORD_QUOTAS if cloud else None
    )


def refused_for_size(error: BaseException) -> bool:
    """Chroma refused a write for its number of records (the client's own check, a server's
    413, or Cloud's "Number of records" quota): split it, never send it again as is."""
    if isinstance(error, BatchSizeExceededError):
        return True
    text = str(error)
    if isinstance(error, ValueError) and "exceeds maximum batch size" in text:
        return True
    if isinstance(error, ChromaError) or type(error) is Exception:
        return "Quota exceeded" in text and "Number of records" in text
    return False


BUSY_WORDS = ("concurrent", "rate limit", "too many requests", "backoff")
"""Words of Chroma's own answers to write load (its distributed log-backpressure test expects
"Too many requests; backoff and try again", "Rate limit exceeded." and "log needs compaction
before accepting more writes; please backoff exponentially and retry")."""


def refused_as_busy(error: BaseException) -> bool:
    """Chroma's answer to too much write load (HTTP 429, ResourceExhausted, which chromadb
    raises as a plain `ChromaError` whose code says 400): worth another try, with fewer
    writers."""
    text = str(error).lower()
    return isinstance(error, ChromaError) and any(word in text for word in BUSY_WORDS)
