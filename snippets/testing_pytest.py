"""Testing code that uses chroma-jina, offline: fixtures for conftest.py, tests for test_*.py."""

import os
import uuid

import chromadb
import httpx
import pytest

from chroma_jina import JinaEmbeddingFunction
from chroma_jina.testing import JinaEmulator


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    """Functions created during a test without base_url= reach no Jina, real key or proxy."""
    monkeypatch.setenv("JINA_API_BASE_URL", "http://jina-api.invalid/v1")  # (1)!
    monkeypatch.setenv("CHROMA_JINA_API_KEY", f"jina_test_{uuid.uuid4().hex}")  # (2)!
    monkeypatch.setenv("no_proxy", "*")  # (3)!
    for name in (
        "JINA_API_KEY",
        "JINA_MAX_CONCURRENCY",
        "JINA_REQUESTS_PER_MINUTE",
        "JINA_TOKENS_PER_MINUTE",
    ):
        monkeypatch.delenv(name, raising=False)  # (4)!


@pytest.fixture
def emulator():
    return JinaEmulator()


@pytest.fixture
def chroma(tmp_path):
    client = chromadb.PersistentClient(path=str(tmp_path))  # (5)!
    yield client
    if hasattr(client, "close"):  # chromadb 1.5.2 and later
        client.close()


@pytest.fixture
def jina(emulator):
    """A function whose requests the emulator answers in-process."""
    return JinaEmbeddingFunction(
        api_key=f"jina_test_{uuid.uuid4().hex}",  # (6)!
        model_name="jina-embeddings-v3",
        task="retrieval.passage",
        query_config={"task": "retrieval.query"},
        http_client=httpx.Client(transport=emulator.transport()),
    )


@pytest.fixture
def jina_server(emulator, monkeypatch):
    """For code that builds its own function, or reopens a collection without passing one."""
    with emulator.serve() as base_url:
        monkeypatch.setenv("JINA_API_BASE_URL", base_url)  # (7)!
        yield emulator


def test_documents_and_queries_get_their_tasks(chroma, jina, emulator):
    notes = chroma.create_collection("notes", embedding_function=jina)
    notes.add(ids=["1"], documents=["Berlin was founded in the 13th century."])
    notes.query(query_texts=["When was Berlin founded?"], n_results=1)
    assert [r.json["task"] for r in emulator.requests] == ["retrieval.passage", "retrieval.query"]


def test_a_reopened_collection_calls_the_emulator(chroma, jina_server):
    jina = JinaEmbeddingFunction(model_name="jina-embeddings-v3")
    chroma.create_collection("notes", embedding_function=jina)
    notes = chroma.get_collection("notes")  # (8)!
    notes.add(ids=["1"], documents=["Berlin was founded in the 13th century."])
    assert jina_server.stats.requests == 1


LIVE_KEY = os.environ.get("JINA_LIVE_TEST_KEY")


@pytest.mark.skipif(not LIVE_KEY, reason="JINA_LIVE_TEST_KEY is not set")
def test_the_real_api(chroma, monkeypatch):
    monkeypatch.delenv("no_proxy")  # (9)!
    jina = JinaEmbeddingFunction(
        api_key=LIVE_KEY,
        base_url=os.environ.get("JINA_LIVE_BASE_URL", "https://api.jina.ai/v1"),  # (10)!
        model_name="jina-embeddings-v3",
        task="retrieval.passage",
        query_config={"task": "retrieval.query"},
    )
    notes = chroma.create_collection("notes", embedding_function=jina)
    notes.add(
        ids=["answer", "other"],
        documents=["Berlin was founded in the 13th century.", "Paris is the capital of France."],
    )
    found = notes.query(
        query_texts=["When was Berlin founded?"], n_results=1, include=["embeddings"]
    )
    assert found["ids"][0] == ["answer"]
    assert len(found["embeddings"][0][0]) == 1024
