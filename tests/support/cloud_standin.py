"""A stand-in for Chroma Cloud: a loopback proxy in front of a `chroma run` server that imposes
Cloud's write quotas and answers as Chroma does when they are exceeded.

Quotas (Chroma's "Quotas & Limits" page, docs/mintlify/cloud/quotas-limits.mdx in
chroma-core/chroma): at most 300 records per write (what the pre-flight answer says by default;
Cloud's has been reported to say 1,000, chroma-core/chroma#5453: `advertised_batch`),
documents of at most 16,384 bytes, ids of at most 128 bytes, at most 32 metadata keys a record,
metadata keys of at most 36 bytes and values of at most 8,182 (a string's UTF-8 bytes), at most
10 concurrent writes per collection (concurrent reads, also at most 10, are counted in
`most_reads_at_once`, not refused). It can also refuse chosen writes outright
(`refuse_writes`), as a server that gives up on one does.

Refusals have the shape of Chroma's Rust frontend (chroma-core/chroma, `ServerError` in
rust/frontend/src/types/errors.rs: `{"error": <ErrorCodes name>, "message": <the error's
text>}`, the status and name from the code, rust/error/src/lib.rs):
- a quota (rust/frontend/src/quota/mod.rs `QuotaEnforcerError::QuotaExceeded`, code
  UnprocessableEntity -> HTTP 422, whose name is "ChromaError"): "Quota exceeded: 'Document size
  (bytes)' exceeded quota limit for action 'Add': current usage of N exceeds limit of 16384";
- too many concurrent writes: HTTP 429 (ResourceExhausted, name "ChromaError"); the wording of
  its message is this stand-in's ("Rate limit exceeded: too many concurrent writes ...");
- a write failed (`fail_writes`): HTTP 500, "InternalError" (retried by `ingest`);
- a write refused outright: HTTP 400, "InvalidArgumentError" (chromadb raises
  InvalidArgumentError, which `ingest` does not retry).
The usage-type names in the quota messages for ids and metadata are this stand-in's.

Clients reach it with `chromadb.CloudClient(cloud_host="127.0.0.1", cloud_port=port,
enable_ssl=False, api_key=..., tenant=..., database=...)`; it checks the key (X-Chroma-Token).
Bounded: bodies up to 64 MB, 30 s socket timeouts; a broken client costs one log line.
"""

from __future__ import annotations

import http.client
import json
import logging
import re
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import chromadb

from tests.support.chroma import forget_clients_of

STANDIN_KEY = "ck-standin-not-a-real-key"
"""The Chroma key the tests give the stand-in (`Quotas(STANDIN_KEY)`); not a real Cloud key."""
MAX_BATCH = 300
MAX_DOCUMENT_BYTES = 16_384
MAX_ID_BYTES = 128
MAX_METADATA_KEYS = 32
MAX_METADATA_KEY_BYTES = 36
MAX_METADATA_VALUE_BYTES = 8_182
CONCURRENT_WRITES = 10
MAX_BODY = 64 * 1024 * 1024
TIMEOUT = 30.0
WRITE = re.compile(
    r"^/api/v2/tenants/[^/]+/databases/[^/]+/collections/([^/]+)/(add|upsert|update)$"
)
GET = re.compile(r"^/api/v2/tenants/[^/]+/databases/[^/]+/collections/([^/]+)/get$")
HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "x-chroma-token", "host"}

logger = logging.getLogger("cloud_standin")


@dataclass
class Quotas:
    """What the stand-in enforces and advertises, and what it saw."""

    api_key: str
    max_batch: int = MAX_BATCH
    advertised_batch: int = MAX_BATCH
    """`max_batch_size` in the pre-flight answer (another value: a client that trusts it is
    refused by the quota)."""
    max_document_bytes: int = MAX_DOCUMENT_BYTES
    concurrent_writes: int = CONCURRENT_WRITES
    refuse_writes: set[int] = field(default_factory=set)
    """Writes (numbered from 1 in the order they pass the quotas) answered with a 400."""
    fail_writes: set[int] = field(default_factory=set)
    """Writes (numbered as for `refuse_writes`) answered with a 500 and not stored: retried."""
    requests: int = 0
    writes: int = 0
    passed: int = 0
    """Writes that passed the quotas (numbered for `refuse_writes`)."""
    largest_get: int = 0
    """The most ids one `get` asked for."""
    get_delay: float = 0.0
    """Seconds each `get` is held before it is answered (so reads overlap as on a slow link)."""
    most_reads_at_once: int = 0
    """The most `get`s one collection had in flight at once (Cloud allows 10 concurrent reads)."""
    most_at_once: int = 0
    largest_write: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    connections: int = 0
    """Connections open now: each is served to its end (every request it carries answered)
    before it counts as closed."""
    _in_flight: Counter[str] = field(default_factory=Counter)
    _reading: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_for_connections(self, at_most: int, timeout: float) -> None:
        """Wait until at most `at_most` connections are open (a killed client's connections are
        closed only after the requests it had sent are answered), or fail after `timeout`."""
        deadline = time.monotonic() + timeout
        while self.connections > at_most:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.connections} connections still open after {timeout} s")
            time.sleep(0.02)


def _quota(usage_type: str, action: str, usage: int, limit: int) -> tuple[int, dict[str, str]]:
    message = (
        f"Quota exceeded: '{usage_type}' exceeded quota limit for action '{action}': "
        f"current usage of {usage} exceeds limit of {limit}"
    )
    return 422, {"error": "ChromaError", "message": message}


def _metadata_refusal(metadata: dict[str, Any], action: str) -> tuple[int, dict[str, str]] | None:
    if len(metadata) > MAX_METADATA_KEYS:
        return _quota("Number of metadata keys", action, len(metadata), MAX_METADATA_KEYS)
    for key, value in metadata.items():
        if len(key.encode()) > MAX_METADATA_KEY_BYTES:
            return _quota(
                "Metadata key size (bytes)", action, len(key.encode()), MAX_METADATA_KEY_BYTES
            )
        for item in value if isinstance(value, list) else [value]:
            size = len(item.encode()) if isinstance(item, str) else 0
            if size > MAX_METADATA_VALUE_BYTES:
                return _quota("Metadata value size (bytes)", action, size, MAX_METADATA_VALUE_BYTES)
    return None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        with self.server.quotas._lock:
            self.server.quotas.connections += 1

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            with self.server.quotas._lock:
                self.server.quotas.connections -= 1

    timeout = TIMEOUT
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base class's name)
        pass

    def _answer(self, status: int, body: bytes, headers: list[tuple[str, str]]) -> None:
        self.send_response(status)
        for name, value in headers:
            if name.lower() not in HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, payload: dict[str, Any]) -> None:
        self._answer(status, json.dumps(payload).encode(), [("Content-Type", "application/json")])

    def _forward(self, body: bytes) -> tuple[int, bytes, list[tuple[str, str]]]:
        upstream = http.client.HTTPConnection(*self.server.upstream, timeout=TIMEOUT)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
            upstream.request(self.command, self.path, body=body or None, headers=headers)
            reply = upstream.getresponse()
            return reply.status, reply.read(MAX_BODY), reply.getheaders()
        finally:
            upstream.close()

    def _handle(self) -> None:
        quotas = self.server.quotas
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._json(413, {"error": "ChromaError", "message": "request body too large"})
            self.close_connection = True
            return
        body = self.rfile.read(length) if length else b""
        with quotas._lock:
            quotas.requests += 1
        if self.headers.get("X-Chroma-Token") != quotas.api_key:
            self._json(401, {"error": "AuthError", "message": "Unauthorized"})
            return
        path = urlsplit(self.path).path
        if path == "/api/v2/pre-flight-checks":
            status, reply, headers = self._forward(body)
            checks = json.loads(reply)
            checks["max_batch_size"] = quotas.advertised_batch
            self._answer(status, json.dumps(checks).encode(), headers)
            return
        read = GET.match(path) if self.command == "POST" else None
        if read is not None:
            self._read(read.group(1), body)
            return
        write = WRITE.match(path) if self.command == "POST" else None
        if write is None:
            self._answer(*self._forward(body))
            return
        collection, action = write.group(1), write.group(2).capitalize()
        refusal = self._refusal(json.loads(body), action)
        if refusal is not None:
            quotas.refused[refusal[1]["message"].split("'")[1]] += 1
            self._json(*refusal)
            return
        with quotas._lock:
            quotas.passed += 1
            refused = quotas.passed in quotas.refuse_writes
            failed = quotas.passed in quotas.fail_writes
        if failed:
            quotas.refused["failed"] += 1
            self._json(500, {"error": "InternalError", "message": "the stand-in failed a write"})
            return
        if refused:
            quotas.refused["refused outright"] += 1
            self._json(
                400,
                {
                    "error": "InvalidArgumentError",
                    "message": f"the stand-in refuses write {quotas.passed}",
                },
            )
            return
        with quotas._lock:
            if quotas._in_flight[collection] >= quotas.concurrent_writes:
                quotas.refused["concurrent writes"] += 1
                busy = True
            else:
                busy = False
                quotas._in_flight[collection] += 1
                quotas.most_at_once = max(quotas.most_at_once, quotas._in_flight[collection])
        if busy:
            self._json(
                429,
                {
                    "error": "ChromaError",
                    "message": f"Rate limit exceeded: too many concurrent writes to collection "
                    f"{collection} (limit {quotas.concurrent_writes})",
                },
            )
            return
        try:
            answer = self._forward(body)
        finally:
            with quotas._lock:
                quotas._in_flight[collection] -= 1
                quotas.writes += 1
        self._answer(*answer)

    def _read(self, collection: str, body: bytes) -> None:
        """Forward a `get`, counting how many of the collection's are in flight."""
        quotas = self.server.quotas
        with quotas._lock:
            quotas.largest_get = max(quotas.largest_get, len(json.loads(body).get("ids") or []))
            quotas._reading[collection] += 1
            quotas.most_reads_at_once = max(quotas.most_reads_at_once, quotas._reading[collection])
        try:
            time.sleep(quotas.get_delay)
            answer = self._forward(body)
        finally:
            with quotas._lock:
                quotas._reading[collection] -= 1
        self._answer(*answer)

    def _refusal(self, record: dict[str, Any], action: str) -> tuple[int, dict[str, str]] | None:
        quotas = self.server.quotas
        n = len(record.get("ids") or [])
        with quotas._lock:
            quotas.largest_write = max(quotas.largest_write, n)
        if n > quotas.max_batch:
            return _quota("Number of records", action, n, quotas.max_batch)
        for document in record.get("documents") or []:
            size = len(document.encode()) if isinstance(document, str) else 0
            if size > quotas.max_document_bytes:
                return _quota("Document size (bytes)", action, size, quotas.max_document_bytes)
        for id_ in record.get("ids") or []:
            if len(id_.encode()) > MAX_ID_BYTES:
                return _quota("ID size (bytes)", action, len(id_.encode()), MAX_ID_BYTES)
        for metadata in record.get("metadatas") or []:
            refusal = _metadata_refusal(metadata or {}, action)
            if refusal is not None:
                return refusal
        return None

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64

    def __init__(self, upstream: tuple[str, int], quotas: Quotas) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.upstream = upstream
        self.quotas = quotas

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.info("cloud stand-in: a request from %s failed", client_address, exc_info=False)


@contextmanager
def cloud_standin(chroma_url: str, quotas: Quotas) -> Iterator[int]:
    """The stand-in in front of the `chroma run` server at `chroma_url`; yields its port."""
    parts = urlsplit(chroma_url)
    server = _Server((parts.hostname or "127.0.0.1", parts.port or 8000), quotas)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        forget_clients_of(server.server_address[1])
        server.shutdown()
        server.server_close()
        thread.join(10)


def cloud_client(port: int, api_key: str = STANDIN_KEY) -> chromadb.ClientAPI:
    """What a user writes for Chroma Cloud (`CloudClient` with key, tenant and database),
    pointed at the stand-in on `port`."""
    return chromadb.CloudClient(
        tenant="default_tenant",
        database="default_database",
        api_key=api_key,
        cloud_host="127.0.0.1",
        cloud_port=port,
        enable_ssl=False,
    )
