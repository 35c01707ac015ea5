"""`python -m chroma_jina ingest FILE.jsonl`: a corpus file into a Chroma collection.

The file holds one JSON object per line: an id, a text, and any other fields, which become the
record's metadata (fields whose value is null are left out). The whole file is checked before
anything is sent; then `chroma_jina.ingest` streams it, so running the same command again after
a crash adds only what is missing. The collection lives in a directory (--path), on a Chroma
server (--host) or on Chroma Cloud (--cloud, key in CHROMA_API_KEY); --dry-run checks the file
and prints what it would cost, sending nothing.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Iterator
from itertools import tee
from pathlib import Path
from typing import Any

import orjson
from chromadb.errors import ChromaError

from chroma_jina.cli_chroma import (
    add_chroma_arguments,
    chroma_client,
    document_limit,
    dry_run,
    record_quotas,
    write_options,
)
from chroma_jina.echo import cut, shown
from chroma_jina.embedding_function import JinaEmbeddingFunction
from chroma_jina.errors import JinaError, ModelLanguageWarning
from chroma_jina.ingestion import (
    IngestError,
    InvalidRecordError,
    check,
    collection_function,
    ingest,
)
from chroma_jina.models import DEFAULT_MODEL, FOR_CJK_TEXT, language_warning, lookup

LANGUAGE_SAMPLE = 200
"""Documents read from the start of the corpus to tell its language."""

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


def query_task(model: str, task: str | None, asked: str | None) -> str | None:
    """The task for queries: `asked` if given; else, for a passage task (`retrieval.passage`,
    `code.passage`, ...), its query twin, as the guide recommends; else None (as documents)."""
    if asked is not None or task is None or not task.endswith(".passage"):
        return asked
    twin = task.removesuffix(".passage") + ".query"
    info = lookup(model)
    return twin if info is None or twin in info.tasks else None


def _collection(client: Any, args: argparse.Namespace, sample: list[str]) -> Any:
    """The collection, created with a chroma-jina function if it does not exist yet; raises
    before creating it, or sending anything, if its model cannot read the `sample`."""
    from chromadb.errors import NotFoundError

    model = args.model or DEFAULT_MODEL
    queries = query_task(model, args.task, args.query_task)
    try:
        collection = client.get_collection(args.collection)
    except NotFoundError:
        check_language(model, sample, args.model_is_right)
        function = JinaEmbeddingFunction(
            model_name=model,
            task=args.task,
            query_config=None if queries is None else {"task": queries},
        )
        return client.create_collection(args.collection, embedding_function=function)
    existing = collection_function(collection)
    saved_queries = (getattr(existing, "query_config", None) or {}).get("task")
    for option, has in (
        ("model", getattr(existing, "model_name", None)),
        ("task", getattr(existing, "task", None)),
        ("query-task", saved_queries),
    ):
        asked = getattr(args, option.replace("-", "_"))
        if asked is not None and asked != has:
            raise ValueError(
                f"collection {shown(args.collection)} embeds with {option} {shown(has)}, "
                f"not {shown(asked)}: "
                f"vectors of both could not be compared; drop --{option} or use a new collection"
            )
    check_language(getattr(existing, "model_name", None), sample, args.model_is_right)
    return collection


def check_language(model: str | None, sample: list[str], confirmed: bool) -> None:
    """Stop before anything is sent when the corpus is mostly Chinese (or Japanese, Korean)
    and the model does not read it, unless the user confirmed the model."""
    if confirmed or model is None or language_warning(model, sample) is None:
        return
    info = lookup(model)
    languages = " and ".join(info.languages) if info is not None else "other languages"
    raise ValueError(
        f"the corpus is mostly Chinese, Japanese or Korean (its first {len(sample)} documents), "
        f"but {model} reads {languages} only: its vectors for this text are poor. Use a "
        f"multilingual model in a new collection, e.g. --model {FOR_CJK_TEXT[0]} (or "
        f"{', '.join(FOR_CJK_TEXT[1:])}), or pass --model-is-right to go on. Nothing was sent."
    )


def run(args: argparse.Namespace) -> int:
    path: Path = args.file
    if args.price_per_million is not None and not args.dry_run:
        raise ValueError("--price-per-million goes with --dry-run")
    try:
        if args.dry_run:
            records = columns(read_jsonl(path, args.id_field, args.text_field))
            print(dry_run(args, *records, model=args.model or DEFAULT_MODEL))
            return 0
        total = check(
            *columns(read_jsonl(path, args.id_field, args.text_field)),
            max_document_bytes=document_limit(args),
            quotas=record_quotas(args),
        )
    except InvalidRecordError as exc:
        raise ValueError(f"{path}, line {exc.position + 1}: {exc.reason}") from None
    _, texts, _ = columns(read_jsonl(path, args.id_field, args.text_field))
    sample = [text for _, text in zip(range(LANGUAGE_SAMPLE), texts, strict=False)]
    collection = _collection(chroma_client(args), args, sample)
    ids, texts, metadatas = columns(read_jsonl(path, args.id_field, args.text_field))
    with warnings.catch_warnings():
        if args.model_is_right:
            warnings.simplefilter("ignore", ModelLanguageWarning)
        report = _ingest(collection, args, ids, texts, metadatas, total)
    counts = ""
    if report.requests is not None and report.tokens is not None:
        counts = f", {report.requests:,} requests, {report.tokens:,} tokens"
    print(
        f"{collection.name}: {report.added:,} added, {report.skipped:,} already stored"
        f"{counts}, {report.seconds:.1f} s"
    )
    return 0


def _ingest(
    collection: Any,
    args: argparse.Namespace,
    ids: Iterator[Any],
    texts: Iterator[Any],
    metadatas: Iterator[Any],
    total: int,
) -> Any:
    return ingest(
        collection,
        ids=ids,
        documents=texts,
        metadatas=metadatas,
        chunk_size=args.chunk_size,
        total=total,
        progress=False if args.no_progress else None,
        **write_options(args),
    )


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
    add_chroma_arguments(sub)
    sub.add_argument("--collection", required=True, metavar="NAME")
    sub.add_argument("--model", help=f"for a new collection (default {DEFAULT_MODEL})")
    sub.add_argument(
        "--task",
        help="for a new collection's documents, e.g. retrieval.passage (queries then get "
        "retrieval.query: a passage task is paired with its query task)",
    )
    sub.add_argument(
        "--query-task",
        metavar="TASK",
        help="for a new collection's queries, instead of the passage task's pair",
    )
    sub.add_argument(
        "--model-is-right",
        action="store_true",
        help="go on when the corpus is mostly Chinese and the model reads English only",
    )
    sub.add_argument("--id-field", default="id", metavar="NAME", help="default: id")
    sub.add_argument("--text-field", default="text", metavar="NAME", help="default: text")
    sub.add_argument(
        "--chunk-size",
        type=int,
        metavar="N",
        help="records read and embedded together (default: 1,024, rounded up to whole "
        "requests); writes are sliced to what the server takes per collection.add()",
    )
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
