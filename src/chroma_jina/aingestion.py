"""`aingest`: `ingest` for an `AsyncHttpClient` collection, from async code.

The same plan (`plan_chunks`), checks, limits and guarantees as `ingest`: records checked
before they are sent, stored ids skipped on a second run, writes sized to the client's limits
and spread over up to `writers` tasks, counted in input order. Embedding runs on chroma-jina's
request threads (or one thread for another function); the event loop awaits it, never blocks.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Generator, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from chromadb.api.models.AsyncCollection import AsyncCollection
from chromadb.api.types import Embeddable, EmbeddingFunction

from chroma_jina.ingestion import (
    DEFAULT_CHUNKS_IN_FLIGHT,
    Chunk,
    Embed,
    Embedder,
    IngestEffect,
    IngestReport,
    Lookup,
    Metadata,
    Write,
    _Tally,
    add_arguments,
    after_failure,
    ids_of,
    prepare,
    retry_delay,
    split_refused,
    stopped,
    what_came,
)
from chroma_jina.limits import WriteLimits, awrite_limits, refused_as_busy

logger = logging.getLogger("chroma_jina")


class _Gate:
    """At most `allowed` writes at once; lowered by one each time Chroma says it is busy."""

    def __init__(self, allowed: int) -> None:
        self.allowed = allowed
        self._in_use = 0
        self._free = asyncio.Condition()

    async def run(self, call: Callable[[], Awaitable[Any]]) -> Any:
        async with self._free:
            await self._free.wait_for(lambda: self._in_use < self.allowed)
            self._in_use += 1
        try:
            return await call()
        except Exception as exc:
            if refused_as_busy(exc):
                self.allowed = max(1, min(self.allowed, self._in_use) - 1)
            raise
        finally:
            async with self._free:
                self._in_use -= 1
                self._free.notify_all()


@dataclass
class _Writing:
    chunk: Chunk
    tasks: list[asyncio.Task[None]]


class _ARun(_Tally):
    """One `aingest` call's Chroma calls, awaited; its counts and bar as `ingest`'s."""

    def __init__(
        self, collection: AsyncCollection, embedder: Embedder, bar: Any, limits: WriteLimits
    ) -> None:
        super().__init__(embedder, bar, limits)
        self.collection = collection
        self.gate = _Gate(limits.writers)
        self.reads = asyncio.Semaphore(limits.writers)
        """At most `writers` `get`s at once (Cloud allows 10 concurrent reads a collection)."""
        self.writing: deque[_Writing] = deque()

    async def _retrying(self, what: str, call: Callable[[int], Awaitable[Any]]) -> Any:
        attempt = 0
        while True:
            try:
                return await call(attempt)
            except Exception as exc:
                delay = retry_delay(what, attempt, exc, self.retries)
                if delay is None:
                    raise
                await asyncio.sleep(delay)
                attempt += 1

    async def stored(self, ids: list[str]) -> set[str]:
        held: set[str] = set()
        for part in self.lookups(ids):
            async with self.reads:
                held.update((await self.collection.get(ids=part, include=[]))["ids"])
        return held

    async def unstored(self, ids: list[str]) -> list[str]:
        try:
            stored = await self.stored(ids)
        except Exception:
            return ids
        return [id_ for id_ in ids if id_ not in stored]

    async def lookup(self, ids: list[str]) -> set[str]:
        async def get(_: int) -> set[str]:
            return await self.stored(ids)

        stored: set[str] = await self._retrying("get", get)
        self.skip(stored)
        return stored

    def start_write(self, chunk: Chunk, vectors: Sequence[Any]) -> None:
        tasks = [
            asyncio.ensure_future(self._add(chunk, vectors, part)) for part in self.slices(chunk)
        ]
        self.writing.append(_Writing(chunk, tasks))

    async def acknowledge(self, keep: int) -> None:
        while self.writing and (
            len(self.writing) > keep or all(t.done() for t in self.writing[0].tasks)
        ):
            oldest = self.writing[0]
            for task in oldest.tasks:
                await task
            self.writing.popleft()
            self.written(oldest.chunk)

    async def settle(self) -> list[str]:
        not_written: list[str] = []
        while self.writing:
            item = self.writing.popleft()
            await asyncio.wait(item.tasks)
            if all(t.exception() is None for t in item.tasks):
                self.added += len(item.chunk.ids)
            else:
                unstored = await self.unstored(item.chunk.ids)
                self.added += len(item.chunk.ids) - len(unstored)
                not_written += unstored
        return not_written

    async def _add(self, chunk: Chunk, vectors: Sequence[Any], positions: list[int]) -> None:
        todo = positions

        async def add(attempt: int) -> None:
            nonlocal todo
            if attempt:
                stored = await self.stored([chunk.ids[i] for i in todo])
                todo = [i for i in todo if chunk.ids[i] not in stored]
            if not todo:
                return
            arguments = add_arguments(chunk, vectors, todo)
            await self.gate.run(lambda: self.collection.add(**arguments))

        try:
            await self._retrying("add", add)
        except Exception as exc:
            halves = split_refused(exc, todo)
            if halves is None:
                raise
            for half in halves:
                await self._add(chunk, vectors, half)


async def aingest(
    collection: AsyncCollection,
    *,
    ids: Iterable[str],
    documents: Iterable[str],
    metadatas: Iterable[Metadata | None] | None = None,
    embedding_function: EmbeddingFunction[Embeddable] | None = None,
    chunk_size: int | None = None,
    chunks_in_flight: int = DEFAULT_CHUNKS_IN_FLIGHT,
    total: int | None = None,
    progress: bool | None = None,
    max_document_bytes: int | None = None,
    writers: int | None = None,
    cloud: bool | None = None,
) -> IngestReport:
    """`ingest` for a collection of `await chromadb.AsyncHttpClient(...)`: the same arguments,
    checks, resume and limits (see `ingest`); up to `writers` writes run as tasks (default 10).
    chromadb has no async Cloud client: Chroma Cloud is recognised by its host
    (api.trychroma.com); elsewhere (a proxy) pass `cloud=True` for Cloud's quotas.
    """
    limits = await awrite_limits(
        collection._client, max_document_bytes=max_document_bytes, writers=writers, cloud=cloud
    )
    embedder, bar, steps = prepare(
        collection,
        ids,
        documents,
        metadatas,
        embedding_function,
        chunk_size,
        chunks_in_flight,
        limits,
        total,
        progress,
    )
    run = _ARun(collection, embedder, bar, limits)
    try:
        await _carry_out(run, steps, chunks_in_flight)
        embedder.close()
        return run.report()
    finally:
        if run.bar is not None:
            run.bar.close()


async def _carry_out(run: _ARun, steps: Generator[IngestEffect, Any, None], in_flight: int) -> None:
    """As `ingestion._carry_out`, awaiting Chroma and the embeddings."""
    waiting: deque[Write] = deque()
    value: Any = None
    effect: IngestEffect | None = None
    stage = "reading"
    try:
        while True:
            stage = "reading"
            try:
                effect = steps.send(value)
            except StopIteration:
                stage = "chroma"
                await run.acknowledge(keep=0)
                return
            if isinstance(effect, Lookup):
                stage = "chroma"
                value = await run.lookup(effect.ids)
            elif isinstance(effect, Embed):
                stage = "embedding"
                value = run.embedder.submit(effect.chunk.documents)
                waiting.append(Write(effect.chunk, value))
            else:
                waiting.popleft()
                stage = "embedding"
                vectors = await asyncio.to_thread(effect.handle.result)
                stage = "chroma"
                run.start_write(effect.chunk, vectors)
                effect = None
                await run.acknowledge(keep=in_flight)
                value = None
    except BaseException as exc:
        run.embedder.cancel()
        steps.close()
        if stage == "reading" or not isinstance(exc, Exception):
            if stage == "reading" and isinstance(exc, Exception):
                await run.acknowledge(keep=0)
            else:
                for item in run.writing:
                    for task in item.tasks:
                        task.cancel()
            raise
        not_written = await run.settle()
        lost, rest = after_failure(effect, stage, waiting)
        not_written += lost
        once = stage == "chroma"
        if once:
            run.retries = 0
        for at, pending in enumerate(rest):
            part, vectors, missing = await asyncio.to_thread(what_came, pending)
            not_written += missing
            if part is not None:
                run.start_write(part, vectors)
                unstored = await run.settle()
                not_written += unstored
                if once and unstored:
                    not_written += ids_of(rest[at + 1 :])
                    break
        raise stopped(exc, stage, run.report(), not_written) from exc
