"""One measure of `benchmarks.ingest`, in its own process (wall time and peak memory do not mix).

    python -m benchmarks.ingest_contender {embed,write,naive,ingest} --base-url URL \\
        --corpus FILE.jsonl --n N --db DIR --out FIGURES.json [--vectors FILE.npy] \\
        [--server URL --writers N]

The corpus is read lazily from the JSONL file, as a user with a large corpus would. With
`--server`, the collection (named after --db) lives on that `chroma run` server, and `write` and
`ingest` use `--writers` writers.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable, Iterator
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.contender import API_KEY, MODEL, _peak_rss_mb

NAIVE_CHUNK = 1000
"""Documents per `collection.add()` in the loop a user writes."""
WRITE_CHUNK = 1024
"""Vectors per `collection.add()` when writing alone: the chunks `ingest` writes."""
COLLECTION = "passages"


def records(corpus: Path, n: int) -> Iterator[tuple[str, str]]:
    """(id, text) of the first `n` lines of the corpus file, read lazily."""
    with corpus.open(encoding="utf-8") as lines:
        for line in islice(lines, n):
            record = json.loads(line)
            yield record["id"], record["text"]


def chunks(corpus: Path, n: int, size: int) -> Iterator[tuple[list[str], list[str]]]:
    it = records(corpus, n)
    while batch := list(islice(it, size)):
        yield [r[0] for r in batch], [r[1] for r in batch]


def _function(base_url: str) -> Any:
    from chroma_jina import JinaEmbeddingFunction

    return JinaEmbeddingFunction(model_name=MODEL, base_url=base_url)


def _collection(db: Path, function: Any, server: str | None = None) -> Any:
    import chromadb

    if server is not None:
        host, port = server.removeprefix("http://").rsplit(":", 1)
        client = chromadb.HttpClient(host=host, port=int(port))
        return client.get_or_create_collection(
            f"{COLLECTION}-{db.name}", embedding_function=function
        )
    return chromadb.PersistentClient(path=str(db)).get_or_create_collection(
        COLLECTION, embedding_function=function
    )


def embed(args: argparse.Namespace) -> Callable[[], dict[str, Any]]:
    """The function alone: one call with every passage."""
    function = _function(args.base_url)
    texts = [text for _, text in records(args.corpus, args.n)]
    return lambda: {"embedded": len(function(texts))}


def vector_rows(path: Path, start: int, count: int) -> np.ndarray:
    """Rows `start` to `start + count` of a saved 2-D array, read from the file (a memory map
    would count the whole file in this process's peak memory)."""
    with path.open("rb") as file:
        np.lib.format.read_magic(file)
        shape, _, dtype = np.lib.format.read_array_header_1_0(file)
        file.seek(start * shape[1] * dtype.itemsize, os.SEEK_CUR)
        return np.fromfile(file, dtype=dtype, count=count * shape[1]).reshape(count, shape[1])


def write(args: argparse.Namespace) -> Callable[[], dict[str, Any]]:
    """Chroma alone: the passages with their vectors already computed, 1,024 per add(), into
    the same kind of collection as the others (the function is set, and never called); with
    `--writers` above 1, that many add() calls at once."""
    from concurrent.futures import ThreadPoolExecutor

    collection = _collection(args.db, _function(args.base_url), args.server)

    def one(start: int, ids: list[str], texts: list[str]) -> None:
        collection.add(
            ids=ids, embeddings=vector_rows(args.vectors, start, len(ids)), documents=texts
        )

    def run() -> dict[str, Any]:
        start = 0
        if args.writers == 1:
            for ids, texts in chunks(args.corpus, args.n, WRITE_CHUNK):
                one(start, ids, texts)
                start += len(ids)
            return {"stored": collection.count()}
        with ThreadPoolExecutor(args.writers) as pool:
            pending = []
            for ids, texts in chunks(args.corpus, args.n, WRITE_CHUNK):
                pending.append(pool.submit(one, start, ids, texts))
                start += len(ids)
                if len(pending) >= 2 * args.writers:  # bounded, as ingest is
                    pending.pop(0).result()
            for future in pending:
                future.result()
        return {"stored": collection.count()}

    return run


def naive(args: argparse.Namespace) -> Callable[[], dict[str, Any]]:
    """The loop a user writes: add() with documents, 1,000 at a time, the function embedding."""
    collection = _collection(args.db, _function(args.base_url))

    def run() -> dict[str, Any]:
        for ids, texts in chunks(args.corpus, args.n, NAIVE_CHUNK):
            collection.add(ids=ids, documents=texts)
        return {"stored": collection.count()}

    return run


def ingest(args: argparse.Namespace) -> Callable[[], dict[str, Any]]:
    """chroma_jina.ingest over generators reading the file."""
    from chroma_jina import ingest as ingest_corpus

    collection = _collection(args.db, _function(args.base_url), args.server)
    writing = [0.0]
    add = collection.add

    def timed_add(**kwargs: Any) -> None:  # how much of the wall time Chroma's writes take
        started = time.perf_counter()
        try:
            add(**kwargs)
        finally:
            writing[0] += time.perf_counter() - started

    collection.add = timed_add  # type: ignore[method-assign]

    def run() -> dict[str, Any]:
        ids = (id_ for id_, _ in records(args.corpus, args.n))
        texts = (text for _, text in records(args.corpus, args.n))
        report = ingest_corpus(
            collection,
            ids=ids,
            documents=texts,
            total=args.n,
            progress=False,
            writers=args.writers if args.server else None,
        )
        return {
            "stored": collection.count(),
            "added": report.added,
            "skipped": report.skipped,
            "report_requests": report.requests,
            "report_tokens": report.tokens,
            "add_s": writing[0],
        }

    return run


MEASURES: dict[str, Callable[[argparse.Namespace], Callable[[], dict[str, Any]]]] = {
    "embed": embed,
    "write": write,
    "naive": naive,
    "ingest": ingest,
}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("measure", choices=sorted(MEASURES))
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--n", type=int, required=True)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--vectors", type=Path, help="the corpus's vectors (for 'write')")
    parser.add_argument("--server", help="a `chroma run` server's URL instead of a directory")
    parser.add_argument("--writers", type=int, default=1, help="writes at once (server)")
    args = parser.parse_args()
    os.environ["CHROMA_JINA_API_KEY"] = API_KEY
    os.environ.pop("JINA_API_KEY", None)
    run = MEASURES[args.measure](args)  # imports, opening Chroma and reading vectors: untimed
    rss_before, load_before = _peak_rss_mb(), os.getloadavg()[0]
    wall0 = time.perf_counter()
    figures = run()
    figures.update(
        measure=args.measure,
        n=args.n,
        wall_s=time.perf_counter() - wall0,
        rss_before_mb=rss_before,
        rss_peak_mb=_peak_rss_mb(),
        load_before=load_before,
        load_after=os.getloadavg()[0],
    )
    args.out.write_text(json.dumps(figures, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
