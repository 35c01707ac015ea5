"""给调用 chroma-jina 的代码写离线测试。fixture 放进 conftest.py，测试函数放进 test_*.py。"""

import os
import uuid

import chromadb
import httpx
import pytest

from chroma_jina import JinaEmbeddingFunction
from chroma_jina.testing import JinaEmulator


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    """测试中没传 base_url= 就创建的函数，连不到 Jina、读不到真实密钥，也不走代理。"""
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
    if hasattr(client, "close"):  # chromadb 1.5.2 起才有 close()
        client.close()


@pytest.fixture
def jina(emulator):
    """请求由模拟器在本进程内应答的嵌入函数。"""
    return JinaEmbeddingFunction(
        api_key=f"jina_test_{uuid.uuid4().hex}",  # (6)!
        model_name="jina-embeddings-v3",
        task="retrieval.passage",
        query_config={"task": "retrieval.query"},
        http_client=httpx.Client(transport=emulator.transport()),
    )


@pytest.fixture
def jina_server(emulator, monkeypatch):
    """供两类代码使用：自己创建嵌入函数的，以及不传函数就重新打开集合的。"""
    with emulator.serve() as base_url:
        monkeypatch.setenv("JINA_API_BASE_URL", base_url)  # (7)!
        yield emulator


def test_documents_and_queries_get_their_tasks(chroma, jina, emulator):
    notes = chroma.create_collection("notes", embedding_function=jina)
    notes.add(ids=["1"], documents=["故宫建成于 1420 年。"])
    notes.query(query_texts=["故宫是什么时候建成的？"], n_results=1)
    assert [r.json["task"] for r in emulator.requests] == ["retrieval.passage", "retrieval.query"]


def test_a_reopened_collection_calls_the_emulator(chroma, jina_server):
    jina = JinaEmbeddingFunction(model_name="jina-embeddings-v3")
    chroma.create_collection("notes", embedding_function=jina)
    notes = chroma.get_collection("notes")  # (8)!
    notes.add(ids=["1"], documents=["故宫建成于 1420 年。"])
    assert jina_server.stats.requests == 1


LIVE_KEY = os.environ.get("JINA_LIVE_TEST_KEY")


@pytest.mark.skipif(not LIVE_KEY, reason="没有设置 JINA_LIVE_TEST_KEY，跳过真实 API 的测试")
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
    notes.add(ids=["answer", "other"], documents=["故宫建成于 1420 年。", "西湖位于杭州。"])
    found = notes.query(query_texts=["故宫是什么时候建成的？"], n_results=1, include=["embeddings"])
    assert found["ids"][0] == ["answer"]
    assert len(found["embeddings"][0][0]) == 1024
