"""The binary re-embedding recipe on Migrating (docs/en and docs/zh), run as written against the
offline emulator: a `PersistentClient` collection shaped as the built-in function left it (128
packed values a vector, one record without a document) is copied into `docs-v2`."""

from __future__ import annotations

import re
from pathlib import Path

import chromadb
import numpy as np
import pytest
from chromadb.api.shared_system_client import SharedSystemClient

from chroma_jina.testing import JinaEmulator
from tests.support.service import KEY

ROOT = Path(__file__).resolve().parents[2]
BLOCK = re.compile(r"```python \{[^}]*test_migration_recipe[^}]*\}\n(.*?)```", re.DOTALL)


def recipe(language: str) -> str:
    """The page's block whose skip reason names this file."""
    [code] = BLOCK.findall((ROOT / "docs" / language / "migrating.md").read_text(encoding="utf-8"))
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
