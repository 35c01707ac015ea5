"""The executors that carry out the steps' effects, and the public client.

`drive` runs a step on the calling thread (a sync `httpx.Client`, `JinaClient.run_steps` runs
steps on a thread pool); `adrive` runs one on the event loop (an `httpx.AsyncClient`). The
decisions (batches, retries, splitting, re-requests) are in `planning` and `steps`; the key's
limits in `pacing`.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import threading
import time
import weakref
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from typing import Any, TypeVar

import httpx

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
) -> T:
    """Run a step generator on the event loop."""
    value: HttpReply | Slot | Exception | None = None
    try:
        while True:
            effect = step.send(value)
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


# ---- the client -----------------------------------------------------------------------


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
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.url = self.base_url + EMBEDDINGS_PATH
        """The embeddings endpoint."""
        self._secret = _Secret(api_key)
        self.timeout = timeout
        self.policy = RetryPolicy(max_retries)
        self.budget = budget_for(api_key, base_url)
        """Shared with every client of the same key and base URL in this process."""
        if max_concurrency is not None:
            self.budget.slots.configure(max_concurrency)
        self.budget.pacer.set_budgets(requests_per_minute, tokens_per_minute)
        self.max_items = max_items
        self.max_tokens = max_tokens_per_request
        self.progress = progress
        self._sync_http = http_client
        self._owns_sync_http = http_client is None
        self._async_http = async_http_client
        self._async_http_per_loop: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, tuple[httpx.AsyncClient, AsyncGenerator[None, None]]
        ] = weakref.WeakKeyDictionary()
        """Without an async_http_client: one client per event loop, so that a server's calls
        reuse its connections (a client cannot move between loops)."""
        self.sleep: Callable[[float], object] | None = None
        """Sync sleep; None = real time (interrupted when another step fails)."""
        self.async_sleep: Callable[[float], Awaitable[object]] = asyncio.sleep
        self.wall: Callable[[], float] = time.time

    def __repr__(self) -> str:
        return f"JinaClient(url={self.url!r})"

    # -- shared

    def context(self, meter: Meter) -> Context:
        """What the steps of one call share: the retry policy, the key's budget, `meter`."""
        return Context(
            self.policy, self.budget.pacer, self.budget.slots, meter, self.wall, self._scrub
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
        return error.mask(self._secret.value)

    # -- sync

    def _sync_http_client(self) -> httpx.Client:
        if self._sync_http is None:
            self._sync_http = httpx.Client(timeout=self.timeout)
        return self._sync_http

    def _send(self, effect: Send) -> HttpReply | Exception:
        try:
            r = self._sync_http_client().post(
                self.base_url + effect.path,
                content=effect.body,
                headers=self._secret.headers(),
                timeout=self.timeout,
            )
        except httpx.TransportError as exc:
            return exc
        return HttpReply(r.status_code, r.headers, r.content)

    def run_steps(
        self,
        ctx: Context,
        steps: Sequence[Step[T]],
        on_done: Callable[[int], object] | None = None,
    ) -> list[T]:
        """Carry out steps made with `ctx`, sync: on threads, each request in a slot of the
        key. Returns their results in order, or raises the first failure (the other steps
        then send nothing more). `on_done(i)` is called as step `i` finishes."""
        self._sync_http_client()  # create the shared httpx.Client before the threads need it
        stop = threading.Event()
        sleep = self.sleep or stop.wait
        caller = object()  # this call, for the slots' turns

        def acquire() -> Slot:
            return ctx.slots.acquire(caller)

        if len(steps) == 1:
            results = [drive(steps[0], self._send, sleep, acquire)]
            if on_done is not None:
                on_done(0)
            return results
        workers = min(ctx.slots.workers(), len(steps))
        with ThreadPoolExecutor(workers, thread_name_prefix="chroma-jina") as pool:
            futures = {
                pool.submit(drive, step, self._send, sleep, acquire, stop.is_set): i
                for i, step in enumerate(steps)
            }
            try:
                for future in as_completed(futures):
                    future.result()
                    if on_done is not None:
                        on_done(futures[future])
            except BaseException:
                stop.set()
                for future in futures:
                    future.cancel()
                raise
        return [f.result() for f in futures]

    def run(self, job: Job, meter: Meter) -> list[Vector]:
        """Embed a job, sync: batches run on threads, each request in a slot of the key."""
        batches = plan_batches(job, self.max_items, self.max_tokens)
        ctx = self.context(meter)
        bar = self._bar(job, batches)
        try:
            return assemble(
                job,
                self.run_steps(
                    ctx,
                    [embed_batch(job, b, ctx) for b in batches],
                    None if bar is None else lambda i: bar.update(len(batches[i])),
                ),
            )
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
        except httpx.TransportError as exc:
            return exc
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
    ) -> list[T]:
        """Carry out steps made with `ctx` on the event loop: as tasks, each request in a slot
        of the key; results in order, or the first failure (the other tasks are cancelled).

        Without an `async_http_client` but with an `http_client`, runs `run_steps` in a
        thread; with neither, uses an `httpx.AsyncClient` of its own per event loop, kept for
        later calls on that loop so that they reuse its connections."""
        if self._async_http is None and not self._owns_sync_http:
            return await asyncio.to_thread(self.run_steps, ctx, steps, on_done)
        client = self._async_http or await self._async_http_client_for_loop()
        started = asyncio.Semaphore(ctx.slots.workers())  # steps under way, as threads above
        caller = object()

        async def one(i: int, step: Step[T]) -> T:
            async with started:
                got = await adrive(
                    step,
                    lambda e: self._asend(client, e),
                    self.async_sleep,
                    lambda: ctx.slots.acquire_async(caller),
                )
            if on_done is not None:
                on_done(i)
            return got

        tasks = [asyncio.ensure_future(one(i, s)) for i, s in enumerate(steps)]
        try:
            return list(await asyncio.gather(*tasks))
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
        try:
            return assemble(
                job,
                await self.arun_steps(
                    ctx,
                    [embed_batch(job, b, ctx) for b in batches],
                    None if bar is None else lambda i: bar.update(len(batches[i])),
                ),
            )
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
        error (its `input_indices` are positions in this call's inputs)."""
        return assemble(self.job, [future.result() for future in self._futures])

    def finished(self) -> dict[int, Vector]:
        """After a failure: the vectors of the batches that did succeed, by input position
        (waits for the batches still out)."""
        got: dict[int, Vector] = {}
        for future in self._futures:
            with contextlib.suppress(Exception):  # a failed or cancelled batch adds nothing
                got |= future.result()
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
