"""A query_config may change the task, never what makes query vectors comparable with the
documents' (dimensions, embedding_type, normalized, the model): refused at creation and on a
config update; a saved config with such a mismatch reopens with queries embedded as the
documents are (issue 23; before, documents came back 1,024 wide and queries 256, and every
query failed inside Chroma)."""

from __future__ import annotations

import warnings

import chromadb
import httpx
import pytest
from chromadb.utils.embedding_functions import JinaEmbeddingFunction as BuiltIn
from chromadb.utils.embedding_functions import known_embedding_functions

from chroma_jina import IgnoredOptionsWarning, JinaEmbeddingFunction
from chroma_jina.testing import JinaEmulator

KEY = "jina_offline_emulator_key"
V3 = "jina-embeddings-v3"


@pytest.mark.parametrize(
    ("options", "query_config", "named"),
    [
        ({"dimensions": 1024}, {"dimensions": 256}, "dimensions"),
        ({}, {"dimensions": 256}, "dimensions"),
        ({"dimensions": 256}, {"dimensions": None}, "dimensions"),  # None: the model's 1,024
        ({}, {"embedding_type": "binary"}, "embedding_type"),
        ({"embedding_type": "ubinary"}, {"embedding_type": "float"}, "embedding_type"),
        ({}, {"normalized": False}, "normalized"),
        ({}, {"model_name": "jina-embeddings-v4"}, "model"),
    ],
)
def test_creation_refuses_query_vectors_unlike_the_documents(options, query_config, named) -> None:
    with pytest.raises(ValueError, match=f"query_config.*{named}") as info:
        JinaEmbeddingFunction(KEY, V3, query_config=query_config, **options)
    assert "leave" in str(info.value) and "out of query_config" in str(info.value)


@pytest.mark.parametrize(
    ("options", "query_config"),
    [
        ({"task": "retrieval.passage"}, {"task": "retrieval.query"}),
        ({}, {"dimensions": 1024}),  # v3's own length
        ({"embedding_type": "binary"}, {"embedding_type": "ubinary"}),  # both expand to +-1
        ({}, {"embedding_type": "base64"}),  # the same floats
        ({"normalized": True}, {"normalized": None}),
        ({"late_chunking": True}, {"late_chunking": False, "task": "retrieval.query"}),
    ],
)
def test_creation_accepts_what_keeps_queries_comparable(options, query_config) -> None:
    JinaEmbeddingFunction(KEY, V3, query_config=query_config, **options)


def test_a_config_update_cannot_make_queries_incomparable() -> None:
    ef = JinaEmbeddingFunction(KEY, V3, task="retrieval.passage", dimensions=512)
    old = ef.get_config()
    ef.validate_config_update(old, {**old, "query_config": {"task": "retrieval.query"}})
    for change, named in (
        ({"dimensions": 256}, "dimensions"),
        ({"embedding_type": "binary"}, "embedding_type"),
        ({"normalized": False}, "normalized"),
        ({"model_name": "jina-embeddings-v4"}, "model"),
    ):
        with pytest.raises(ValueError, match=named):
            ef.validate_config_update(old, {**old, "query_config": change})


def test_a_saved_mismatch_reopens_and_queries_match_the_documents(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """chromadb's built-in saves `query_config={"dimensions": 256}` next to 1,024-dimension
    documents; with it every query fails. Ours reopens the collection, warns, and embeds
    queries 1,024 wide, so they work."""
    options = {"model_name": V3, "dimensions": 1024, "query_config": {"dimensions": 256}}
    monkeypatch.setenv("CHROMA_JINA_API_KEY", KEY)
    # creating with the built-in registers it: restore ours after the test, whatever happens
    monkeypatch.setitem(known_embedding_functions, "jina", JinaEmbeddingFunction)
    chromadb.PersistentClient(path=str(tmp_path)).create_collection(
        "saved", embedding_function=BuiltIn(api_key_env_var="CHROMA_JINA_API_KEY", **options)
    )
    monkeypatch.setitem(known_embedding_functions, "jina", JinaEmbeddingFunction)
    emu = JinaEmulator()
    with emu.serve() as base_url:
        monkeypatch.setenv("JINA_API_BASE_URL", base_url)
        col = chromadb.PersistentClient(path=str(tmp_path)).get_collection("saved")
        with pytest.warns(IgnoredOptionsWarning, match="dimensions=256.*cannot be compared"):
            reopened = col.configuration["embedding_function"]
        assert reopened.get_config()["query_config"] == {"dimensions": 256}  # saved as it was
        with warnings.catch_warnings():  # Chroma rebuilds the function: warned again
            warnings.simplefilter("ignore", IgnoredOptionsWarning)
            col.add(ids=["a", "b"], documents=["a river", "the sea"])
            assert col.query(query_texts=["river"], n_results=1)["ids"] == [["a"]]
    assert [r.json.get("dimensions") for r in emu.requests] == [1024, 1024]


def test_the_query_vectors_have_the_documents_length() -> None:
    emu = JinaEmulator()
    ef = JinaEmbeddingFunction(
        KEY,
        V3,
        dimensions=512,
        http_client=httpx.Client(transport=emu.transport()),
        query_config={"task": "retrieval.query"},
    )
    assert len(ef(["doc"])[0]) == len(ef.embed_query(["q"])[0]) == 512


def test_modify_warns_when_the_new_function_drops_the_saved_query_config(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # modify() saves the new function's whole configuration: one built without the saved
    # query_config removes it, and queries then go out with the documents' task.
    monkeypatch.setenv("CHROMA_JINA_API_KEY", KEY)  # chromadb rebuilds the saved function
    kept = {"task": "retrieval.query"}
    client = chromadb.EphemeralClient()
    collection = client.create_collection(
        "modify-drops-query-config",
        embedding_function=JinaEmbeddingFunction(
            KEY, V3, task="retrieval.passage", query_config=kept
        ),
    )
    plain = JinaEmbeddingFunction(KEY, V3, task="retrieval.passage", truncate=True)
    with pytest.warns(UserWarning, match="drops the saved query_config"):
        collection.modify(configuration={"embedding_function": plain})
    saved = client.get_collection("modify-drops-query-config").configuration_json
    assert not saved["embedding_function"]["config"].get("query_config")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # keeping it, built from the saved configuration: silent
        again = JinaEmbeddingFunction(
            KEY, V3, task="retrieval.passage", query_config=kept, truncate=True
        )
        collection.modify(configuration={"embedding_function": again})
    client.delete_collection("modify-drops-query-config")


def test_a_saved_dimensions_below_the_matryoshka_range_keeps_its_length(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The built-in saves any `dimensions` Jina's API takes (1 to the full length), such as 16 on
    v3, below the 32..1024 a new function accepts. Reopened, it is still sent, so the stored
    16-value vectors and new ones stay comparable; a new function still refuses it."""
    monkeypatch.setenv("CHROMA_JINA_API_KEY", KEY)
    monkeypatch.setitem(known_embedding_functions, "jina", JinaEmbeddingFunction)
    chromadb.PersistentClient(path=str(tmp_path)).create_collection(
        "narrow",
        embedding_function=BuiltIn(
            api_key_env_var="CHROMA_JINA_API_KEY", model_name=V3, dimensions=16
        ),
    )
    monkeypatch.setitem(known_embedding_functions, "jina", JinaEmbeddingFunction)
    emu = JinaEmulator()
    with emu.serve() as base_url, warnings.catch_warnings():
        warnings.simplefilter("error", IgnoredOptionsWarning)  # nothing is left out
        monkeypatch.setenv("JINA_API_BASE_URL", base_url)
        col = chromadb.PersistentClient(path=str(tmp_path)).get_collection("narrow")
        col.add(ids=["a", "b"], documents=["a river", "the sea"])
        found = col.query(query_texts=["river"], n_results=2)  # Chroma refuses another length
        assert sorted(found["ids"][0]) == ["a", "b"]
        assert len(col.get(ids=["a"], include=["embeddings"])["embeddings"][0]) == 16
    assert [r.json.get("dimensions") for r in emu.requests] == [16, 16]
    with pytest.raises(ValueError, match="out of range"):
        JinaEmbeddingFunction(KEY, V3, dimensions=16)
