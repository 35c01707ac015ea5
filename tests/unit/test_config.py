"""Chroma's contract: name, registry, persisted config, round-trips with the real built-in,
config updates, spaces, query config, identical vectors, and the API-key rules."""

from __future__ import annotations

import inspect
import json
import logging
import warnings

import chromadb
import numpy as np
import pytest
from chromadb.utils.embedding_functions import JinaEmbeddingFunction as BuiltIn
from chromadb.utils.embedding_functions import known_embedding_functions
from chromadb.utils.embedding_functions.schemas import load_schema

from chroma_jina import JinaEmbeddingFunction, JinaError, MissingAPIKeyError
from chroma_jina.testing import ErrorReply, JinaEmulator
from tests.support.service import KEY, make_ef, same, sent, want

FULL = {
    "api_key_env_var": "MY_JINA_KEY",
    "model_name": "jina-embeddings-v3",
    "task": "retrieval.passage",
    "late_chunking": False,
    "truncate": True,
    "dimensions": 256,
    "embedding_type": "float",
    "normalized": True,
    "query_config": {"task": "retrieval.query"},
}


@pytest.fixture(autouse=True)
def _keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "JINA_API_KEY",
        "CHROMA_JINA_API_KEY",
        "MY_JINA_KEY",
        "JINA_API_BASE_URL",
        "JINA_MAX_CONCURRENCY",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CHROMA_JINA_API_KEY", KEY)
    monkeypatch.setenv("MY_JINA_KEY", KEY)


def test_name_and_registration() -> None:
    assert JinaEmbeddingFunction.name() == "jina"
    assert known_embedding_functions["jina"] is JinaEmbeddingFunction


def test_constructor_matches_the_builtin_then_keyword_only_options() -> None:
    ours = list(inspect.signature(JinaEmbeddingFunction).parameters.values())
    theirs = list(inspect.signature(BuiltIn).parameters.values())
    assert [(p.name, p.default, p.kind) for p in ours[: len(theirs)]] == [
        (p.name, p.default, p.kind) for p in theirs
    ]
    rest = ours[len(theirs) :]
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in rest)
    assert {p.name for p in rest} >= {
        "base_url",
        "timeout",
        "max_retries",
        "http_client",
        "async_http_client",
        "max_concurrency",
        "batch_size",
        "max_tokens_per_request",
        "requests_per_minute",
        "tokens_per_minute",
        "wire_base64",
        "progress",
    }


def test_config_is_exactly_the_schema_keys_and_validates() -> None:
    schema_keys = set(load_schema("jina")["properties"])
    assert len(schema_keys) == 9
    for kwargs in ({}, dict(FULL.items())):
        ef = JinaEmbeddingFunction(
            **kwargs,
            base_url="http://x/v1",
            timeout=3,
            max_retries=1,
            max_concurrency=2,
            batch_size=8,
            progress=False,
        )
        config = ef.get_config()
        assert set(config) == schema_keys
        BuiltIn.validate_config(config)
        JinaEmbeddingFunction.validate_config(config)
        assert json.loads(json.dumps(config)) == config


def test_round_trips_with_the_builtin_both_ways() -> None:
    ours = JinaEmbeddingFunction(**FULL)
    theirs = BuiltIn.build_from_config(ours.get_config())
    assert theirs.get_config() == ours.get_config() == FULL
    back = JinaEmbeddingFunction.build_from_config(theirs.get_config())
    assert isinstance(back, JinaEmbeddingFunction)
    assert back.get_config() == FULL
    default = BuiltIn()
    assert JinaEmbeddingFunction.build_from_config(default.get_config()).get_config() == (
        default.get_config()
    )


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("model_name", "jina-embeddings-v4"),
        ("dimensions", 512),
        ("task", "text-matching"),
        ("embedding_type", "ubinary"),
        ("normalized", False),
        ("late_chunking", True),
    ],
)
def test_config_update_refuses_every_change_that_changes_the_vectors(key, value) -> None:
    ef = JinaEmbeddingFunction(**FULL)
    ef.validate_config_update(ef.get_config(), ef.get_config())
    with pytest.raises(ValueError, match=f"{key} cannot change.*create a new collection"):
        ef.validate_config_update(ef.get_config(), {**FULL, key: value})


def test_config_update_allows_what_keeps_stored_vectors_comparable() -> None:
    ef = JinaEmbeddingFunction(**FULL)
    for change in (
        {"truncate": False},
        {"query_config": {"task": "text-matching"}},
        {"api_key_env_var": "OTHER_JINA_KEY"},
    ):
        ef.validate_config_update(ef.get_config(), {**FULL, **change})


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ({"embedding_type": None}, {"embedding_type": "float"}),
        ({"embedding_type": "float"}, {"embedding_type": "base64"}),
        ({"embedding_type": "binary"}, {"embedding_type": "ubinary"}),
        ({"normalized": None}, {"normalized": True}),
        ({"dimensions": None}, {"dimensions": 1024}),
        ({"late_chunking": None}, {"late_chunking": False}),
        ({"late_chunking": False}, {"late_chunking": None}),
    ],
)
def test_config_update_allows_a_value_that_gives_the_same_vectors(before, after) -> None:
    saved = {**FULL, "dimensions": None, **before}
    ef = JinaEmbeddingFunction(**saved)
    ef.validate_config_update(ef.get_config(), {**saved, **after})


def test_spaces() -> None:
    ef = JinaEmbeddingFunction()
    assert ef.default_space() == "cosine"
    assert ef.supported_spaces() == ["cosine", "l2", "ip"]


def test_embed_query_applies_query_config_on_top_of_the_config() -> None:
    emu = JinaEmulator()
    ef, _ = make_ef(
        emu,
        KEY,
        "jina-embeddings-v3",
        task="retrieval.passage",
        dimensions=64,
        query_config={"task": "retrieval.query"},
    )
    ef(["doc"])
    ef.embed_query(["question"])
    docs, query = sent(emu)
    assert docs["task"] == "retrieval.passage" and query["task"] == "retrieval.query"
    assert docs["dimensions"] == query["dimensions"] == 64


def test_same_vectors_as_the_builtin_for_the_same_config() -> None:
    config = {k: v for k, v in FULL.items() if k != "api_key_env_var"}
    emu = JinaEmulator()
    ours, _ = make_ef(emu, **config)
    theirs = BuiltIn(**config, api_key_env_var="MY_JINA_KEY")
    theirs._session._transport = emu.transport()  # chromadb's built-in has no option for it
    texts = ["a river bank", "a savings bank", "川流不息"]
    options = {"dimensions": 256, "truncate": True, "normalized": True, "late_chunking": False}
    for method, task in (("__call__", "retrieval.passage"), ("embed_query", "retrieval.query")):
        mine = getattr(ours, method)(texts)
        builtin = getattr(theirs, method)(texts)
        assert same(mine, builtin)
        assert same(mine, want(emu, texts, "jina-embeddings-v3", task=task, **options))
    # ours asked for base64 on the wire, the built-in for JSON floats: same float32 values
    assert [r.get("embedding_type") for r in sent(emu)] == ["base64", "float"] * 2


def test_base_url_comes_from_the_argument_else_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    emu = JinaEmulator()
    ef, _ = make_ef(emu)
    ef(["x"])
    monkeypatch.setenv("JINA_API_BASE_URL", "http://127.0.0.1:9/custom/v1/")
    make_ef(emu)[0](["x"])
    make_ef(emu, base_url="http://other:8080/v1")[0](["x"])
    assert [(r.headers["host"], r.path) for r in emu.requests] == [
        ("api.jina.ai", "/v1/embeddings"),
        ("127.0.0.1:9", "/custom/v1/embeddings"),
        ("other:8080", "/v1/embeddings"),
    ]
    assert "base_url='https://api.jina.ai/v1')" in repr(ef)
    rebuilt = JinaEmbeddingFunction.build_from_config(ef.get_config())
    assert "base_url='http://127.0.0.1:9/custom/v1')" in repr(rebuilt)


# ---- keys --------------------------------------------------------------------------------


def _sent_key(ef: JinaEmbeddingFunction, emu: JinaEmulator) -> str:
    ef(["x"])
    return emu.requests[-1].headers["authorization"].removeprefix("Bearer ")


def test_explicit_api_key_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JINA_API_KEY", "jina_fallback")
    emu = JinaEmulator()
    ef, _ = make_ef(emu, api_key="jina_explicit")
    assert _sent_key(ef, emu) == "jina_explicit"


def test_named_variable_wins_over_jina_api_key_and_is_persisted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("JINA_API_KEY", "jina_fallback")
    monkeypatch.setenv("MY_JINA_KEY", "jina_named")
    emu = JinaEmulator()
    ef, _ = make_ef(emu, api_key=None, api_key_env_var="MY_JINA_KEY")
    assert _sent_key(ef, emu) == "jina_named"
    assert ef.get_config()["api_key_env_var"] == "MY_JINA_KEY"
    # the built-in lets JINA_API_KEY take over and persists that name instead
    assert BuiltIn(api_key_env_var="MY_JINA_KEY").get_config()["api_key_env_var"] == "JINA_API_KEY"


def test_jina_api_key_is_only_a_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHROMA_JINA_API_KEY")
    monkeypatch.setenv("JINA_API_KEY", "jina_fallback")
    emu = JinaEmulator()
    ef, _ = make_ef(emu, api_key=None)
    assert _sent_key(ef, emu) == "jina_fallback"
    assert ef.get_config()["api_key_env_var"] == "CHROMA_JINA_API_KEY"


def test_missing_key_names_the_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHROMA_JINA_API_KEY")
    with pytest.raises(MissingAPIKeyError) as info:
        JinaEmbeddingFunction()
    assert "CHROMA_JINA_API_KEY" in str(info.value) and "JINA_API_KEY" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_key_never_in_repr_str_config_errors_warnings_or_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret = "jina_" + "s3cr3t" * 10
    emu = JinaEmulator()
    echo = {"detail": f"Invalid API key: {secret}"}
    emu.script(
        ErrorReply(503, "SERVICE_UNAVAILABLE", echo["detail"]),
        ErrorReply(401, "AUTH_INVALID_API_KEY", echo["detail"]),
    )
    caplog.set_level(logging.DEBUG)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ef, _ = make_ef(emu, api_key=secret)
        with pytest.raises(JinaError) as info:
            ef(["x"])
    assert emu.requests[0].headers["authorization"] == f"Bearer {secret}"
    texts = [
        repr(ef),
        str(ef),
        json.dumps(ef.get_config()),
        str(info.value),
        repr(info.value),
        info.value.message,
        caplog.text,
        *(str(w.message) for w in caught),
        # the internals too: no repr a debugger or a log may show holds the key
        repr(ef._jina_client),
        repr(vars(ef)),
        repr(vars(ef._jina_client)),
    ]
    assert "Invalid API key: ***" in str(info.value)
    assert all(secret not in t for t in texts)


# ---- real Chroma ---------------------------------------------------------------------------


def test_chroma_collection_uses_ours_and_reopens_with_the_builtin(tmp_path) -> None:
    emu = JinaEmulator()
    ef, _ = make_ef(
        emu,
        KEY,
        "jina-embeddings-v3",
        task="retrieval.passage",
        query_config={"task": "retrieval.query"},
    )
    client = chromadb.PersistentClient(path=str(tmp_path))
    docs = ["the cat sat", "dogs bark", "川流不息"]
    col = client.create_collection("jina-docs", embedding_function=ef)
    assert col.configuration_json["embedding_function"] == {
        "type": "known",
        "name": "jina",
        "config": ef.get_config(),
    }
    col.add(ids=["a", "b", "c"], documents=docs)
    got = col.get(ids=["a", "b", "c"], include=["embeddings"])["embeddings"]
    assert all(
        np.allclose(g, w, rtol=1e-6)
        for g, w in zip(
            got, want(emu, docs, "jina-embeddings-v3", task="retrieval.passage"), strict=True
        )
    )
    found = col.query(query_texts=["dogs bark"], n_results=1)
    assert [r["task"] for r in sent(emu)] == ["retrieval.passage", "retrieval.query"]
    assert found["ids"] == [["b"]]
    reopened = client.get_collection("jina-docs")
    assert isinstance(reopened.configuration["embedding_function"], JinaEmbeddingFunction)
    # A process that never imported chroma_jina has the built-in registered as "jina": it
    # rebuilds the same collection with the built-in.
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(known_embedding_functions, "jina", BuiltIn)
        rebuilt = chromadb.PersistentClient(path=str(tmp_path)).get_collection("jina-docs")
        assert type(rebuilt.configuration["embedding_function"]) is BuiltIn
        assert rebuilt.configuration["embedding_function"].get_config() == ef.get_config()


@pytest.mark.filterwarnings("ignore:Could not reconstruct embedding function jina")
def test_a_collection_made_with_api_key_and_no_variable_keeps_a_known_config(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CHROMA_JINA_API_KEY")
    emu = JinaEmulator()
    ef, _ = make_ef(emu, api_key=KEY)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Chroma warns when it falls back to a legacy config
        col = chromadb.EphemeralClient().create_collection(
            "jina-explicit-key", embedding_function=ef
        )
    assert col.configuration_json["embedding_function"]["type"] == "known"
    assert KEY not in json.dumps(col.configuration_json)
    col.add(ids=["a"], documents=["text"])
    assert sent(emu)[0]["input"] == ["text"]


SAVED_BY_THE_BUILTIN = [
    ({"model_name": "jina-embeddings-v2-base-en", "task": "retrieval.passage"}, "task", 768),
    ({"model_name": "jina-embeddings-v2-base-en", "late_chunking": True}, "late_chunking", 768),
    ({"model_name": "jina-embeddings-v3", "dimensions": 2048}, "dimensions", 1024),
    ({"model_name": "jina-embeddings-v3", "embedding_type": "int8"}, "embedding_type", 1024),
    ({"model_name": "jina-embeddings-v4", "normalized": False}, "normalized", 2048),
    ({"model_name": "jina-clip-v2", "query_config": {"task": "retrieval.passage"}}, "task", 1024),
]
"""Configs chromadb 1.5's built-in saves and reopens, which ours refused on reopen: the
option its model does not take, and the length of the vectors stored."""


@pytest.mark.parametrize(("options", "left_out", "dim"), SAVED_BY_THE_BUILTIN)
def test_every_collection_the_builtin_saves_reopens_with_ours(
    tmp_path, monkeypatch: pytest.MonkeyPatch, options: dict, left_out: str, dim: int
) -> None:
    """chromadb's built-in saves any config its schema allows, and reopens it. Ours reopens
    it too (it used to fail with "Could not build embedding function jina"), leaving out of
    requests, with one warning, the options the model does not take; a function created
    directly stays strict."""
    from chroma_jina import IgnoredOptionsWarning
    from chroma_jina.testing import JinaEmulator

    with pytest.raises(ValueError, match=f"{left_out}="):
        JinaEmbeddingFunction(**options)
    chromadb.PersistentClient(path=str(tmp_path)).create_collection(
        "saved", embedding_function=BuiltIn(**options)
    )
    monkeypatch.setitem(known_embedding_functions, "jina", JinaEmbeddingFunction)
    emu = JinaEmulator()
    with emu.serve() as base_url:
        monkeypatch.setenv("JINA_API_BASE_URL", base_url)
        col = chromadb.PersistentClient(path=str(tmp_path)).get_collection("saved")
        with pytest.warns(IgnoredOptionsWarning, match=f"{left_out}.*{options['model_name']}"):
            reopened = col.configuration["embedding_function"]  # Chroma builds it from the config
        assert type(reopened) is JinaEmbeddingFunction
        assert reopened.get_config() == BuiltIn(**options).get_config()
        # Chroma builds the function from the config again for add() and query(): it warns again
        again = f"{left_out}.*{options['model_name']}"
        with pytest.warns(IgnoredOptionsWarning, match=again):
            col.add(ids=["a", "b"], documents=["a river", "the sea"])
        with pytest.warns(IgnoredOptionsWarning, match=again):
            found = col.query(query_texts=["river"], n_results=1)
        assert found["ids"] == [["a"]]
    stored = col.get(ids=["a"], include=["embeddings"])["embeddings"][0]
    assert len(stored) == dim
    saved = {**options, **options.get("query_config", {})}[left_out]
    assert emu.requests and all(r.json.get(left_out) != saved for r in emu.requests)
