"""Runtime settings survive Chroma: a function passed to create_collection keeps its own
`http_client` and `base_url` for every request Chroma makes it send.

chromadb 1.0.0 to 1.0.11 rebuilt the function from its saved config for `add()`, which dropped
both (requests went to api.jina.ai through a new client). The supported chromadb versions
(pyproject.toml) are checked by this test in `make test` and `make lowest`.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import chromadb
import httpx
import pytest

from chroma_jina import JinaEmbeddingFunction
from chroma_jina.testing import JinaEmulator

KEY = "jina_offline_emulator_key"
BASE_URL = "http://jina-gateway.test/v1"
"""A host that resolves nowhere (.test is reserved): only the client's transport can answer it."""


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The key in the environment (a rebuilt function would find it), no base URL there."""
    monkeypatch.setenv("CHROMA_JINA_API_KEY", KEY)
    monkeypatch.delenv("JINA_API_KEY", raising=False)
    monkeypatch.delenv("JINA_API_BASE_URL", raising=False)


@pytest.mark.parametrize("persistent", [False, True], ids=["ephemeral", "persistent"])
def test_every_request_goes_through_the_given_client_and_url(
    persistent: bool, tmp_path: Path
) -> None:
    emulator = JinaEmulator()
    sent: list[httpx.Request] = []
    http_client = httpx.Client(
        transport=emulator.transport(), event_hooks={"request": [sent.append]}
    )
    function = JinaEmbeddingFunction(
        model_name="jina-embeddings-v3",
        task="retrieval.passage",
        query_config={"task": "retrieval.query"},
        http_client=http_client,
        base_url=BASE_URL,
        max_retries=0,
    )
    client = (
        chromadb.PersistentClient(path=str(tmp_path)) if persistent else chromadb.EphemeralClient()
    )
    name = f"runtime-{uuid.uuid4().hex[:12]}"
    with http_client:
        collection = client.create_collection(name, embedding_function=function)
        collection.add(
            ids=["tea", "bread"],
            documents=["Green tea is brewed at 80 degrees.", "Sourdough rises with wild yeast."],
        )
        found = collection.query(query_texts=["How hot is the water for green tea?"], n_results=1)
        reopened = client.get_collection(name, embedding_function=function)
        again = reopened.query(query_texts=["What makes bread rise?"], n_results=1)

    assert found["ids"] == [["tea"]] and again["ids"] == [["bread"]]
    assert [str(request.url) for request in sent] == [f"{BASE_URL}/embeddings"] * 3
    assert len(emulator.requests) == 3, "a request reached the emulator without the given client"
    assert [r.json["task"] for r in emulator.requests] == [
        "retrieval.passage",
        "retrieval.query",
        "retrieval.query",
    ]
