"""LangChain's `Chroma` and LlamaIndex's `ChromaVectorStore` over a chroma-jina collection.

Real frameworks (the `frameworks` dependency group), real embedded chromadb, the emulator in front.
What must hold, whichever way a framework reaches the collection: every document request carries
the collection's document task and every query request its query task (the emulator records each
request's body), and the vectors stored are exactly those the collection's own function gives the
stored documents. A framework release that starts embedding queries as documents, embeds text
other than what it stores, or keeps the collection from its saved function fails here.

Where the frameworks' code does what frameworks.md describes:

LangChain, `langchain_chroma/vectorstores.py` (1.1.0):

- line 426: the collection is opened (or created) with `embedding_function=None`, so Chroma uses
  the function saved in its configuration (`chromadb/api/models/CollectionCommon.py`, lines
  755–760, rebuilt at each access, line 155); a new collection gets none;
- line 627: with LangChain embeddings, `add_texts` embeds with `embed_documents` and passes the
  vectors to `upsert`, all of the call's texts at once (two upserts when only some have
  metadata); without, it passes only the texts;
- lines 1249 and 1357: `update_documents` and `from_texts` slice at `get_max_batch_size()`;
- lines 841 and 848: `similarity_search_with_score` queries with `query_texts` when it has no
  embeddings, else with `embed_query`;
- lines 1109 and 1236: MMR from a text query and `update_documents` refuse without embeddings;
  the searches by vector (lines 756–784 and 1026–1073) never use them.

LlamaIndex, `llama_index/vector_stores/chroma/base.py` (0.6.0):

- lines 305 and 316: `add` stores `node.get_embedding()`, the vector LlamaIndex made, in slices of
  41,665 (lines 99 and 295);
- `llama_index/core/indices/vector_store/base.py`, lines 57 and 230: `VectorStoreIndex` embeds and
  adds `insert_batch_size` (2,048) nodes at a time;
- lines 412–420: `query` searches with `query.query_embedding`; without one it only reads
  records, unranked;
- `llama_index/core/embeddings/utils.py`, lines 42–57: the default embed model is OpenAI's;
- `llama_index/core/indices/utils.py`, line 192: a node is embedded with its metadata
  (`MetadataMode.EMBED`);
- `llama_index/core/constants.py`, line 8: LlamaIndex sends 10 texts per call by default.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import chromadb
import httpx
import numpy as np
import pytest
from chromadb.errors import ChromaError
from langchain_chroma import Chroma
from langchain_core.documents import Document
from llama_index.core import StorageContext, VectorStoreIndex
from llama_index.core.schema import TextNode
from llama_index.core.vector_stores.types import VectorStoreQueryMode
from llama_index.vector_stores.chroma import ChromaVectorStore

from chroma_jina import InsufficientBalanceError, JinaEmbeddingFunction, JinaReranker
from chroma_jina.langchain import JinaEmbeddings
from chroma_jina.langchain import JinaRerank as LangChainRerank
from chroma_jina.llama_index import JinaEmbedding
from chroma_jina.llama_index import JinaRerank as LlamaIndexRerank
from chroma_jina.testing import ErrorReply, JinaEmulator
from tests.support.chroma import chroma_server
from tests.support.cloud_standin import STANDIN_KEY, Quotas, cloud_client, cloud_standin

# chromadb warns that it cannot rebuild the function from the collection's saved config: the
# key is passed as api_key, which is never persisted (test_config.py asserts that case)
pytestmark = pytest.mark.filterwarnings("ignore:Could not reconstruct embedding function jina")

KEY = "jina_offline_emulator_key"
MODEL = "jina-embeddings-v3"
PASSAGE, QUERY = "retrieval.passage", "retrieval.query"
DOCS = {
    "password": "To reset your password, open Settings and choose Security.",
    "invoice": "Invoices are sent by email on the first day of each month.",
    "delete": "Deleting your account removes all your data after 30 days.",
}


@pytest.fixture
def emulator() -> JinaEmulator:
    return JinaEmulator()


@pytest.fixture
def jina(emulator: JinaEmulator) -> JinaEmbeddingFunction:
    """The function a reader creates the collection with, talking to the emulator."""
    return JinaEmbeddingFunction(
        api_key=KEY,
        model_name=MODEL,
        task=PASSAGE,
        query_config={"task": QUERY},
        http_client=httpx.Client(transport=emulator.transport()),
        async_http_client=httpx.AsyncClient(transport=emulator.transport()),
    )


@pytest.fixture
def client() -> chromadb.ClientAPI:
    return chromadb.EphemeralClient()


@pytest.fixture
def served(emulator: JinaEmulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The emulator on loopback, as the environment names it: what a function Chroma rebuilds
    from a saved config talks to (runtime settings such as http_client are not saved)."""
    with emulator.serve() as base_url:
        monkeypatch.setenv("JINA_API_BASE_URL", base_url)
        monkeypatch.setenv("CHROMA_JINA_API_KEY", KEY)
        yield base_url


def tasks(emulator: JinaEmulator, start: int = 0) -> list[tuple[str, int]]:
    """(task, number of inputs) of each embeddings request the emulator answered since `start`."""
    bodies = [r.json for r in emulator.requests[start:] if r.path.endswith("/embeddings")]
    return [(b["task"], len(b["input"])) for b in bodies if isinstance(b, dict)]


def assert_stored_as_the_function_embeds(
    collection: chromadb.Collection, jina: JinaEmbeddingFunction
) -> None:
    """Each stored vector equals what the collection's own function gives its stored document."""
    got = collection.get(include=["embeddings", "documents"])
    assert got["documents"], "nothing stored"
    expected = jina(got["documents"])
    for key, stored, wanted in zip(got["ids"], got["embeddings"], expected, strict=True):
        # within float32 rounding: the emulator computes a batch at a time, so the last bit of a
        # value can depend on the batch it came in; another task or text moves every value
        np.testing.assert_allclose(
            np.asarray(stored, dtype=np.float32),
            wanted,
            rtol=0,
            atol=1e-6,
            err_msg=f"stored vector of {key!r}",
        )


def assert_saved_as_jina(client: chromadb.ClientAPI, name: str) -> None:
    saved = client.get_collection(name).configuration_json["embedding_function"]
    assert saved["name"] == "jina"
    assert (saved["config"]["task"], saved["config"]["query_config"]) == (PASSAGE, {"task": QUERY})


# -- LangChain ------------------------------------------------------------------------------


def test_langchain_unchanged_embeds_through_the_collections_saved_function(
    emulator: JinaEmulator, served: str, client: chromadb.ClientAPI, jina: JinaEmbeddingFunction
) -> None:
    """No LangChain embeddings: Chroma embeds with the function rebuilt from the saved config."""
    client.create_collection("lc-unchanged", embedding_function=jina)
    store = Chroma("lc-unchanged", client=client)
    store.add_texts(list(DOCS.values()), ids=list(DOCS))
    found = store.similarity_search("I forgot my password", k=1)
    assert [d.id for d in found] == ["password"]
    assert tasks(emulator) == [(PASSAGE, 3), (QUERY, 1)]
    assert_stored_as_the_function_embeds(client.get_collection("lc-unchanged"), jina)
    assert_saved_as_jina(client, "lc-unchanged")
    with pytest.raises(ValueError, match="MMR search"):
        store.max_marginal_relevance_search("password", k=1)


def test_langchain_without_a_function_creates_a_collection_that_is_not_jina(
    client: chromadb.ClientAPI, jina: JinaEmbeddingFunction
) -> None:
    """What the page warns about: a collection LangChain creates saves no function (Chroma's
    default model, l2 space); `collection_configuration` is how it saves chroma-jina's."""
    Chroma("lc-default", client=client, embedding_function=JinaEmbeddings(jina))
    assert client.get_collection("lc-default").configuration_json["embedding_function"] is None
    Chroma(
        "lc-configured",
        client=client,
        embedding_function=JinaEmbeddings(jina),
        collection_configuration={"embedding_function": jina},
    )
    assert_saved_as_jina(client, "lc-configured")
    space = client.get_collection("lc-configured").configuration_json["hnsw"]["space"]
    assert space == "cosine"


def test_langchain_adapter_keeps_tasks_apart_and_stores_the_collections_vectors(
    emulator: JinaEmulator, client: chromadb.ClientAPI, jina: JinaEmbeddingFunction
) -> None:
    store = Chroma(
        "lc-adapter",
        client=client,
        embedding_function=JinaEmbeddings(jina),
        collection_configuration={"embedding_function": jina},
    )
    store.add_texts(list(DOCS.values()), ids=list(DOCS), metadatas=[{"n": i} for i in range(3)])
    assert [d.id for d in store.similarity_search("I forgot my password", k=1)] == ["password"]
    assert [d.id for d in store.max_marginal_relevance_search("invoice by email", k=1)] == [
        "invoice"
    ]
    assert tasks(emulator) == [(PASSAGE, 3), (QUERY, 1), (QUERY, 1)]
    assert_stored_as_the_function_embeds(client.get_collection("lc-adapter"), jina)
    # reopened from plain chromadb, the collection answers the same
    reopened = client.get_collection("lc-adapter", embedding_function=jina)
    assert reopened.query(query_texts=["I forgot my password"], n_results=1)["ids"] == [
        ["password"]
    ]


def test_vectors_of_another_task_are_caught(
    emulator: JinaEmulator, client: chromadb.ClientAPI, jina: JinaEmbeddingFunction
) -> None:
    """The check above fails when a framework stores vectors made with another task."""
    other = JinaEmbeddingFunction(
        api_key=KEY,
        model_name=MODEL,
        task=QUERY,
        http_client=httpx.Client(transport=emulator.transport()),
    )
    store = Chroma(
        "lc-other-task",
        client=client,
        embedding_function=JinaEmbeddings(other),
        collection_configuration={"embedding_function": jina},
    )
    store.add_texts(list(DOCS.values()), ids=list(DOCS))
    with pytest.raises(AssertionError, match="stored vector of"):
        assert_stored_as_the_function_embeds(client.get_collection("lc-other-task"), jina)


def test_langchain_adapter_async_keeps_tasks_apart(
    emulator: JinaEmulator, jina: JinaEmbeddingFunction
) -> None:
    embeddings = JinaEmbeddings(jina)

    async def both() -> tuple[list[list[float]], list[float]]:
        return await embeddings.aembed_documents(
            list(DOCS.values())
        ), await embeddings.aembed_query("password?")

    documents, query = asyncio.run(both())
    assert tasks(emulator) == [(PASSAGE, 3), (QUERY, 1)]
    assert embeddings.embed_documents([]) == []
    assert len(tasks(emulator)) == 2
    np.testing.assert_array_equal(
        np.asarray(documents, dtype=np.float32), jina(list(DOCS.values()))
    )
    np.testing.assert_array_equal(
        np.asarray(query, dtype=np.float32), jina.embed_query(["password?"])[0]
    )


def test_langchain_adapter_raises_chroma_jinas_typed_errors(
    emulator: JinaEmulator, client: chromadb.ClientAPI, jina: JinaEmbeddingFunction
) -> None:
    store = Chroma("lc-errors", client=client, embedding_function=JinaEmbeddings(jina))
    emulator.script(ErrorReply(403, "AUTHZ_INSUFFICIENT_BALANCE"))
    with pytest.raises(InsufficientBalanceError):
        store.add_texts(["one"], ids=["one"])
    assert client.get_collection("lc-errors").count() == 0


def test_adapters_wrap_only_a_chroma_jina_function() -> None:
    builtin = chromadb.utils.embedding_functions.DefaultEmbeddingFunction()
    with pytest.raises(TypeError, match="JinaEmbeddingFunction"):
        JinaEmbeddings(builtin)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="JinaEmbeddingFunction"):
        JinaEmbedding(builtin)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="JinaReranker"):
        LlamaIndexRerank(builtin)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="JinaReranker"):  # pydantic's ValidationError
        LangChainRerank(reranker=builtin)  # type: ignore[arg-type]


# -- LlamaIndex -----------------------------------------------------------------------------


def llama_index_over(
    collection: chromadb.Collection, jina: JinaEmbeddingFunction
) -> VectorStoreIndex:
    store = ChromaVectorStore(chroma_collection=collection)
    return VectorStoreIndex.from_vector_store(store, embed_model=JinaEmbedding(jina))


def test_llama_index_unchanged_cannot_use_the_collections_function(
    client: chromadb.ClientAPI, jina: JinaEmbeddingFunction, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ChromaVectorStore stores the vectors LlamaIndex's embed model made and queries by vector:
    without an embed model it falls back to OpenAI's, and never to the collection's function."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    store = ChromaVectorStore(
        chroma_collection=client.create_collection("li-plain", embedding_function=jina)
    )
    with pytest.raises(ImportError, match="llama-index-embeddings-openai"):
        VectorStoreIndex(
            [TextNode(text="x")], storage_context=StorageContext.from_defaults(vector_store=store)
        )


def test_llama_index_adapter_keeps_tasks_apart_and_stores_the_collections_vectors(
    emulator: JinaEmulator, client: chromadb.ClientAPI, jina: JinaEmbeddingFunction
) -> None:
    collection = client.create_collection("li-adapter", embedding_function=jina)
    index = llama_index_over(collection, jina)
    index.insert_nodes([TextNode(text=text, id_=key) for key, text in DOCS.items()])
    found = index.as_retriever(similarity_top_k=1).retrieve("I forgot my password")
    assert [n.node.node_id for n in found] == ["password"]
    mmr = index.as_retriever(similarity_top_k=1, vector_store_query_mode=VectorStoreQueryMode.MMR)
    assert [n.node.node_id for n in mmr.retrieve("invoice by email")] == ["invoice"]
    assert tasks(emulator) == [(PASSAGE, 3), (QUERY, 1), (QUERY, 1)]
    assert_stored_as_the_function_embeds(collection, jina)
    assert_saved_as_jina(client, "li-adapter")
    reopened = client.get_collection("li-adapter", embedding_function=jina)
    assert reopened.query(query_texts=["I forgot my password"], n_results=1)["ids"] == [
        ["password"]
    ]


def test_llama_index_embeds_metadata_unless_it_is_excluded(
    emulator: JinaEmulator, client: chromadb.ClientAPI, jina: JinaEmbeddingFunction
) -> None:
    """LlamaIndex embeds a node's metadata with its text but stores the text alone, so the stored
    vector is not the collection's for that document; excluding the metadata makes it so."""
    collection = client.create_collection("li-metadata", embedding_function=jina)
    index = llama_index_over(collection, jina)
    index.insert_nodes(
        [TextNode(text=DOCS["invoice"], id_="invoice", metadata={"topic": "billing"})]
    )
    assert emulator.requests[-1].json["input"] == [f"topic: billing\n\n{DOCS['invoice']}"]
    with pytest.raises(AssertionError, match="stored vector of 'invoice'"):
        assert_stored_as_the_function_embeds(collection, jina)
    collection.delete(ids=["invoice"])
    node = TextNode(
        text=DOCS["invoice"],
        id_="invoice",
        metadata={"topic": "billing"},
        excluded_embed_metadata_keys=["topic"],
    )
    index.insert_nodes([node])
    assert_stored_as_the_function_embeds(collection, jina)
    assert collection.get(ids=["invoice"])["metadatas"][0]["topic"] == "billing"


def test_llama_index_adapter_async_keeps_tasks_apart(
    emulator: JinaEmulator, client: chromadb.ClientAPI, jina: JinaEmbeddingFunction
) -> None:
    collection = client.create_collection("li-async", embedding_function=jina)
    index = llama_index_over(collection, jina)
    embed = JinaEmbedding(jina)

    async def run() -> list[str]:
        vectors = await embed.aget_text_embedding_batch(list(DOCS.values()))
        nodes = [
            TextNode(text=text, id_=key, embedding=vector)
            for (key, text), vector in zip(DOCS.items(), vectors, strict=True)
        ]
        await index.ainsert_nodes(nodes)
        found = await index.as_retriever(similarity_top_k=1).aretrieve("I forgot my password")
        return [n.node.node_id for n in found]

    assert asyncio.run(run()) == ["password"]
    assert tasks(emulator) == [(PASSAGE, 3), (QUERY, 1)]
    assert_stored_as_the_function_embeds(collection, jina)


def test_llama_index_hands_chroma_jina_whole_batches(
    emulator: JinaEmulator, jina: JinaEmbeddingFunction
) -> None:
    """LlamaIndex's default embed_batch_size is 10 texts per call; the adapter takes its maximum
    and lets chroma-jina plan the requests: 300 short texts are one request, not 30."""
    texts = [f"note number {i}" for i in range(300)]
    vectors = JinaEmbedding(jina).get_text_embedding_batch(texts)
    assert len(vectors) == 300
    assert tasks(emulator) == [(PASSAGE, 300)]


# -- Rerankers ------------------------------------------------------------------------------

CANDIDATES = {
    "faq": "Eiffel Tower FAQ: when was the Eiffel Tower built, and who built the Eiffel Tower?",
    "height": "The Eiffel Tower is 330 metres tall.",
    "built": "Construction finished on 31 March 1889.",
    "paint": "The tower is repainted every seven years.",
}
QUESTION = "When was the Eiffel Tower built?"


@pytest.fixture
def reranker(emulator: JinaEmulator) -> JinaReranker:
    return JinaReranker(
        api_key=KEY,
        http_client=httpx.Client(transport=emulator.transport()),
        async_http_client=httpx.AsyncClient(transport=emulator.transport()),
    )


def test_langchain_compressor_reorders_as_the_reranker_does(
    emulator: JinaEmulator, reranker: JinaReranker
) -> None:
    documents = [
        Document(id=key, page_content=text, metadata={"n": i})
        for i, (key, text) in enumerate(CANDIDATES.items())
    ]
    expected = reranker.rerank(QUESTION, list(CANDIDATES.values()), top_n=2)
    compressor = LangChainRerank(reranker=reranker, top_n=2)
    got = compressor.compress_documents(documents, QUESTION)
    assert [d.id for d in got] == [list(CANDIDATES)[r.index] for r in expected]
    assert [d.metadata for d in got] == [
        {"n": r.index, "relevance_score": r.score} for r in expected
    ]
    again = asyncio.run(compressor.acompress_documents(documents, QUESTION))
    assert again == got
    assert compressor.compress_documents([], QUESTION) == []
    assert [r.path for r in emulator.requests] == ["/v1/rerank"] * 3


def test_llama_index_postprocessor_reorders_as_the_reranker_does(
    emulator: JinaEmulator,
    client: chromadb.ClientAPI,
    jina: JinaEmbeddingFunction,
    reranker: JinaReranker,
) -> None:
    collection = client.create_collection("li-rerank", embedding_function=jina)
    index = llama_index_over(collection, jina)
    index.insert_nodes([TextNode(text=text, id_=key) for key, text in CANDIDATES.items()])
    hits = index.as_retriever(similarity_top_k=4).retrieve(QUESTION)
    texts = [hit.node.get_content() for hit in hits]
    expected = reranker.rerank(QUESTION, texts, top_n=2)
    postprocessor = LlamaIndexRerank(reranker, top_n=2)
    got = postprocessor.postprocess_nodes(hits, query_str=QUESTION)
    assert [n.node.node_id for n in got] == [hits[r.index].node.node_id for r in expected]
    assert [n.score for n in got] == [r.score for r in expected]
    again = asyncio.run(postprocessor.apostprocess_nodes(hits, query_str=QUESTION))
    assert [n.node.node_id for n in again] == [n.node.node_id for n in got]
    with pytest.raises(ValueError, match="needs the query"):
        postprocessor.postprocess_nodes(hits)


@pytest.fixture(scope="module")
def cloud_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Quotas]]:
    """A `chroma run` server behind the Chroma Cloud stand-in, whose pre-flight answers 1,000
    records a write while its quota is 300, as Cloud's has been reported to (chroma-core/chroma#5453)."""
    quotas = Quotas(STANDIN_KEY, advertised_batch=1000)
    with (
        chroma_server(tmp_path_factory.mktemp("cloud") / "data") as url,
        cloud_standin(url, quotas) as port,
    ):
        yield port, quotas


def test_on_cloud_neither_framework_sizes_its_writes_to_300(
    cloud_port: tuple[int, Quotas], jina: JinaEmbeddingFunction, emulator: JinaEmulator
) -> None:
    """What frameworks.md#cloud says: LangChain's add_texts upserts the whole call at once, and
    LlamaIndex's VectorStoreIndex writes 2,048 nodes at a time, so 500 texts are refused by
    Cloud's 300-record quota after they were embedded; insert_batch_size=300 passes."""
    port, quotas = cloud_port
    client = cloud_client(port)
    texts = [f"note {i}: the river {i % 17} floods the valley" for i in range(500)]
    store = Chroma("lc-cloud", client=client, embedding_function=JinaEmbeddings(jina))
    with pytest.raises(ChromaError, match="Quota exceeded: 'Number of records'"):
        store.add_texts(texts, ids=[f"l{i}" for i in range(500)])
    assert quotas.largest_write == 500 and emulator.stats.vectors == 500

    nodes = [TextNode(id_=f"n{i}", text=text) for i, text in enumerate(texts)]
    for name, kwargs, refused in (
        ("li-cloud", {}, True),
        ("li-cloud-300", {"insert_batch_size": 300}, False),
    ):
        collection = client.create_collection(name, embedding_function=jina)
        context = StorageContext.from_defaults(
            vector_store=ChromaVectorStore(chroma_collection=collection)
        )
        if refused:
            with pytest.raises(ChromaError, match="Quota exceeded: 'Number of records'"):
                VectorStoreIndex(
                    nodes, storage_context=context, embed_model=JinaEmbedding(jina), **kwargs
                )
            assert collection.count() == 0
        else:
            VectorStoreIndex(
                nodes, storage_context=context, embed_model=JinaEmbedding(jina), **kwargs
            )
            assert collection.count() == 500
    assert quotas.refused == {"Number of records": 2}
