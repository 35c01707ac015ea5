"""The public surface, pinned: what `chroma_jina` and `chroma_jina.testing` export is decided
here, not by whatever a module happens to import. Each exported name imports, and is documented
(its own docstring, and one for each public method it defines); the modules behind it are the
library's own."""

from __future__ import annotations

import ast
import importlib
import inspect
from types import ModuleType

import pytest

import chroma_jina
import chroma_jina.testing

PUBLIC = {
    "chroma_jina": [
        "AuthenticationError",
        "Clock",
        "ConfigurationError",
        "DocumentsTooLargeError",
        "IgnoredOptionsWarning",
        "ImageLoader",
        "IngestError",
        "IngestReport",
        "InsufficientBalanceError",
        "InvalidRecordError",
        "InvalidRequestError",
        "JinaEmbeddingFunction",
        "JinaError",
        "JinaReranker",
        "JinaTimeoutError",
        "MalformedResponseError",
        "MissingAPIKeyError",
        "ModelLanguageWarning",
        "NetworkError",
        "OverQuotaError",
        "Pending",
        "RankedDocument",
        "RateLimitError",
        "ServerError",
        "Stream",
        "Usage",
        "UsageTracker",
        "ValidationError",
        "__version__",
        "aingest",
        "errors",
        "estimate_tokens",
        "ingest",
        "track_usage",
    ],
    "chroma_jina.testing": [
        "EMULATOR_HEADER",
        "EMULATOR_ID",
        "DroppedConnection",
        "DuplicatedIndex",
        "EmulatorStats",
        "EmulatorTransport",
        "ErrorReply",
        "Fault",
        "HTMLErrorPage",
        "JinaEmulator",
        "Latency",
        "MissingIndices",
        "RandomFaults",
        "RateLimits",
        "RawReply",
        "RecordedRequest",
        "ServerFailure",
        "ShuffledIndices",
        "SlowResponse",
        "TooManyRequests",
        "When",
    ],
}
SELF_EXPLAINING = {"__version__"}
"""Values whose meaning is a Python convention, not this library's to document."""

EXPORTS = [
    pytest.param(package, name, id=f"{package}.{name}")
    for package, names in PUBLIC.items()
    for name in names
]


@pytest.mark.parametrize("package", list(PUBLIC))
def test_all_is_the_pinned_surface(package: str) -> None:
    module = importlib.import_module(package)
    assert sorted(module.__all__) == sorted(PUBLIC[package])
    assert len(set(module.__all__)) == len(module.__all__)


@pytest.mark.parametrize("package", list(PUBLIC))
def test_star_import_gives_exactly_the_surface(package: str) -> None:
    namespace: dict[str, object] = {}
    exec(f"from {package} import *", namespace)
    namespace.pop("__builtins__")
    assert sorted(namespace) == sorted(PUBLIC[package])


def test_ingest_is_the_function_and_its_module_has_another_name() -> None:
    """`chroma_jina.ingest` was both a module and the function that shadowed it."""
    from chroma_jina import ingest

    assert inspect.isfunction(ingest) and chroma_jina.ingest is ingest
    assert ingest.__module__ == "chroma_jina.ingestion"
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("chroma_jina.ingest")


def _submodules(package: ModuleType) -> list[ModuleType]:
    return [
        value
        for value in vars(package).values()
        if inspect.ismodule(value) and value.__name__.startswith(package.__name__ + ".")
    ]


def _attribute_docstring(package: ModuleType, name: str) -> str | None:
    """The string literal right after `name = ...` in the package module that assigns it."""
    for module in [package, *_submodules(package)]:
        body = ast.parse(inspect.getsource(module)).body
        for node, after in zip(body, [*body[1:], None], strict=True):
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, ast.AnnAssign):
                targets = [node.target]
            else:
                continue
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                if isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant):
                    return str(after.value.value)
                return None
    raise AssertionError(f"{name} is not assigned in {package.__name__} or its modules")


def _own_public_methods(cls: type) -> dict[str, object]:
    methods: dict[str, object] = {}
    for name, value in vars(cls).items():
        function = value.__func__ if isinstance(value, (staticmethod, classmethod)) else value
        function = function.fget if isinstance(function, property) else function
        if not name.startswith("_") and inspect.isfunction(function):
            methods[name] = function
    return methods


@pytest.mark.parametrize(("package", "name"), EXPORTS)
def test_every_exported_name_is_documented(package: str, name: str) -> None:
    module = importlib.import_module(package)
    value = getattr(module, name)  # importable from the package itself
    if name in SELF_EXPLAINING:
        return
    if inspect.isclass(value):
        assert (vars(value).get("__doc__") or "").strip(), f"{name} has no docstring of its own"
        undocumented = [m for m, f in _own_public_methods(value).items() if not f.__doc__]
        assert not undocumented, f"{name}: public methods without a docstring: {undocumented}"
    elif inspect.isfunction(value) or inspect.ismodule(value):
        assert (value.__doc__ or "").strip(), f"{name} has no docstring"
    else:  # a constant: documented by the string literal after its assignment
        assert _attribute_docstring(module, name), f"{package}.{name} has no docstring"
