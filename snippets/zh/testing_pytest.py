"""离线测试用到 chroma-jina 的代码：fixture 放进 conftest.py，测试函数放进 test_*.py。"""

import uuid

import chromadb
import httpx
import pytest

from chroma_jina import JinaEmbeddingFunction
from chroma_jina.testing import JinaEmulator


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    """不管 shell 里设了什么，测试都连不到 Jina、发不出真实密钥，也不走代理。"""
    monkeypatch.setenv("JINA_API_BASE_URL", "http://jina-api.invalid/v1")  # (1)!
    monkeypatch.setenv("CHROMA_JINA_API_KEY", "jina_unused")  # (2)!
    monkeypatch.delenv("JINA_API_KEY", raising=False)
    monkeypatch.setenv("no_proxy", "*")  # (3)!


@pytest.fixture
def emulator():
    return JinaEmulator()


@pytest.fixture
def chroma(tmp_path):
    return chromadb.PersistentClient(path=str(tmp_path))  # (4)!


@pytest.fixture
def jina(emulator):
    """请求由模拟器在本进程内应答的嵌入函数。"""
    return JinaEmbeddingFunction(
        api_key=f"jina_test_{uuid.uuid4().hex}",  # (5)!
        model_name="jina-embeddings-v3",
        task="retrieval.passage",
        query_config={"task": "retrieval.query"},
        http_client=httpx.Client(transport=emulator.transport()),
    )


@pytest.fixture
def jina_server(emulator, monkeypatch):
    """用于自己创建嵌入函数、或不传函数就重新打开集合的代码。"""
    with emulator.serve() as base_url:
        monkeypatch.setenv("JINA_API_BASE_URL", base_url)  # (6)!
        yield emulator


def test_documents_and_queries_get_their_tasks(chroma, jina, emulator):
    notes = chroma.create_collection("notes", embedding_function=jina)
    notes.add(ids=["1"], documents=["故宫建成于 1420 年。"])
    notes.query(query_texts=["故宫是什么时候建成的？"], n_results=1)
    assert [r.json["task"] for r in emulator.requests] == ["retrieval.passage", "retrieval.query"]


def test_a_reopened_collection_calls_the_emulator(chroma, jina_server):
    jina = JinaEmbeddingFunction(model_name="jina-embeddings-v3")
    chroma.create_collection("notes", embedding_function=jina)
    notes = chroma.get_collection("notes")  # (7)!
    notes.add(ids=["1"], documents=["故宫建成于 1420 年。"])
    assert jina_server.stats.requests == 1
