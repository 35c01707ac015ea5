"""The catalog of Jina embedding models: what each one accepts and returns.

Sources: Jina's OpenAPI document 2026.04.02 and its model catalog of August 2026
(see the project's reference notes). Unknown model names are allowed and get
only generic checks (see `lookup`).
"""

from __future__ import annotations

from dataclasses import dataclass

EMBEDDING_TYPES: tuple[str, ...] = ("float", "base64", "binary", "ubinary")
DEFAULT_MAX_ITEMS = 512
"""Items per request when the model's own cap is unknown (the 2026 cap on v4)."""

DEFAULT_MODEL = "jina-embeddings-v2-base-en"

_V3_TASKS = ("retrieval.query", "retrieval.passage", "text-matching", "classification", "separation")
_V4_TASKS = ("text-matching", "retrieval.query", "retrieval.passage", "code.query", "code.passage")
_V5_TASKS = ("retrieval.query", "retrieval.passage", "text-matching", "clustering", "classification")
_CODE_TASKS = tuple(
    f"{kind}.{side}"
    for kind in ("nl2code", "qa", "code2code", "code2nl", "code2completion")
    for side in ("query", "passage")
)

_V2_FIELDS = frozenset({"embedding_type", "normalized", "truncate"})
_V3_FIELDS = _V2_FIELDS | {"task", "dimensions", "late_chunking"}
_V4_FIELDS = frozenset({"embedding_type", "truncate", "task", "dimensions", "late_chunking"})
_V5_FIELDS = _V2_FIELDS | {"task", "dimensions"}
_CODE_FIELDS = frozenset({"embedding_type", "truncate", "task", "dimensions"})
_CLIP_V2_FIELDS = _V2_FIELDS | {"task", "dimensions"}


@dataclass(frozen=True)
class ModelInfo:
    """What one Jina embedding model accepts and returns."""

    name: str
    dimensions: int
    """Length of the full output vector."""
    matryoshka: tuple[int, int] | None
    """Smallest and largest value accepted for `dimensions`, or None if the field is not accepted."""
    context: int
    """Context length in tokens (per input; for late chunking, for the joined inputs)."""
    tasks: tuple[str, ...]
    """Accepted `task` values; empty when the model has no task field."""
    default_task: str | None
    fields: frozenset[str]
    """Optional request fields the model accepts (besides `model` and `input`)."""
    inputs: tuple[str, ...] = ("text",)
    """Input kinds: "text", "image"."""
    max_items: int = DEFAULT_MAX_ITEMS
    """Items per request this client sends at most."""

    @property
    def multimodal(self) -> bool:
        """True when the model embeds images as well as text."""
        return "image" in self.inputs


def _v2(name: str) -> ModelInfo:
    return ModelInfo(name, 768, None, 8192, (), None, _V2_FIELDS)


MODELS: dict[str, ModelInfo] = {
    m.name: m
    for m in (
        _v2("jina-embeddings-v2-base-en"),
        _v2("jina-embeddings-v2-base-zh"),
        _v2("jina-embeddings-v2-base-de"),
        _v2("jina-embeddings-v2-base-es"),
        _v2("jina-embeddings-v2-base-code"),
        ModelInfo("jina-embeddings-v3", 1024, (32, 1024), 8192, _V3_TASKS, None, _V3_FIELDS),
        ModelInfo(
            "jina-embeddings-v4", 2048, (128, 2048), 32768, _V4_TASKS, "text-matching",
            _V4_FIELDS, ("text", "image"),
        ),
        ModelInfo(
            "jina-embeddings-v5-text-small", 1024, (32, 1024), 32768, _V5_TASKS, "text-matching",
            _V5_FIELDS,
        ),
        ModelInfo(
            "jina-embeddings-v5-text-nano", 768, (32, 768), 8192, _V5_TASKS, "text-matching",
            _V5_FIELDS,
        ),
        ModelInfo(
            "jina-embeddings-v5-omni-small", 1024, (32, 1024), 32768, _V5_TASKS, "text-matching",
            _V5_FIELDS, ("text", "image"),
        ),
        ModelInfo(
            "jina-embeddings-v5-omni-nano", 768, (32, 768), 8192, _V5_TASKS, "text-matching",
            _V5_FIELDS, ("text", "image"),
        ),
        ModelInfo(
            "jina-code-embeddings-0.5b", 896, (64, 896), 32768, _CODE_TASKS, "nl2code.query",
            _CODE_FIELDS,
        ),
        ModelInfo(
            "jina-code-embeddings-1.5b", 1536, (128, 1536), 32768, _CODE_TASKS, "nl2code.query",
            _CODE_FIELDS,
        ),
        ModelInfo("jina-clip-v1", 768, None, 8192, (), None, _V2_FIELDS, ("text", "image")),
        ModelInfo(
            "jina-clip-v2", 1024, (64, 1024), 8192, ("retrieval.query",), None, _CLIP_V2_FIELDS,
            ("text", "image"),
        ),
    )
}


def lookup(model_name: str) -> ModelInfo | None:
    """Return the catalog entry for `model_name`, or None for a model this catalog does not know."""
    return MODELS.get(model_name)
