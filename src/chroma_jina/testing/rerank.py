"""`POST /v1/rerank` in the emulator: checking a request as OAS-2026's per-model schemas say,
and answering it with the emulator's relevance model (`relevance`).

The schemas (TextRerankerRequest, RerankerM0Request, RerankerV3Request) are read from the
reranker catalog in `chroma_jina.models`. Where OAS-2026 is silent the emulator chooses, and
says so: it refuses fields a model's schema does not list (422), more documents than the
client's cap (422), and a query-document pair (pointwise models) or a whole request (listwise
models) longer than the model's context (400 INPUT_TOKEN_LIMIT_EXCEEDED) unless `truncation`
is true. Tokens billed: a pointwise model reads the query once per document, a listwise one
once per request; an image counts `IMAGE_TOKENS`. Jina's own billing of reranking is not
documented in the sources this project has.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from chroma_jina.models import RERANKERS, RETIRED_RERANKERS, RerankerInfo

from . import bodies, relevance, tokens
from .validate import IMAGE_TOKENS, InvalidJSON, Rejected

_REQUIRED = ("query", "model", "documents")


@dataclass
class RerankRequest:
    """A valid rerank request, with defaults applied."""

    model: RerankerInfo
    query: str
    documents: list[str | dict[str, str]]
    """As sent: strings, `{"text": ...}` or `{"image": ...}`."""
    texts: list[str]
    """What each document reads as to the emulator (an image: the words of its URL)."""
    top_n: int | None
    return_documents: bool
    tokens: int


def _invalid(field: str, message: str, kind: str, value: object) -> Rejected:
    return Rejected(422, bodies.validation(field, message, kind, value))


def _optional_bool(body: dict[str, object], name: str, default: bool) -> bool:
    value = body.get(name)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise _invalid(name, "Input should be a valid boolean", "bool_type", value)
    return value


def _optional_int(body: dict[str, object], name: str, low: int, high: int | None) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise _invalid(name, "Input should be a valid integer", "int_type", value)
    if value < low:
        raise _invalid(
            name, f"Input should be greater than or equal to {low}", "greater_than_equal", value
        )
    if high is not None and value > high:
        raise _invalid(
            name, f"Input should be less than or equal to {high}", "less_than_equal", value
        )
    return value


def parse(body: object) -> RerankRequest:
    """Validate a parsed rerank body; raise `Rejected` with the API's answer if it is refused."""
    if isinstance(body, InvalidJSON):
        raise _invalid("body", f"JSON decode error: {body.error}", "json_invalid", None)
    if not isinstance(body, dict):
        raise _invalid("body", "Input should be a valid dictionary", "dict_type", body)
    for name in _REQUIRED:
        if name not in body:
            raise _invalid(name, "Field required", "missing", None)
    name = body["model"]
    if not isinstance(name, str):
        raise _invalid("model", "Input should be a valid string", "string_type", name)
    if name in RETIRED_RERANKERS:
        # chroma-go#324: since January 2026 the v1 rerankers answer 500.
        raise Rejected(500, bodies.flat("INTERNAL_ERROR"))
    model = RERANKERS.get(name)
    if model is None:
        message = f"Model '{name}' not found. Available models: {', '.join(RERANKERS)}"
        raise Rejected(400, bodies.nested("INPUT_MODEL_NOT_FOUND", message))
    for key in body:
        if key not in _REQUIRED and key not in model.fields:
            raise _invalid(key, "Extra inputs are not permitted", "extra_forbidden", body[key])
    query = body["query"]
    if not isinstance(query, str):
        raise _invalid("query", "Input should be a valid string", "string_type", query)
    top_n = _optional_int(body, "top_n", 1, None)
    return_documents = _optional_bool(body, "return_documents", True)
    truncation = _optional_bool(body, "truncation", False)
    if _optional_bool(body, "return_embeddings", False):
        raise _invalid(
            "return_embeddings",
            "Value error, return_embeddings is not supported by the chroma-jina emulator",
            "value_error",
            True,
        )
    doc_cap = None
    if model.max_doc_length is not None:
        low, high, default = model.max_doc_length
        doc_cap = _optional_int(body, "max_doc_length", low, high) or default
    documents, texts = _documents(body["documents"], model)
    query_tokens = relevance.read(query)[0]
    counts = []
    for i, (document, text) in enumerate(zip(documents, texts, strict=True)):
        if isinstance(document, dict) and "image" in document:
            counts.append(IMAGE_TOKENS)
            continue
        count = relevance.read(text)[0]
        if doc_cap is not None and count > doc_cap:  # max_doc_length cuts each document
            texts[i] = tokens.truncate(text, doc_cap)
            count = tokens.count_tokens(texts[i])
        elif not model.listwise and query_tokens + count > model.context:
            if not truncation:
                raise _too_long(
                    f"Document {i} with the query is {query_tokens + count} tokens; "
                    f"{model.name} reads at most {model.context}."
                )
            texts[i] = tokens.truncate(
                text, max(tokens.SPECIAL_TOKENS, model.context - query_tokens)
            )
            count = tokens.count_tokens(texts[i])
        counts.append(count)
    if model.listwise:
        billed = query_tokens + sum(counts)
        if billed > model.context:
            raise _too_long(
                f"The query and documents are {billed} tokens together; {model.name} reads "
                f"at most {model.context} in one request."
            )
    else:
        billed = sum(counts) + query_tokens * len(counts)
    return RerankRequest(model, query, documents, texts, top_n, return_documents, billed)


def _too_long(message: str) -> Rejected:
    return Rejected(400, bodies.nested("INPUT_TOKEN_LIMIT_EXCEEDED", message))


def _documents(value: object, model: RerankerInfo) -> tuple[list[str | dict[str, str]], list[str]]:
    if not isinstance(value, list):
        raise _invalid("documents", "Input should be a valid list", "list_type", value)
    if not value:
        raise _invalid(
            "documents",
            "List should have at least 1 item after validation, not 0",
            "too_short",
            value,
        )
    if len(value) > model.max_documents:
        raise _invalid(
            "documents",
            f"Value error, Each document list can contain at most {model.max_documents} items",
            "value_error",
            len(value),
        )
    documents: list[str | dict[str, str]] = []
    texts: list[str] = []
    for i, item in enumerate(value):
        if isinstance(item, str):
            documents.append(item)
            texts.append(item)
        elif isinstance(item, dict) and set(item) == {"text"} and isinstance(item["text"], str):
            documents.append(item)
            texts.append(item["text"])
        elif (
            model.multimodal
            and isinstance(item, dict)
            and set(item) == {"image"}
            and isinstance(item["image"], str)
            and item["image"]
        ):
            documents.append(item)
            texts.append(relevance.image_text(item["image"]))
        else:
            raise _invalid(
                f"documents -> {i}", "Input should be a valid string", "string_type", item
            )
    return documents, texts


def results(request: RerankRequest) -> list[dict[str, object]]:
    """The `results` of the answer: by relevance, best first, at most `top_n`."""
    scorer = relevance.Scorer(request.query)
    scored = []
    for i, text in enumerate(request.texts):
        document = request.documents[i]
        if isinstance(document, dict) and "image" in document and not text:
            # base64 image data: no words; a stable score from its bytes, low
            digest = hashlib.sha256(document["image"].encode()).digest()
            value = round(0.02 * int.from_bytes(digest[:4], "big") / 2**32, 6)
        else:
            value = scorer(text)
        scored.append((value, i))
    scored.sort(key=lambda pair: (-pair[0], pair[1]))
    if request.top_n is not None:
        scored = scored[: request.top_n]
    out: list[dict[str, object]] = []
    for value, i in scored:
        entry: dict[str, object] = {"index": i, "relevance_score": value}
        if request.return_documents:
            document = request.documents[i]
            entry["document"] = {"text": document} if isinstance(document, str) else document
        out.append(entry)
    return out
