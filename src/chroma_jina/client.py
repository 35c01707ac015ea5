"""HTTP to the Jina API: planning, retries, rate-limit pacing and bounded concurrency.

All decisions live in pure code shared by both paths: `plan` splits a call into requests,
and `embed_batch` is a generator that *yields* effects (`Send` a request, `Sleep`) and
receives replies, so one implementation of retries, splitting and re-requests serves both
the sync executor (a thread pool over `httpx.Client`) and the async one (tasks over
`httpx.AsyncClient`).
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
import statistics
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Generator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import numpy as np

from chroma_jina.errors import (
    InvalidRequestError,
    JinaError,
    JinaTimeoutError,
    MalformedResponseError,
    NetworkError,
    RateLimitError,
    ServerError,
)
from chroma_jina.wire import Decoded, build_body, decode_response, dumps, parse_error

logger = logging.getLogger("chroma_jina")

DEFAULT_BASE_URL = "https://api.jina.ai/v1"
DEFAULT_MAX_CONCURRENCY = 5
"""Concurrent requests per call: the free tier's limit."""
DEFAULT_MAX_TOKENS_PER_REQUEST = 128_000
"""Estimated tokens per request (512 passages of about 250 tokens)."""
IMAGE_TOKENS = 1_000
"""Token estimate for one image."""
BACKOFF_BASE, BACKOFF_CAP = 0.5, 30.0
MAX_RETRY_AFTER = 300.0
"""A Retry-After longer than this is not waited for: the error is raised."""
PROGRESS_MIN_INPUTS = 1_000

T = TypeVar("T")


@dataclass(frozen=True)
class Usage:
    """Token usage of one call, summed over its requests.

    `prompt_tokens` is None when no response reported it; `requests` counts every HTTP
    request sent, retries included.
    """

    total_tokens: int
    prompt_tokens: int | None
    requests: int


class Meter:
    """Thread-safe running totals behind a `Usage`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._total = 0
        self._prompt: int | None = None
        self._requests = 0

    def request(self) -> None:
        with self._lock:
            self._requests += 1

    def add(self, decoded: Decoded) -> None:
        with self._lock:
            self._total += decoded.total_tokens
            if decoded.prompt_tokens is not None:
                self._prompt = (self._prompt or 0) + decoded.prompt_tokens

    def usage(self) -> Usage:
        with self._lock:
            return Usage(self._total, self._prompt, self._requests)


# ---- planning -------------------------------------------------------------------------


def estimate_tokens(item: object) -> int:
    """A cheap, slightly generous token estimate: ~4 characters per token for Latin text,
    one token per wide (e.g. CJK) character, plus the 2 special tokens Jina counts."""
    if not isinstance(item, str):
        return IMAGE_TOKENS
    wide = (len(item.encode()) - len(item)) // 2
    return (len(item) - wide) // 4 + wide + 2


@dataclass(frozen=True)
class Job:
    """One validated embedding call: what to send and how to read the answers."""

    model: str
    items: Sequence[object]
    fields: Mapping[str, object]
    """Request fields besides model and input."""
    wire_type: str
    """Embedding type the responses come in."""
    dim: int | None
    """Expected vector length, None when unknown."""
    late_chunking: bool = False
    """Send the whole call as one request (one context); never split it."""
    each_alone: bool = False
    """Send every input in its own request (late-chunked queries must not share a context)."""


def plan(job: Job, max_items: int, max_tokens: int) -> list[list[int]]:
    """Split a call into requests (lists of input positions, in order): at most `max_items`
    inputs and, where possible, `max_tokens` estimated tokens each."""
    n = len(job.items)
    if job.each_alone:
        return [[i] for i in range(n)]
    if job.late_chunking:
        if n > max_items:
            raise ValueError(
                f"late_chunking embeds one call as one context, so a call can hold at most "
                f"{max_items} inputs for {job.model!r}, got {n}. Pass the chunks of one "
                f"document (or a few) per call."
            )
        return [list(range(n))]
    batches: list[list[int]] = []
    current: list[int] = []
    used = 0
    for i, item in enumerate(job.items):
        cost = estimate_tokens(item)
        if current and (len(current) >= max_items or used + cost > max_tokens):
            batches.append(current)
            current, used = [], 0
        current.append(i)
        used += cost
    batches.append(current)
    return batches


# ---- retry decisions ------------------------------------------------------------------


@dataclass
class RetryPolicy:
    """When and how long to wait before retrying a failed request."""

    max_retries: int = 5
    base: float = BACKOFF_BASE
    cap: float = BACKOFF_CAP
    rng: random.Random | None = None

    def delay(self, attempt: int, error: JinaError) -> float | None:
        """Seconds to wait before retry number `attempt + 1`, or None to give up.

        Retries 408, 429, 5xx and network errors; never another 4xx. Honours Retry-After;
        otherwise exponential backoff with jitter (50-100% of base * 2**attempt, capped).
        """
        if attempt >= self.max_retries or not isinstance(
            error, (RateLimitError, ServerError, NetworkError)
        ):
            return None
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None:
            return retry_after if retry_after <= MAX_RETRY_AFTER else None
        jitter = (self.rng or random).random()
        return min(self.cap, self.base * 2**attempt) * (0.5 + jitter / 2)


_TOO_LARGE = re.compile(
    r"larger than the largest allowed|at most \d+ items|too large|too many|cannot exceed",
    re.IGNORECASE,
)


def is_too_large(error: JinaError) -> bool:
    """True when the service refused a request for its size (items or tokens)."""
    if error.status == 413:
        return True
    return isinstance(error, InvalidRequestError) and (
        error.code == "INPUT_TOKEN_LIMIT_EXCEEDED"
        or (error.status in (400, 422) and bool(_TOO_LARGE.search(error.message)))
    )


# ---- rate-limit pacing ----------------------------------------------------------------


@dataclass
class _Sent:
    """One request this client sent (or is about to): when, how many tokens, its ticket."""

    at: float
    tokens: int
    """Estimated until the response says what was billed."""
    ticket: int
    billed: bool = False


class Pacer:
    """Decides how long a request must wait before it is sent, shared by all of one
    client's concurrent requests (which start in the order they were planned).

    Three sources: optional requests/tokens-per-minute budgets; a hold after a 429 (every
    request waits out the Retry-After, not only the one that got it); and the
    `X-RateLimit-Remaining-Requests` / `-Tokens` headers. From what remains and what this
    client sent in the 60 s before, a response tells the key's per-minute limits (a lower
    bound if others share the key); later requests then wait, like the service's own sliding
    window, until they fit under those limits, with a 1/60 margin for the time a request takes to
    arrive. So the client slows down before a 429, and no more than the limits require.
    """

    window = 60.0

    def __init__(
        self,
        requests_per_minute: int | None = None,
        tokens_per_minute: int | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._lock = threading.Lock()
        self._budgets = {"requests": requests_per_minute, "tokens": tokens_per_minute}
        self._limits: dict[str, int] = {}
        """Limits learned from the rate-limit headers: the median of the last estimates (each
        may be off by a request or two when concurrent requests reach the service out of
        order)."""
        self._estimates: dict[str, deque[int]] = {}
        self.clock = clock
        self._not_before = 0.0
        self._sent: deque[_Sent] = deque()
        self._tickets = 0
        self._reported = 0
        """Ticket of the newest request whose response reported what remains."""
        self._estimated, self._billed = 0, 0
        """Sums over billed requests, to scale estimates to what the service counts."""

    def reserve(self, tokens: int) -> tuple[float, int]:
        """Seconds to wait before sending a request of about `tokens` tokens, and the
        request's ticket (pass it to `observe` with the response)."""
        with self._lock:
            now = self.clock()
            while self._sent and self._sent[0].at <= now - 2 * self.window:
                self._sent.popleft()
            start = max(now, self._not_before, self._sent[-1].at if self._sent else now)
            for kind in ("requests", "tokens"):
                for limit, margin in (
                    (self._budgets[kind], 1.0),
                    (self._limits.get(kind), 61 / 60),
                ):
                    if limit:
                        start = self._fit(kind, tokens, limit, start, self.window * margin)
            self._tickets += 1
            self._sent.append(_Sent(start, tokens, self._tickets))
            return start - now, self._tickets

    def _fit(self, kind: str, tokens: int, limit: int, start: float, span: float) -> float:
        """The first time >= `start` when one more request keeps the last `span` seconds of
        this client's requests within `limit` requests (or tokens)."""

        scale = 1.05 * self._billed / self._estimated if self._estimated else 1.0

        def size(s: _Sent) -> float:
            return 1 if kind == "requests" else s.tokens if s.billed else s.tokens * scale

        cost = 1 if kind == "requests" else tokens * scale
        t = start
        while True:
            inside = [s for s in self._sent if s.at > t - span]
            if not inside or sum(map(size, inside)) + cost <= limit:
                return t
            t = inside[0].at + span

    def hold(self, seconds: float) -> None:
        """Make every request wait at least `seconds` from now (after a 429)."""
        with self._lock:
            self._not_before = max(self._not_before, self.clock() + seconds)

    def observe(self, ticket: int, headers: Mapping[str, str], billed: int) -> None:
        """Record the response to request `ticket`: the tokens it was `billed` (0 if it was
        refused) and the remaining-budget headers, if any."""
        left = {
            "requests": _header_int(headers, "x-ratelimit-remaining-requests"),
            "tokens": _header_int(headers, "x-ratelimit-remaining-tokens"),
        }
        with self._lock:
            sent = next((s for s in self._sent if s.ticket == ticket), None)
            if sent is None:
                return
            if billed:
                self._estimated += sent.tokens
                self._billed += billed
            sent.tokens, sent.billed = billed, True
            if ticket < self._reported or all(v is None for v in left.values()):
                return
            self._reported = ticket
            counted = [
                s
                for s in self._sent
                if s.ticket <= ticket and sent.at - self.window < s.at <= sent.at
            ]
            for kind, remaining in left.items():
                if remaining is not None:
                    used = len(counted) if kind == "requests" else sum(s.tokens for s in counted)
                    estimates = self._estimates.setdefault(kind, deque(maxlen=9))
                    estimates.append(remaining + used)
                    self._limits[kind] = int(statistics.median_low(estimates))


def _header_int(headers: Mapping[str, str], name: str) -> int | None:
    value = next((v for k, v in headers.items() if k.lower() == name), None)
    try:
        return None if value is None else max(0, int(float(value)))
    except ValueError:
        return None


# ---- the per-batch logic, as effects --------------------------------------------------


@dataclass(frozen=True)
class Send:
    """Effect: POST this JSON body; the executor answers with a `Reply` or the exception."""

    body: bytes


@dataclass(frozen=True)
class Sleep:
    """Effect: wait this many seconds."""

    seconds: float


@dataclass(frozen=True)
class Reply:
    """An HTTP answer."""

    status: int
    headers: Mapping[str, str]
    content: bytes


Step = Generator["Send | Sleep", "Reply | Exception | None", T]


@dataclass
class Context:
    """What one call's batches share."""

    policy: RetryPolicy
    pacer: Pacer
    meter: Meter
    wall: Callable[[], float] = time.time
    """Wall clock, for Retry-After dates."""
    scrub: Callable[[JinaError], JinaError] = lambda error: error
    """Removes the API key from an error's message, should the service echo it."""


def _network_error(exc: Exception) -> JinaError:
    if isinstance(exc, httpx.TimeoutException):
        return JinaTimeoutError(f"request timed out ({type(exc).__name__})")
    return NetworkError(f"no HTTP answer: {type(exc).__name__}: {exc}")


def _request(job: Job, positions: list[int], ctx: Context) -> Step[dict[int, np.ndarray]]:
    """Send the inputs at `positions` as one request, retrying; return vectors by position
    (positions missing from the response are absent)."""
    body = dumps(build_body(job.model, [job.items[p] for p in positions], job.fields))
    tokens = sum(estimate_tokens(job.items[p]) for p in positions)
    attempt = 0
    while True:
        wait, ticket = ctx.pacer.reserve(tokens)
        if wait > 0:
            yield Sleep(wait)
        reply = yield Send(body)
        ctx.meter.request()
        if isinstance(reply, Reply):
            if reply.status == 200:
                try:
                    decoded = decode_response(reply.content, len(positions), job.wire_type, job.dim)
                except JinaError as err:
                    err.input_indices = list(positions)
                    raise
                ctx.meter.add(decoded)
                ctx.pacer.observe(ticket, reply.headers, decoded.total_tokens or tokens)
                return {positions[k]: v for k, v in decoded.vectors.items()}
            ctx.pacer.observe(ticket, reply.headers, 0)
            error = parse_error(reply.status, reply.headers, reply.content, now=ctx.wall())
        else:
            error = _network_error(reply)  # type: ignore[arg-type]
        error = ctx.scrub(error)
        delay = ctx.policy.delay(attempt, error)
        if delay is None:
            error.input_indices = list(positions)
            raise error
        if isinstance(error, RateLimitError):
            ctx.pacer.hold(delay)
        logger.info(
            "retry %d for %d inputs in %.2fs after: %s",
            attempt + 1,
            len(positions),
            delay,
            error.message,
        )
        yield Sleep(delay)
        attempt += 1


def embed_batch(job: Job, positions: list[int], ctx: Context) -> Step[dict[int, np.ndarray]]:
    """Embed the inputs at `positions`: one request, halved and retried if the service
    refuses it as too large (never with late chunking), and asked again for whatever a
    response left out. Returns a vector for every position or raises."""
    try:
        got = yield from _request(job, positions, ctx)
    except JinaError as err:
        if not (is_too_large(err) and len(positions) > 1 and not job.late_chunking):
            raise
        half = len(positions) // 2
        logger.info("request of %d inputs refused as too large: splitting in two", len(positions))
        first = yield from embed_batch(job, positions[:half], ctx)
        second = yield from embed_batch(job, positions[half:], ctx)
        return first | second
    missing = [p for p in positions if p not in got]
    if missing:
        again = positions if job.late_chunking else missing
        logger.info("response lacked %d of %d inputs: asking again", len(missing), len(positions))
        more = yield from _request(job, again, ctx)
        got = more if job.late_chunking else got | more
        still = [p for p in positions if p not in got]
        if still:
            raise MalformedResponseError(
                f"the response lacked {len(still)} of {len(positions)} vectors, twice",
                status=200,
                input_indices=still,
            )
    return got


# ---- executors ------------------------------------------------------------------------


class _Cancelled(Exception):
    """Another batch of the same call failed."""


def drive(
    step: Step[T],
    send: Callable[[Send], Reply | Exception],
    sleep: Callable[[float], Any],
    cancelled: Callable[[], bool] = lambda: False,
) -> T:
    """Run a step generator synchronously."""
    value: Reply | Exception | None = None
    try:
        while True:
            effect = step.send(value)
            if cancelled():
                step.close()
                raise _Cancelled
            if isinstance(effect, Sleep):
                sleep(effect.seconds)
                value = None
            else:
                value = send(effect)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]


async def adrive(step: Step[T], send: Callable[[Send], Any], sleep: Callable[[float], Any]) -> T:
    """Run a step generator on the event loop."""
    value: Reply | Exception | None = None
    try:
        while True:
            effect = step.send(value)
            if isinstance(effect, Sleep):
                await sleep(effect.seconds)
                value = None
            else:
                value = await send(effect)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]


class _Secret:
    """Holds the API key; its repr never shows it."""

    def __init__(self, value: str) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "_Secret('***')"

    def headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.value}",
            "Content-Type": "application/json",
            "User-Agent": "chroma-jina",
        }


class JinaClient:
    """Sends validated jobs to `{base_url}/embeddings`, sync or async."""

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 60.0,
        max_retries: int = 5,
        http_client: httpx.Client | None = None,
        async_http_client: httpx.AsyncClient | None = None,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        max_items: int = 512,
        max_tokens_per_request: int = DEFAULT_MAX_TOKENS_PER_REQUEST,
        requests_per_minute: int | None = None,
        tokens_per_minute: int | None = None,
        progress: bool | None = None,
    ) -> None:
        self.url = base_url.rstrip("/") + "/embeddings"
        self._secret = _Secret(api_key)
        self.timeout = timeout
        self.policy = RetryPolicy(max_retries)
        self.pacer = Pacer(requests_per_minute, tokens_per_minute)
        self.max_concurrency = max_concurrency
        self.max_items = max_items
        self.max_tokens = max_tokens_per_request
        self.progress = progress
        self._http = http_client
        self._owns_http = http_client is None
        self._async_http = async_http_client
        self.sleep: Callable[[float], Any] | None = None
        """Sync sleep; None = real time (interrupted when another batch fails)."""
        self.async_sleep: Callable[[float], Any] = asyncio.sleep
        self.wall: Callable[[], float] = time.time

    def __repr__(self) -> str:
        return f"JinaClient(url={self.url!r})"

    # -- shared

    def _context(self, meter: Meter) -> Context:
        return Context(self.policy, self.pacer, meter, self.wall, self._scrub)

    def _bar(self, job: Job, batches: list[list[int]]) -> Any:
        show = self.progress
        if show is None:
            show = (
                len(job.items) >= PROGRESS_MIN_INPUTS and len(batches) > 1 and sys.stderr.isatty()
            )
        if not show:
            return None
        from tqdm.auto import tqdm

        return tqdm(total=len(job.items), unit="input", desc="Jina embeddings")

    def _assemble(self, job: Job, results: list[dict[int, np.ndarray]]) -> list[np.ndarray]:
        out: list[np.ndarray | None] = [None] * len(job.items)
        for got in results:
            for position, vector in got.items():
                out[position] = vector
        missing = [i for i, v in enumerate(out) if v is None]
        if missing:  # embed_batch guarantees this cannot happen; never return a partial list
            raise MalformedResponseError("vectors missing", input_indices=missing)
        return out  # type: ignore[return-value]

    def _scrub(self, error: JinaError) -> JinaError:
        key = self._secret.value
        if key and key in error.message:
            error.message = error.message.replace(key, "***")
            error.args = (error.message,)
        return error

    # -- sync

    def _client(self) -> httpx.Client:
        if self._http is None:
            self._http = httpx.Client(timeout=self.timeout)
        return self._http

    def _send(self, effect: Send) -> Reply | Exception:
        try:
            r = self._client().post(
                self.url, content=effect.body, headers=self._secret.headers(), timeout=self.timeout
            )
        except httpx.TransportError as exc:
            return exc
        return Reply(r.status_code, r.headers, r.content)

    def run(self, job: Job, meter: Meter) -> list[np.ndarray]:
        """Embed a job, sync: batches run on up to `max_concurrency` threads."""
        batches = plan(job, self.max_items, self.max_tokens)
        ctx = self._context(meter)
        steps = [embed_batch(job, b, ctx) for b in batches]
        self._client()  # create the shared httpx.Client before the threads need it
        bar = self._bar(job, batches)
        stop = threading.Event()
        sleep = self.sleep or stop.wait
        try:
            if len(steps) == 1 or self.max_concurrency == 1:
                results = []
                for batch, step in zip(batches, steps):
                    results.append(drive(step, self._send, sleep))
                    bar and bar.update(len(batch))
                return self._assemble(job, results)
            workers = min(self.max_concurrency, len(steps))
            with ThreadPoolExecutor(workers, thread_name_prefix="chroma-jina") as pool:
                futures = {
                    pool.submit(drive, s, self._send, sleep, stop.is_set): b
                    for s, b in zip(steps, batches)
                }
                try:
                    for future in as_completed(futures):
                        future.result()
                        bar and bar.update(len(futures[future]))
                except BaseException:
                    stop.set()
                    for future in futures:
                        future.cancel()
                    raise
            return self._assemble(job, [f.result() for f in futures])
        finally:
            bar and bar.close()

    # -- async

    async def _asend(self, client: httpx.AsyncClient, effect: Send) -> Reply | Exception:
        try:
            r = await client.post(
                self.url, content=effect.body, headers=self._secret.headers(), timeout=self.timeout
            )
        except httpx.TransportError as exc:
            return exc
        return Reply(r.status_code, r.headers, r.content)

    async def arun(self, job: Job, meter: Meter) -> list[np.ndarray]:
        """Embed a job on the event loop: batches run as up to `max_concurrency` tasks.

        Without an `async_http_client` but with an `http_client`, runs the sync path in a
        thread; with neither, uses a fresh `httpx.AsyncClient` for the call."""
        if self._async_http is None and not self._owns_http:
            return await asyncio.to_thread(self.run, job, meter)
        batches = plan(job, self.max_items, self.max_tokens)
        ctx = self._context(meter)
        bar = self._bar(job, batches)
        client = self._async_http or httpx.AsyncClient(timeout=self.timeout)
        semaphore = asyncio.Semaphore(self.max_concurrency)

        async def one(batch: list[int]) -> dict[int, np.ndarray]:
            async with semaphore:
                got = await adrive(
                    embed_batch(job, batch, ctx), lambda e: self._asend(client, e), self.async_sleep
                )
            bar and bar.update(len(batch))
            return got

        tasks = [asyncio.ensure_future(one(b)) for b in batches]
        try:
            return self._assemble(job, list(await asyncio.gather(*tasks)))
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if client is not self._async_http:
                await client.aclose()
            bar and bar.close()
