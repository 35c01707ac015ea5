"""离线测试用到 chroma-jina 的代码：把这些 fixture 放进你的 conftest.py。"""

import uuid

import chromadb
import httpx
import pytest

from chroma_jina import JinaEmbeddingFunction
from chroma_jina.testing import JinaEmulator


@pytest.fixture
def emulator():
    return JinaEmulator()


@pytest.fixture
def chroma(tmp_path):
    return chromadb.PersistentClient(path=str(tmp_path))  # (1)!


@pytest.fixture
def jina(emulator, monkeypatch):
    """请求由模拟器在本进程内应答的嵌入函数。"""
    monkeypatch.setenv("CHROMA_JINA_API_KEY", "jina_unused")  # (2)!
    return JinaEmbeddingFunction(
        api_key=f"jina_test_{uuid.uuid4().hex}",  # (3)!
        model_name="jina-embeddings-v3",
        task="retrieval.passage",
        query_config={"task": "retrieval.query"},
        http_client=httpx.Client(transport=emulator.transport()),
    )


@pytest.fixture
def jina_server(emulator, monkeypatch):
    """用于自己创建嵌入函数、或不传函数就重新打开集合的代码。"""
    with emulator.serve() as base_url:
        monkeypatch.setenv("JINA_API_BASE_URL", base_url)  # (4)!
        monkeypatch.setenv("CHROMA_JINA_API_KEY", f"jina_test_{uuid.uuid4().hex}")
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")  # (5)!
        yield emulator


def test_documents_and_queries_get_their_tasks(chroma, jina, emulator):
    notes = chroma.create_collection("notes", embedding_function=jina)
    notes.add(ids=["1"], documents=["故宫建成于 1420 年。"])
    notes.query(query_texts=["故宫是什么时候建成的？"], n_results=1)
    assert [r.json["task"] for r in emulator.requests] == ["retrieval.passage", "retrieval.query"]


def test_a_reopened_collection_calls_the_emulator(chroma, jina_server):
    jina = JinaEmbeddingFunction(model_name="jina-embeddings-v3")
    chroma.create_collection("notes", embedding_function=jina)
    notes = chroma.get_collection("notes")  # (6)!
    notes.add(ids=["1"], documents=["故宫建成于 1420 年。"])
    assert jina_server.stats.requests == 1
