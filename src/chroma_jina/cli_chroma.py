"""The command line's way to Chroma (a directory, a server, Chroma Cloud) and its dry run.

Chroma Cloud is reached as chromadb's `CloudClient` reaches it: the key from CHROMA_API_KEY
(or the variable `--api-key-env` names: a key on the command line would show in `ps`), the
tenant and database from `--tenant`/`--database` or CHROMA_TENANT/CHROMA_DATABASE. A server
is reached with `HttpClient`: `https://` for TLS, `--ca-bundle` for a private CA, `--header`
or `--header-env` for what its auth needs.
"""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from chroma_jina.ingestion import DEFAULT_CHUNK_SIZE, read_chunks
from chroma_jina.limits import (
    CLOUD_MAX_DOCUMENT_BYTES,
    CLOUD_RECORD_QUOTAS,
    CLOUD_RECORDS_PER_WRITE,
    RecordQuotas,
)
from chroma_jina.models import DEFAULT_MAX_ITEMS, lookup
from chroma_jina.planning import DEFAULT_MAX_TOKENS_PER_REQUEST, Job, estimate_tokens, plan_batches

CLOUD_URL = "https://api.trychroma.com"


def add_chroma_arguments(sub: argparse.ArgumentParser) -> None:
    """Where the collection lives and how to reach it; the dry run."""
    where = sub.add_mutually_exclusive_group(required=True)
    where.add_argument("--path", type=Path, metavar="DIR", help="a PersistentClient's directory")
    where.add_argument("--host", metavar="URL", help="a Chroma server, e.g. http://localhost:8000")
    where.add_argument(
        "--cloud",
        nargs="?",
        const=CLOUD_URL,
        metavar="URL",
        help=f"Chroma Cloud (default {CLOUD_URL}); key from CHROMA_API_KEY",
    )
    sub.add_argument("--tenant", help="Chroma tenant (default: CHROMA_TENANT, else from the key)")
    sub.add_argument("--database", help="Chroma database (default: CHROMA_DATABASE)")
    sub.add_argument(
        "--api-key-env",
        default="CHROMA_API_KEY",
        metavar="VAR",
        help="the environment variable holding the Chroma Cloud key (default CHROMA_API_KEY)",
    )
    sub.add_argument(
        "--header",
        action="append",
        default=[],
        metavar="NAME:VALUE",
        help="an HTTP header for --host (repeatable)",
    )
    sub.add_argument(
        "--header-env",
        action="append",
        default=[],
        metavar="NAME=VAR",
        help="an HTTP header for --host whose value is in environment variable VAR",
    )
    sub.add_argument("--ca-bundle", metavar="FILE", help="CA certificates for an https:// --host")
    sub.add_argument(
        "--writers", type=int, metavar="N", help="writes at once (default: 10 remote, 1 local)"
    )
    sub.add_argument(
        "--max-document-bytes",
        type=int,
        metavar="N",
        help=f"refuse larger documents (default: {CLOUD_MAX_DOCUMENT_BYTES:,} on Chroma Cloud)",
    )
    sub.add_argument(
        "--dry-run",
        action="store_true",
        help="check the whole file and print documents, tokens, requests and cost; send nothing",
    )
    sub.add_argument(
        "--price-per-million",
        type=float,
        metavar="USD",
        help="with --dry-run: the price of a million tokens, to print the cost",
    )


def _headers(args: argparse.Namespace) -> dict[str, str]:
    headers: dict[str, str] = {}
    for given in args.header:
        name, colon, value = given.partition(":")
        if not colon or not name.strip():
            raise ValueError("--header takes NAME:VALUE, got one without a colon or a name")
        headers[name.strip()] = value.strip()
    for given in args.header_env:
        name, equals, var = given.partition("=")
        if not equals or not name.strip() or not var.strip():
            raise ValueError("--header-env takes NAME=VAR")
        value = os.environ.get(var.strip())
        if not value:
            raise ValueError(
                f"--header-env {name.strip()}: environment variable {var!r} is not set"
            )
        headers[name.strip()] = value
    return headers


def chroma_client(args: argparse.Namespace) -> Any:
    """The chromadb client the arguments name."""
    import chromadb
    from chromadb.config import Settings

    tenant = args.tenant or os.environ.get("CHROMA_TENANT")
    database = args.database or os.environ.get("CHROMA_DATABASE")
    if args.path is not None:
        return chromadb.PersistentClient(path=str(args.path))
    if args.cloud is not None:
        key = os.environ.get(args.api_key_env)
        if not key:
            raise ValueError(
                f"Chroma Cloud needs a key: set {args.api_key_env} (never on the command line)"
            )
        url = urlsplit(args.cloud if "://" in args.cloud else f"https://{args.cloud}")
        https = url.scheme != "http"
        return chromadb.CloudClient(
            tenant=tenant,
            database=database,
            api_key=key,
            cloud_host=url.hostname or "api.trychroma.com",
            cloud_port=url.port or (443 if https else 80),
            enable_ssl=https,
        )
    url = urlsplit(args.host if "://" in args.host else f"http://{args.host}")
    https = url.scheme == "https"
    settings = Settings(anonymized_telemetry=False)
    if args.ca_bundle:
        settings.chroma_server_ssl_verify = args.ca_bundle
    extra: dict[str, str] = {}
    if tenant:
        extra["tenant"] = tenant
    if database:
        extra["database"] = database
    return chromadb.HttpClient(
        host=url.hostname or "localhost",
        port=url.port or (443 if https else 8000),
        ssl=https,
        headers=_headers(args) or None,
        settings=settings,
        **extra,
    )


def write_options(args: argparse.Namespace) -> dict[str, Any]:
    """`ingest` arguments from the command line's."""
    return {"writers": args.writers, "max_document_bytes": args.max_document_bytes}


def document_limit(args: argparse.Namespace) -> int | None:
    """The most bytes a document may hold: `--max-document-bytes`, else Cloud's quota."""
    given = args.max_document_bytes
    if given is not None and given < 1:
        raise ValueError(f"--max-document-bytes must be at least 1, got {given}")
    if given is None and args.cloud is not None:
        return CLOUD_MAX_DOCUMENT_BYTES
    return int(given) if given is not None else None


def record_quotas(args: argparse.Namespace) -> RecordQuotas | None:
    """Cloud's quotas on ids and metadata with `--cloud`, else None."""
    return CLOUD_RECORD_QUOTAS if args.cloud is not None else None


def dry_run(
    args: argparse.Namespace,
    ids: Iterable[Any],
    texts: Iterable[Any],
    metadatas: Iterable[Any],
    model: str,
) -> str:
    """Check every record as `ingest` would and count what it would cost; send nothing."""
    limit = document_limit(args)
    info = lookup(model)
    per_request = info.max_items if info is not None else DEFAULT_MAX_ITEMS
    size = args.chunk_size or -(-DEFAULT_CHUNK_SIZE // per_request) * per_request
    documents = tokens = requests = writes = 0
    for chunk in read_chunks(ids, texts, metadatas, size, limit, record_quotas(args)):
        documents += len(chunk.ids)
        tokens += sum(estimate_tokens(text) for text in chunk.documents)
        job = Job(model, chunk.documents, {}, "float", None)
        requests += len(plan_batches(job, per_request, DEFAULT_MAX_TOKENS_PER_REQUEST))
        if args.cloud is not None:
            writes += math.ceil(len(chunk.ids) / CLOUD_RECORDS_PER_WRITE)
    line = (
        f"{args.file}: {documents:,} documents, about {tokens:,} tokens, "
        f"{requests:,} embedding requests ({model})"
    )
    if args.cloud is not None:
        line += f", {writes:,} Chroma writes"
    if args.price_per_million is not None:
        line += f", about ${tokens * args.price_per_million / 1e6:,.4f}"
    return line + "; nothing was sent (ids already stored would be skipped)"
