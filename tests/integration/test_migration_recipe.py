"""The two binary recipes on Migrating (docs/en and docs/zh), run as written against the offline
emulator on a `PersistentClient` collection shaped as the built-in function left it (packed bytes,
one value each; one record without a document): re-embedding into full floats, and converting
the stored bytes with no API call into the vectors chroma-jina returns."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import chromadb
import httpx
import numpy as np
import pytest
from chromadb.api.shared_system_client import SharedSystemClient
from chromadb.utils.embedding_functions import JinaEmbeddingFunction as BuiltIn
from chromadb.utils.embedding_functions import known_embedding_functions

from chroma_jina import IgnoredOptionsWarning, JinaEmbeddingFunction
from chroma_jina.testing import JinaEmulator
from tests.support.service import KEY

ROOT = Path(__file__).resolve().parents[2]
BLOCK = re.compile(
    r"```python \{[^}]*test_migration_recipe\.py \(([\w-]+)\)[^}]*\}\n(.*?)```", re.DOTALL
)


def recipe(language: str, name: str = "re-embed") -> str:
    """The page's block whose skip reason names this file and `name`."""
    page = (ROOT / "docs" / language / "migrating.md").read_text(encoding="utf-8")
    [code] = [code for found, code in BLOCK.findall(page) if found == name]
    return code


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_binary_recipe_re_embeds_every_record_with_a_document(
    language: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    SharedSystemClient.clear_system_cache()  # the page's "chroma-data" is this test's directory
    monkeypatch.setenv("CHROMA_JINA_API_KEY", KEY)
    client = chromadb.PersistentClient("chroma-data")
    old = client.create_collection("docs", embedding_function=None)
    rng = np.random.default_rng(7)
    ids = [f"doc-{n}" for n in range(700)]
    old.add(
        ids=ids,
        embeddings=rng.integers(0, 256, size=(700, 128)).astype(np.float32),
        documents=[None if n == 5 else f"page {n} of the handbook" for n in range(700)],
        metadatas=[{"page": n} for n in range(700)],
    )
    emu = JinaEmulator()
    with emu.serve() as base_url:
        monkeypatch.setenv("JINA_API_BASE_URL", base_url)
        exec(compile(recipe(language), f"migrating.md ({language})", "exec"), {})
        requests = emu.stats.requests
        exec(
            compile(recipe(language), f"migrating.md ({language})", "exec"), {}
        )  # again: all skipped
        assert emu.stats.requests == requests
    new = client.get_collection("docs-v2")
    assert new.count() == 699 and not new.get(ids=["doc-5"])["ids"]
    got = new.get(ids=["doc-6"], include=["embeddings", "metadatas"])
    assert len(got["embeddings"][0]) == 1024 and got["metadatas"] == [{"page": 6}]
    assert requests == 2  # one ingest over every page: 699 documents, 512 a request on v3
    SharedSystemClient.clear_system_cache()


@pytest.mark.parametrize(
    ("model", "embedding_type"),
    [
        ("jina-embeddings-v3", "ubinary"),
        ("jina-embeddings-v3", "binary"),
        ("jina-embeddings-v4", "binary"),
    ],
)
@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_binary_conversion_gives_chroma_jinas_vectors_with_no_request(
    language: str, model: str, embedding_type: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    SharedSystemClient.clear_system_cache()
    monkeypatch.setenv("CHROMA_JINA_API_KEY", KEY)
    texts = [f"page {n} of the handbook" for n in range(650)]
    options = {"model_name": model, "task": "retrieval.passage"}  # v4: 2,048 bits a vector
    emu = JinaEmulator()
    with httpx.Client(transport=emu.transport()) as http:  # the bytes the API sends the built-in
        packed = [
            row["embedding"]
            for start in (0, 512)
            for row in http.post(
                "https://api.jina.ai/v1/embeddings",
                json={
                    "model": options["model_name"],
                    "task": options["task"],
                    "embedding_type": embedding_type,
                    "input": texts[start : start + 512],
                },
                headers={"Authorization": f"Bearer {KEY}"},
            ).json()["data"]
        ]
        ours = JinaEmbeddingFunction(
            embedding_type=embedding_type, api_key=KEY, http_client=http, **options
        )(texts)
    monkeypatch.setitem(known_embedding_functions, "jina", JinaEmbeddingFunction)
    builtin = BuiltIn(
        api_key_env_var="CHROMA_JINA_API_KEY", embedding_type=embedding_type, **options
    )
    old = chromadb.PersistentClient("chroma-data").create_collection(
        "docs", embedding_function=builtin
    )
    ids = [f"doc-{n}" for n in range(650)]
    old.add(  # as the built-in stores them: one value a packed byte
        ids=ids,
        embeddings=np.asarray(packed, dtype=np.float32),
        documents=[None if n == 5 else text for n, text in enumerate(texts)],
    )
    monkeypatch.setitem(known_embedding_functions, "jina", JinaEmbeddingFunction)
    requests = emu.stats.requests
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IgnoredOptionsWarning)
        exec(compile(recipe(language, "convert"), f"migrating.md ({language})", "exec"), {})
    assert emu.stats.requests == requests  # nothing sent
    new = chromadb.PersistentClient("chroma-data").get_collection("docs-v2")
    got = new.get(ids=ids, include=["embeddings"])
    stored = dict(zip(got["ids"], got["embeddings"], strict=True))
    assert new.count() == 650  # the record without a document too
    # every bit as chroma-jina returns it (Chroma keeps a float32 drift of about 1e-7 on 2,048)
    bad = [
        i
        for i, vector in zip(ids, ours, strict=True)
        if not np.array_equal(np.sign(stored[i]), vector)
    ]
    assert not bad, f"{len(bad)} of 650 vectors differ, e.g. {bad[:3]}"
    SharedSystemClient.clear_system_cache()
