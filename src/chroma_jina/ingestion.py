"""Streaming a corpus into a Chroma collection: overlapped, in bounded memory, resumable.

Records are read in chunks. For each chunk, Chroma is asked which ids it already holds
(`get(ids=..., include=[])`) and those are skipped; the rest start embedding at once, and
chunks are written (by one writer, or spread over several and counted in input order) while
the requests of the chunks behind them are out. At most `chunks_in_flight` chunks are
embedding; with several writers, up to `chunks_in_flight` more are being written.

The decisions are pure: `read_chunks` checks and groups the records, and `plan_chunks` is a
generator that yields effects (`Lookup`, `Embed`, `Write`); `ingest` carries them out against
the collection and the embedding function.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from itertools import islice, zip_longest
from typing import Any, Protocol, cast

import numpy as np
from chromadb.api.models.Collection import Collection
from chromadb.api.types import (
    DefaultEmbeddingFunction,
    Embeddable,
    EmbeddingFunction,
    validate_metadata,
)
from chromadb.api.types import Metadata as ChromaMetadata
from chromadb.errors import ChromaError
from numpy.typing import NDArray

from chroma_jina.client import Stream
from chroma_jina.echo import cut, shown
from chroma_jina.embedding_function import JinaEmbeddingFunction
from chroma_jina.limits import (
    RecordQuotas,
    WriteLimits,
    over_quotas,
    refused_as_busy,
    refused_for_size,
    write_limits,
)

logger = logging.getLogger("chroma_jina")

DEFAULT_CHUNK_SIZE = 1024
"""Records read and embedded together (a chunk); with chroma-jina's function, rounded up to a
multiple of its batch size, so that no request of a chunk is left part-empty. A chunk is
written in `collection.add()` calls of at most the client's batch size (300 on Chroma Cloud)."""
DEFAULT_CHUNKS_IN_FLIGHT = 4
"""Chunks embedding at once; with several writers, as many more may be being written (what a
crash can make `ingest` embed, and bill, again: twice this many chunks at most)."""
WRITE_RETRIES = 6
"""Chroma calls are retried for about 24 s in all: long enough for a server to restart."""
WRITE_BACKOFF, WRITE_BACKOFF_CAP = 0.5, 8.0
SHOWN_IDS = 5
"""Ids named in an error message (all of them are on the exception)."""

Metadata = Mapping[str, Any]
_MISSING = object()


# ---- records --------------------------------------------------------------------------


class InvalidRecordError(ValueError):
    """A record `ingest` cannot store; `position` is its index in the input (from 0)."""

    def __init__(self, position: int, reason: str) -> None:
        super().__init__(f"record {position}: {reason}")
        self.position = position
        self.reason = reason


@dataclass(frozen=True)
class Chunk:
    """Records read together and written with one `collection.add()`."""

    ids: list[str]
    documents: list[str]
    metadatas: list[Metadata | None]

    def take(self, positions: Sequence[int]) -> Chunk:
        """The records at `positions`."""
        return Chunk(
            [self.ids[i] for i in positions],
            [self.documents[i] for i in positions],
            [self.metadatas[i] for i in positions],
        )

    def without(self, stored: set[str]) -> Chunk:
        """The records whose id is not in `stored`."""
        return self.take([i for i, id_ in enumerate(self.ids) if id_ not in stored])


class SeenIds:
    """The ids seen so far, as 64-bit hashes (8 bytes an id, whatever its length).

    Kept in sorted runs, each merged into the one before it once as large, so a check costs
    O(log n) per id. Two different ids share a hash with odds of about 1 in 40 million for a
    million ids; the error it would raise names the id, so it cannot pass unnoticed."""

    def __init__(self) -> None:
        self._runs: list[NDArray[np.int64]] = []

    def first_repeat(self, ids: Sequence[str]) -> int | None:
        """Remember `ids`; return the index of the first one seen before (in an earlier call
        or earlier in `ids`), or None."""
        first: int | None = None
        within: dict[str, int] = {}
        for i, id_ in enumerate(ids):
            if within.setdefault(id_, i) != i:
                first = i
                break
        hashes = np.fromiter((hash(id_) for id_ in ids), dtype=np.int64, count=len(ids))
        for run in self._runs:
            at = np.searchsorted(run, hashes).clip(max=len(run) - 1)
            hits = np.flatnonzero(run[at] == hashes)
            if hits.size:
                first = int(hits[0]) if first is None else min(first, int(hits[0]))
        self._runs.append(np.sort(hashes))
        while len(self._runs) > 1 and len(self._runs[-2]) <= len(self._runs[-1]):
            last = self._runs.pop()
            self._runs[-1] = np.sort(np.concatenate([self._runs[-1], last]))
        return first


def _check(position: int, id_: object, document: object, metadata: object) -> None:
    if not isinstance(id_, str) or not id_:
        raise InvalidRecordError(position, f"an id must be a non-empty string, got {shown(id_)}")
    if not isinstance(document, str):
        raise InvalidRecordError(
            position, f"id {shown(id_)}: a document must be a string, got {type(document).__name__}"
        )
    if not document.isascii():
        try:
            document.encode()
        except UnicodeEncodeError as exc:
            raise InvalidRecordError(
                position, f"id {shown(id_)}: the document is not valid Unicode ({exc.reason})"
            ) from None
    try:
        validate_metadata(metadata)  # type: ignore[arg-type]  # any object: chromadb says what is wrong with it
    except (ValueError, TypeError) as exc:
        raise InvalidRecordError(position, f"id {shown(id_)}: {cut(str(exc), 300)}") from None
    if isinstance(metadata, dict):
        empty = [key for key, value in metadata.items() if value is None]
        if empty:
            raise InvalidRecordError(
                position,
                f"id {shown(id_)}: metadata {shown(empty[0])} is None; Chroma stores no null values, "
                f"leave the key out",
            )


class DocumentsTooLargeError(InvalidRecordError):
    """Documents larger than Chroma takes (e.g. Chroma Cloud's 16,384 bytes), found before any
    of them is embedded; `ids` names every one found in the records read so far."""

    def __init__(self, position: int, ids: list[str], sizes: list[int], limit: int) -> None:
        shown = ", ".join(
            f"{id_!r} ({size:,} bytes)"
            for id_, size in list(zip(ids, sizes, strict=True))[:SHOWN_IDS]
        )
        more = f" and {len(ids) - SHOWN_IDS:,} more" if len(ids) > SHOWN_IDS else ""
        super().__init__(
            position,
            f"{len(ids):,} {'document is' if len(ids) == 1 else 'documents are'} larger than "
            f"the {limit:,} bytes Chroma takes: "
            f"{shown}{more}; split them or leave them out",
        )
        self.ids = ids
        self.sizes = sizes
        self.limit = limit


class OverQuotaError(InvalidRecordError):
    """Records whose id or metadata exceed Chroma Cloud's quotas (id bytes, metadata keys, key
    and value bytes), found before any of them is embedded; `ids` names every one found in the
    records read so far, `reasons` says what each exceeds."""

    def __init__(self, position: int, ids: list[str], reasons: list[str]) -> None:
        listed = "; ".join(
            f"{shown(id_)}: {reason}"
            for id_, reason in list(zip(ids, reasons, strict=True))[:SHOWN_IDS]
        )
        more = f" and {len(ids) - SHOWN_IDS:,} more" if len(ids) > SHOWN_IDS else ""
        super().__init__(
            position,
            f"{len(ids):,} {'record exceeds' if len(ids) == 1 else 'records exceed'} Chroma "
            f"Cloud's quotas: {listed}{more}; shorten them or leave them out",
        )
        self.ids = ids
        self.reasons = reasons


def _over_quotas(position: int, chunk: Chunk, quotas: RecordQuotas | None) -> None:
    """Raise `OverQuotaError` naming every record of `chunk` over `quotas`."""
    if quotas is None:
        return
    found: list[int] = []
    reasons: list[str] = []
    for i, (id_, metadata) in enumerate(zip(chunk.ids, chunk.metadatas, strict=True)):
        reason = over_quotas(id_, metadata, quotas)
        if reason is not None:
            found.append(i)
            reasons.append(reason)
    if found:
        raise OverQuotaError(position + found[0], [chunk.ids[i] for i in found], reasons)


def _too_large(
    position: int, ids: Sequence[str], documents: Sequence[str], limit: int | None
) -> None:
    """Raise `DocumentsTooLargeError` naming every document over `limit` UTF-8 bytes."""
    if limit is None:
        return
    found: list[int] = []
    sizes: list[int] = []
    for i, document in enumerate(documents):
        # a character is at most 4 bytes: most documents need no encoding to pass
        if len(document) * 4 > limit:
            size = len(document.encode())
            if size > limit:
                found.append(i)
                sizes.append(size)
    if found:
        raise DocumentsTooLargeError(position + found[0], [ids[i] for i in found], sizes, limit)


def read_chunks(
    ids: Iterable[str],
    documents: Iterable[str],
    metadatas: Iterable[Metadata | None] | None,
    size: int,
    max_document_bytes: int | None = None,
    quotas: RecordQuotas | None = None,
) -> Iterator[Chunk]:
    """Group the records in chunks of `size`, in input order. Each chunk is checked before it is
    yielded: every id a non-empty string seen nowhere earlier in the input, every document a
    string of at most `max_document_bytes` UTF-8 bytes, every metadata one Chroma takes, ids and
    metadata within `quotas`, and ids, documents and metadatas of one length; otherwise
    `InvalidRecordError` names the record (`DocumentsTooLargeError` every document too large in
    the chunk, `OverQuotaError` every record over `quotas`)."""
    columns: list[Iterable[Any]] = [ids, documents] + ([] if metadatas is None else [metadatas])
    names = ["ids", "documents", "metadatas"][: len(columns)]
    records = zip_longest(*columns, fillvalue=_MISSING)
    seen = SeenIds()
    position = 0
    while batch := list(islice(records, size)):
        for offset, record in enumerate(batch):
            ended = [name for name, value in zip(names, record, strict=False) if value is _MISSING]
            if ended:
                going = [name for name in names if name not in ended]
                raise InvalidRecordError(
                    position + offset,
                    f"{' and '.join(ended)} end here but {' and '.join(going)} go on: "
                    f"they must have one entry per record",
                )
            _check(position + offset, *record, *([None] if metadatas is None else []))
        chunk = Chunk(
            [r[0] for r in batch],
            [r[1] for r in batch],
            [r[2] if metadatas is not None else None for r in batch],
        )
        repeat = seen.first_repeat(chunk.ids)
        if repeat is not None:
            raise InvalidRecordError(
                position + repeat,
                f"id {shown(chunk.ids[repeat])} is already in the input: ids must be unique",
            )
        _too_large(position, chunk.ids, chunk.documents, max_document_bytes)
        _over_quotas(position, chunk, quotas)
        position += len(batch)
        yield chunk


def check(
    ids: Iterable[str],
    documents: Iterable[str],
    metadatas: Iterable[Metadata | None] | None = None,
    chunk_size: int = 4096,
    max_document_bytes: int | None = None,
    quotas: RecordQuotas | None = None,
) -> int:
    """Check every record as `ingest` does, sending nothing; return how many there are.
    Repeated ids are found exactly within a chunk, by hash across chunks (see `SeenIds`)."""
    chunks = read_chunks(ids, documents, metadatas, chunk_size, max_document_bytes, quotas)
    return sum(len(chunk.ids) for chunk in chunks)


# ---- the plan, as effects -------------------------------------------------------------


@dataclass(frozen=True)
class Lookup:
    """Effect: which of these ids does the collection hold? Answered with a set of ids."""

    ids: list[str]


@dataclass(frozen=True)
class Embed:
    """Effect: start embedding the chunk's documents; answered with a handle for `Write`."""

    chunk: Chunk


@dataclass(frozen=True)
class Write:
    """Effect: wait for the chunk's vectors and add the chunk to the collection."""

    chunk: Chunk
    handle: Any


IngestEffect = Lookup | Embed | Write
"""What `plan_chunks` asks `ingest` to do."""


def plan_chunks(chunks: Iterable[Chunk], in_flight: int) -> Generator[IngestEffect, Any, None]:
    """Resume, overlap and bound memory, as decisions.

    Each chunk's stored ids are looked up and skipped; the rest is embedded at once; chunks are
    handed to be written in input order, the oldest as soon as `in_flight` chunks are embedding,
    so at most `in_flight` chunks are embedding at any time (the caller bounds those being
    written). When the input turns out bad further on, the
    chunks read before it are still written (their embeddings are paid for), then the error is
    raised."""
    waiting: deque[Write] = deque()
    try:
        for chunk in chunks:
            stored = yield Lookup(chunk.ids)
            fresh = chunk.without(stored) if stored else chunk
            if fresh.ids:
                handle = yield Embed(fresh)
                waiting.append(Write(fresh, handle))
            while len(waiting) >= in_flight:
                yield waiting.popleft()
    except Exception:
        while waiting:
            yield waiting.popleft()
        raise
    while waiting:
        yield waiting.popleft()


def write_delay(attempt: int, error: BaseException, retries: int = WRITE_RETRIES) -> float | None:
    """Seconds to wait before writing (or looking up) a chunk again after `error`, or None to
    give up: what may pass on a second try (a server's 5xx or 429, a dropped connection) is
    retried with exponential backoff; a refusal of the data itself never is."""
    if attempt >= retries or isinstance(error, (ValueError, TypeError)):
        return None
    if refused_as_busy(error):
        return min(WRITE_BACKOFF_CAP, WRITE_BACKOFF * 2.0**attempt)
    if "Quota exceeded" in str(error):  # Cloud's refusal of the data, whatever its HTTP status
        return None
    if type(error) is ChromaError:  # an error the server did not name: chromadb says 400 for
        return min(WRITE_BACKOFF_CAP, WRITE_BACKOFF * 2.0**attempt)  # 429/503/504 too
    if isinstance(error, ChromaError):
        code = error.code()
        if 400 <= code < 500 and code != 429:
            return None
    return min(WRITE_BACKOFF_CAP, WRITE_BACKOFF * 2.0**attempt)


# ---- carrying it out ------------------------------------------------------------------


@dataclass(frozen=True)
class IngestReport:
    """What one `ingest` call did."""

    added: int
    """Records this call wrote to the collection."""
    skipped: int
    """Records whose id the collection already held: neither embedded nor written again."""
    requests: int | None
    """Embedding requests sent, retries included (None: the function does not count them)."""
    tokens: int | None
    """Tokens billed for them (None: the function does not count them)."""
    seconds: float
    """Wall time of the call."""


class IngestError(Exception):
    """`ingest` stopped before the end of its input; the cause is chained (`__cause__`).

    What came before the failure is stored: run the same `ingest` again to resume, and the
    stored ids are skipped. `report` says what this call did; `not_written` lists the ids it
    read and did not write."""

    def __init__(self, message: str, report: IngestReport, not_written: list[str]) -> None:
        super().__init__(message)
        self.report = report
        self.not_written = not_written


class Handle(Protocol):
    """A chunk's vectors on their way."""

    def result(self) -> Sequence[Any]: ...


class Embedder(Protocol):
    """What `ingest` needs from an embedding function."""

    def submit(self, documents: list[str]) -> Handle: ...

    def counts(self) -> tuple[int | None, int | None]: ...

    def cancel(self) -> None: ...

    def close(self) -> None: ...


class _Streamed:
    """chroma-jina's function: each chunk's requests queue behind the previous chunk's."""

    def __init__(self, stream: Stream) -> None:
        self._stream = stream

    def submit(self, documents: list[str]) -> Handle:
        return self._stream.submit(documents)

    def counts(self) -> tuple[int | None, int | None]:
        usage = self._stream.usage()
        return usage.requests, usage.total_tokens

    def cancel(self) -> None:
        self._stream.cancel()

    def close(self) -> None:
        self._stream.close()


class _CalledPerChunk:
    """Any other embedding function: called once per chunk on one thread, so a chunk is
    embedded while the one before it is written (without request pipelining)."""

    def __init__(self, function: Callable[[list[str]], Sequence[Any]]) -> None:
        self._function = function
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="chroma-jina-ingest")

    def _embed(self, documents: list[str]) -> Sequence[Any]:
        vectors = self._function(documents)
        if len(vectors) != len(documents):
            raise ValueError(
                f"the embedding function returned {len(vectors)} vectors for {len(documents)} "
                f"documents"
            )
        return vectors

    def submit(self, documents: list[str]) -> Future[Sequence[Any]]:
        return self._pool.submit(self._embed, documents)

    def counts(self) -> tuple[int | None, int | None]:
        return None, None

    def cancel(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        self._pool.shutdown(wait=True)


def collection_function(collection: Any) -> EmbeddingFunction[Embeddable]:
    """The embedding function Chroma would use for `collection.add()`: the one the collection
    was opened with, else the one its configuration names (rebuilt by Chroma, which raises if
    it cannot be). Never Chroma's stand-in default for a collection that names none."""
    function: EmbeddingFunction[Embeddable] | None = getattr(
        collection, "_embedding_function", None
    )
    if function is not None and not isinstance(function, DefaultEmbeddingFunction):
        return function
    configured: EmbeddingFunction[Embeddable] | None = collection.configuration.get(
        "embedding_function"
    )
    if configured is None:
        raise ValueError(
            f"collection {collection.name!r} names no embedding function: pass "
            f"embedding_function=..."
        )
    return configured


def _embedder(function: EmbeddingFunction[Embeddable]) -> tuple[Embedder, int]:
    """The embedder for `function` and its default chunk size."""
    if isinstance(function, JinaEmbeddingFunction):
        stream = function.stream()
        return _Streamed(stream), -(-DEFAULT_CHUNK_SIZE // stream.max_items) * stream.max_items
    return _CalledPerChunk(function), DEFAULT_CHUNK_SIZE


def _bar(progress: bool | None, total: int | None) -> Any:
    if not (sys.stderr.isatty() if progress is None else progress):
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="doc", desc="ingest", dynamic_ncols=True)


class _Gate:
    """At most `allowed` writes at once; Chroma saying it is busy lowers `allowed` by one (to
    no fewer than one), so a collection shared with other writers, or a lower quota than
    Cloud's, settles at what it takes instead of being refused again."""

    def __init__(self, allowed: int) -> None:
        self.allowed = allowed
        self._in_use = 0
        self._free = threading.Condition()

    def __enter__(self) -> None:
        with self._free:
            while self._in_use >= self.allowed:
                self._free.wait()
            self._in_use += 1

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, _: Any
    ) -> None:
        with self._free:
            if error is not None and refused_as_busy(error):
                self.allowed = max(1, min(self.allowed, self._in_use) - 1)
            self._in_use -= 1
            self._free.notify_all()


@dataclass
class _Writing:
    """A chunk whose slices are being added, by one writer or several."""

    chunk: Chunk
    futures: list[Future[None]]


def _done(call: Callable[[], None]) -> Future[None]:
    """`call()` carried out now, as a finished future."""
    future: Future[None] = Future()
    try:
        call()
    except BaseException as exc:  # handed to whoever acknowledges the write
        future.set_exception(exc)
    else:
        future.set_result(None)
    return future


class _Tally:
    """What one run has done, shown on its bar: shared by `ingest`'s and `aingest`'s runs,
    which differ only in how they call Chroma and wait."""

    def __init__(self, embedder: Embedder, bar: Any, limits: WriteLimits) -> None:
        self.embedder = embedder
        self.bar = bar
        self.limits = limits
        self.added = self.skipped = 0
        self.retries = WRITE_RETRIES
        """Retries of a failed Chroma call (none once Chroma has given up on one)."""
        self.started = time.perf_counter()
        if bar is not None:
            self._postfix()

    def report(self) -> IngestReport:
        requests, tokens = self.embedder.counts()
        return IngestReport(
            self.added, self.skipped, requests, tokens, time.perf_counter() - self.started
        )

    def skip(self, stored: set[str]) -> None:
        """Count the stored ids of a chunk as skipped."""
        if stored:
            self.skipped += len(stored)
            if self.bar is not None:
                if self.bar.total is not None:
                    self.bar.total -= len(stored)
                self._postfix()

    def written(self, chunk: Chunk) -> None:
        """Count a chunk whose every slice landed."""
        self.added += len(chunk.ids)
        if self.bar is not None:
            self._postfix()
            self.bar.update(len(chunk.ids))

    def lookups(self, ids: list[str]) -> list[list[str]]:
        """`ids` in lookups of the client's batch size at most (Cloud's 300: no `get` asks for
        more ids than a write may hold)."""
        step = self.limits.max_batch_size
        return [ids[i : i + step] for i in range(0, len(ids), step)]

    def slices(self, chunk: Chunk) -> list[list[int]]:
        """The chunk's positions in writes of the client's batch size at most."""
        step = self.limits.max_batch_size
        return [
            list(range(i, min(i + step, len(chunk.ids)))) for i in range(0, len(chunk.ids), step)
        ]

    def _postfix(self) -> None:
        tokens = self.embedder.counts()[1]
        shown = {"skipped": f"{self.skipped:,}"}
        if tokens is not None:
            shown["tokens"] = f"{tokens:,}"
        self.bar.set_postfix(shown, refresh=False)


def retry_delay(
    what: str, attempt: int, error: Exception, retries: int = WRITE_RETRIES
) -> float | None:
    """`write_delay`, logged when there is one: seconds before Chroma's `what` is tried again."""
    delay = write_delay(attempt, error, retries)
    if delay is not None:
        logger.info("Chroma %s failed (%s): retry %d in %.1fs", what, error, attempt + 1, delay)
    return delay


def add_arguments(chunk: Chunk, vectors: Sequence[Any], todo: list[int]) -> dict[str, Any]:
    """`collection.add()`'s arguments for the records at positions `todo`."""
    metadatas = [chunk.metadatas[i] for i in todo]
    return {
        "ids": [chunk.ids[i] for i in todo],
        "embeddings": [vectors[i] for i in todo],
        "documents": [chunk.documents[i] for i in todo],
        # each one passed chromadb's validate_metadata when it was read
        "metadatas": cast("list[ChromaMetadata]", metadatas)
        if any(m is not None for m in metadatas)
        else None,
    }


def split_refused(error: Exception, todo: list[int]) -> tuple[list[int], list[int]] | None:
    """The two halves to write instead when Chroma refused `todo` for its size, else None."""
    if not refused_for_size(error) or len(todo) < 2:
        return None
    logger.info("Chroma refused %d records in one write (%s): split in two", len(todo), error)
    half = len(todo) // 2
    return todo[:half], todo[half:]


class _Run(_Tally):
    """One `ingest` call's counters, bar and Chroma calls."""

    def __init__(
        self, collection: Collection, embedder: Embedder, bar: Any, limits: WriteLimits
    ) -> None:
        super().__init__(embedder, bar, limits)
        self.collection = collection
        self.writing: deque[_Writing] = deque()
        self.gate = _Gate(limits.writers)
        self.reads = threading.BoundedSemaphore(limits.writers)
        """At most `writers` `get`s at once: a retry's check of what landed and the next chunk's
        lookup together stay within Cloud's 10 concurrent reads."""
        self._pool = (
            ThreadPoolExecutor(limits.writers, thread_name_prefix="chroma-jina-write")
            if limits.writers > 1
            else None
        )

    def _retrying(self, what: str, call: Callable[[int], Any]) -> Any:
        """`call(attempt)` until it returns, retrying as `write_delay` says."""
        attempt = 0
        while True:
            try:
                return call(attempt)
            except Exception as exc:
                delay = retry_delay(what, attempt, exc, self.retries)
                if delay is None:
                    raise
                time.sleep(delay)
                attempt += 1

    def lookup(self, ids: list[str]) -> set[str]:
        """The stored ones of `ids`, counted as skipped."""
        stored: set[str] = self._retrying("get", lambda _: self.stored(ids))
        self.skip(stored)
        return stored

    def start_write(self, chunk: Chunk, vectors: Sequence[Any]) -> None:
        """Add the chunk in slices of the client's batch size: one after the other here with
        one writer, else spread over the writers. `acknowledge` counts it once all landed."""
        slices = self.slices(chunk)
        if self._pool is None:

            def one_after_the_other() -> None:
                for part in slices:
                    self._add(chunk, vectors, part)

            futures = [_done(one_after_the_other)]
        else:
            futures = [self._pool.submit(self._add, chunk, vectors, part) for part in slices]
        self.writing.append(_Writing(chunk, futures))

    def acknowledge(self, keep: int) -> None:
        """Count the written chunks in input order, waiting for the oldest while more than
        `keep` are being written; raise the first write's error."""
        while self.writing and (
            len(self.writing) > keep or all(f.done() for f in self.writing[0].futures)
        ):
            oldest = self.writing[0]
            for future in oldest.futures:
                future.result()
            self.writing.popleft()
            self.written(oldest.chunk)

    def settle(self) -> list[str]:
        """After a failure: wait for every write under way, count what landed, and return the
        ids of the chunks being written that the collection does not hold."""
        not_written: list[str] = []
        while self.writing:
            item = self.writing.popleft()
            wait(item.futures)
            if all(f.exception() is None for f in item.futures):
                self.added += len(item.chunk.ids)
            else:
                unstored = self.unstored(item.chunk.ids)
                self.added += len(item.chunk.ids) - len(unstored)
                not_written += unstored
        return not_written

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)

    def _add(self, chunk: Chunk, vectors: Sequence[Any], positions: list[int]) -> None:
        """Add the records at `positions`, retrying; before a retry, look up what the failed
        try stored (all, part or none of it) and add only the rest. A write Chroma refuses
        for its size is split in two, never sent again as is."""
        todo = positions

        def add(attempt: int) -> None:
            nonlocal todo
            if attempt:
                stored = self.stored([chunk.ids[i] for i in todo])
                todo = [i for i in todo if chunk.ids[i] not in stored]
            if not todo:
                return
            with self.gate:
                self.collection.add(**add_arguments(chunk, vectors, todo))

        try:
            self._retrying("add", add)
        except Exception as exc:
            halves = split_refused(exc, todo)
            if halves is None:
                raise
            for half in halves:
                self._add(chunk, vectors, half)

    def stored(self, ids: list[str]) -> set[str]:
        """Those of `ids` the collection holds (asked in lookups of the batch size)."""
        held: set[str] = set()
        for part in self.lookups(ids):
            with self.reads:
                held.update(self.collection.get(ids=part, include=[])["ids"])
        return held

    def unstored(self, ids: list[str]) -> list[str]:
        """Those of `ids` the collection does not hold (all of them if it cannot say)."""
        try:
            stored = self.stored(ids)
        except Exception:
            return ids
        return [id_ for id_ in ids if id_ not in stored]


def prepare(
    collection: Any,
    ids: Iterable[str],
    documents: Iterable[str],
    metadatas: Iterable[Metadata | None] | None,
    embedding_function: EmbeddingFunction[Embeddable] | None,
    chunk_size: int | None,
    chunks_in_flight: int,
    limits: WriteLimits,
    total: int | None,
    progress: bool | None,
) -> tuple[Embedder, Any, Generator[IngestEffect, Any, None]]:
    """Check the arguments (and, for lists, every record) before anything is sent; return the
    embedder, the progress bar (or None) and the plan, for `ingest` and `aingest` alike."""
    if chunks_in_flight < 1:
        raise ValueError(f"chunks_in_flight must be at least 1, got {chunks_in_flight!r}")
    for name, column in (("ids", ids), ("documents", documents), ("metadatas", metadatas)):
        if isinstance(column, (str, bytes, Mapping)):
            raise ValueError(
                f"{name} must be a list or an iterable of one entry per record, got one "
                f"{type(column).__name__}"
            )
    function = collection_function(collection) if embedding_function is None else embedding_function
    embedder, default_size = _embedder(function)
    try:
        size = default_size if chunk_size is None else chunk_size
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}")
        columns = [ids, documents] + ([] if metadatas is None else [metadatas])
        if isinstance(ids, Sequence) and all(isinstance(column, Sequence) for column in columns):
            # bad input raises before anything is sent; one chunk: repeated ids found exactly
            total = check(
                ids,
                documents,
                metadatas,
                max(1, len(ids)),
                limits.max_document_bytes,
                limits.record_quotas,
            )
    except BaseException:
        embedder.close()
        raise
    chunks = read_chunks(
        ids, documents, metadatas, size, limits.max_document_bytes, limits.record_quotas
    )
    return embedder, _bar(progress, total), plan_chunks(chunks, chunks_in_flight)


def ingest(
    collection: Collection,
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
    """Embed documents and add them to `collection`, streaming: resumable, in bounded memory,
    embedding the next chunks while the current one is written.

    `ids`, `documents` and `metadatas` are lists or any iterables read once, in step (a
    generator over a file works). Ids the collection already holds are skipped, checked per
    chunk with `get(ids=..., include=[])`: run the same call again after a crash and it adds
    only what is missing, embedding nothing twice. Records are read and embedded in chunks of
    `chunk_size` (default 1,024, rounded up to a multiple of chroma-jina's batch size); at most
    `chunks_in_flight` chunks are embedding at once and, with several writers, at most as many
    more are being written (with one writer, a chunk is read only once the oldest is stored).

    Writes follow the client's limits whatever `chunk_size` says: each `collection.add()` holds
    at most `get_max_batch_size()` records (300 on Chroma Cloud), and a write Chroma refuses
    for its size is split, never sent again as is. Documents over `max_document_bytes` (default:
    16,384 on a Chroma Cloud client, recognised by its settings or its host, or when `cloud` is
    True; no limit elsewhere) raise `DocumentsTooLargeError` naming them before anything is
    embedded. With a remote client (HttpClient, CloudClient, AsyncHttpClient), up to `writers` writes run at once (default 10, Cloud's limit
    per collection); with a local one, one writer.

    The embedding function is the collection's unless `embedding_function` is given. With
    chroma-jina's, the requests of every chunk share the key's concurrency, so requests keep
    going while chunks are written; any other function is called once per chunk.

    Bad records raise `InvalidRecordError` naming the record: with lists, before anything is
    sent; with other iterables, before the chunk that holds it is embedded (the chunks before
    it are stored). On a Chroma Cloud client, ids and metadata over Cloud's quotas raise
    `OverQuotaError` naming them, at the same moment. A failed Chroma write is retried, adding
    only the ids that did not land. When the embedding function or Chroma gives up, what was
    already embedded is still written (after Chroma gave up: each chunk tried once, stopping at
    the first that fails), and `IngestError.not_written` lists the ids read and not stored. `progress` shows a tqdm bar (None: when standard error is a terminal); `total`
    gives it an ETA for an iterable without a length.
    """
    limits = write_limits(
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
    run = _Run(collection, embedder, bar, limits)
    try:
        _carry_out(run, steps, chunks_in_flight)
        embedder.close()
        return run.report()
    finally:
        run.close()
        if run.bar is not None:
            run.bar.close()


def _carry_out(run: _Run, steps: Generator[IngestEffect, Any, None], in_flight: int) -> None:
    """Answer the plan's effects until it ends. On a failure, write what can still be written
    and raise `IngestError` naming the ids read and not stored."""
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
                run.acknowledge(keep=0)
                return
            if isinstance(effect, Lookup):
                stage = "chroma"
                value = run.lookup(effect.ids)
            elif isinstance(effect, Embed):
                stage = "embedding"
                value = run.embedder.submit(effect.chunk.documents)
                waiting.append(Write(effect.chunk, value))
            else:
                waiting.popleft()
                stage = "embedding"
                vectors = effect.handle.result()
                stage = "chroma"
                run.start_write(effect.chunk, vectors)
                effect = None
                run.acknowledge(keep=in_flight)
                value = None
    except BaseException as exc:
        run.embedder.cancel()
        steps.close()
        if stage == "reading" or not isinstance(exc, Exception):
            if stage == "reading" and isinstance(exc, Exception):
                run.acknowledge(keep=0)  # the chunks before the bad record are written
            raise  # the input's own error or an interrupt
        not_written = run.settle()
        lost, rest = after_failure(effect, stage, waiting)
        not_written += lost
        once = stage == "chroma"
        if once:
            run.retries = 0
        for at, pending in enumerate(rest):
            part, vectors, missing = what_came(pending)
            not_written += missing
            if part is not None:
                run.start_write(part, vectors)
                unstored = run.settle()
                not_written += unstored
                if once and unstored:
                    not_written += ids_of(rest[at + 1 :])
                    break
        raise stopped(exc, stage, run.report(), not_written) from exc


def ids_of(items: Iterable[Write]) -> list[str]:
    """The ids of the chunks `items`."""
    return [id_ for item in items for id_ in item.chunk.ids]


def after_failure(
    effect: IngestEffect | None, stage: str, waiting: Iterable[Write]
) -> tuple[list[str], list[Write]]:
    """After a failure at `effect` (once the writes under way have settled): the ids read that
    will not be written, and the chunks whose embedded part is still to write, in input order.
    What was embedded behind the failure is paid for, so it is written: after an embedding
    failure with the usual retries; after Chroma gave up, each chunk tried once (no retries),
    stopping at the first that fails (the caller does both)."""
    if isinstance(effect, Lookup):  # Chroma could not say what it holds: not embedded
        return list(effect.ids), list(waiting)
    if stage == "chroma" or effect is None:
        return [], list(waiting)
    lost = list(effect.chunk.ids) if isinstance(effect, Embed) else []
    return lost, [*([effect] if isinstance(effect, Write) else []), *waiting]


def what_came(item: Write) -> tuple[Chunk | None, Sequence[Any], list[str]]:
    """What was embedded of a chunk whose embedding may have failed in part (waiting for it):
    the part to write (None if nothing came), its vectors, and the ids that did not come."""
    try:
        vectors: Sequence[Any] = item.handle.result()
        came: Sequence[int] = range(len(item.chunk.ids))
    except Exception:
        finished: dict[int, Any] = getattr(item.handle, "finished", dict)()
        came = sorted(finished)
        vectors = [finished[i] for i in came]
    got = set(came)
    missing = [id_ for i, id_ in enumerate(item.chunk.ids) if i not in got]
    return (item.chunk.take(came) if came else None), vectors, missing


def stopped(
    error: Exception, stage: str, report: IngestReport, not_written: list[str]
) -> IngestError:
    """The error `ingest` raises when `stage` ("chroma" or "embedding") failed with `error`."""
    listed = ", ".join(shown(i) for i in not_written[:SHOWN_IDS])
    if len(not_written) > SHOWN_IDS:
        listed += f" and {len(not_written) - SHOWN_IDS:,} more"
    failing = "Chroma" if stage == "chroma" else "embedding"
    return IngestError(
        f"ingest stopped after adding {report.added:,} records, when {failing} failed: "
        f"{type(error).__name__}: {cut(str(error), 1000)}. {len(not_written):,} ids read were "
        f"not written ({listed}); run the same ingest again to add them: stored ids are "
        f"skipped.",
        report,
        not_written,
    )
