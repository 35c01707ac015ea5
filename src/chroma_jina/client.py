"""The executors that carry out the steps' effects, and the public client.

`drive` runs a step on the calling thread (a sync `httpx.Client`, `JinaClient.run_steps` runs
steps on a thread pool); `adrive` runs one on the event loop (an `httpx.AsyncClient`). The
decisions (batches, retries, splitting, re-requests) are in `planning` and `steps`; the key's
limits in `pacing`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import threading
import weakref
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from typing import Any, TypeVar, cast

import httpx

from chroma_jina.clock import SYSTEM, Clock
from chroma_jina.errors import JinaError
from chroma_jina.pacing import Slot, budget_for
from chroma_jina.planning import DEFAULT_MAX_TOKENS_PER_REQUEST, Job, assemble, plan_batches
from chroma_jina.steps import (
    DEFAULT_BASE_URL,
    EMBEDDINGS_PATH,
    Acquire,
    Context,
    HttpReply,
    RetryPolicy,
    Send,
    Sleep,
    Step,
    embed_batch,
)
from chroma_jina.usage import Meter, Usage
from chroma_jina.wire import Vector

PROGRESS_MIN_INPUTS = 1_000

T = TypeVar("T")

SyncSend = Callable[[Send], "HttpReply | Exception"]
"""The sync executor's answer to a `Send`: the reply, or the transport's exception."""


# ---- executors ------------------------------------------------------------------------


class _Cancelled(Exception):
    """Another step of the same call failed."""


def drive(
    step: Step[T],
    send: SyncSend,
    sleep: Callable[[float], object],
    acquire: Callable[[], Slot],
    cancelled: Callable[[], bool] = lambda: False,
) -> T:
    """Run a step generator synchronously."""
    value: HttpReply | Slot | Exception | None = None
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
        result: T = stop.value
        return result
    finally:
        step.close()  # gives back a slot it holds when it stopped early


async def adrive(
    step: Step[T],
    send: Callable[[Send], Awaitable[HttpReply | Exception]],
    sleep: Callable[[float], Awaitable[object]],
    acquire: Callable[[], Awaitable[Slot]],
    cancelled: Callable[[], bool] = lambda: False,
) -> T:
    """Run a step generator on the event loop."""
    value: HttpReply | Slot | Exception | None = None
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
        result: T = stop.value
        return result
    finally:
        step.close()


async def _close_at_loop_shutdown(client: httpx.AsyncClient) -> AsyncGenerator[None, None]:
    """Closes `client` when its event loop finalizes the generator at shutdown."""
    try:
        yield
    finally:
        await client.aclose()


def keep_paid(job: Job, error: JinaError, parts: Sequence[Mapping[int, Vector]]) -> JinaError:
    """Hand the vectors that came back (`parts`, and what `error` already holds) to the
    caller on `error`: `embedded` by input position, `input_indices` every other input."""
    embedded: dict[int, Vector] = {}
    for part in parts:
        embedded.update(part)
    embedded.update(error.embedded)
    error.embedded = embedded
    error.input_indices = [i for i in range(len(job.items)) if i not in embedded]
    return error


def _got(outcome: object) -> Mapping[int, Vector]:
    """The vectors one batch got: all of them, what it got before failing, or none."""
    if isinstance(outcome, JinaError):
        return cast(Mapping[int, Vector], outcome.embedded)
    if isinstance(outcome, dict):
        return cast(Mapping[int, Vector], outcome)
    return {}


def _first_failure(outcomes: Iterable[object], seen: BaseException) -> BaseException:
    """The failure that stopped a call: the first step's own exception, not the `_Cancelled`
    of a step that stopped because of it."""
    return next(
        (o for o in outcomes if isinstance(o, BaseException) and not isinstance(o, _Cancelled)),
        seen,
    )


def _settled(done: Future[Any] | asyncio.Future[Any]) -> Any:
    """A finished step's result or exception; None if it was cancelled or is not done."""
    if not done.done() or done.cancelled():
        return None
    error = done.exception()
    return done.result() if error is None else error


# ---- the client -----------------------------------------------------------------------


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
        closed (if it is, its connections were closed at its shutdown: `_close_at_loop_shutdown`)."""
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
    """Carries out steps against `{base_url}`, sync or async, within the key's shared budget;
    `run` / `arun` embed a validated job through `{base_url}/embeddings`."""

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
        clock: Clock = SYSTEM,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.url = self.base_url + EMBEDDINGS_PATH
        """The embeddings endpoint."""
        self._secret = _Secret(api_key)
        self.timeout = timeout
        self.policy = RetryPolicy(max_retries)
        self._caps = (max_concurrency, requests_per_minute, tokens_per_minute)
        self._monotonic = clock.monotonic
        self._pid = os.getpid()
        self.budget = budget_for(api_key, base_url, clock.monotonic)
        """Shared with every client of the same key and base URL in this process."""
        self.share = self.budget.share(*self._caps)
        """This client's use of the budget: its own caps inside the key's limits."""
        self.max_items = max_items
        self.max_tokens = max_tokens_per_request
        self.progress = progress
        self._sync_http = http_client
        self._owns_sync_http = http_client is None
        self._async_http = async_http_client
        self._owned = _Owned()
        """The httpx clients this client created: closed by `close()`, at the latest when it
        is collected or the interpreter exits; one the caller passed in is never closed."""
        weakref.finalize(self, self._owned.close)
        self._async_http_per_loop = self._owned.loops
        """Without an async_http_client: one client per event loop, so that a server's calls
        reuse its connections (a client cannot move between loops)."""
        self.sleep: Callable[[float], object] | None = clock.sleep
        """Sync sleep; None = real time (interrupted when another step fails)."""
        self.async_sleep: Callable[[float], Awaitable[object]] = clock.async_sleep
        self.wall: Callable[[], float] = clock.wall

    def __repr__(self) -> str:
        return f"JinaClient(url={self.url!r})"

    # -- shared

    def context(self, meter: Meter) -> Context:
        """What the steps of one call share: the retry policy, the key's budget, `meter`."""
        self._after_fork()
        return Context(
            self.policy, self.share.pacer, self.share.slots, meter, self.wall, self._scrub
        )

    def _after_fork(self) -> None:
        """In a process forked after this client was made (multiprocessing's fork start
        method, a server that forks its workers after importing): take this process's budget
        and open HTTP clients of its own. The parent's slots in use would never be given back
        here, and its connections are the parent's."""
        if self._pid == os.getpid():
            return
        self._pid = os.getpid()
        self.budget = budget_for(self._secret.value, self.base_url, self._monotonic)
        self.share = self.budget.share(*self._caps)
        if self._owns_sync_http:
            self._sync_http = None
        self._owned = _Owned()  # the parent's are left to the parent
        weakref.finalize(self, self._owned.close)
        self._async_http_per_loop = self._owned.loops

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
        return error.mask(self._secret.value)

    # -- sync

    def _sync_http_client(self) -> httpx.Client:
        if self._sync_http is None:
            self._sync_http = self._owned.sync = httpx.Client(timeout=self.timeout)
        return self._sync_http

    def close(self) -> None:
        """Close the HTTP clients this client created (never those passed in); a later call
        opens new ones."""
        if self._owns_sync_http:
            self._sync_http = None
        self._owned.close()

    async def aclose(self) -> None:
        """`close`, awaiting the close of this event loop's client."""
        kept = self._async_http_per_loop.pop(asyncio.get_running_loop(), None)
        if kept is not None:
            await kept[0].aclose()
        self.close()

    def _send(self, effect: Send) -> HttpReply | Exception:
        client = self._sync_http_client()
        try:
            r = client.post(
                self.base_url + effect.path,
                content=effect.body,
                headers=self._secret.headers(),
                timeout=self.timeout,
            )
        except (httpx.HTTPError, httpx.InvalidURL) as exc:  # typed by the step
            return exc
        except RuntimeError as exc:  # httpx refuses a closed client: typed by the step
            if client.is_closed:
                return exc
            raise
        return HttpReply(r.status_code, r.headers, r.content)

    def run_steps(
        self,
        ctx: Context,
        steps: Sequence[Step[T]],
        on_done: Callable[[int], object] | None = None,
        settled: dict[int, Any] | None = None,
    ) -> list[T]:
        """Carry out steps made with `ctx`, sync: on threads, each request in a slot of the
        key. Returns their results in order, or raises the first failure: the other steps
        then send nothing more, and those with a request out wait for its answer (it is paid
        for). `on_done(i)` is called as step `i` finishes; `settled`, if given, is filled with
        each finished step's result or exception."""
        if not steps:  # e.g. nothing to rerank: no pool of no threads
            return []
        self._sync_http_client()  # create the shared httpx.Client before the threads need it
        stop = threading.Event()
        sleep = self.sleep or stop.wait
        caller = object()  # this call, for the slots' turns
        outcomes: dict[int, Any] = {} if settled is None else settled

        def acquire() -> Slot:
            return ctx.slots.acquire(caller)

        if len(steps) == 1:
            try:
                results = [drive(steps[0], self._send, sleep, acquire)]
            except BaseException as exc:
                outcomes[0] = exc
                raise
            outcomes[0] = results[0]
            if on_done is not None:
                on_done(0)
            return results
        workers = min(ctx.slots.workers(), len(steps))
        failure: BaseException | None = None

        def carry_out(step: Step[T]) -> T:
            try:
                return drive(step, self._send, sleep, acquire, stop.is_set)
            except BaseException:
                stop.set()  # at once: this thread's next step must not start
                raise

        with ThreadPoolExecutor(workers, thread_name_prefix="chroma-jina") as pool:
            futures = {pool.submit(carry_out, step): i for i, step in enumerate(steps)}
            try:
                for future in as_completed(futures):
                    future.result()
                    if on_done is not None:
                        on_done(futures[future])
            except BaseException as exc:
                failure = exc
                stop.set()
                for future in futures:
                    future.cancel()
        for future, i in futures.items():  # the pool has waited for the requests out
            outcome = _settled(future)
            if outcome is not None and not isinstance(outcome, _Cancelled):
                outcomes[i] = outcome
        if failure is not None:
            raise _first_failure(outcomes.values(), failure)
        return [f.result() for f in futures]

    def run(self, job: Job, meter: Meter) -> list[Vector]:
        """Embed a job, sync: batches run on threads, each request in a slot of the key."""
        batches = plan_batches(job, self.max_items, self.max_tokens)
        ctx = self.context(meter)
        bar = self._bar(job, batches)
        settled: dict[int, dict[int, Vector] | BaseException] = {}
        try:
            return assemble(
                job,
                self.run_steps(
                    ctx,
                    [embed_batch(job, b, ctx) for b in batches],
                    None if bar is None else lambda i: bar.update(len(batches[i])),
                    settled,
                ),
            )
        except JinaError as error:  # what came back was paid for: hand it over
            raise keep_paid(job, error, [_got(o) for o in settled.values()]) from error.__cause__
        finally:
            if bar is not None:
                bar.close()

    def stream(self, make_job: Callable[[Sequence[object]], Job]) -> Stream:
        """Many calls that share one pool of requests (see `Stream`); `make_job` validates the
        inputs of each call and describes it."""
        self._sync_http_client()  # the shared httpx.Client, before the stream's threads need it
        return Stream(
            make_job,
            self.context(Meter()),
            send=self._send,
            sleep=self.sleep,
            max_items=self.max_items,
            max_tokens=self.max_tokens,
        )

    # -- async

    async def _asend(self, client: httpx.AsyncClient, effect: Send) -> HttpReply | Exception:
        try:
            r = await client.post(
                self.base_url + effect.path,
                content=effect.body,
                headers=self._secret.headers(),
                timeout=self.timeout,
            )
        except (httpx.HTTPError, httpx.InvalidURL) as exc:  # typed by the step
            return exc
        except RuntimeError as exc:  # httpx refuses a closed client: typed by the step
            if client.is_closed:
                return exc
            raise
        return HttpReply(r.status_code, r.headers, r.content)

    async def _async_http_client_for_loop(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        kept = self._async_http_per_loop.get(loop)
        if kept is None:
            client = httpx.AsyncClient(timeout=self.timeout)
            closer = _close_at_loop_shutdown(client)
            await anext(closer)  # the loop now finalizes it when it shuts down (asyncio.run does)
            kept = self._async_http_per_loop[loop] = (client, closer)
        return kept[0]

    async def arun_steps(
        self,
        ctx: Context,
        steps: Sequence[Step[T]],
        on_done: Callable[[int], object] | None = None,
        settled: dict[int, Any] | None = None,
    ) -> list[T]:
        """Carry out steps made with `ctx` on the event loop: as tasks, each request in a slot
        of the key; results in order, or the first failure: the other tasks then send nothing
        more, and those with a request out wait for its answer (it is paid for). `settled`, if
        given, is filled with each finished step's result or exception.

        Without an `async_http_client` but with an `http_client`, runs `run_steps` in a
        thread; with neither, uses an `httpx.AsyncClient` of its own per event loop, kept for
        later calls on that loop so that they reuse its connections."""
        if not steps:
            return []
        if self._async_http is None and not self._owns_sync_http:
            return await asyncio.to_thread(self.run_steps, ctx, steps, on_done, settled)
        client = self._async_http or await self._async_http_client_for_loop()
        started = asyncio.Semaphore(ctx.slots.workers())  # steps under way, as threads above
        caller = object()
        stopped = asyncio.Event()

        async def nap(seconds: float) -> None:  # a wait that ends when another step fails
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopped.wait(), seconds)

        sleep = nap if self.async_sleep is asyncio.sleep else self.async_sleep

        async def one(i: int, step: Step[T]) -> T:
            async with started:
                try:
                    got = await adrive(
                        step,
                        lambda e: self._asend(client, e),
                        sleep,
                        lambda: ctx.slots.acquire_async(caller),
                        stopped.is_set,
                    )
                except BaseException:
                    stopped.set()  # at once: no other step starts a request
                    raise
            if on_done is not None:
                on_done(i)
            return got

        tasks = [asyncio.ensure_future(one(i, s)) for i, s in enumerate(steps)]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            failed = next((t for t in tasks if isinstance(_settled(t), BaseException)), None)
            if failed is not None:
                stopped.set()  # send nothing more; the requests out are answered
                await asyncio.wait(tasks)
            outcomes: dict[int, Any] = {} if settled is None else settled
            for i, task in enumerate(tasks):
                outcome = _settled(task)
                if outcome is not None and not isinstance(outcome, _Cancelled):
                    outcomes[i] = outcome
            if failed is not None:
                raise _first_failure(outcomes.values(), cast(BaseException, _settled(failed)))
            return [task.result() for task in tasks]
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def arun(self, job: Job, meter: Meter) -> list[Vector]:
        """Embed a job on the event loop: batches run as tasks, each request in a slot of the
        key (see `arun_steps` for which HTTP client carries them)."""
        batches = plan_batches(job, self.max_items, self.max_tokens)
        ctx = self.context(meter)
        bar = self._bar(job, batches)
        settled: dict[int, dict[int, Vector] | BaseException] = {}
        try:
            return assemble(
                job,
                await self.arun_steps(
                    ctx,
                    [embed_batch(job, b, ctx) for b in batches],
                    None if bar is None else lambda i: bar.update(len(batches[i])),
                    settled,
                ),
            )
        except JinaError as error:  # what came back was paid for: hand it over
            raise keep_paid(job, error, [_got(o) for o in settled.values()]) from error.__cause__
        finally:
            if bar is not None:
                bar.close()


# ---- many calls, one pool -------------------------------------------------------------


class Pending:
    """The vectors of one `Stream.submit` call, on their way."""

    def __init__(self, job: Job, futures: list[Future[dict[int, Vector]]]) -> None:
        self.job = job
        """The call, as validated."""
        self._futures = futures

    def result(self) -> list[Vector]:
        """Wait for every batch: one vector per input, in order, or the first failed batch's
        error, holding the vectors that came back (`embedded`, by position in this call's
        inputs) and the positions of the others (`input_indices`)."""
        try:
            return assemble(self.job, [future.result() for future in self._futures])
        except JinaError as error:
            raise keep_paid(self.job, error, [self.finished()]) from error.__cause__

    def finished(self) -> dict[int, Vector]:
        """After a failure: the vectors that came back, by input position (waits for the
        batches still out): those of the batches that succeeded, and what a failed batch got
        before it failed."""
        got: dict[int, Vector] = {}
        for future in self._futures:
            with contextlib.suppress(Exception):
                future.exception()  # waits for it; what it holds is read below
            got |= _got(_settled(future))
        return got


class Stream:
    """Embedding calls that share one pool of request threads, one turn at the key's slots and
    one usage meter, for a long job made of many calls (`chroma_jina.ingest`).

    Made by `JinaEmbeddingFunction.stream()`. `submit` returns at once: the requests of a call
    queue behind those of the calls before it, so they start while the earlier calls' last
    requests are still out, and the key's slots stay busy across calls. Each request is
    planned, retried and paced as in a single call.
    """

    def __init__(
        self,
        make_job: Callable[[Sequence[object]], Job],
        ctx: Context,
        *,
        send: SyncSend,
        sleep: Callable[[float], object] | None,
        max_items: int,
        max_tokens: int,
    ) -> None:
        self.max_items = max_items
        """Inputs per request: a call of a multiple of it wastes no request."""
        self._max_tokens = max_tokens
        self._make_job = make_job
        self._ctx = ctx
        self._send = send
        self._caller = object()  # one turn for the whole stream: its requests go in order
        self._stop = threading.Event()
        self._sleep = sleep or self._stop.wait
        self._pool = ThreadPoolExecutor(ctx.slots.workers(), thread_name_prefix="chroma-jina")

    def submit(self, inputs: Sequence[object]) -> Pending:
        """Validate `inputs` (raising before anything is sent) and start embedding them."""
        job = self._make_job(inputs)
        futures = [
            self._pool.submit(
                drive,
                embed_batch(job, batch, self._ctx),
                self._send,
                self._sleep,
                self._acquire,
                self._stop.is_set,
            )
            for batch in plan_batches(job, self.max_items, self._max_tokens)
        ]
        return Pending(job, futures)

    def _acquire(self) -> Slot:
        return self._ctx.slots.acquire(self._caller)

    def usage(self) -> Usage:
        """Token usage of every call so far."""
        return self._ctx.meter.usage()

    def cancel(self) -> None:
        """Send nothing more: requests not yet sent are dropped and none is retried; those
        already out are still answered and their vectors kept."""
        self._stop.set()
        self._pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        """Wait for the calls submitted, then free the threads."""
        self._pool.shutdown(wait=True)
