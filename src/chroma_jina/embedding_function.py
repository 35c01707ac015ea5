"""The Chroma adapter: a drop-in `JinaEmbeddingFunction` registered as "jina"."""

from __future__ import annotations

import os
import re
import unicodedata
import warnings
from typing import Any, Self

import httpx
from chromadb.api.types import Embeddable, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function
from chromadb.utils.embedding_functions.schemas import validate_config_schema

from chroma_jina.client import JinaClient, Stream
from chroma_jina.clock import SYSTEM, Clock
from chroma_jina.errors import (
    IgnoredOptionsWarning,
    MissingAPIKeyError,
    ModelLanguageWarning,
    warn_caller,
)
from chroma_jina.images import pixels
from chroma_jina.models import (
    DEFAULT_MAX_ITEMS,
    DEFAULT_MODEL,
    DEFAULTED_KEYS,
    PARAMETERS,
    check_embedding_model,
    check_inputs,
    check_params,
    incomparable_query_options,
    is_image,
    language_warning,
    lookup,
    output_dimensions,
    same_vectors,
    usable_params,
)
from chroma_jina.pickling import PickledAsSettings, settings_of
from chroma_jina.planning import DEFAULT_MAX_TOKENS_PER_REQUEST, Job
from chroma_jina.steps import DEFAULT_BASE_URL
from chroma_jina.tracking import metered
from chroma_jina.usage import Usage
from chroma_jina.wire import require_pillow, wire_fields

CONFIG_KEYS = ("api_key_env_var", "model_name", *PARAMETERS, "query_config")
"""The nine keys of Chroma's "jina" config schema, the only ones ever persisted."""

VECTOR_KEYS = ("model_name", "dimensions", "task", "embedding_type", "normalized", "late_chunking")
"""Config keys whose change makes new vectors incomparable with stored ones (a `query_config`
is checked against them: see `incomparable_query_options`)."""

DEFAULT_API_KEY_ENV_VAR = "CHROMA_JINA_API_KEY"
FALLBACK_API_KEY_ENV_VAR = "JINA_API_KEY"
API_KEY_ENV_VAR = re.compile(r"(?:[A-Z0-9]+_)*JINA(?:AI)?(?:_[A-Z0-9]+)*_(?:KEY|TOKEN)")
"""The names `api_key_env_var` may take: upper-case words joined by `_`, one of them `JINA` or
`JINAAI`, the last `KEY` or `TOKEN` (CHROMA_JINA_API_KEY, JINA_API_KEY, MY_JINA_KEY, JINAAI_API_KEY,
JINA_API_TOKEN: the names people use for a Jina key). The name is saved with the
collection, so a shared or untrusted database could otherwise make the function send any
secret of the environment (AWS_SECRET_ACCESS_KEY) as its Bearer token."""


def check_api_key_env_var(name: object) -> str:
    """`name` if it may name the key's variable (API_KEY_ENV_VAR), else ValueError. Nothing
    is read from the environment."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"api_key_env_var must be a non-empty string, got {name!r}")
    if not API_KEY_ENV_VAR.fullmatch(name):
        shown = name if len(name) <= 100 else f"{name[:100]}…({len(name)} chars)"
        raise ValueError(
            f"api_key_env_var {shown!r} does not name a variable meant for a Jina key: the "
            "name must be upper-case words joined by '_', one of them JINA or JINAAI and the "
            "last KEY or TOKEN (e.g. CHROMA_JINA_API_KEY, JINA_API_KEY, JINAAI_API_KEY, "
            "JINA_API_TOKEN). Refused before anything "
            "was read: a collection's saved config names this variable, and a config from a "
            "shared or untrusted database could name any secret."
        )
    return name


def resolve_api_key(api_key: str | None, api_key_env_var: str) -> str:
    """The key to use: `api_key` if given; else the variable named `api_key_env_var`; else,
    only when that variable is unset or empty, JINA_API_KEY. Whitespace around it (a secret
    file's newline) is dropped. Raises MissingAPIKeyError, also for a key an HTTP header cannot
    carry, without showing it."""
    if api_key is not None and not isinstance(api_key, str):
        raise ValueError(f"api_key must be a string, got {type(api_key).__name__}")
    sources = [("api_key=", api_key), (api_key_env_var, os.environ.get(api_key_env_var))]
    sources.append((FALLBACK_API_KEY_ENV_VAR, os.environ.get(FALLBACK_API_KEY_ENV_VAR)))
    source, key = next(((name, value) for name, value in sources if value), ("", None))
    key = key.strip() if key else key
    bad = next((i for i, c in enumerate(key or "") if not "!" <= c <= "~"), None)
    if key and bad is not None:
        raise MissingAPIKeyError(
            f"the key in {source} has a character an HTTP header cannot carry at position "
            f"{bad} ({unicodedata.name(key[bad], 'a control character')}): copy the key again",
            hint="A key is printable ASCII; a pasted quote or space is the usual cause.",
        )
    if not key:
        raise MissingAPIKeyError(
            f"No Jina API key: set the environment variable {api_key_env_var}"
            + (
                f" (or {FALLBACK_API_KEY_ENV_VAR})"
                if api_key_env_var != FALLBACK_API_KEY_ENV_VAR
                else ""
            )
            + ", or pass api_key= (which is never persisted).",
            hint="Get a key at https://jina.ai/api-dashboard/key-manager.",
        )
    return key


def _image(i: int, item: object, model_name: str) -> object:
    """An input as it is sent: an image as 8-bit RGB(A) pixels a viewer would show."""
    if not is_image(item):
        return item
    try:
        return pixels(item)
    except ValueError as exc:
        raise ValueError(f"input {i}: {exc} (model {model_name!r})") from None


def positive_int(name: str, value: object) -> int:
    """`value` if it is a positive integer (not a bool), else ValueError naming `name`."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value


def jina_client(
    api_key: str | None,
    api_key_env_var: str,
    *,
    base_url: str | None,
    timeout: float,
    max_retries: int,
    http_client: httpx.Client | None,
    async_http_client: httpx.AsyncClient | None,
    max_concurrency: int | None,
    requests_per_minute: int | None,
    tokens_per_minute: int | None,
    clock: Clock | None,
    **more: Any,
) -> JinaClient:
    """The client of `JinaEmbeddingFunction` or `JinaReranker`: the runtime settings they share
    checked, the key resolved, the base URL defaulted (env JINA_API_BASE_URL, else Jina's);
    `more` goes to `JinaClient` as it is."""
    if not isinstance(timeout, (int, float)) or timeout <= 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
        raise ValueError(f"max_retries must be an integer >= 0, got {max_retries!r}")
    return JinaClient(
        resolve_api_key(api_key, check_api_key_env_var(api_key_env_var)),
        base_url=base_url or os.environ.get("JINA_API_BASE_URL") or DEFAULT_BASE_URL,
        timeout=float(timeout),
        max_retries=max_retries,
        http_client=http_client,
        async_http_client=async_http_client,
        max_concurrency=max_concurrency,
        requests_per_minute=requests_per_minute,
        tokens_per_minute=tokens_per_minute,
        clock=clock or SYSTEM,
        **more,
    )


class JinaEmbeddingFunction(PickledAsSettings, EmbeddingFunction[Embeddable]):
    """Embed texts (and images, on multimodal models) with the Jina AI API, for Chroma.

    The positional parameters and their defaults are those of chromadb's built-in
    `JinaEmbeddingFunction` and are what Chroma persists. The keyword-only ones are runtime
    settings, never persisted: `base_url` (default env JINA_API_BASE_URL, else
    https://api.jina.ai/v1), `timeout` (seconds httpx waits at each step of a request, not
    for the whole request), `max_retries`, `http_client` /
    `async_http_client` (httpx clients, e.g. with an emulator's transport),
    `max_concurrency`, `requests_per_minute` / `tokens_per_minute` (this function's own caps,
    inside the API key's limits, which every function, thread and task of the process using
    the key shares: learned from the service, concurrency from 5 up to 50, or set for the
    whole process with JINA_MAX_CONCURRENCY, JINA_REQUESTS_PER_MINUTE and
    JINA_TOKENS_PER_MINUTE; one function's caps never change another's), `batch_size` (inputs
    per request, default the model's cap), `max_tokens_per_request` (estimated), `wire_base64` (fetch
    float vectors as base64: same float32 values, fewer bytes), `progress` (tqdm bar;
    None = for large calls in a terminal) and `strict` (False: options the model does not
    take are left out of requests with one `IgnoredOptionsWarning` instead of raising, as when
    a saved collection is reopened) and `clock` (a `chroma_jina.Clock`: where time is
    read and how waits happen; tests pass one that records waits instead of sleeping).

    Binary and ubinary embeddings are returned as float32 vectors of length `dimensions`,
    one value per bit: +1.0 for a set bit, -1.0 for a clear one.
    """

    def __init__(
        self,
        api_key: str | None = None,
        model_name: str = DEFAULT_MODEL,
        api_key_env_var: str = DEFAULT_API_KEY_ENV_VAR,
        task: str | None = None,
        late_chunking: bool | None = None,
        truncate: bool | None = None,
        dimensions: int | None = None,
        embedding_type: str | None = None,
        normalized: bool | None = None,
        query_config: dict[str, Any] | None = None,
        *,
        base_url: str | None = None,
        timeout: float = 60.0,
        max_retries: int = 5,
        http_client: httpx.Client | None = None,
        async_http_client: httpx.AsyncClient | None = None,
        max_concurrency: int | None = None,
        batch_size: int | None = None,
        max_tokens_per_request: int | None = None,
        requests_per_minute: int | None = None,
        tokens_per_minute: int | None = None,
        wire_base64: bool = True,
        progress: bool | None = None,
        strict: bool = True,
        clock: Clock | None = None,
    ) -> None:
        self._settings = settings_of(locals())
        """What it was created with: a pickle carries these (see `PickledAsSettings`)."""
        if not isinstance(model_name, str) or not model_name:
            raise ValueError(f"model_name must be a non-empty string, got {model_name!r}")
        check_embedding_model(model_name)
        check_api_key_env_var(api_key_env_var)
        if query_config is not None and not isinstance(query_config, dict):
            raise ValueError(
                f"query_config must be a dict such as {{'task': ...}}, got {query_config!r}"
            )
        self.api_key_env_var = api_key_env_var
        self.model_name = model_name
        self.task = task
        self.late_chunking = late_chunking
        self.truncate = truncate
        self.dimensions = dimensions
        self.embedding_type = embedding_type
        self.normalized = normalized
        self.query_config = query_config
        query_params = {**self._params(), **(query_config or {})}
        if strict:
            if "model_name" in query_params or "model" in query_params:
                raise ValueError(
                    "query_config cannot choose a model: queries must be embedded by the "
                    f"documents' model ({model_name!r}) to be comparable with them; leave the "
                    "model out of query_config"
                )
            self._fields = check_params(model_name, self._params())
            try:
                self._query_fields = check_params(model_name, query_params)
            except ValueError as exc:
                raise ValueError(f"query_config: {exc}") from None
            apart = incomparable_query_options(model_name, self._fields, self._query_fields)
            if apart:
                raise ValueError("; ".join(apart.values()))
        else:
            self._fields, left_out = usable_params(model_name, self._params())
            self._query_fields, left_out_of_queries = usable_params(model_name, query_params)
            left_out += [f"query_config: {m}" for m in left_out_of_queries if m not in left_out]
            apart = incomparable_query_options(model_name, self._fields, self._query_fields)
            for key, reason in apart.items():  # queries are embedded as the documents are
                if key in self._fields:
                    self._query_fields[key] = self._fields[key]
                else:
                    self._query_fields.pop(key, None)
                left_out.append(f"{reason} (queries are embedded with the documents' value)")
            if left_out:
                warnings.warn(
                    f"The saved config of this collection has options that {model_name!r} does "
                    f"not take, or that would make queries incomparable with the documents; "
                    f"they are left out of requests: {'; '.join(left_out)}",
                    IgnoredOptionsWarning,
                    stacklevel=2,
                )
        self._wire_base64 = bool(wire_base64)
        self.last_usage: Usage | None = None
        """Token usage of the last call, whoever made it; set by every call, also one that
        failed (to what it billed: nothing when its inputs were refused). Callers sharing the
        function read their own with `chroma_jina.track_usage()`."""

        info = lookup(model_name)
        cap = info.max_items if info is not None else DEFAULT_MAX_ITEMS
        if batch_size is not None and positive_int("batch_size", batch_size) > cap and info:
            raise ValueError(
                f"batch_size={batch_size} is over the {cap}-input cap of {model_name!r}"
            )
        for name, value in (
            ("requests_per_minute", requests_per_minute),
            ("tokens_per_minute", tokens_per_minute),
        ):
            if value is not None:
                positive_int(name, value)
        self._jina_client = jina_client(
            api_key,
            api_key_env_var,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            http_client=http_client,
            async_http_client=async_http_client,
            max_concurrency=None
            if max_concurrency is None
            else positive_int("max_concurrency", max_concurrency),
            max_items=cap if batch_size is None else batch_size,
            max_tokens_per_request=positive_int(
                "max_tokens_per_request",
                DEFAULT_MAX_TOKENS_PER_REQUEST
                if max_tokens_per_request is None
                else max_tokens_per_request,
            ),
            requests_per_minute=requests_per_minute,
            tokens_per_minute=tokens_per_minute,
            progress=progress,
            clock=clock,
        )

    def _params(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in PARAMETERS}

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{key}={getattr(self, key)!r}" for key in CONFIG_KEYS if getattr(self, key) is not None
        )
        return f"JinaEmbeddingFunction({shown}, base_url={self._jina_client.base_url!r})"

    # -- embedding

    def _job(self, input: Any, query: bool) -> Job:
        fields = self._query_fields if query else self._fields
        late = bool(fields.get("late_chunking"))
        check_inputs(self.model_name, input, late_chunking=late)
        if advice := language_warning(self.model_name, input):
            # every call, through the filters: Python's default shows it once per line of code
            warn_caller(advice, ModelLanguageWarning)
        items = list(input)
        if any(is_image(item) for item in items):
            require_pillow()
            items = [_image(i, item, self.model_name) for i, item in enumerate(items)]
        sent, wire_type = wire_fields(fields, self._wire_base64)
        dimensions = fields.get("dimensions")  # an int or absent: checked by check_params
        dim = output_dimensions(
            self.model_name, dimensions if isinstance(dimensions, int) else None
        )
        info = lookup(self.model_name)
        return Job(
            self.model_name,
            items,
            sent,
            wire_type,
            dim,
            late_chunking=late and not query,
            each_alone=late and query,
            context=info.context if info is not None else None,
        )

    def _run(self, input: Any, query: bool) -> Embeddings:
        with metered(self) as meter:
            return list(self._jina_client.run(self._job(input, query), meter))

    async def _arun(self, input: Any, query: bool) -> Embeddings:
        with metered(self) as meter:
            return list(await self._jina_client.arun(self._job(input, query), meter))

    def __call__(self, input: Embeddable) -> Embeddings:
        """Embed documents (texts, or images on multimodal models): one float32 vector per
        input, in order, or a typed error."""
        return self._run(input, query=False)

    def embed_query(self, input: Embeddable) -> Embeddings:
        """Embed queries: the config with `query_config` applied on top. With late chunking
        on for queries, each query is sent alone so that queries never share a context."""
        return self._run(input, query=True)

    async def aembed(self, input: Embeddable) -> Embeddings:
        """Async `__call__`."""
        return await self._arun(input, query=False)

    async def aembed_query(self, input: Embeddable) -> Embeddings:
        """Async `embed_query`."""
        return await self._arun(input, query=True)

    def stream(self) -> Stream:
        """Embed documents in many calls that share one pool of requests (what
        `chroma_jina.ingest` uses): `submit(documents)` starts a call and returns at once, its
        requests queued behind those of the calls before it; `close()` when done.

        Not with late chunking, which embeds each call as one context: a stream splits the
        corpus where it likes."""
        if self._fields.get("late_chunking"):
            raise ValueError(
                "late_chunking embeds each call as one context, so its documents cannot be "
                "streamed in chunks of the corpus: add each document's chunks with "
                "collection.add(), one document per call"
            )
        return self._jina_client.stream(lambda documents: self._job(documents, query=False))

    # -- connections

    def close(self) -> None:
        """Close the HTTP connections this function opened (never an `http_client` or
        `async_http_client` you passed in). Also done when the function is collected or the
        interpreter exits; a later call opens new ones."""
        self._jina_client.close()

    async def aclose(self) -> None:
        """`close`, from async code."""
        await self._jina_client.aclose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- Chroma's contract

    @staticmethod
    def name() -> str:
        """The name Chroma saves and finds the function by: "jina", as for its built-in."""
        return "jina"

    def default_space(self) -> Space:
        """The space a new collection uses: cosine."""
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        """Every space Chroma offers: cosine, l2 and ip."""
        return ["cosine", "l2", "ip"]

    def get_config(self) -> dict[str, Any]:
        """The nine keys of Chroma's "jina" schema (never the key, never runtime settings)."""
        return {key: getattr(self, key) for key in CONFIG_KEYS}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> JinaEmbeddingFunction:
        """Rebuild from a persisted config; runtime settings come from the environment.

        Lenient (`strict=False`): any config chromadb's built-in function could save reopens,
        with a warning for options the model does not take."""
        kwargs: dict[str, Any] = {key: config.get(key) for key in CONFIG_KEYS}
        kwargs["model_name"] = kwargs["model_name"] or DEFAULT_MODEL
        kwargs["api_key_env_var"] = kwargs["api_key_env_var"] or DEFAULT_API_KEY_ENV_VAR
        return JinaEmbeddingFunction(**kwargs, strict=False)

    def is_legacy(self) -> bool:
        """Never: the config is complete. (Chroma's default check rebuilds the function from
        its config, which fails when the key was passed as `api_key=` and no variable holds
        it, and then silently saves the collection with a legacy config that cannot be
        rebuilt.)"""
        return False

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        """Validate against Chroma's own "jina" JSON schema."""
        validate_config_schema(config, "jina")

    def validate_config_update(
        self, old_config: dict[str, Any], new_config: dict[str, Any]
    ) -> None:
        """Refuse changes that would put new vectors in a different space than stored ones,
        and a `query_config` whose vectors could not be compared with the documents', and a
        key variable not meant for a Jina key."""
        if new_config.get("api_key_env_var") is not None:
            check_api_key_env_var(new_config["api_key_env_var"])
        model = old_config.get("model_name") or DEFAULT_MODEL
        for key in VECTOR_KEYS:
            if key not in new_config or new_config[key] == old_config.get(key):
                continue
            if key in DEFAULTED_KEYS and same_vectors(model, key, old_config, new_config):
                continue  # e.g. None -> "float" -> "base64": the same vectors, sent differently
            raise ValueError(
                f"{key} cannot change from {old_config.get(key)!r} to {new_config[key]!r}: "
                f"stored vectors would not be comparable; create a new collection instead."
            )
        config = {**old_config, **new_config}
        query_config = config.get("query_config") or {}
        if not isinstance(query_config, dict):
            raise ValueError(f"query_config must be a dict or None, got {query_config!r}")
        model = config.get("model_name") or DEFAULT_MODEL
        if query_config.get("model_name", model) != model or "model" in query_config:
            raise ValueError(
                "query_config cannot choose a model: queries must be embedded by the "
                f"documents' model ({model!r}) to be comparable with them"
            )
        documents = {key: config.get(key) for key in PARAMETERS}
        queries = {**documents, **{k: v for k, v in query_config.items() if k in PARAMETERS}}
        apart = incomparable_query_options(
            model,
            {k: v for k, v in documents.items() if v is not None},
            {k: v for k, v in queries.items() if v is not None},
        )
        if apart:
            raise ValueError("; ".join(apart.values()))
        if old_config.get("query_config") and not new_config.get("query_config"):
            warnings.warn(
                f"this update drops the saved query_config {old_config['query_config']!r}: "
                "queries will be embedded like the documents; to keep it, build the new "
                "function from the saved configuration",
                UserWarning,
                stacklevel=2,
            )


register_embedding_function(JinaEmbeddingFunction)  # type: ignore[no-untyped-call]  # chromadb's decorator is unannotated
