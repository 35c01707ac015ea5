"""models.py: the catalog of models, checked against Jina's own catalog where it is here."""

import json
import re
from pathlib import Path

import httpx
import pytest

from chroma_jina import JinaEmbeddingFunction
from chroma_jina.models import (
    DEFAULT_MODEL,
    DEFAULT_RERANKER,
    FOR_CJK_TEXT,
    MODELS,
    SPARSE_MODELS,
    lookup,
)
from chroma_jina.testing import JinaEmulator


def test_default_model_is_in_the_catalog() -> None:
    assert lookup(DEFAULT_MODEL) is MODELS[DEFAULT_MODEL]


def test_matryoshka_range_ends_at_full_dimension() -> None:
    for info in MODELS.values():
        if info.matryoshka is not None:
            low, high = info.matryoshka
            assert 0 < low < high == info.dimensions, info.name
            assert "dimensions" in info.fields, info.name
        else:
            assert "dimensions" not in info.fields, info.name


def test_languages_are_the_reference_catalogs(captures: Path) -> None:
    """Each model's languages as Jina's catalog lists them ("English, Chinese" -> two)."""
    catalog = json.loads((captures / "jina-model-catalog-2026-08.json").read_text(encoding="utf-8"))
    listed = {m["id"]: tuple(m["language"].split(", ")) for m in catalog["models"]}
    assert {name: info.languages for name, info in MODELS.items()} == {
        name: listed[name] for name in MODELS
    }


def test_models_suggested_for_cjk_text_read_chinese() -> None:
    assert all(MODELS[name].reads_chinese for name in FOR_CJK_TEXT)
    assert not MODELS[DEFAULT_MODEL].reads_chinese


def test_sparse_models_are_the_openapi_documents(captures: Path) -> None:
    """The models whose `/v1/embeddings` answer is a weight per token (OAS-2026)."""
    schemas = json.loads((captures / "jina-openapi-2026-04-02.json").read_text(encoding="utf-8"))[
        "components"
    ]["schemas"]
    sparse = {
        schema["properties"]["model"]["const"]
        for schema in schemas.values()
        if "sparse" in schema.get("properties", {}).get("model", {}).get("description", "")
    }
    assert sparse == set(SPARSE_MODELS)


@pytest.mark.parametrize(
    ("model_name", "says"),
    [
        ("elser-v2", "returns sparse vectors"),
        ("jina-reranker-v3", "JinaReranker(model_name='jina-reranker-v3')"),
        ("jina-reranker-v1-base-en", f"JinaReranker(model_name={DEFAULT_RERANKER!r})"),
    ],
)
def test_a_model_without_dense_vectors_is_refused_before_sending(
    model_name: str, says: str
) -> None:
    emulator = JinaEmulator()
    client = httpx.Client(transport=emulator.transport())
    with pytest.raises(ValueError, match=re.escape(says)):
        JinaEmbeddingFunction(model_name=model_name, api_key="jina_test", http_client=client)
    assert emulator.stats.requests == 0
    config = {"model_name": model_name, "api_key_env_var": "CHROMA_JINA_API_KEY"}
    with pytest.raises(ValueError, match=re.escape(says)):
        JinaEmbeddingFunction.build_from_config(config)
