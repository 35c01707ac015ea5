"""The sans-IO core: one request with its retries, and what embedding a batch takes (splitting
what is too large, asking again for what is missing, finding over-long inputs).

Steps are generators that *yield* effects (`Acquire` a slot of the key, `Send` a request,
`Sleep`) and receive what the executor got; they never touch a socket or a clock, so one
implementation serves the sync executor and the async one (`chroma_jina.client`). `request`
knows nothing of embeddings: a step for another endpoint gives it the path, the body and how
to decode the answer.
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass
from typing import NoReturn, TypeVar, cast

import httpx

from chroma_jina.errors import (
    CLOSED_CLIENT_HINT,
    MAINLAND_CHINA_HINT,
    ConfigurationError,
    InvalidRequestError,
    JinaError,
    JinaTimeoutError,
    MalformedResponseError,
    NetworkError,
    RateLimitError,
    ServerError,
)
from chroma_jina.pacing import CappedPacer, CappedSlots, Slot
from chroma_jina.planning import Job, estimate_tokens, most_tokens
from chroma_jina.usage import Billed, Meter
from chroma_jina.wire import (
    TOO_LONG_HINT,
    Decoded,
    Vector,
    build_body,
    decode_response,
    dumps,
    parse_error,
)

logger = logging.getLogger("chroma_jina")

DEFAULT_BASE_URL = "https://api.jina.ai/v1"
"""The Jina API; each endpoint's path is under it."""
DEFAULT_HOST = httpx.URL(DEFAULT_BASE_URL).host
"""Its host: a request there that cannot connect gets the mainland-China hint."""
EMBEDDINGS_PATH = "/embeddings"
"""Where embedding requests go, under the base URL."""
BACKOFF_BASE, BACKOFF_CAP = 0.5, 30.0
MAX_RETRY_AFTER = 300.0
"""A Retry-After longer than this is not waited for: the error is raised."""
MAX_PASSES = 3
"""One-input requests that may pass (and be billed) while looking for a too-long input."""
MAX_NAMED = 64
"""Too-long inputs named at most by one error."""

T = TypeVar("T")
B = TypeVar("B", bound=Billed)


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
        retry_after = error.retry_after if isinstance(error, RateLimitError) else None
        if retry_after is not None:
            return retry_after if retry_after <= MAX_RETRY_AFTER else None
        jitter = (self.rng or random).random()
        return min(self.cap, self.base * 2.0**attempt) * (0.5 + jitter / 2)


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


def is_concurrency_refusal(error: JinaError) -> bool:
    """True for a 429 that says too many requests of the key were in flight."""
    return isinstance(error, RateLimitError) and error.code == "RATE_CONCURRENCY_LIMIT_EXCEEDED"


# ---- effects --------------------------------------------------------------------------


@dataclass(frozen=True)
class Acquire:
    """Effect: wait for a slot of the key's concurrency limit; the executor answers with the
    `Slot`, which the step gives back with `Context.slots.release`."""


@dataclass(frozen=True)
class Send:
    """Effect: POST this JSON `body` to `path` under the base URL; the executor answers with
    an `HttpReply` or the transport's exception."""

    path: str
    body: bytes


@dataclass(frozen=True)
class Sleep:
    """Effect: wait this many seconds."""

    seconds: float


@dataclass(frozen=True)
class HttpReply:
    """An HTTP answer, as the executor hands it to a step."""

    status: int
    headers: Mapping[str, str]
    content: bytes


RequestEffect = Acquire | Send | Sleep
"""What a step asks its executor to do."""
Step = Generator[RequestEffect, "HttpReply | Slot | Exception | None", T]
"""A step: yields effects, is sent what each got, returns its result."""


def _no_scrub(error: JinaError) -> JinaError:
    return error


@dataclass
class Context:
    """What the steps of one call share."""

    policy: RetryPolicy
    pacer: CappedPacer
    """The key's pacer, with the function's own per-minute caps."""
    slots: CappedSlots
    """The key's slots, with the function's own concurrency cap."""
    meter: Meter
    wall: Callable[[], float] = time.time
    """Wall clock, for Retry-After dates."""
    scrub: Callable[[JinaError], JinaError] = _no_scrub
    """Removes the API key from every field of an error, should the service echo it."""


def _unreachable_default_host(exc: Exception) -> bool:
    """True when the request to api.jina.ai could not be resolved or connected to."""
    if not isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
        return False
    try:
        host = exc.request.url.host
    except RuntimeError:  # raised without its request: not from an httpx client
        return False
    return host == DEFAULT_HOST


def _network_error(exc: Exception) -> JinaError:
    """The typed error for an exception of httpx (its `__cause__`). Only network errors and
    timeouts are retried: a bad URL or a redirect loop fails at once, a body that cannot be
    decoded (e.g. corrupt gzip) is a malformed response."""
    hint = MAINLAND_CHINA_HINT if _unreachable_default_host(exc) else None
    name = f"{type(exc).__name__}: {exc}"
    error: JinaError
    if isinstance(exc, httpx.TimeoutException):
        error = JinaTimeoutError(f"request timed out ({type(exc).__name__})", hint=hint)
    elif isinstance(exc, (httpx.UnsupportedProtocol, httpx.InvalidURL, httpx.TooManyRedirects)):
        error = ConfigurationError(f"the request could not be sent: {name}")
    elif isinstance(exc, RuntimeError):  # only a closed client's refusal gets here
        error = ConfigurationError(
            f"the request could not be sent: {name}", hint=CLOSED_CLIENT_HINT
        )
    elif isinstance(exc, httpx.DecodingError):
        error = MalformedResponseError(f"the response body could not be decoded: {name}")
    else:
        error = NetworkError(f"no HTTP answer: {name}", hint=hint)
    error.__cause__ = exc
    return error


# ---- one request, any endpoint --------------------------------------------------------


def request(
    path: str,
    body: bytes,
    *,
    tokens: int,
    decode: Callable[[bytes], B],
    indices: Sequence[int],
    ctx: Context,
) -> Step[B]:
    """POST `body` to `path`, retrying; return the 200 answer as `decode` reads it.

    `tokens` is the request's estimate, for pacing until the answer says what was billed;
    `indices` are the call's inputs this request carries, named by any error it raises.

    Each try first waits for the function's own per-minute caps, holding nothing of the key;
    then it holds a slot of the key from the key's pacing wait to the answer. A refusal for
    concurrency that the shared limit now explains is sent again when a slot frees, without
    spending a retry; every other failure spends one."""
    attempt = 0
    while True:
        own_wait, booking = ctx.pacer.book(tokens)
        try:
            if own_wait > 0:
                yield Sleep(own_wait)  # other functions of the key go on meanwhile
            slot = cast(Slot, (yield Acquire()))
        except BaseException:
            ctx.pacer.forget(booking)
            raise
        try:
            wait, ticket = ctx.pacer.reserve(tokens, booking)
            if wait > 0:
                yield Sleep(wait)
            reply = yield Send(path, body)
        except BaseException:
            ctx.slots.release(slot)
            raise
        ctx.meter.request()
        if isinstance(reply, HttpReply) and reply.status == 200:
            try:  # what was billed reaches the pacer before the next request takes the slot
                decoded = decode(reply.content)
                ctx.meter.add(decoded)
                ctx.pacer.observe(ticket, reply.headers, decoded.total_tokens or tokens)
            except JinaError as err:
                err.input_indices = err.at_fault = list(indices)
                raise ctx.scrub(err) from err.__cause__
            finally:
                ctx.slots.release(slot, "ok")
            return decoded
        if isinstance(reply, HttpReply):
            ctx.pacer.observe(ticket, reply.headers, 0)
            error = parse_error(reply.status, reply.headers, reply.content, now=ctx.wall())
        else:  # the executor answers a Send with a reply or the exception it caught
            error = _network_error(cast(Exception, reply))
        error = ctx.scrub(error)
        crowded = is_concurrency_refusal(error)
        if ctx.slots.release(slot, "refused" if crowded else "failed"):
            logger.info("refused for concurrency: the key's limit is now %d", ctx.slots.key.limit)
            continue
        delay = ctx.policy.delay(attempt, error)
        if delay is None:
            error.input_indices = error.at_fault = list(indices)
            raise error
        if isinstance(error, RateLimitError) and not crowded:
            ctx.pacer.hold(delay)
        logger.info(
            "retry %d for %d inputs in %.2fs after: %s",
            attempt + 1,
            len(indices),
            delay,
            error.message,
        )
        yield Sleep(delay)
        attempt += 1


# ---- embeddings -----------------------------------------------------------------------


def _embed_request(job: Job, positions: list[int], ctx: Context) -> Step[dict[int, Vector]]:
    """Send the inputs at `positions` as one embeddings request, retrying; return vectors by
    position (positions missing from the response are absent)."""
    body = dumps(build_body(job.model, [job.items[p] for p in positions], job.fields))

    def decode(content: bytes) -> Decoded:
        return decode_response(content, len(positions), job.wire_type, job.dim)

    decoded = yield from request(
        EMBEDDINGS_PATH,
        body,
        tokens=sum(estimate_tokens(job.items[p]) for p in positions),
        decode=decode,
        indices=positions,
        ctx=ctx,
    )
    return {positions[k]: v for k, v in decoded.vectors.items()}


def embed_batch(job: Job, positions: list[int], ctx: Context) -> Step[dict[int, Vector]]:
    """Embed the inputs at `positions`: one request, halved and retried if the service
    refuses it as too large (never with late chunking), and asked again for whatever a
    response left out. Returns a vector for every position or raises; an input longer than
    the model's context makes it raise naming such inputs (see `find_too_long`)."""
    try:
        got = yield from _embed_request(job, positions, ctx)
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
        more = yield from _embed_request(job, again, ctx)
        got = more if job.late_chunking else got | more
        still = [p for p in positions if p not in got]
        if still:
            error = MalformedResponseError(
                f"the response lacked {len(still)} of {len(positions)} vectors, twice",
                status=200,
                input_indices=still,
            )
            error.embedded = got  # the ones that came were paid for
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
    passed: dict[int, Vector] = {}
    for p in longest_first:
        if len(passed) >= MAX_PASSES or len(offenders) >= MAX_NAMED:
            break
        try:
            passed |= yield from _embed_request(job, [p], ctx)
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
    # None refused alone: the culprit is among those not tried (those that fitted are not),
    # unless every input fitted alone, when only the request as a whole is known to fail
    untried = [p for p in positions if p not in passed]
    refused.at_fault = sorted(offenders) or untried or list(positions)
    refused.embedded = passed  # billed on the way: handed back
    refused.hint = TOO_LONG_HINT
    raise refused
