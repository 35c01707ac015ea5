"""HTTP to the Jina API: planning, retries and bounded concurrency (pacing is in `pacing`).

All decisions live in pure code shared by both paths: `plan` splits a call into requests,
and `embed_batch` is a generator that *yields* effects (`Send` a request, `Sleep`) and
receives replies, so one implementation of retries, splitting and re-requests serves both
the sync executor (a thread pool over `httpx.Client`) and the async one (tasks over
`httpx.AsyncClient`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import re
import sys
import threading
import time
import weakref
from collections.abc import AsyncGenerator, Callable, Generator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any, NoReturn, TypeVar, cast

import httpx
import numpy as np

from chroma_jina.errors import (
    ConfigurationError,
    InvalidRequestError,
    JinaError,
    JinaTimeoutError,
    MalformedResponseError,
    NetworkError,
    RateLimitError,
    ServerError,
)
from chroma_jina.pacing import CappedPacer, CappedSlots, Slot, budget_for
from chroma_jina.wire import TOO_LONG_HINT, Decoded, build_body, decode_response, dumps, parse_error

logger = logging.getLogger("chroma_jina")

DEFAULT_BASE_URL = "https://api.jina.ai/v1"
DEFAULT_MAX_TOKENS_PER_REQUEST = 128_000
"""Estimated tokens per request (512 passages of about 250 tokens)."""
IMAGE_TILE, IMAGE_TILE_TOKENS = 224, 1_000
"""Images are billed by size: 1,000 tokens per 224x224 tile begun (an 896x896 image cost 16,000
tokens on jina-clip-v1, simonw/llm-jina-api#1; taken as the estimate for every model)."""
BACKOFF_BASE, BACKOFF_CAP = 0.5, 30.0
MAX_RETRY_AFTER = 300.0
"""A Retry-After longer than this is not waited for: the error is raised."""
PROGRESS_MIN_INPUTS = 1_000
MAX_PASSES = 3
"""One-input requests that may pass (and be billed) while looking for a too-long input."""
MAX_NAMED = 64
"""Too-long inputs named at most by one error."""

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


def most_tokens(item: object) -> int:
    """An upper bound on the tokens of one text: one per UTF-8 byte (no tokenizer uses more)
    plus room for special tokens and task instructions. 0 for an image."""
    return len(item.encode()) + 64 if isinstance(item, str) else 0


def image_tokens(height: int, width: int) -> int:
    """Tokens an image of this size is billed: 1,000 per 224x224 tile begun."""
    tiles = -(-max(1, height) // IMAGE_TILE) * -(-max(1, width) // IMAGE_TILE)
    return IMAGE_TILE_TOKENS * tiles


def estimate_tokens(item: object) -> int:
    """A cheap, slightly generous token estimate: ~4 characters per token for Latin text,
    one token per wide (e.g. CJK) character, plus the 2 special tokens Jina counts; an image
    (pixels, shape (h, w, ...)) by its size, as Jina bills it (`image_tokens`)."""
    if not isinstance(item, str):
        shape = getattr(item, "shape", (1, 1))
        return image_tokens(int(shape[0]), int(shape[1]))
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
    context: int | None = None
    """The model's context in tokens per input, None when unknown."""


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
    r"larger than the largest allowed|at most \d+ items|too large|too many", re.IGNORECASE
)
_TOO_LONG = re.compile(r"cannot exceed \d+ tokens|exceeds? \d+ tokens", re.IGNORECASE)


def is_input_too_long(error: JinaError) -> bool:
    """True when the service refused an input as longer than the model's context: a limit
    on each input, which splitting the request cannot help."""
    return isinstance(error, InvalidRequestError) and (
        error.code == "INPUT_TOKEN_LIMIT_EXCEEDED" or bool(_TOO_LONG.search(error.message))
    )


def is_too_large(error: JinaError) -> bool:
    """True when the service refused a request for its size (items or bytes)."""
    if error.status == 413:
        return True
    return (
        isinstance(error, InvalidRequestError)
        and error.status in (400, 422)
        and not is_input_too_long(error)
        and bool(_TOO_LARGE.search(error.message))
    )


# ---- the per-batch logic, as effects --------------------------------------------------


@dataclass(frozen=True)
class Acquire:
    """Effect: wait for a slot of the key's concurrency limit; the executor answers with the
    `Slot`, which the step gives back with `Context.slots.release`."""


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


Effect = Acquire | Send | Sleep
Step = Generator[Effect, "Reply | Slot | Exception | None", T]


@dataclass
class Context:
    """What one call's batches share."""

    policy: RetryPolicy
    pacer: CappedPacer
    slots: CappedSlots
    meter: Meter
    wall: Callable[[], float] = time.time
    """Wall clock, for Retry-After dates."""
    scrub: Callable[[JinaError], JinaError] = lambda error: error
    """Removes the API key from an error's message, should the service echo it."""


def _network_error(exc: Exception) -> JinaError:
    """The typed error for an exception of httpx (its `__cause__`). Only network errors and
    timeouts are retried: a bad URL or a redirect loop fails at once, a body that cannot be
    decoded is a malformed response."""
    name = f"{type(exc).__name__}: {exc}"
    error: JinaError
    if isinstance(exc, httpx.TimeoutException):
        error = JinaTimeoutError(f"request timed out ({type(exc).__name__})")
    elif isinstance(exc, (httpx.UnsupportedProtocol, httpx.InvalidURL, httpx.TooManyRedirects)):
        error = ConfigurationError(f"the request could not be sent: {name}")
    elif isinstance(exc, httpx.DecodingError):
        error = MalformedResponseError(f"the response body could not be decoded: {name}")
    else:
        error = NetworkError(f"no HTTP answer: {name}")
    error.__cause__ = exc
    return error


def is_concurrency_refusal(error: JinaError) -> bool:
    """True for a 429 that says too many requests of the key were in flight."""
    return isinstance(error, RateLimitError) and error.code == "RATE_CONCURRENCY_LIMIT_EXCEEDED"


def _request(job: Job, positions: list[int], ctx: Context) -> Step[dict[int, np.ndarray]]:
    """Send the inputs at `positions` as one request, retrying; return vectors by position
    (positions missing from the response are absent).

    Each try holds a slot of the key from the pacer's wait to the answer. A refusal for
    concurrency that the shared limit now explains is sent again when a slot frees, without
    spending a retry; every other failure spends one."""
    body = dumps(build_body(job.model, [job.items[p] for p in positions], job.fields))
    tokens = sum(estimate_tokens(job.items[p]) for p in positions)
    attempt = 0
    while True:
        slot = cast(Slot, (yield Acquire()))
        try:
            wait, ticket = ctx.pacer.reserve(tokens)
            if wait > 0:
                yield Sleep(wait)
            reply = yield Send(body)
        except BaseException:
            ctx.slots.release(slot)
            raise
        ctx.meter.request()
        if isinstance(reply, Reply) and reply.status == 200:
            try:  # what was billed reaches the pacer before the next request takes the slot
                decoded = decode_response(reply.content, len(positions), job.wire_type, job.dim)
                ctx.meter.add(decoded)
                ctx.pacer.observe(ticket, reply.headers, decoded.total_tokens or tokens)
            except JinaError as err:
                err.input_indices = err.at_fault = list(positions)
                raise
            finally:
                ctx.slots.release(slot, "ok")
            return {positions[k]: v for k, v in decoded.vectors.items()}
        if isinstance(reply, Reply):
            ctx.pacer.observe(ticket, reply.headers, 0)
            error = parse_error(reply.status, reply.headers, reply.content, now=ctx.wall())
        else:
            error = _network_error(reply)  # type: ignore[arg-type]
        error = ctx.scrub(error)
        crowded = is_concurrency_refusal(error)
        if ctx.slots.release(slot, "refused" if crowded else "failed"):
            logger.info("refused for concurrency: the key's limit is now %d", ctx.slots.key.limit)
            continue
        delay = ctx.policy.delay(attempt, error)
        if delay is None:
            error.input_indices = error.at_fault = list(positions)
            raise error
        if isinstance(error, RateLimitError) and not crowded:
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
    response left out. Returns a vector for every position or raises; an input longer than
    the model's context makes it raise naming such inputs (see `find_too_long`)."""
    try:
        got = yield from _request(job, positions, ctx)
    except JinaError as err:
        if is_input_too_long(err) and len(positions) > 1 and not job.late_chunking:
            yield from find_too_long(job, positions, ctx, err)
        if not (is_too_large(err) and len(positions) > 1 and not job.late_chunking):
            raise
        half = len(positions) // 2
        logger.info("request of %d inputs refused as too large: splitting in two", len(positions))
        first = yield from embed_batch(job, positions[:half], ctx)
        try:
            second = yield from embed_batch(job, positions[half:], ctx)
        except JinaError as failed:  # the first half was paid for: hand it back
            failed.embedded = {**first, **failed.embedded}
            raise
        return first | second
    missing = [p for p in positions if p not in got]
    if missing:
        again = positions if job.late_chunking else missing
        logger.info("response lacked %d of %d inputs: asking again", len(missing), len(positions))
        more = yield from _request(job, again, ctx)
        got = more if job.late_chunking else got | more
        still = [p for p in positions if p not in got]
        if still:
            error = MalformedResponseError(
                f"the response lacked {len(still)} of {len(positions)} vectors, twice",
                status=200,
                input_indices=still,
            )
            error.embedded = got
            raise error
    return got


def find_too_long(
    job: Job, positions: list[int], ctx: Context, refused: JinaError
) -> Step[NoReturn]:
    """Name the inputs the service refused as longer than the model's context, then raise.

    The call cannot succeed, so nothing is re-sent in bulk. The inputs that could be too long
    (more UTF-8 bytes than the context has tokens, when the model is known) are sent alone,
    longest first: a refusal names one (and costs nothing); the first that passes after that
    ends the search, since the shorter ones fit too. At most `MAX_PASSES` pass (and are billed)
    before one is refused, and at most `MAX_NAMED` are named.
    """
    longest_first = sorted(positions, key=lambda p: -estimate_tokens(job.items[p]))
    if job.context is not None:
        longest_first = [
            p for p in longest_first if most_tokens(job.items[p]) > job.context
        ] or longest_first
    offenders: list[int] = []
    passed: dict[int, np.ndarray] = {}
    for p in longest_first:
        if len(passed) >= MAX_PASSES or len(offenders) >= MAX_NAMED:
            break
        try:
            passed |= yield from _request(job, [p], ctx)
        except JinaError as err:
            if not is_input_too_long(err):
                err.embedded = {**passed, **err.embedded}
                raise
            offenders.append(p)
            continue
        if offenders:
            break
    if len(offenders) >= MAX_NAMED:
        refused.message += f" (the {MAX_NAMED} longest are named; others may be too long too)"
    refused.input_indices = list(positions)
    refused.at_fault = sorted(offenders) or list(positions)
    refused.embedded = passed  # billed on the way: kept
    refused.hint = TOO_LONG_HINT
    raise refused


# ---- executors ------------------------------------------------------------------------


class _Cancelled(Exception):
    """Another batch of the same call failed."""


def drive(
    step: Step[T],
    send: Callable[[Send], Reply | Exception],
    sleep: Callable[[float], Any],
    acquire: Callable[[], Slot],
    cancelled: Callable[[], bool] = lambda: False,
) -> T:
    """Run a step generator synchronously."""
    value: Reply | Slot | Exception | None = None
    try:
        while True:
            effect = step.send(value)
            if cancelled():
                raise _Cancelled
            if isinstance(effect, Sleep):
                sleep(effect.seconds)
                value = None
            elif isinstance(effect, Acquire):
                value = acquire()
            else:
                value = send(effect)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]
    finally:
        step.close()  # gives back a slot it holds when it stopped early


async def adrive(
    step: Step[T],
    send: Callable[[Send], Any],
    sleep: Callable[[float], Any],
    acquire: Callable[[], Any],
    cancelled: Callable[[], bool] = lambda: False,
) -> T:
    """Run a step generator on the event loop."""
    value: Reply | Slot | Exception | None = None
    try:
        while True:
            effect = step.send(value)
            if cancelled():
                raise _Cancelled
            if isinstance(effect, Sleep):
                await sleep(effect.seconds)
                value = None
            elif isinstance(effect, Acquire):
                value = await acquire()
            else:
                value = await send(effect)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]
    finally:
        step.close()


async def _close_at_loop_shutdown(client: httpx.AsyncClient) -> AsyncGenerator[None, None]:
    """Closes `client` when its event loop finalizes the generator at shutdown."""
    try:
        yield
    finally:
        await client.aclose()


def keep_paid(job: Job, error: JinaError, parts: Sequence[Mapping[int, np.ndarray]]) -> JinaError:
    """Hand the vectors that came back (`parts`, and what `error` already holds) to the
    caller on `error`: `embedded` by input position, `input_indices` every other input."""
    embedded: dict[int, np.ndarray] = {}
    for part in parts:
        embedded.update(part)
    embedded.update(error.embedded)
    error.embedded = embedded
    error.input_indices = [i for i in range(len(job.items)) if i not in embedded]
    return error


def assemble(job: Job, results: list[dict[int, np.ndarray]]) -> list[np.ndarray]:
    """The batches' vectors as one list in input order; raises rather than return a part."""
    out: list[np.ndarray | None] = [None] * len(job.items)
    for got in results:
        for position, vector in got.items():
            out[position] = vector
    missing = [i for i, v in enumerate(out) if v is None]
    if missing:  # embed_batch guarantees this cannot happen; never return a partial list
        raise MalformedResponseError("vectors missing", input_indices=missing)
    return out  # type: ignore[return-value]


def _raised(done: Future[Any] | asyncio.Future[Any]) -> BaseException | None:
    """What a finished batch raised (None if it succeeded, was cancelled or is not done)."""
    if not done.done() or done.cancelled():
        return None
    return done.exception()


def _came(
    done: Future[dict[int, np.ndarray]] | asyncio.Future[dict[int, np.ndarray]],
) -> dict[int, np.ndarray]:
    """The vectors a batch got: all of them, what it got before failing, or none."""
    if not done.done() or done.cancelled():
        return {}
    error = done.exception()
    if error is None:
        return done.result()
    return error.embedded if isinstance(error, JinaError) else {}


class _Owned:
    """The httpx clients a `JinaClient` created itself (never one passed in), closable without
    the client: by `close()`, and by a finalizer when it is collected or the interpreter exits."""

    def __init__(self) -> None:
        self.sync: httpx.Client | None = None
        self.loops: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, tuple[httpx.AsyncClient, AsyncGenerator[None, None]]
        ] = weakref.WeakKeyDictionary()
        """One client per event loop (a client cannot move between loops)."""

    def close(self) -> None:
        """Close them all: the sync client now; an async one on its loop if that loop is not
        closed (its connections are closed already if it is: see `_close_at_loop_shutdown`)."""
        if self.sync is not None:
            self.sync.close()
            self.sync = None
        for loop, (client, _) in list(self.loops.items()):
            with contextlib.suppress(RuntimeError):  # a loop closing meanwhile
                if loop.is_closed():
                    continue
                if not loop.is_running():
                    loop.run_until_complete(client.aclose())
                elif _running_loop() is loop:
                    task = loop.create_task(client.aclose())
                    _CLOSING.add(task)  # the loop keeps only a weak reference
                    task.add_done_callback(_CLOSING.discard)
                else:
                    asyncio.run_coroutine_threadsafe(client.aclose(), loop)
        self.loops.clear()


_CLOSING: set[asyncio.Task[None]] = set()


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


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
        max_concurrency: int | None = None,
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
        self.budget = budget_for(api_key, base_url)
        """Shared with every client of the same key and base URL in this process."""
        self.share = self.budget.share(max_concurrency, requests_per_minute, tokens_per_minute)
        """This client's use of the budget: its own caps inside the key's limits."""
        self.max_items = max_items
        self.max_tokens = max_tokens_per_request
        self.progress = progress
        self._http = http_client
        self._owns_http = http_client is None
        self._async_http = async_http_client
        self._owned = _Owned()
        """The httpx clients this client created: closed by `close()`, at the latest when it
        is collected or the interpreter exits; one the caller passed in is never closed."""
        self._loop_clients = self._owned.loops
        """Without an async_http_client: one client per event loop, so that a server's calls
        reuse its connections (a client cannot move between loops)."""
        weakref.finalize(self, self._owned.close)
        self.sleep: Callable[[float], Any] | None = None
        """Sync sleep; None = real time (interrupted when another batch fails)."""
        self.async_sleep: Callable[[float], Any] = asyncio.sleep
        self.wall: Callable[[], float] = time.time

    def __repr__(self) -> str:
        return f"JinaClient(url={self.url!r})"

    # -- shared

    def _context(self, meter: Meter) -> Context:
        return Context(
            self.policy, self.share.pacer, self.share.slots, meter, self.wall, self._scrub
        )

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

    def _scrub(self, error: JinaError) -> JinaError:
        key = self._secret.value
        if key and key in error.message:
            error.message = error.message.replace(key, "***")
            error.args = (error.message,)
        return error

    # -- sync

    def _client(self) -> httpx.Client:
        if self._http is None:
            self._http = self._owned.sync = httpx.Client(timeout=self.timeout)
        return self._http

    def close(self) -> None:
        """Close the HTTP clients this client created (not those passed in); a later call
        opens new ones."""
        if self._owns_http:
            self._http = None
        self._owned.close()

    async def aclose(self) -> None:
        """`close`, awaiting the close of this event loop's client."""
        kept = self._loop_clients.pop(asyncio.get_running_loop(), None)
        if kept is not None:
            await kept[0].aclose()
        self.close()

    def _send(self, effect: Send) -> Reply | Exception:
        try:
            r = self._client().post(
                self.url, content=effect.body, headers=self._secret.headers(), timeout=self.timeout
            )
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            return exc
        return Reply(r.status_code, r.headers, r.content)

    def run(self, job: Job, meter: Meter) -> list[np.ndarray]:
        """Embed a job, sync: batches run on threads, each request in a slot of the key."""
        batches = plan(job, self.max_items, self.max_tokens)
        ctx = self._context(meter)
        steps = [embed_batch(job, b, ctx) for b in batches]
        self._client()  # create the shared httpx.Client before the threads need it
        bar = self._bar(job, batches)
        stop = threading.Event()
        sleep = self.sleep or stop.wait
        caller = object()  # this call, for the slots' turns

        def acquire() -> Slot:
            return ctx.slots.acquire(caller)

        try:
            if len(steps) == 1:
                try:
                    results = [drive(steps[0], self._send, sleep, acquire)]
                except JinaError as error:
                    raise keep_paid(job, error, []) from error.__cause__
                bar and bar.update(len(batches[0]))
                return assemble(job, results)
            workers = min(ctx.slots.workers(), len(steps))
            failure: BaseException | None = None
            with ThreadPoolExecutor(workers, thread_name_prefix="chroma-jina") as pool:
                futures = {
                    pool.submit(drive, s, self._send, sleep, acquire, stop.is_set): b
                    for s, b in zip(steps, batches, strict=False)
                }
                try:
                    for future in as_completed(futures):
                        future.result()
                        bar and bar.update(len(futures[future]))
                except BaseException as exc:
                    # send nothing more; requests already out are answered (and paid): kept
                    failure = exc
                    stop.set()
                    for future in futures:
                        future.cancel()
            if failure is None:
                return assemble(job, [f.result() for f in futures])
            if isinstance(failure, JinaError):
                keep_paid(job, failure, [_came(f) for f in futures])
            raise failure
        finally:
            bar and bar.close()

    def stream(self, make_job: Callable[[Sequence[object]], Job]) -> Stream:
        """Many calls that share one pool of requests (see `Stream`); `make_job` validates the
        inputs of each call and describes it."""
        return Stream(self, make_job)

    # -- async

    async def _asend(self, client: httpx.AsyncClient, effect: Send) -> Reply | Exception:
        try:
            r = await client.post(
                self.url, content=effect.body, headers=self._secret.headers(), timeout=self.timeout
            )
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            return exc
        return Reply(r.status_code, r.headers, r.content)

    async def _loop_client(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        kept = self._loop_clients.get(loop)
        if kept is None:
            client = httpx.AsyncClient(timeout=self.timeout)
            closer = _close_at_loop_shutdown(client)
            await anext(closer)  # the loop now finalizes it when it shuts down (asyncio.run does)
            kept = self._loop_clients[loop] = (client, closer)
        return kept[0]

    async def arun(self, job: Job, meter: Meter) -> list[np.ndarray]:
        """Embed a job on the event loop: batches run as tasks, each request in a slot of the
        key.

        Without an `async_http_client` but with an `http_client`, runs the sync path in a
        thread; with neither, uses an `httpx.AsyncClient` of its own per event loop, kept for
        later calls on that loop so that they reuse its connections."""
        if self._async_http is None and not self._owns_http:
            return await asyncio.to_thread(self.run, job, meter)
        batches = plan(job, self.max_items, self.max_tokens)
        ctx = self._context(meter)
        bar = self._bar(job, batches)
        client = self._async_http or await self._loop_client()
        started = asyncio.Semaphore(ctx.slots.workers())  # batches under way, as threads in run()
        caller = object()
        stopped = asyncio.Event()

        async def nap(seconds: float) -> None:  # a wait that ends when another batch fails
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopped.wait(), seconds)

        sleep = nap if self.async_sleep is asyncio.sleep else self.async_sleep

        async def one(batch: list[int]) -> dict[int, np.ndarray]:
            async with started:
                got = await adrive(
                    embed_batch(job, batch, ctx),
                    lambda e: self._asend(client, e),
                    sleep,
                    lambda: ctx.slots.acquire_async(caller),
                    stopped.is_set,
                )
            bar and bar.update(len(batch))
            return got

        tasks = [asyncio.ensure_future(one(b)) for b in batches]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            failed = next((t for t in tasks if _raised(t) is not None), None)
            if failed is None:
                return assemble(job, [t.result() for t in tasks])
            # send nothing more; requests already out are answered (and paid): kept
            stopped.set()
            await asyncio.wait(tasks)
            failure = cast(BaseException, _raised(failed))
            if isinstance(failure, JinaError):
                keep_paid(job, failure, [_came(t) for t in tasks])
            raise failure
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            bar and bar.close()


class Pending:
    """The vectors of one `Stream.submit` call, on their way."""

    def __init__(self, job: Job, futures: list[Future[dict[int, np.ndarray]]]) -> None:
        self.job = job
        self._futures = futures

    def result(self) -> list[np.ndarray]:
        """Wait for every batch: one vector per input, in order, or the first failed batch's
        error, holding the vectors that came back (`embedded`, by position in this call's
        inputs) and the positions of the others (`input_indices`)."""
        try:
            return assemble(self.job, [future.result() for future in self._futures])
        except JinaError as error:
            raise keep_paid(self.job, error, [self.finished()]) from error.__cause__

    def finished(self) -> dict[int, np.ndarray]:
        """After a failure: the vectors that came back, by input position (waits for the
        batches still out): those of the batches that succeeded, and what a failed batch
        got before it failed."""
        got: dict[int, np.ndarray] = {}
        for future in self._futures:
            with contextlib.suppress(Exception):
                future.exception()  # waits; a failure is read below
            got |= _came(future)
        return got


class Stream:
    """Embedding calls that share one pool of request threads, one turn at the key's slots and
    one usage meter, for a long job made of many calls (`chroma_jina.ingest`).

    `submit` returns at once: the requests of a call queue behind those of the calls before it,
    so they start while the earlier calls' last requests are still out, and the key's slots
    stay busy across calls. Each request is planned, retried and paced as in `JinaClient.run`.
    """

    def __init__(self, client: JinaClient, make_job: Callable[[Sequence[object]], Job]) -> None:
        self.meter = Meter()
        self.max_items = client.max_items
        """Inputs per request: a call of a multiple of it wastes no request."""
        self._client = client
        self._make_job = make_job
        self._ctx = client._context(self.meter)
        self._caller = object()  # one turn for the whole stream: its requests go in order
        self._stop = threading.Event()
        self._sleep = client.sleep or self._stop.wait
        client._client()  # the shared httpx.Client, before the threads need it
        self._pool = ThreadPoolExecutor(self._ctx.slots.workers(), thread_name_prefix="chroma-jina")

    def submit(self, inputs: Sequence[object]) -> Pending:
        """Validate `inputs` (raising before anything is sent) and start embedding them."""
        job = self._make_job(inputs)
        futures = [
            self._pool.submit(
                drive,
                embed_batch(job, batch, self._ctx),
                self._client._send,
                self._sleep,
                self._acquire,
                self._stop.is_set,
            )
            for batch in plan(job, self._client.max_items, self._client.max_tokens)
        ]
        return Pending(job, futures)

    def _acquire(self) -> Slot:
        return self._ctx.slots.acquire(self._caller)

    def usage(self) -> Usage:
        """Token usage of every call so far."""
        return self.meter.usage()

    def cancel(self) -> None:
        """Send nothing more: requests not yet sent are dropped and none is retried; those
        already out are still answered and their vectors kept."""
        self._stop.set()
        self._pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        """Wait for the calls submitted, then free the threads."""
        self._pool.shutdown(wait=True)
