"""The emulated Jina API (`/v1/embeddings`, `/v1/rerank`): one request handler shared by the
transport and the server."""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import TYPE_CHECKING

import numpy as np
import orjson
from numpy.typing import NDArray

from chroma_jina import __version__
from chroma_jina.models import ModelInfo

from . import bodies, encode, rerank, server, vectors
from .faults import (
    DroppedConnection,
    DuplicatedIndex,
    ErrorReply,
    Fault,
    HTMLErrorPage,
    MissingIndices,
    RandomFaults,
    RawReply,
    ServerFailure,
    ShuffledIndices,
    SlowResponse,
    TooManyRequests,
    When,
)
from .limits import Latency, Limiter, RateLimits, Refusal
from .validate import EmbedRequest, InvalidJSON, Rejected, load, parse

if TYPE_CHECKING:
    from .transport import EmulatorTransport

EMULATOR_HEADER = "x-emulated-by"
"""Name of the provenance header the emulator sends (unless `provenance_header=False`), so a
recording says where it came from."""
EMULATOR_ID = f"chroma-jina-emulator/{__version__}"
"""Value of the provenance header on every emulated response."""

_PROMPT_TOKENS_ALWAYS = ("jina-embeddings-v2-", "jina-clip-")
DEFAULT_MAX_RECORDED_REQUESTS = 1000
"""Requests `JinaEmulator.requests` keeps by default: the most recent 1,000."""


def _noop() -> None:
    return None


@dataclass
class EmulatedReply:
    """What to send back for one request, and how."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes
    delay: float = 0.0
    """Seconds to wait before answering (latency model plus slow-response faults)."""
    drop: DroppedConnection | None = None
    release: Callable[[], None] = _noop
    """Call after the delay: frees the request's concurrency slot."""


@dataclass(frozen=True)
class RecordedRequest:
    """One request the emulator received."""

    method: str
    path: str
    json: object | None
    """The parsed body (None if it was not JSON)."""
    status: int | None
    """Status answered, or None when the connection was dropped before a status line."""
    fault: Fault | None
    tokens: int
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    """The request's headers, names in lower case (not in the repr: they hold the API key)."""


@dataclass(frozen=True)
class EmulatorStats:
    """Counters since the emulator was created or `reset`."""

    requests: int = 0
    statuses: Mapping[int, int] = field(default_factory=dict)
    """Answers per HTTP status (dropped connections count under the status they would have had)."""
    dropped: int = 0
    faults_injected: int = 0
    faults: Mapping[str, int] = field(default_factory=dict)
    """Injected faults per kind, e.g. {"TooManyRequests": 3}."""
    rate_limited: int = 0
    """429s the emulator's own rate limits gave (not counting injected ones)."""
    bytes_received: int = 0
    bytes_sent: int = 0
    """Response body bytes written (a dropped response counts what was sent before the drop),
    before any compression."""
    wire_bytes_sent: int = 0
    """The same bytes as they went on the wire: fewer when the server gzipped them (the
    in-process transport never compresses, so there it equals `bytes_sent`)."""
    tokens: int = 0
    """Tokens billed in successful answers."""
    vectors: int = 0
    peak_concurrency: int = 0


class JinaEmulator:
    """An offline stand-in for api.jina.ai's `POST /v1/embeddings` and `POST /v1/rerank`.

    Vectors and relevance scores are deterministic lexical stand-ins, not Jina's models (see
    the testing docs and `chroma_jina.testing.relevance`).
    Use `transport()` with httpx clients, or `serve()` for anything that needs a URL.

    Args:
        faults: random faults for every request (e.g. `RandomFaults(rate=0.15, seed=1)`).
        latency: time each answer takes (e.g. `Latency(0.1, 5e-6)`: 100 ms + 5 µs/token).
        limits: rate limits answered with 429 like the real service (`RateLimits.free_tier()`).
        api_keys: accepted keys; None accepts any key that starts with "jina_".
        token_balance: tokens the key may spend before 403 AUTHZ_INSUFFICIENT_BALANCE; None: unlimited.
        provenance_header: send `x-emulated-by` on every response. False makes recordings look
            recorded from the real API: only for testing that recording path.
        max_recorded_requests: how many of the most recent requests `requests` keeps (older
            ones are forgotten, so a long-running emulator does not grow); counters count all.
        clock: the seconds rate limits are counted in (default `time.monotonic`); a test's fake
            clock, shared with the client's, lets their windows pass without waiting.
        wall: the wall clock Retry-After dates are written from (default `time.time`).
        models: models served besides the catalog's (e.g. one newer than this release).
    """

    def __init__(
        self,
        *,
        faults: RandomFaults | None = None,
        latency: Latency | None = None,
        limits: RateLimits | None = None,
        api_keys: Iterable[str] | None = None,
        token_balance: int | None = None,
        provenance_header: bool = True,
        max_recorded_requests: int = DEFAULT_MAX_RECORDED_REQUESTS,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        models: Iterable[ModelInfo] = (),
    ) -> None:
        if max_recorded_requests < 0:
            raise ValueError(
                f"max_recorded_requests must not be negative, got {max_recorded_requests!r}"
            )
        self.max_recorded_requests = max_recorded_requests
        self.faults = faults
        self.clock = clock
        self.wall = wall
        self.models = {model.name: model for model in models}
        self.provenance_header = provenance_header
        self.latency = latency or Latency()
        self._limits = limits
        self.api_keys = frozenset(api_keys) if api_keys is not None else None
        self.token_balance = token_balance
        self._lock = threading.Lock()
        self._script: deque[Fault | None] = deque()
        self._limiter = Limiter(limits, self.clock) if limits else None
        self.reset()

    # -- configuration ---------------------------------------------------------------------

    @property
    def limits(self) -> RateLimits | None:
        """The rate limits in force; setting new ones starts their counting afresh."""
        return self._limits

    @limits.setter
    def limits(self, limits: RateLimits | None) -> None:
        with self._lock:
            self._limits = limits
            self._limiter = Limiter(limits, self.clock) if limits else None

    def script(self, *faults: Fault | None) -> None:
        """Apply `faults` to the next requests, one each, in order (None: a normal answer).

        Scripted faults come before random ones.
        """
        with self._lock:
            self._script.extend(faults)

    def reset(self) -> None:
        """Forget counters, recorded requests, scripted faults and rate-limit history."""
        with self._lock:
            self._script.clear()
            self._counts: Counter[str] = Counter()
            self._statuses: Counter[int] = Counter()
            self._fault_kinds: Counter[str] = Counter()
            self._requests: deque[RecordedRequest] = deque(maxlen=self.max_recorded_requests)
            self._in_flight = 0
            self._peak = 0
            self._limiter = Limiter(self._limits, self.clock) if self._limits else None

    @property
    def stats(self) -> EmulatorStats:
        """A snapshot of the counters."""
        with self._lock:
            c = self._counts
            return EmulatorStats(
                requests=c["requests"],
                statuses=dict(self._statuses),
                dropped=c["dropped"],
                faults_injected=sum(self._fault_kinds.values()),
                faults=dict(
                    sorted(self._fault_kinds.items())
                ),  # same order whatever thread came first
                rate_limited=c["rate_limited"],
                bytes_received=c["bytes_received"],
                bytes_sent=c["bytes_sent"],
                wire_bytes_sent=c["bytes_sent"] - c["saved_by_compression"],
                tokens=c["tokens"],
                vectors=c["vectors"],
                peak_concurrency=self._peak,
            )

    @property
    def requests(self) -> list[RecordedRequest]:
        """The requests received so far, in arrival order: the most recent
        `max_recorded_requests` of them."""
        with self._lock:
            return list(self._requests)

    # -- ways in ---------------------------------------------------------------------------

    def transport(self) -> EmulatorTransport:
        """An httpx transport for `httpx.Client(transport=...)` and `httpx.AsyncClient(...)`."""
        from .transport import EmulatorTransport

        return EmulatorTransport(self)

    @contextmanager
    def serve(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        gzip: bool = True,
        timeout: float = server.DEFAULT_TIMEOUT,
        max_connections: int = server.DEFAULT_MAX_CONNECTIONS,
        max_body_bytes: int = server.DEFAULT_MAX_BODY_BYTES,
    ) -> Iterator[str]:
        """Run a threaded HTTP server; yields its base URL, e.g. "http://127.0.0.1:PORT/v1".

        `gzip`: compress answers for clients that accept it. `timeout`: seconds a client may
        stay silent (idle, or in the middle of a request) before it is disconnected.
        `max_connections`: connections served at once; more wait. `max_body_bytes`: larger
        request bodies are answered 413 unread. Warns when `host` is not loopback.
        """
        with server.serve(
            self,
            host,
            port,
            gzip=gzip,
            timeout=timeout,
            max_connections=max_connections,
            max_body_bytes=max_body_bytes,
        ) as base_url:
            yield base_url

    def count_compressed(self, body_bytes: int, wire_bytes: int) -> None:
        """Called by the server when it sent `body_bytes` of an answer as `wire_bytes` of gzip."""
        with self._lock:
            self._counts["saved_by_compression"] += body_bytes - wire_bytes

    def embed(
        self,
        texts: list[str | dict[str, str]],
        model: str = "jina-embeddings-v3",
        **options: object,
    ) -> NDArray[np.float32]:
        """The float32 vectors the emulated API answers for `texts` (a test's expected values).

        Items are strings or objects like `{"text": ...}` / `{"image": ...}`, as in a request.

        Options are request fields (task, dimensions, normalized, late_chunking, ...).
        Raises ValueError with the API's error body if the request would be refused.
        """
        body = {"model": model, "input": texts, **options}
        try:
            request = parse(json.loads(json.dumps(body)), self.models)
        except Rejected as exc:
            raise ValueError(exc.body.decode()) from None
        return self._vectors(request)

    def rank(
        self,
        query: str,
        documents: list[str | dict[str, str]],
        model: str = "jina-reranker-v3.5",
        **options: object,
    ) -> list[dict[str, object]]:
        """The `results` the emulated API answers to a rerank request (a test's expected values):
        `{"index", "relevance_score", "document"}` entries, best first.

        Raises ValueError with the API's error body if the request would be refused.
        """
        body = {"model": model, "query": query, "documents": documents, **options}
        try:
            request = rerank.parse(json.loads(json.dumps(body)))
        except Rejected as exc:
            raise ValueError(exc.body.decode()) from None
        return rerank.results(request)

    # -- the handler -----------------------------------------------------------------------

    def handle(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes
    ) -> EmulatedReply:
        """Answer one HTTP request. Callers wait `reply.delay`, then call `reply.release()`."""
        started = time.monotonic()
        with self._lock:
            self._counts["requests"] += 1
            self._counts["bytes_received"] += len(body)
            fault = self._script.popleft() if self._script else None
        if fault is None and self.faults is not None:
            fault = self.faults.draw()
        headers = {k.lower(): v for k, v in headers.items()}
        payload = load(body) if body else None
        if isinstance(fault, When):
            fault = fault.fault if _matches(fault, payload) else None
        reply, tokens = self._answer(method, path, headers, payload, fault)
        if self.provenance_header:
            reply.headers.append((EMULATOR_HEADER, EMULATOR_ID))
        if isinstance(fault, SlowResponse):
            reply.delay += fault.seconds
        if isinstance(fault, DroppedConnection):
            reply.drop = fault
        # The time spent computing the answer is part of the modelled latency, not added to it.
        reply.delay = max(0.0, reply.delay - (time.monotonic() - started))
        sent = 0 if reply.drop and reply.drop.after_bytes is None else len(reply.body)
        if reply.drop and reply.drop.after_bytes is not None:
            sent = min(sent, reply.drop.after_bytes)
        with self._lock:
            self._statuses[reply.status] += 1
            self._counts["bytes_sent"] += sent
            self._counts["dropped"] += reply.drop is not None
            if fault is not None:
                self._fault_kinds[fault.kind] += 1
            self._requests.append(
                RecordedRequest(
                    method,
                    path,
                    None if isinstance(payload, InvalidJSON) else payload,
                    None if reply.drop and reply.drop.after_bytes is None else reply.status,
                    fault,
                    tokens,
                    headers,
                )
            )
        return reply

    def _answer(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str],
        payload: object,
        fault: Fault | None,
    ) -> tuple[EmulatedReply, int]:
        route = path.rstrip("/").rsplit("/", 1)[-1]
        if route not in ("embeddings", "rerank"):
            return _json(404, b'{"detail":"Not Found"}'), 0
        if method != "POST":
            return _json(405, b'{"detail":"Method Not Allowed"}'), 0
        early = self._fault_reply(fault)
        if early is not None:
            return early, 0
        auth = _auth_error(headers.get("authorization"), self.api_keys)
        if auth is not None:
            return _json(401, bodies.flat(auth)), 0
        limiter = self._limiter
        if limiter is not None:
            refusal = limiter.enter()
            if refusal is not None:
                reply = self._refused(refusal)
                reply.headers.extend(limiter.headers())
                return reply, 0
        release = limiter.leave if limiter is not None else _noop
        self._enter()
        try:
            if route == "rerank":
                reply, tokens = self._rerank(payload, fault, limiter)
            else:
                reply, tokens = self._embeddings(payload, fault, limiter)
        except BaseException:
            self._leave(release)
            raise
        if limiter is not None:
            reply.headers.extend(limiter.headers())
        reply.release = lambda: self._leave(release)
        if reply.status == 200:
            reply.delay += self.latency.delay(tokens)
        return reply, tokens

    def _enter(self) -> None:
        with self._lock:
            self._in_flight += 1
            self._peak = max(self._peak, self._in_flight)

    def _leave(self, release: Callable[[], None]) -> None:
        with self._lock:
            self._in_flight -= 1
        release()

    def _refused(self, refusal: Refusal) -> EmulatedReply:
        with self._lock:
            self._counts["rate_limited"] += 1
        reply = _json(429, bodies.flat(refusal.code, refusal.detail))
        reply.headers.append(("Retry-After", str(refusal.retry_after)))
        return reply

    def _charge(self, tokens: int, limiter: Limiter | None) -> EmulatedReply | None:
        """Bill `tokens` to the key: a refusal (429 over the rate, 403 over the balance) or None."""
        if limiter is not None:
            refusal = limiter.charge(tokens)
            if refusal is not None:
                return self._refused(refusal)
        if self.token_balance is not None:
            with self._lock:
                if tokens > self.token_balance:
                    return _json(403, bodies.flat("AUTHZ_INSUFFICIENT_BALANCE"))
                self.token_balance -= tokens
        return None

    def _rerank(
        self, payload: object, fault: Fault | None, limiter: Limiter | None
    ) -> tuple[EmulatedReply, int]:
        try:
            request = rerank.parse(payload)
        except Rejected as exc:
            return _json(exc.status, exc.body), 0
        tokens = request.tokens
        refused = self._charge(tokens, limiter)
        if refused is not None:
            return refused, 0
        results = rerank.results(request)
        if isinstance(fault, ShuffledIndices):
            random.Random(fault.seed).shuffle(results)
        elif isinstance(fault, MissingIndices):
            results = results[: max(0, len(results) - fault.count)]
        elif isinstance(fault, DuplicatedIndex) and len(results) > 1:
            results = [*results[:-1], results[0]]
        out = {
            "model": request.model.name,
            "object": "list",
            "usage": {"total_tokens": tokens},
            "results": results,
        }
        with self._lock:
            self._counts["tokens"] += tokens
        return _json(200, orjson.dumps(out)), tokens

    def _embeddings(
        self, payload: object, fault: Fault | None, limiter: Limiter | None
    ) -> tuple[EmulatedReply, int]:
        try:
            request = parse(payload, self.models)
        except Rejected as exc:
            return _json(exc.status, exc.body), 0
        tokens = request.tokens
        refused = self._charge(tokens, limiter)
        if refused is not None:
            return refused, 0
        encoded = _encode(request.embedding_type, self._vectors(request))
        order = list(range(len(encoded)))
        if isinstance(fault, ShuffledIndices):
            random.Random(fault.seed).shuffle(order)
        elif isinstance(fault, MissingIndices):
            if fault.at:
                order = [i for i in order if i not in fault.at]
            else:
                order = order[: max(0, len(order) - fault.count)]
        elif isinstance(fault, DuplicatedIndex) and len(order) > 1:
            order = [*order[:-1], order[0]]
        usage = {"total_tokens": tokens}
        if _reports_prompt_tokens(request):
            usage["prompt_tokens"] = tokens
        out = encode.embeddings_body(request.model.name, usage, encoded, order)
        with self._lock:
            self._counts["tokens"] += tokens
            self._counts["vectors"] += len(order)
        return _json(200, out), tokens

    def _vectors(self, request: EmbedRequest) -> NDArray[np.float32]:
        return vectors.embed(
            request.items,
            request.analyses,
            request.model,
            request.task,
            request.late_chunking,
            request.normalized,
            request.dimensions,
        ).astype(np.float32)

    def _fault_reply(self, fault: Fault | None) -> EmulatedReply | None:
        if isinstance(fault, TooManyRequests):
            reply = _json(429, bodies.flat(fault.code))
            if fault.retry_after is not None:
                value = (
                    formatdate(self.wall() + fault.retry_after, usegmt=True)
                    if fault.http_date
                    else str(fault.retry_after)
                )
                reply.headers.append(("Retry-After", value))
            return reply
        if isinstance(fault, ServerFailure):
            code = bodies.STATUS_CODES.get(fault.status, "INTERNAL_ERROR")
            return _json(fault.status, bodies.flat(code))
        if isinstance(fault, ErrorReply):
            return _json(fault.status, bodies.flat(fault.code, fault.detail))
        if isinstance(fault, HTMLErrorPage):
            return EmulatedReply(
                fault.status,
                [("Content-Type", "text/html; charset=UTF-8")],
                bodies.html_page(fault.status),
            )
        if isinstance(fault, RawReply):
            return EmulatedReply(fault.status, [("Content-Type", fault.content_type)], fault.body)
        return None


def _matches(when: When, payload: object) -> bool:
    return not isinstance(payload, InvalidJSON) and bool(when.match(payload))


def _json(status: int, body: bytes) -> EmulatedReply:
    return EmulatedReply(status, [("Content-Type", "application/json")], body)


def _auth_error(header: str | None, keys: frozenset[str] | None) -> str | None:
    if not header or not header.strip():
        return "AUTH_MISSING_API_KEY"
    scheme, _, key = header.strip().partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key.startswith("jina_"):
        return "AUTH_INVALID_FORMAT"
    if keys is not None and key not in keys:
        return "AUTH_INVALID_API_KEY"
    return None


def _reports_prompt_tokens(request: EmbedRequest) -> bool:
    """PROD-2026: v2 and clip always; v3 with late chunking or object-form input; others never."""
    name = request.model.name
    if name.startswith(_PROMPT_TOKENS_ALWAYS):
        return True
    if name == "jina-embeddings-v3":
        return request.late_chunking or request.object_form
    return False


def _encode(kind: str, values: NDArray[np.float32]) -> list[bytes]:
    if kind == "base64":
        return encode.base64_strings(values)
    if kind in ("binary", "ubinary"):
        return encode.packed_arrays(values, offset=kind == "binary")
    return encode.float_arrays(values)
