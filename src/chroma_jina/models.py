"""The catalog of Jina embedding models: what each one accepts and returns.

Sources: Jina's OpenAPI document 2026.04.02 and its model catalog of August 2026
(see the project's reference notes). Unknown model names are allowed and get
only generic checks (see `lookup`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from chroma_jina.images import is_pil_image

EMBEDDING_TYPES: tuple[str, ...] = ("float", "base64", "binary", "ubinary")
DEFAULT_MAX_ITEMS = 512
"""Items per request when the model's own cap is unknown (the 2026 cap on v4)."""

DEFAULT_MODEL = "jina-embeddings-v2-base-en"

_V3_TASKS = (
    "retrieval.query",
    "retrieval.passage",
    "text-matching",
    "classification",
    "separation",
)
_V4_TASKS = ("text-matching", "retrieval.query", "retrieval.passage", "code.query", "code.passage")
_V5_TASKS = (
    "retrieval.query",
    "retrieval.passage",
    "text-matching",
    "clustering",
    "classification",
)
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
    languages: tuple[str, ...] = ("multilingual",)
    """Languages the model was trained on, as Jina's catalog says: "multilingual" or a list."""

    @property
    def multimodal(self) -> bool:
        """True when the model embeds images as well as text."""
        return "image" in self.inputs

    @property
    def reads_chinese(self) -> bool:
        """True when the catalog lists Chinese among the model's languages (or multilingual)."""
        return bool({"multilingual", "Chinese"} & set(self.languages))


def _v2(name: str, *languages: str) -> ModelInfo:
    return ModelInfo(name, 768, None, 8192, (), None, _V2_FIELDS, languages=languages)


MODELS: dict[str, ModelInfo] = {
    m.name: m
    for m in (
        _v2("jina-embeddings-v2-base-en", "English"),
        _v2("jina-embeddings-v2-base-zh", "English", "Chinese"),
        _v2("jina-embeddings-v2-base-de", "English", "German"),
        _v2("jina-embeddings-v2-base-es", "English", "Spanish"),
        _v2("jina-embeddings-v2-base-code", "English"),
        ModelInfo("jina-embeddings-v3", 1024, (32, 1024), 8192, _V3_TASKS, None, _V3_FIELDS),
        ModelInfo(
            "jina-embeddings-v4",
            2048,
            (128, 2048),
            32768,
            _V4_TASKS,
            "text-matching",
            _V4_FIELDS,
            ("text", "image"),
        ),
        ModelInfo(
            "jina-embeddings-v5-text-small",
            1024,
            (32, 1024),
            32768,
            _V5_TASKS,
            "text-matching",
            _V5_FIELDS,
        ),
        ModelInfo(
            "jina-embeddings-v5-text-nano",
            768,
            (32, 768),
            8192,
            _V5_TASKS,
            "text-matching",
            _V5_FIELDS,
        ),
        ModelInfo(
            "jina-embeddings-v5-omni-small",
            1024,
            (32, 1024),
            32768,
            _V5_TASKS,
            "text-matching",
            _V5_FIELDS,
            ("text", "image"),
        ),
        ModelInfo(
            "jina-embeddings-v5-omni-nano",
            768,
            (32, 768),
            8192,
            _V5_TASKS,
            "text-matching",
            _V5_FIELDS,
            ("text", "image"),
        ),
        ModelInfo(
            "jina-code-embeddings-0.5b",
            896,
            (64, 896),
            32768,
            _CODE_TASKS,
            "nl2code.query",
            _CODE_FIELDS,
        ),
        ModelInfo(
            "jina-code-embeddings-1.5b",
            1536,
            (128, 1536),
            32768,
            _CODE_TASKS,
            "nl2code.query",
            _CODE_FIELDS,
        ),
        ModelInfo(
            "jina-clip-v1",
            768,
            None,
            8192,
            (),
            None,
            _V2_FIELDS,
            ("text", "image"),
            languages=("English",),
        ),
        ModelInfo(
            "jina-clip-v2",
            1024,
            (64, 1024),
            8192,
            ("retrieval.query",),
            None,
            _CLIP_V2_FIELDS,
            ("text", "image"),
        ),
    )
}


FOR_CJK_TEXT: tuple[str, ...] = (
    "jina-embeddings-v3",
    "jina-embeddings-v5-text-small",
    "jina-embeddings-v5-text-nano",
    "jina-embeddings-v4",
)
"""Multilingual text models to suggest for Chinese, Japanese or Korean text."""

_CJK = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


def mostly_cjk(items: Sequence[object], sample: int = 64) -> bool:
    """True when over half of the letters in the text inputs are Chinese, Japanese or Korean
    (only the first `sample` inputs are read: a large call costs no more than a small one)."""
    text = "".join(item for item in items[:sample] if isinstance(item, str))
    letters = sum(ch.isalpha() for ch in text)
    return letters > 0 and len(_CJK.findall(text)) * 2 > letters


def language_warning(model_name: str, items: Sequence[object]) -> str | None:
    """Why `model_name` will embed `items` poorly, or None: a catalog model that does not read
    Chinese, given mostly CJK text. Unknown models get no warning."""
    info = lookup(model_name)
    if info is None or info.reads_chinese or not mostly_cjk(items):
        return None
    return (
        f"{model_name} is trained on {' and '.join(info.languages)} only, but these inputs are "
        f"mostly Chinese, Japanese or Korean text: its vectors for them are poor. Use a "
        f"multilingual model, e.g. model_name={FOR_CJK_TEXT[0]!r} (or {', '.join(FOR_CJK_TEXT[1:])})."
        " Silence this with warnings.filterwarnings('ignore', category=ModelLanguageWarning)."
    )


def lookup(model_name: str) -> ModelInfo | None:
    """Return the catalog entry for `model_name`, or None for a model this catalog does not know."""
    return MODELS.get(model_name)


PARAMETERS: tuple[str, ...] = (
    "task",
    "late_chunking",
    "truncate",
    "dimensions",
    "embedding_type",
    "normalized",
)
"""The request options a user can set (the persisted config keys besides model and key)."""

_API_DEFAULTS: dict[str, object] = {"late_chunking": False, "truncate": False, "normalized": True}
"""Values the API uses when a field is absent: a model without the field still honours them."""

_BOOLEANS = ("late_chunking", "truncate", "normalized")


def check_params(
    model_name: str, params: dict[str, object], *, saved: bool = False
) -> dict[str, object]:
    """Validate request options for `model_name`; return the fields to send.

    Raises ValueError naming the value, the model and what is allowed. Only options that are
    set (not None) and that the model accepts are returned; an option the model lacks is
    dropped only when it asks for the API's own default (e.g. `late_chunking=False`). A new
    function's `dimensions` must be in the model's Matryoshka range; a `saved` one (a collection
    chromadb's built-in made) only in the API's, 1 to the full length, so that it keeps its length.
    """
    unknown = set(params) - set(PARAMETERS)
    if unknown:
        raise ValueError(
            f"unknown option(s) {sorted(unknown)} for {model_name!r}; allowed: {list(PARAMETERS)}"
        )
    info = lookup(model_name)
    fields: dict[str, object] = {}
    for key, value in params.items():
        if value is None:
            continue
        _check_generic(model_name, key, value)
        if info is not None and key not in info.fields:
            if _API_DEFAULTS.get(key, object()) == value:
                continue
            raise ValueError(
                f"{key}={value!r} is not accepted by model {model_name!r}; "
                f"it accepts: {sorted(info.fields)}"
            )
        if info is not None and key == "task" and value not in info.tasks:
            raise ValueError(
                f"task={value!r} is not accepted by model {model_name!r}; "
                f"allowed: {list(info.tasks)}"
            )
        if info is not None and key == "dimensions" and info.matryoshka is not None:
            low, high = info.matryoshka
            low = 1 if saved else low
            if isinstance(value, int) and not low <= value <= high:  # an int: _check_generic
                raise ValueError(
                    f"dimensions={value!r} is out of range for model {model_name!r}; "
                    f"allowed: {low}..{high}"
                )
        fields[key] = value
    return fields


def usable_params(
    model_name: str, params: dict[str, object]
) -> tuple[dict[str, object], list[str]]:
    """For reopening a saved config: the fields `check_params` would send, leaving out each
    option it would refuse, with the reasons (one per option left out)."""
    fields: dict[str, object] = {}
    left_out: list[str] = []
    for key, value in params.items():
        try:
            fields.update(check_params(model_name, {key: value}, saved=True))
        except ValueError as exc:
            left_out.append(str(exc))
    return fields, left_out


COMPARABLE_KEYS: tuple[str, ...] = ("dimensions", "embedding_type", "normalized")
"""Options a `query_config` must leave as the documents have them: they change the length or
the kind of the vectors. `task` (and `late_chunking`, `truncate`) may differ."""

DEFAULTED_KEYS: tuple[str, ...] = (*COMPARABLE_KEYS, "late_chunking")
"""Options `same_vectors` can compare: two values of one give the same vectors when they are
spellings of one effective value (e.g. `late_chunking` unset and `False`)."""

_BITS = ("binary", "ubinary")


def _effective(model_name: str, key: str, fields: dict[str, object]) -> object:
    """What the vectors of a request with these fields are like, for one `DEFAULTED_KEYS` key."""
    value = fields.get(key)
    if key == "dimensions":
        return output_dimensions(model_name, value if isinstance(value, int) else None)
    if key == "embedding_type":  # float and base64 decode to the same floats; both bit kinds to +-1
        return "bits" if value in _BITS else "float"
    return _API_DEFAULTS[key] if value is None else value


def same_vectors(
    model_name: str, key: str, before: dict[str, object], after: dict[str, object]
) -> bool:
    """True when a `DEFAULTED_KEYS` option set as in `before` and as in `after` gives the same
    vectors (`None`, `"float"` and `"base64"`; `None` and the model's
    full length; `None` and the API's default, e.g. `late_chunking=False`)."""
    return _effective(model_name, key, before) == _effective(model_name, key, after)


def incomparable_query_options(
    model_name: str, documents: dict[str, object], queries: dict[str, object]
) -> dict[str, str]:
    """The options of `queries` (the fields sent for queries) whose vectors could not be
    compared with those of `documents` (the fields sent for documents), each with why and what
    to do."""
    reasons: dict[str, str] = {}
    for key in COMPARABLE_KEYS:
        doc, query = documents.get(key), queries.get(key)
        if same_vectors(model_name, key, documents, queries):
            continue
        if key == "dimensions" and output_dimensions(model_name, None) is None and doc is None:
            shown = f"the model's own length (unknown for {model_name!r})"
        elif key == "dimensions":
            shown = f"{_effective(model_name, key, documents)} dimensions"
        else:
            shown = f"{key}={_effective(model_name, key, documents)!r}"
        reasons[key] = (
            f"query_config {key}={query!r} makes query vectors that cannot be compared with the "
            f"documents' ({shown}); leave {key} out of query_config so that queries take the "
            f"documents' value{'' if doc is None else f' ({key}={doc!r})'}. Only task should "
            f"differ for queries"
        )
    return reasons


def _check_generic(model_name: str, key: str, value: object) -> None:
    if key in _BOOLEANS and not isinstance(value, bool):
        raise ValueError(f"{key} must be True, False or None, got {value!r} (model {model_name!r})")
    if key == "task" and not isinstance(value, str):
        raise ValueError(f"task must be a string, got {value!r} (model {model_name!r})")
    if key == "dimensions" and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ValueError(
            f"dimensions must be a positive integer, got {value!r} (model {model_name!r})"
        )
    if key == "embedding_type" and value not in EMBEDDING_TYPES:
        raise ValueError(
            f"embedding_type={value!r} is not supported (model {model_name!r}); "
            f"allowed: {list(EMBEDDING_TYPES)} (one value, not a list)"
        )


def output_dimensions(model_name: str, dimensions: int | None) -> int | None:
    """Length of each returned vector: `dimensions` if set, else the model's, None if unknown."""
    if dimensions is not None:
        return dimensions
    info = lookup(model_name)
    return info.dimensions if info is not None else None


def is_image(item: object) -> bool:
    """True for an image: a numpy array of shape (h, w) or (h, w, channels), as Chroma passes
    it, or a PIL image."""
    return (isinstance(item, np.ndarray) and item.ndim in (2, 3)) or is_pil_image(item)


def check_inputs(model_name: str, items: object, *, late_chunking: bool = False) -> None:
    """Raise ValueError, before anything is sent, unless `items` is a non-empty list of inputs
    that `model_name` accepts: strings, and images for multimodal models."""
    if not isinstance(items, (list, tuple)):
        raise ValueError(
            f"input must be a list of strings or images, got {type(items).__name__} "
            f"(model {model_name!r}); wrap a single text as [text]"
        )
    if not items:
        raise ValueError(f"input is empty: pass at least one text or image (model {model_name!r})")
    info = lookup(model_name)
    for i, item in enumerate(items):
        if isinstance(item, str):
            if not item.isascii():
                _check_unicode(model_name, i, item)
            continue
        if not is_image(item):
            shape = f" of shape {item.shape}" if isinstance(item, np.ndarray) else ""
            raise ValueError(
                f"input {i} is a {type(item).__name__}{shape}; each input must be a str or an "
                f"image: a PIL image, or a numpy array of shape (h, w) or (h, w, 3|4) "
                f"(model {model_name!r})"
            )
        if info is not None and not info.multimodal:
            raise ValueError(
                f"input {i} is an image but model {model_name!r} embeds text only; "
                f"image models: {[m.name for m in MODELS.values() if m.multimodal]}"
            )
        if late_chunking:
            raise ValueError(
                f"input {i} is an image but late_chunking works on text only (model {model_name!r})"
            )


def _check_unicode(model_name: str, i: int, text: str) -> None:
    try:
        text.encode()
    except UnicodeEncodeError as exc:
        raise ValueError(
            f"input {i} is not valid Unicode text: {exc.reason} at character {exc.start} "
            f"({text[exc.start]!r}), as a bad decode upstream leaves; fix the text, e.g. with "
            f".encode('utf-8', 'replace').decode() (model {model_name!r})"
        ) from None


_RERANK_FIELDS = frozenset({"top_n", "return_documents", "truncation"})
_RERANK_V3_FIELDS = _RERANK_FIELDS | {"return_embeddings", "max_doc_length"}


@dataclass(frozen=True)
class RerankerInfo:
    """What one Jina reranker accepts, and whether its scores can be merged across requests."""

    name: str
    context: int
    """Context length in tokens (CAT-2026): per query-document pair for a pointwise model, for
    the query and all documents of a request for a listwise one."""
    listwise: bool
    """True when the model reads all documents of a request together (v3, v3.5): a score then
    depends on the other documents, so a list is never split across requests. False for
    pointwise models (cross-encoders, ColBERT), which score each document on its own: their
    scores compare across requests, so a long list is split and the rankings merged."""
    fields: frozenset[str]
    """Optional request fields besides model, query and documents (OAS-2026)."""
    inputs: tuple[str, ...] = ("text",)
    """Document kinds: "text", "image" (m0 only; queries are text in OAS-2026)."""
    released: str = ""
    max_documents: int = DEFAULT_MAX_ITEMS
    """Documents per request this client sends at most (OAS-2026 states no maximum)."""
    max_doc_length: tuple[int, int, int] | None = None
    """For `max_doc_length`: (lowest, highest, default) tokens per document, or None."""

    @property
    def multimodal(self) -> bool:
        """True when the model ranks images as well as text."""
        return "image" in self.inputs


RERANKERS: dict[str, RerankerInfo] = {
    m.name: m
    for m in (
        RerankerInfo(
            "jina-reranker-v3.5",
            131072,
            True,
            _RERANK_V3_FIELDS,
            released="2026-07-27",
            max_doc_length=(1, 8192, 2048),
        ),
        RerankerInfo(
            "jina-reranker-v3",
            131072,
            True,
            _RERANK_V3_FIELDS,
            released="2025-10-01",
            max_doc_length=(1, 8192, 2048),
        ),
        RerankerInfo(
            "jina-reranker-m0",
            10240,
            False,
            _RERANK_FIELDS,
            ("text", "image"),
            released="2025-04-08",
        ),
        RerankerInfo(
            "jina-reranker-v2-base-multilingual",
            1024,
            False,
            _RERANK_FIELDS,
            released="2024-06-25",
        ),
        RerankerInfo("jina-colbert-v2", 8192, False, _RERANK_FIELDS, released="2024-08-31"),
        # English only; in CAT-2026 and OAS-2026, and no report of it being retired.
        RerankerInfo("jina-colbert-v1-en", 8192, False, _RERANK_FIELDS, released="2024-02-17"),
    )
}

DEFAULT_RERANKER = "jina-reranker-v3.5"
"""The newest general (multilingual text) reranker in CAT-2026."""

RETIRED_RERANKERS: tuple[str, ...] = (
    "jina-reranker-v1-base-en",
    "jina-reranker-v1-turbo-en",
    "jina-reranker-v1-tiny-en",
)
"""Retired by Jina: they answer 500 since January 2026 (amikos-tech/chroma-go#324)."""


SPARSE_MODELS: tuple[str, ...] = ("elser-v2",)
"""Models `/v1/embeddings` answers with a weight per token instead of a dense vector (OAS-2026,
`ELSERV2Request`); Chroma's embedding index takes dense vectors only."""


def check_embedding_model(model_name: str) -> None:
    """Refuse, before anything is sent, a model that cannot give Chroma a dense vector.

    Raises ValueError for a reranker (or a retired one) and for a sparse model, naming what to
    use instead; a model this catalog does not know passes (it may be newer than the catalog).
    """
    if model_name in RERANKERS or model_name in RETIRED_RERANKERS:
        reranker = model_name if model_name in RERANKERS else DEFAULT_RERANKER
        raise ValueError(
            f"{model_name!r} is a reranker, not an embedding model: rerank Chroma's results "
            f"with chroma_jina.JinaReranker(model_name={reranker!r}), and embed with a model "
            "such as 'jina-embeddings-v3'"
        )
    if model_name in SPARSE_MODELS:
        raise ValueError(
            f"{model_name!r} returns sparse vectors (a weight per token), and a Chroma "
            "collection's embedding function must return dense ones: use a dense model such as "
            "'jina-embeddings-v3'. For keyword matching, see Chroma's where_document filters and, "
            "on Chroma Cloud, its sparse indexes"
        )


def lookup_reranker(model_name: str) -> RerankerInfo | None:
    """The catalog entry of a reranker, or None for one this catalog does not know.

    Raises ValueError for a retired model, naming the current ones."""
    if model_name in RETIRED_RERANKERS:
        raise ValueError(
            f"{model_name!r} is retired: Jina answers it with 500 since January 2026. "
            f"Current rerankers: {', '.join(RERANKERS)} (default {DEFAULT_RERANKER!r})."
        )
    return RERANKERS.get(model_name)
