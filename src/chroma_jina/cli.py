"""`python -m chroma_jina ingest FILE.jsonl`: a corpus file into a Chroma collection.

The file holds one JSON object per line: an id, a text, and any other fields, which become the
record's metadata (fields whose value is null are left out). The whole file is checked before
anything is sent; then `chroma_jina.ingest` streams it, so running the same command again after
a crash adds only what is missing.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from itertools import tee
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson
from chromadb.errors import ChromaError

from chroma_jina.echo import cut, shown
from chroma_jina.embedding_function import JinaEmbeddingFunction
from chroma_jina.errors import JinaError
from chroma_jina.ingestion import (
    IngestError,
    InvalidRecordError,
    check,
    collection_function,
    ingest,
)
from chroma_jina.models import DEFAULT_MODEL

Record = tuple[str, str, dict[str, Any] | None]


def read_jsonl(path: Path, id_field: str, text_field: str) -> Iterator[Record]:
    """The records of a JSONL file, one a line, read lazily. Numeric ids become strings."""
    with path.open("rb") as lines:
        for number, line in enumerate(lines, 1):
            where = f"{path}, line {number}"
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                empty = "is empty" if not line.strip() else f"is not JSON ({exc})"
                raise ValueError(f"{where} {empty}: the file must hold one object a line") from None
            if not isinstance(record, dict):
                raise ValueError(f"{where} holds a {type(record).__name__}, not a JSON object")
            missing = [field for field in (id_field, text_field) if field not in record]
            if missing:
                fields = ", ".join(shown(field, 40) for field in sorted(record)[:10])
                if len(record) > 10:
                    fields += f" and {len(record) - 10:,} more"
                raise ValueError(
                    f"{where} has no {shown(missing[0])} field (fields: {fields}); "
                    f"name the fields with --id-field and --text-field"
                )
            id_ = record.pop(id_field)
            if isinstance(id_, int) and not isinstance(id_, bool):
                id_ = str(id_)
            text = record.pop(text_field)
            metadata = {key: value for key, value in record.items() if value is not None}
            yield id_, text, metadata or None


def columns(records: Iterator[Record]) -> tuple[Iterator[Any], Iterator[Any], Iterator[Any]]:
    """Ids, texts and metadatas of `records` as three iterators read in step (the buffer
    between them holds one record)."""
    a, b, c = tee(records, 3)
    return (r[0] for r in a), (r[1] for r in b), (r[2] for r in c)


def _chroma_client(args: argparse.Namespace) -> Any:
    import chromadb

    if args.path is not None:
        return chromadb.PersistentClient(path=str(args.path))
    url = urlsplit(args.host if "://" in args.host else f"http://{args.host}")
    https = url.scheme == "https"
    return chromadb.HttpClient(
        host=url.hostname or "localhost", port=url.port or (443 if https else 8000), ssl=https
    )


def _collection(client: Any, args: argparse.Namespace) -> Any:
    """The collection, created with a chroma-jina function if it does not exist yet."""
    from chromadb.errors import NotFoundError

    try:
        collection = client.get_collection(args.collection)
    except NotFoundError:
        function = JinaEmbeddingFunction(model_name=args.model or DEFAULT_MODEL, task=args.task)
        return client.create_collection(args.collection, embedding_function=function)
    existing = collection_function(collection)
    for option in ("model", "task"):
        asked = getattr(args, option)
        has = getattr(existing, "model_name" if option == "model" else option, None)
        if asked is not None and asked != has:
            raise ValueError(
                f"collection {shown(args.collection)} embeds with {option} {shown(has)}, "
                f"not {shown(asked)}: "
                f"vectors of both could not be compared; drop --{option} or use a new collection"
            )
    return collection


def run(args: argparse.Namespace) -> int:
    path: Path = args.file
    try:
        total = check(*columns(read_jsonl(path, args.id_field, args.text_field)))
    except InvalidRecordError as exc:
        raise ValueError(f"{path}, line {exc.position + 1}: {exc.reason}") from None
    collection = _collection(_chroma_client(args), args)
    ids, texts, metadatas = columns(read_jsonl(path, args.id_field, args.text_field))
    report = ingest(
        collection,
        ids=ids,
        documents=texts,
        metadatas=metadatas,
        chunk_size=args.chunk_size,
        total=total,
        progress=False if args.no_progress else None,
    )
    counts = ""
    if report.requests is not None and report.tokens is not None:
        counts = f", {report.requests:,} requests, {report.tokens:,} tokens"
    print(
        f"{collection.name}: {report.added:,} added, {report.skipped:,} already stored"
        f"{counts}, {report.seconds:.1f} s"
    )
    return 0


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="python -m chroma_jina")
    commands = main.add_subparsers(dest="command", required=True)
    sub = commands.add_parser(
        "ingest",
        help="embed a JSONL corpus into a Chroma collection (resumable)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub.add_argument("file", type=Path, metavar="FILE.jsonl")
    where = sub.add_mutually_exclusive_group(required=True)
    where.add_argument("--path", type=Path, metavar="DIR", help="a PersistentClient's directory")
    where.add_argument("--host", metavar="URL", help="a Chroma server, e.g. http://localhost:8000")
    sub.add_argument("--collection", required=True, metavar="NAME")
    sub.add_argument("--model", help=f"for a new collection (default {DEFAULT_MODEL})")
    sub.add_argument("--task", help="for a new collection, e.g. retrieval.passage")
    sub.add_argument("--id-field", default="id", metavar="NAME", help="default: id")
    sub.add_argument("--text-field", default="text", metavar="NAME", help="default: text")
    sub.add_argument("--chunk-size", type=int, metavar="N", help="records per collection.add()")
    sub.add_argument("--no-progress", action="store_true", help="no progress bar")
    return main


def main(argv: list[str] | None = None) -> int:
    """Run the command; errors are one line on standard error (at most echo.MESSAGE
    characters: user data in them is cut) and exit status 1."""
    args = parser().parse_args(argv)
    try:
        return run(args)
    except (IngestError, JinaError, ChromaError, ValueError, OSError) as exc:
        print(f"error: {cut(str(exc))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: run the same command again to resume", file=sys.stderr)
        return 130
