"""What Retrieval set-up says about hybrid search and schemas is what chromadb does.

The page quotes chromadb's refusals; each test below triggers one on embedded Chroma and on a
real `chroma run` server, and checks that both languages quote its words, so a chromadb that
changes makes the page's test fail instead of the page go stale."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import chromadb
import httpx
import pytest
from chromadb import K, Knn, Schema, Search, SparseVectorIndexConfig, VectorIndexConfig
from chromadb.utils.embedding_functions import ChromaBm25EmbeddingFunction

from chroma_jina import IgnoredOptionsWarning, JinaEmbeddingFunction
from chroma_jina.testing import JinaEmulator
from tests.support.chroma import chroma_server

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "docs" / lang / "retrieval.md" for lang in ("en", "zh")]
SPARSE_REFUSED = "Sparse vector indexing is not enabled in local"
SCHEMA_AND_FUNCTION = "Cannot set both collection config and schema simultaneously"
NOT_REBUILT = "Could not reconstruct embedding function jina"

# chromadb's HttpClient leaves its connections to the `chroma run` server open (third-party)
pytestmark = pytest.mark.filterwarnings("ignore:unclosed <socket.socket:ResourceWarning")


@pytest.fixture(params=["embedded", "server"])
def client(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[chromadb.ClientAPI]:
    if request.param == "embedded":
        yield chromadb.EphemeralClient()
        return
    with chroma_server(tmp_path / "data") as url:
        yield chromadb.HttpClient(host="127.0.0.1", port=int(url.rsplit(":", 1)[1]))


def name() -> str:
    return f"retrieval-{uuid.uuid4().hex[:8]}"


def jina(emulator: JinaEmulator) -> JinaEmbeddingFunction:
    return JinaEmbeddingFunction(
        model_name="jina-embeddings-v3",
        task="retrieval.passage",
        query_config={"task": "retrieval.query"},
        api_key="jina_test",
        http_client=httpx.Client(transport=emulator.transport()),
    )


def pages_quote(words: str) -> None:
    for page in PAGES:
        assert words in page.read_text(encoding="utf-8"), f"{page.name} does not quote {words!r}"


def test_search_is_not_implemented_outside_cloud(client: chromadb.ClientAPI) -> None:
    collection = client.create_collection(name(), embedding_function=None)
    collection.add(ids=["a"], embeddings=[[0.1, 0.2]], documents=["a document"])
    with pytest.raises(Exception, match=r"(?i)not implemented"):
        collection.search(Search().rank(Knn(query=[0.1, 0.2])).limit(1))
    pages_quote("not implemented")


def test_a_sparse_index_is_refused_outside_cloud(client: chromadb.ClientAPI) -> None:
    sparse = SparseVectorIndexConfig(
        source_key=K.DOCUMENT, embedding_function=ChromaBm25EmbeddingFunction()
    )
    with pytest.raises(Exception, match=SPARSE_REFUSED):
        client.create_collection(name(), schema=Schema().create_index(config=sparse, key="sparse"))
    pages_quote(SPARSE_REFUSED)


def test_a_schema_takes_the_function_and_the_collection_rebuilds_it(
    client: chromadb.ClientAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CHROMA_JINA_API_KEY", raising=False)
    monkeypatch.delenv("JINA_API_KEY", raising=False)
    emulator = JinaEmulator()
    function = jina(emulator)
    schema = Schema().create_index(config=VectorIndexConfig(embedding_function=function))
    with pytest.raises(Exception, match=SCHEMA_AND_FUNCTION):
        client.create_collection(name(), schema=schema, embedding_function=function)
    pages_quote(SCHEMA_AND_FUNCTION)

    created = client.create_collection(collection_name := name(), schema=schema)
    assert created.configuration_json["embedding_function"]["name"] == "jina"
    # The object holds no instance: it rebuilds the function from the saved configuration,
    # which names only the key's variable, and that is not set here.
    with pytest.raises(ValueError, match="No Jina API key"):
        created.add(ids=["a"], documents=["Error E-4012: the disk is full."])
    assert emulator.stats.requests == 0

    # With the key in the saved variable, the object got with a function uses that instance
    # (its transport is the emulator); without it, chromadb warns on every write that it
    # could not rebuild the schema's function.
    mine = client.get_collection(collection_name, embedding_function=function)
    with pytest.warns(UserWarning, match=NOT_REBUILT):
        mine.add(ids=["b"], documents=["Error E-4021: the network is unreachable."])
    pages_quote(NOT_REBUILT)
    monkeypatch.setenv("CHROMA_JINA_API_KEY", "jina_test")
    mine.add(ids=["a"], documents=["Error E-4012: the disk is full."])
    found = mine.query(query_texts=["E-4012"], n_results=2)
    assert sorted(found["ids"][0]) == ["a", "b"]
    tasks = [r.json["task"] for r in emulator.requests]  # type: ignore[index]
    assert tasks == ["retrieval.passage", "retrieval.passage", "retrieval.query"]


SAVED_OPTIONS_LINE = (
    "jina = JinaEmbeddingFunction(**saved, strict=False, timeout=20, max_retries=3)"
)


def test_a_server_rebuilds_the_function_from_the_saved_options(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The page's three lines for a long-running server: the rebuilt function sends what was
    saved (query task, dimensions) with the runtime settings the server adds."""
    monkeypatch.setenv("CHROMA_JINA_API_KEY", "jina_test")
    emulator = JinaEmulator()
    client = chromadb.EphemeralClient()
    collection_name = name()
    client.create_collection(
        collection_name,
        embedding_function=JinaEmbeddingFunction(
            model_name="jina-embeddings-v3",
            task="retrieval.passage",
            query_config={"task": "retrieval.query"},
            dimensions=256,
            api_key="jina_test",
        ),
    )
    saved = client.get_collection(collection_name).configuration_json["embedding_function"][
        "config"
    ]
    rebuilt = JinaEmbeddingFunction(
        **saved,
        strict=False,
        timeout=20,
        max_retries=3,
        api_key="jina_test",
        http_client=httpx.Client(transport=emulator.transport()),
    )
    collection = client.get_collection(collection_name, embedding_function=rebuilt)
    collection.add(ids=["a"], documents=["green tea"])
    collection.query(query_texts=["tea"], n_results=1)
    sent = [r.json for r in emulator.requests if isinstance(r.json, dict)]
    assert [body["task"] for body in sent] == ["retrieval.passage", "retrieval.query"]
    assert {body["dimensions"] for body in sent} == {256}
    pages_quote(SAVED_OPTIONS_LINE)

    # An option chromadb's built-in function saved that the model does not take: Chroma's own
    # rebuild leaves it out, and so does the page's line; without strict=False the server would
    # fail at start-up.
    built_in = {**saved, "model_name": "jina-embeddings-v4", "normalized": False}
    with pytest.raises(ValueError, match="normalized"):
        JinaEmbeddingFunction(**built_in, api_key="jina_test")
    with pytest.warns(IgnoredOptionsWarning, match="normalized"):
        lenient = JinaEmbeddingFunction(
            **built_in,
            strict=False,
            api_key="jina_test",
            http_client=httpx.Client(transport=emulator.transport()),
        )
    lenient(["green tea"])
    assert "normalized" not in emulator.requests[-1].json  # type: ignore[operator]
