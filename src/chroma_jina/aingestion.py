"""`aingest`: `ingest` for an `AsyncHttpClient` collection, from async code.

The same plan (`plan_chunks`), checks, limits and guarantees as `ingest`: records checked
before they are sent, stored ids skipped on a second run, writes sized to the client's limits
and spread over up to `writers` tasks, counted in input order. Embedding runs on chroma-jina's
request threads (or one thread for another function); the event loop awaits it, never blocks.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Generator, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from chromadb.api.models.AsyncCollection import AsyncCollection
from chromadb.api.types import Embeddable, EmbeddingFunction
from chromadb.api.types import Metadata as ChromaMetadata

from chroma_jina.ingestion import (
    DEFAULT_CHUNKS_IN_FLIGHT,
    SHOWN_IDS,
    Chunk,
    Embed,
    Embedder,
    IngestEffect,
    IngestError,
    IngestReport,
    Lookup,
    Metadata,
    Write,
    _bar,
    plan_chunks,
    prepare,
    read_chunks,
    write_delay,
)
from chroma_jina.limits import WriteLimits, awrite_limits, refused_as_busy, refused_for_size

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


class _ARun:
    """One `aingest` call's counters, bar and Chroma calls."""

    def __init__(
        self, collection: AsyncCollection, embedder: Embedder, bar: Any, limits: WriteLimits
    ) -> None:
        self.collection = collection
        self.embedder = embedder
        self.bar = bar
        self.limits = limits
        self.gate = _Gate(limits.writers)
        self.added = self.skipped = 0
        self.writing: deque[_Writing] = deque()
        self.started = time.perf_counter()

    def report(self) -> IngestReport:
        requests, tokens = self.embedder.counts()
        return IngestReport(
            self.added, self.skipped, requests, tokens, time.perf_counter() - self.started
        )

    async def _retrying(self, what: str, call: Callable[[int], Awaitable[Any]]) -> Any:
        attempt = 0
        while True:
            try:
                return await call(attempt)
            except Exception as exc:
                delay = write_delay(attempt, exc)
                if delay is None:
                    raise
                logger.info(
                    "Chroma %s failed (%s): retry %d in %.1fs", what, exc, attempt + 1, delay
                )
                await asyncio.sleep(delay)
                attempt += 1

    async def stored(self, ids: list[str]) -> set[str]:
        return set((await self.collection.get(ids=ids, include=[]))["ids"])

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
        self.skipped += len(stored)
        if stored and self.bar is not None and self.bar.total is not None:
            self.bar.total -= len(stored)
        return stored

    def start_write(self, chunk: Chunk, vectors: Sequence[Any]) -> None:
        step = self.limits.max_batch_size
        tasks = [
            asyncio.ensure_future(
                self._add(chunk, vectors, list(range(i, min(i + step, len(chunk.ids)))))
            )
            for i in range(0, len(chunk.ids), step)
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
            self.added += len(oldest.chunk.ids)
            if self.bar is not None:
                self.bar.update(len(oldest.chunk.ids))

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
            metadatas = [chunk.metadatas[i] for i in todo]
            await self.gate.run(
                lambda: self.collection.add(
                    ids=[chunk.ids[i] for i in todo],
                    embeddings=[vectors[i] for i in todo],
                    documents=[chunk.documents[i] for i in todo],
                    metadatas=cast("list[ChromaMetadata]", metadatas)
                    if any(m is not None for m in metadatas)
                    else None,
                )
            )

        try:
            await self._retrying("add", add)
        except Exception as exc:
            if not refused_for_size(exc) or len(todo) < 2:
                raise
            logger.info("Chroma refused %d records in one write (%s): split in two", len(todo), exc)
            half = len(todo) // 2
            await self._add(chunk, vectors, todo[:half])
            await self._add(chunk, vectors, todo[half:])


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
) -> IngestReport:
    """`ingest` for a collection of `await chromadb.AsyncHttpClient(...)`: the same arguments,
    checks, resume and limits (see `ingest`); up to `writers` writes run as tasks (default 10).
    """
    limits = await awrite_limits(
        collection._client, max_document_bytes=max_document_bytes, writers=writers
    )
    embedder, size, total = prepare(
        collection,
        ids,
        documents,
        metadatas,
        embedding_function,
        chunk_size,
        chunks_in_flight,
        limits,
        total,
    )
    run = _ARun(collection, embedder, _bar(progress, total), limits)
    try:
        chunks = read_chunks(ids, documents, metadatas, size, limits.max_document_bytes)
        await _carry_out(run, plan_chunks(chunks, chunks_in_flight), chunks_in_flight)
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
        not_written = await _leftovers(run, effect, stage, waiting)
        report = run.report()
        shown = ", ".join(repr(i) for i in not_written[:SHOWN_IDS])
        if len(not_written) > SHOWN_IDS:
            shown += f" and {len(not_written) - SHOWN_IDS:,} more"
        failing = "Chroma" if stage == "chroma" else "embedding"
        raise IngestError(
            f"ingest stopped after adding {report.added:,} records, when {failing} failed: "
            f"{type(exc).__name__}: {exc}. {len(not_written):,} ids read were not written "
            f"({shown}); run the same ingest again to add them: stored ids are skipped.",
            report,
            not_written,
        ) from exc


async def _leftovers(
    run: _ARun, effect: IngestEffect | None, stage: str, waiting: deque[Write]
) -> list[str]:
    """As `ingestion._leftovers`."""
    not_written = await run.settle()
    behind = [id_ for item in waiting for id_ in item.chunk.ids]
    if isinstance(effect, Lookup):
        return [*not_written, *effect.ids, *behind]
    if stage == "chroma" or effect is None:
        return [*not_written, *behind]
    if isinstance(effect, Embed):
        not_written += effect.chunk.ids
    if isinstance(effect, Write):
        waiting.appendleft(effect)
    for item in waiting:
        try:
            vectors: Sequence[Any] = await asyncio.to_thread(item.handle.result)
            came: Sequence[int] = range(len(item.chunk.ids))
        except Exception:
            finished: dict[int, Any] = getattr(item.handle, "finished", dict)()
            came = sorted(finished)
            vectors = [finished[i] for i in came]
        got = set(came)
        not_written += [id_ for i, id_ in enumerate(item.chunk.ids) if i not in got]
        if came:
            run.start_write(item.chunk.take(came), vectors)
            not_written += await run.settle()
    return not_written
