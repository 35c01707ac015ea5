"""Check a request body against the model catalog, the way the API refuses bad ones."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from chroma_jina.models import EMBEDDING_TYPES, MODELS, ModelInfo, lookup

from . import bodies, tokens

IMAGE_TOKENS = 1000
"""Tokens billed per image (the real count depends on the image size; not modelled)."""

_COMMON = frozenset({"model", "input", "encoding_type"})
_V4_EXTRA = frozenset({"return_multivector", "return_tokenized_input"})
_MAX_ITEMS_OLD = 2048


class Rejected(Exception):
    """A request the emulated API refuses: status and body to answer with."""

    def __init__(self, status: int, body: bytes) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


class ImageRef(str):
    """An image or PDF input, carried as "image:<sha256 of the reference>". Its own type, so that
    a text that happens to start with "image:" stays a text."""

    __slots__ = ()


@dataclass
class EmbedRequest:
    """A valid embeddings request, with defaults applied and over-long text cut."""

    model: ModelInfo
    items: list[str]
    """Texts; images and PDFs as `ImageRef`s."""
    analyses: list[tokens.Analysis | None]
    """Per item: its analysis, or None for an image."""
    token_counts: list[int]
    object_form: bool
    task: str | None
    dimensions: int | None
    normalized: bool
    late_chunking: bool
    embedding_type: str
    multivector: bool

    @property
    def tokens(self) -> int:
        """Tokens billed for the whole request."""
        return sum(self.token_counts)


def _invalid(field: str, message: str, kind: str, value: object) -> Rejected:
    return Rejected(422, bodies.validation(field, message, kind, value))


def _literal(options: tuple[str, ...]) -> str:
    quoted = [f"'{o}'" for o in options]
    return "Input should be " + (
        ", ".join(quoted[:-1]) + " or " + quoted[-1] if len(quoted) > 1 else quoted[0]
    )


def _bool(body: dict[str, Any], name: str, default: bool) -> bool:
    value = body.get(name)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise _invalid(name, "Input should be a valid boolean", "bool_type", value)
    return value


class InvalidJSON:
    """A request body that is not JSON (stands in for the parsed body)."""

    def __init__(self, error: Exception) -> None:
        self.error = error


def load(raw: bytes) -> object:
    """The parsed JSON body, or `InvalidJSON`."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return InvalidJSON(exc)


def parse(body: object, models: Mapping[str, ModelInfo] | None = None) -> EmbedRequest:
    """Validate a parsed request body; raise `Rejected` with the API's answer if it is refused.
    `models`: models served besides the catalog's, by name."""
    if isinstance(body, InvalidJSON):
        raise _invalid("body", f"JSON decode error: {body.error}", "json_invalid", None)
    if not isinstance(body, dict):
        raise _invalid("body", "Input should be a valid dictionary", "dict_type", body)
    for name in ("model", "input"):
        if name not in body:
            raise _invalid(name, "Field required", "missing", None)
    name = body["model"]
    if not isinstance(name, str):
        raise _invalid("model", "Input should be a valid string", "string_type", name)
    model = lookup(name) or (models or {}).get(name)
    if model is None:
        message = f"Model '{name}' not found. Available models: {', '.join(MODELS)}"
        raise Rejected(400, bodies.nested("INPUT_MODEL_NOT_FOUND", message))
    allowed = _COMMON | model.fields | (_V4_EXTRA if model.name == "jina-embeddings-v4" else set())
    for key in body:
        if key not in allowed:
            raise _invalid(key, "Extra inputs are not permitted", "extra_forbidden", body[key])

    task = body.get("task")
    if task is not None and task not in model.tasks:
        if not isinstance(task, str):
            raise _invalid("task", "Input should be a valid string", "string_type", task)
        raise _invalid("task", _literal(model.tasks), "literal_error", task)

    dimensions = body.get("dimensions")
    if dimensions is not None:
        if not isinstance(dimensions, int) or isinstance(dimensions, bool):
            raise _invalid("dimensions", "Input should be a valid integer", "int_type", dimensions)
        if dimensions > model.dimensions:
            message = f"Input should be less than or equal to {model.dimensions}"
            raise _invalid("dimensions", message, "less_than_equal", dimensions)
        if dimensions <= 0:
            raise _invalid(
                "dimensions", "Input should be greater than 0", "greater_than", dimensions
            )

    embedding_type = body.get("embedding_type", body.get("encoding_type"))
    if embedding_type is None:
        embedding_type = "float"
    if isinstance(embedding_type, list):
        # Documented, but production answered 500 to a list in July 2026.
        raise Rejected(500, bodies.flat("INTERNAL_ERROR"))
    if embedding_type not in EMBEDDING_TYPES:
        raise _invalid("embedding_type", _literal(EMBEDDING_TYPES), "literal_error", embedding_type)

    normalized = _bool(body, "normalized", True)
    truncate = _bool(body, "truncate", False)
    late_chunking = _bool(body, "late_chunking", False)
    multivector = _bool(body, "return_multivector", False)
    if multivector:
        # Multi-vector output is not modelled: refuse rather than answer single vectors.
        raise _invalid(
            "return_multivector",
            "Value error, return_multivector is not supported by the chroma-jina emulator",
            "value_error",
            True,
        )
    if multivector and dimensions is not None:
        raise _invalid(
            "return_multivector",
            "Value error, dimensions cannot be used with return_multivector",
            "value_error",
            True,
        )

    items, object_form = _items(body["input"], model)
    counts: list[int] = []
    analyses: list[tokens.Analysis | None] = []
    for i, item in enumerate(items):
        if isinstance(item, ImageRef):
            counts.append(IMAGE_TOKENS)
            analyses.append(None)
            continue
        analysis = tokens.analyze(item)
        if analysis.tokens > model.context:
            if not truncate:
                message = (
                    f"Single text cannot exceed {model.context} tokens. "
                    f"{analysis.tokens} tokens given."
                )
                raise Rejected(400, bodies.nested("INPUT_TOKEN_LIMIT_EXCEEDED", message))
            items[i] = tokens.truncate(item, model.context)
            analysis = tokens.analyze(items[i])
        counts.append(analysis.tokens)
        analyses.append(analysis)
    if late_chunking and sum(counts) > model.context and not truncate:
        message = (
            f"Late chunking joins all inputs into one sequence, which cannot exceed "
            f"{model.context} tokens. {sum(counts)} tokens given."
        )
        raise Rejected(400, bodies.nested("INPUT_TOKEN_LIMIT_EXCEEDED", message))
    return EmbedRequest(
        model,
        items,
        analyses,
        counts,
        object_form,
        task,
        dimensions,
        normalized,
        late_chunking,
        embedding_type,
        multivector,
    )


def _items(value: object, model: ModelInfo) -> tuple[list[str], bool]:
    """The inputs as texts / image references, and whether any came in object form."""
    if isinstance(value, (str, dict)):
        value = [value]
    elif not isinstance(value, list):
        raise _invalid("input", "Input should be a valid list", "list_type", value)
    if not value:
        raise _invalid(
            "input", "List should have at least 1 item after validation, not 0", "too_short", value
        )
    cap = model.max_items if model.name == "jina-embeddings-v4" else _MAX_ITEMS_OLD
    if len(value) > cap:
        raise _invalid(
            "input",
            f"Value error, Each input list can contain at most {cap} items",
            "value_error",
            len(value),
        )
    items: list[str] = []
    object_form = False
    for i, item in enumerate(value):
        if isinstance(item, str):
            items.append(item)
            continue
        object_form = True
        if isinstance(item, dict) and set(item) == {"text"} and isinstance(item["text"], str):
            items.append(item["text"])
        elif isinstance(item, dict) and set(item) == {"image"} and isinstance(item["image"], str):
            if not model.multimodal:
                raise _invalid(
                    f"input -> {i}", "Input should be a valid string", "string_type", item
                )
            items.append(ImageRef("image:" + hashlib.sha256(item["image"].encode()).hexdigest()))
        elif isinstance(item, dict) and set(item) == {"pdf"} and model.name == "jina-embeddings-v4":
            if len(value) > 1:
                raise _invalid(
                    f"input -> {i}",
                    "Value error, a PDF must be sent alone, not in a list",
                    "value_error",
                    "...",
                )
            items.append(ImageRef("image:" + hashlib.sha256(str(item["pdf"]).encode()).hexdigest()))
        else:
            raise _invalid(f"input -> {i}", "Input should be a valid string", "string_type", item)
    return items, object_form
