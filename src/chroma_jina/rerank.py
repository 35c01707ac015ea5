"""`JinaReranker`: Jina's rerankers (`POST /v1/rerank`) over Chroma's query results.

Requests go through the same engine as embeddings (`chroma_jina.steps.request` carried out by
`JinaClient`): the key's shared budget, retries with Retry-After, typed errors, usage.

What a model can take decides how a long candidate list is sent (see `models.RERANKERS`):
pointwise models (v2, m0, ColBERT) score each document on its own, so a list over the
per-request caps is split and the rankings merged by score; listwise models (v3, v3.5) score
documents against each other, so chroma-jina refuses a list over their caps before anything is
sent rather than split it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, cast

import httpx
import numpy as np
import orjson

from chroma_jina.clock import Clock
from chroma_jina.embedding_function import (
    DEFAULT_API_KEY_ENV_VAR,
    jina_client,
    positive_int,
)
from chroma_jina.errors import MalformedResponseError
from chroma_jina.images import pixels
from chroma_jina.models import (
    DEFAULT_MAX_ITEMS,
    DEFAULT_RERANKER,
    RERANKERS,
    RerankerInfo,
    is_image,
    lookup_reranker,
)
from chroma_jina.pickling import PickledAsSettings, settings_of
from chroma_jina.planning import (
    DEFAULT_MAX_TOKENS_PER_REQUEST,
    IMAGE_TOKENS,
    estimate_tokens,
    split_by_cost,
)
from chroma_jina.steps import Context, Step, request
from chroma_jina.tracking import metered
from chroma_jina.usage import Meter, Usage
from chroma_jina.wire import dumps, encode_image, require_pillow

RERANK_PATH = "/rerank"
"""Where rerank requests go, under the base URL."""

PER_QUERY_KEYS = ("ids", "embeddings", "documents", "uris", "data", "metadatas", "distances")
"""The keys of Chroma's QueryResult that hold one list per query, reordered together."""

Document = str | Mapping[str, str] | np.ndarray
"""A document to rank: text, `{"text": ...}`, `{"image": url-or-base64}`, or an image array."""


class RankedDocument(NamedTuple):
    """One document's place in a ranking: its index in the list given, and its score."""

    # The API's name for the position; it hides tuple.index, which a ranking has no use for.
    index: int  # type: ignore[assignment]  # shadows tuple.index on purpose (the API's field name)
    score: float


@dataclass(frozen=True)
class _Ranking:
    """One decoded 200 answer: the documents it ranked (by position in the call) and usage."""

    ranked: list[RankedDocument]
    total_tokens: int
    prompt_tokens: int | None = None


@dataclass(frozen=True)
class _Query:
    """One query of a call, validated: its documents as sent, and how they are split."""

    text: str
    documents: list[str | dict[str, str]]
    costs: list[int]
    """Estimated tokens per document, the query included for pointwise models."""
    batches: list[list[int]]


class JinaReranker(PickledAsSettings):
    """Rerank texts (and images, with jina-reranker-m0) with the Jina AI API.

    Takes the same key, base URL and client arguments as `JinaEmbeddingFunction` and shares
    the key's budget with it: embed and rerank calls of one process never overrun the key
    together. `model_name` defaults to the newest general reranker in Jina's catalog.
    `truncation` and `max_doc_length` are sent when set (`max_doc_length`: v3 and v3.5 only).
    `max_documents` caps the documents per request (default and maximum: the model's cap).
    `clock` (a `chroma_jina.Clock`) is where time is read and how waits happen, as for the
    embedding function.
    """

    def __init__(
        self,
        api_key: str | None = None,
        model_name: str = DEFAULT_RERANKER,
        api_key_env_var: str = DEFAULT_API_KEY_ENV_VAR,
        *,
        truncation: bool | None = None,
        max_doc_length: int | None = None,
        base_url: str | None = None,
        timeout: float = 60.0,
        max_retries: int = 5,
        http_client: httpx.Client | None = None,
        async_http_client: httpx.AsyncClient | None = None,
        max_concurrency: int | None = None,
        max_documents: int | None = None,
        max_tokens_per_request: int | None = None,
        requests_per_minute: int | None = None,
        tokens_per_minute: int | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._settings = settings_of(locals())
        """What it was created with: a pickle carries these (see `PickledAsSettings`)."""
        if not isinstance(model_name, str) or not model_name:
            raise ValueError(f"model_name must be a non-empty string, got {model_name!r}")
        self.model_name = model_name
        self.info: RerankerInfo | None = lookup_reranker(model_name)
        """The catalog entry; None for a model the catalog does not know (sent unsplit)."""
        self._fields = self._check_fields(truncation, max_doc_length)
        cap = self.info.max_documents if self.info is not None else DEFAULT_MAX_ITEMS
        if max_documents is not None and positive_int("max_documents", max_documents) > cap:
            raise ValueError(
                f"max_documents={max_documents} is over the {cap} cap of {model_name!r}"
            )
        self.max_documents = max_documents or cap
        self.max_tokens = positive_int(
            "max_tokens_per_request", max_tokens_per_request or DEFAULT_MAX_TOKENS_PER_REQUEST
        )
        env_concurrency = os.environ.get("JINA_MAX_CONCURRENCY")
        if max_concurrency is None and env_concurrency:
            try:
                max_concurrency = positive_int("JINA_MAX_CONCURRENCY", int(env_concurrency))
            except ValueError:
                raise ValueError(
                    f"JINA_MAX_CONCURRENCY must be a positive integer, got {env_concurrency!r}"
                ) from None
        self._client = jina_client(
            api_key,
            api_key_env_var,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            http_client=http_client,
            async_http_client=async_http_client,
            max_concurrency=max_concurrency,
            requests_per_minute=requests_per_minute,
            tokens_per_minute=tokens_per_minute,
            clock=clock,
        )
        self.last_usage: Usage | None = None
        """Token usage of the last call, whoever made it; set by every call, also one that
        failed (to what it billed: nothing when its input was refused before sending)."""

    def __repr__(self) -> str:
        return f"JinaReranker(model_name={self.model_name!r}, base_url={self._client.base_url!r})"

    def _check_fields(self, truncation: object, max_doc_length: object) -> dict[str, object]:
        fields: dict[str, object] = {}
        if truncation is not None:
            if not isinstance(truncation, bool):
                raise ValueError(f"truncation must be True, False or None, got {truncation!r}")
            fields["truncation"] = truncation
        if max_doc_length is not None:
            info = self.info
            if info is not None and info.max_doc_length is None:
                takes = [m.name for m in RERANKERS.values() if m.max_doc_length]
                raise ValueError(
                    f"max_doc_length is not accepted by {self.model_name!r}; models that take "
                    f"it: {takes}"
                )
            length = positive_int("max_doc_length", max_doc_length)
            if info is not None and info.max_doc_length is not None:
                low, high, _ = info.max_doc_length
                if not low <= length <= high:
                    raise ValueError(
                        f"max_doc_length={length} is out of range for {self.model_name!r}; "
                        f"allowed: {low}..{high}"
                    )
            fields["max_doc_length"] = length
        return fields

    # -- plain lists

    def rerank(
        self, query: str, documents: Sequence[Document], *, top_n: int | None = None
    ) -> list[RankedDocument]:
        """Rank `documents` by relevance to `query`, best first: `(index, score)` pairs, the
        index being the document's position in `documents`; at most `top_n` of them."""
        planned, top = self._prepare(lambda: [(query, documents)], top_n)
        return self._execute(planned, top)[0]

    async def arerank(
        self, query: str, documents: Sequence[Document], *, top_n: int | None = None
    ) -> list[RankedDocument]:
        """`rerank` on the event loop."""
        planned, top = self._prepare(lambda: [(query, documents)], top_n)
        return (await self._aexecute(planned, top))[0]

    # -- Chroma query results

    def rerank_results(
        self,
        query_texts: str | Sequence[str],
        results: Mapping[str, Any],
        *,
        top_n: int | None = None,
    ) -> dict[str, Any]:
        """Reorder Chroma's query results by relevance to their query texts.

        `results` is what `collection.query(query_texts=..., ...)` returned, one list per query
        under each key. Returns a new dict of the same shape, each query's ids, documents,
        metadatas, distances (and embeddings, uris, data if included) in the same new order,
        best first, cut to `top_n`, with the relevance scores under "scores".
        """
        planned, top = self._prepare(
            lambda: zip(*self._candidates(query_texts, results), strict=True), top_n
        )
        return _reordered(results, self._execute(planned, top))

    async def arerank_results(
        self,
        query_texts: str | Sequence[str],
        results: Mapping[str, Any],
        *,
        top_n: int | None = None,
    ) -> dict[str, Any]:
        """`rerank_results` on the event loop."""
        planned, top = self._prepare(
            lambda: zip(*self._candidates(query_texts, results), strict=True), top_n
        )
        return _reordered(results, await self._aexecute(planned, top))

    # -- validation and planning (nothing is sent before these pass)

    def _prepare(
        self,
        pairs: Callable[[], Iterable[tuple[object, Sequence[Document]]]],
        top_n: int | None,
    ) -> tuple[list[_Query], int | None]:
        """Plan each (query, documents) pair and check `top_n`; a refusal sets `last_usage`
        to nothing billed, as a call that was sent sets it to what it billed."""
        try:
            return [self._plan(q, c) for q, c in pairs()], self._check_top_n(top_n)
        except BaseException:
            self.last_usage = Meter().usage()
            raise

    @staticmethod
    def _check_top_n(top_n: object) -> int | None:
        return None if top_n is None else positive_int("top_n", top_n)

    def _candidates(
        self, query_texts: str | Sequence[str], results: Mapping[str, Any]
    ) -> tuple[list[str], list[list[Document]]]:
        queries = [query_texts] if isinstance(query_texts, str) else list(query_texts)
        if not isinstance(results, Mapping) or results.get("ids") is None:
            raise ValueError("results must be what collection.query() returned (a dict with 'ids')")
        ids = results["ids"]
        if any(isinstance(row, str) for row in ids):
            raise ValueError(
                "results hold flat lists, as collection.get() returns: rerank those with "
                "rerank(query, results['documents']) and map each index back to results['ids']"
            )
        if len(queries) != len(ids):
            raise ValueError(
                f"{len(queries)} query text(s) for results of {len(ids)} queries: pass the "
                "query_texts given to collection.query(), in the same order"
            )
        documents, data, uris = (results.get(k) for k in ("documents", "data", "uris"))
        candidates: list[list[Document]] = []
        for q, row in enumerate(ids):
            texts = documents[q] if documents is not None else None
            if texts is not None and None not in texts:  # the usual case: every result has text
                candidates.append(list(texts))
                continue
            candidates.append(
                [self._candidate(q, j, documents, data, uris) for j in range(len(row))]
            )
        return queries, candidates

    def _candidate(self, q: int, j: int, documents: Any, data: Any, uris: Any) -> Document:
        """What to rank for result `j` of query `q`: its document, else (m0) its image's
        pixels from `data`, else its uri, which must be an http(s) URL Jina can fetch."""
        if documents is not None and documents[q][j] is not None:
            return cast(Document, documents[q][j])
        multimodal = self.info is None or self.info.multimodal
        if multimodal and data is not None and data[q][j] is not None:
            return cast(Document, data[q][j])
        if multimodal and uris is not None and uris[q][j] is not None:
            uri = uris[q][j]
            if not isinstance(uri, str) or not uri.lower().startswith(("http://", "https://")):
                raise ValueError(
                    f"result {j} of query {q} has no document and no image data, only the uri "
                    f"{str(uri)[:200]!r}, which Jina cannot fetch (only an http(s) URL can be "
                    "sent as it is): query with include=['data'] (and the collection's "
                    "data_loader) so that the image's pixels are sent"
                )
            return {"image": uri}
        raise ValueError(
            f"result {j} of query {q} has no document to rank: include 'documents' in the "
            "query"
            + ("" if multimodal else f" ({self.model_name!r} ranks text only)")
            + (" (or 'data' for images with jina-reranker-m0)" if multimodal else "")
        )

    def _plan(self, query: object, documents: Sequence[Document]) -> _Query:
        name = self.model_name
        if not isinstance(query, str) or not query.strip():
            raise ValueError(
                f"the query must be a non-empty string, got {query!r} (model {name!r})"
            )
        if isinstance(documents, (str, bytes)) or not isinstance(documents, Sequence):
            raise ValueError(f"documents must be a list, got {type(documents).__name__}")
        if all(type(d) is str for d in documents):
            sent: list[str | dict[str, str]] = [cast(str, d) for d in documents]
            costs = [estimate_tokens(d) for d in sent]
        else:
            pairs = [self._document(i, d) for i, d in enumerate(documents)]
            sent, costs = [d for d, _ in pairs], [c for _, c in pairs]
        query_cost = estimate_tokens(query)
        info = self.info
        if info is not None and info.max_doc_length is not None:
            most = int(cast(int, self._fields.get("max_doc_length", info.max_doc_length[2])))
            costs = [min(c, most) for c in costs]
        if not sent:
            return _Query(query, [], [], [])
        if info is None or info.listwise:
            total = query_cost + sum(costs)
            over_count = len(sent) > self.max_documents
            over_context = info is not None and total > info.context
            if over_count or over_context:
                raise ValueError(
                    _listwise_refusal(name, len(sent), total, info, self.max_documents)
                )
            return _Query(query, sent, costs, [list(range(len(sent)))])
        costs = [c + query_cost for c in costs]
        return _Query(query, sent, costs, split_by_cost(costs, self.max_documents, self.max_tokens))

    def _document(self, i: int, item: Document) -> tuple[str | dict[str, str], int]:
        """Document `i` as sent, and its estimated tokens (an image array by its 224x224
        tiles, as embeddings are; an image URL or base64 string, whose size is unknown here,
        as one tile)."""
        if isinstance(item, str):
            return item, estimate_tokens(item)
        name = self.model_name
        images_ok = self.info is None or self.info.multimodal
        image_models = [m.name for m in RERANKERS.values() if m.multimodal]
        if isinstance(item, Mapping) and len(item) == 1:
            ((key, value),) = item.items()
            if key == "text" and isinstance(value, str):
                return {"text": value}, estimate_tokens(value)
            if key == "image" and isinstance(value, str) and value:
                if not images_ok:
                    raise ValueError(
                        f"document {i} is an image but {name!r} ranks text only; image "
                        f"rerankers: {image_models}"
                    )
                return {"image": value}, IMAGE_TOKENS
        if is_image(item):
            if not images_ok:
                raise ValueError(
                    f"document {i} is an image but {name!r} ranks text only; image "
                    f"rerankers: {image_models}"
                )
            require_pillow()
            image = pixels(item)  # as a viewer shows it
            return {"image": encode_image(image)}, estimate_tokens(image)
        raise ValueError(
            f"document {i} is a {type(item).__name__}; each document must be a str, "
            "{'text': str}, {'image': url-or-base64} or an image array (model "
            f"{name!r})"
        )

    # -- execution

    def _steps(self, planned: list[_Query], top_n: int | None, ctx: Context) -> list[Step[Any]]:
        return [
            _rank_step(self.model_name, q, batch, self._fields, top_n, ctx)
            for q in planned
            for batch in q.batches
        ]

    def _execute(self, planned: list[_Query], top_n: int | None) -> list[list[RankedDocument]]:
        with metered(self) as meter:
            ctx = self._client.context(meter)
            got = self._client.run_steps(ctx, self._steps(planned, top_n, ctx))
        return _merge(planned, got, top_n)

    async def _aexecute(
        self, planned: list[_Query], top_n: int | None
    ) -> list[list[RankedDocument]]:
        with metered(self) as meter:
            ctx = self._client.context(meter)
            got = await self._client.arun_steps(ctx, self._steps(planned, top_n, ctx))
        return _merge(planned, got, top_n)


def _listwise_refusal(
    name: str, count: int, tokens: int, info: RerankerInfo | None, cap: int
) -> str:
    pointwise = [m.name for m in RERANKERS.values() if not m.listwise]
    if info is None:
        why = (
            f"{name!r} is not in this client's catalog, so it cannot tell whether its scores "
            "compare across requests"
        )
    else:
        why = (
            f"{name!r} is listwise: a document's score depends on the others it is read with, "
            "so chroma-jina does not split the list across requests (scores from different "
            "requests would not compare)"
        )
    return (
        f"{count} documents (about {tokens} tokens with the query) do not fit one request "
        f"(at most {cap} documents"
        + (f" and {info.context} tokens" if info is not None else "")
        + f"), and {why}. Rank fewer candidates (a smaller n_results), or use a pointwise "
        f"model, whose scores merge across requests: {pointwise}."
    )


def _rank_step(
    model: str,
    query: _Query,
    batch: list[int],
    fields: Mapping[str, object],
    top_n: int | None,
    ctx: Context,
) -> Step[list[RankedDocument]]:
    """Rank the documents at `batch` (positions in `query.documents`) in one request, retrying;
    the request is sent once more if an answer lacks some of them."""
    want = len(batch) if top_n is None else min(top_n, len(batch))
    documents = [query.documents[p] for p in batch]
    body: dict[str, object] = {
        "model": model,
        "query": query.text,
        "documents": documents,
        "return_documents": False,
        **fields,
    }
    if top_n is not None:
        body["top_n"] = want
    encoded = dumps(body)

    def decode(content: bytes) -> _Ranking:
        return _decode(content, batch, want)

    ranking: _Ranking | None = None
    for _ in range(2):
        ranking = yield from request(
            RERANK_PATH,
            encoded,
            tokens=sum(query.costs[p] for p in batch),
            decode=decode,
            indices=batch,
            ctx=ctx,
        )
        if len(ranking.ranked) == want:
            return ranking.ranked
    got = 0 if ranking is None else len(ranking.ranked)
    raise MalformedResponseError(
        f"the rerank response held {got} of the {want} results asked for, twice",
        status=200,
        input_indices=batch,
    )


def _decode(content: bytes, batch: list[int], want: int) -> _Ranking:
    """Read a 200 rerank answer: its results as positions in the call, and its usage.

    Raises MalformedResponseError unless every result has an index in range (at most once)
    and a numeric score; fewer results than `want` are returned for the caller to ask again."""
    try:
        body = orjson.loads(content)
        results = body["results"]
        usage = body.get("usage") or {}
        if not isinstance(results, list) or not isinstance(usage, dict):
            raise TypeError("results is not a list")
    except (ValueError, KeyError, TypeError):
        raise MalformedResponseError(
            "the rerank response is not JSON with a 'results' list", status=200
        ) from None
    ranked: list[RankedDocument] = []
    seen: set[int] = set()
    for entry in results:
        index = entry.get("index") if isinstance(entry, dict) else None
        score = entry.get("relevance_score") if isinstance(entry, dict) else None
        if (
            isinstance(index, bool)
            or not isinstance(index, int)
            or not 0 <= index < len(batch)
            or index in seen
            or isinstance(score, bool)
            or not isinstance(score, (int, float))
        ):
            raise MalformedResponseError(
                f"the rerank response has a bad result {str(entry)[:200]}: each needs an index "
                f"0..{len(batch) - 1}, once, and a numeric relevance_score",
                status=200,
            )
        seen.add(index)
        ranked.append(RankedDocument(batch[index], float(score)))
    if len(ranked) > want:
        raise MalformedResponseError(
            f"the rerank response held {len(ranked)} results, {want} were asked for", status=200
        )
    total = usage.get("total_tokens")
    return _Ranking(ranked, total if isinstance(total, int) and total >= 0 else 0)


def _merge(
    planned: list[_Query], got: list[list[RankedDocument]], top_n: int | None
) -> list[list[RankedDocument]]:
    """Each query's rankings, its requests' answers merged by score (best first, ties by
    position), cut to `top_n`."""
    out: list[list[RankedDocument]] = []
    answers = iter(got)
    for query in planned:
        ranked = [r for _ in query.batches for r in next(answers)]
        ranked.sort(key=lambda r: (-r.score, r.index))
        out.append(ranked[:top_n] if top_n is not None else ranked)
    return out


def _reorder(value: Any, order: list[int]) -> Any:
    if value is None:
        return None
    if isinstance(value, np.ndarray):
        return value[order] if len(order) else value[:0]
    return [value[j] for j in order]


def _reordered(results: Mapping[str, Any], rankings: list[list[RankedDocument]]) -> dict[str, Any]:
    """A copy of `results` with each query's per-result lists in ranking order, plus scores."""
    out = dict(results)
    for key in PER_QUERY_KEYS:
        rows = results.get(key)
        if rows is not None:
            out[key] = [
                _reorder(row, [r.index for r in ranked])
                for row, ranked in zip(rows, rankings, strict=True)
            ]
    out["scores"] = [[r.score for r in ranked] for ranked in rankings]
    return out
