"""Replay the real API traffic recorded on 2023-12-12 (../shared/reference/captures): our
requests must equal the recorded ones and the recorded vectors come back, in order."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import numpy as np
import pytest
import yaml

from chroma_jina import JinaEmbeddingFunction
from tests.support.service import KEY

pytestmark = pytest.mark.captures

# The calls superduper's tests made, one list per call (recorded bodies give the inputs; in
# the async files the recorder stored no body for the later calls, see captures/README.md).
CALLS = {
    "embed_one": [["shape"], ["Hello world"]],
    "embed_batch": [["shape"], ["Hello", "world", "I"], ["am", "here"]],
}


def _interactions(captures: Path, name: str) -> list[dict]:
    with open(captures / f"superduper-2023-12-test_{name}.yaml") as f:
        return yaml.safe_load(f)["interactions"]


def _replay(interactions: list[dict], seen: list[dict]) -> httpx.MockTransport:
    queue = list(interactions)

    def handler(request: httpx.Request) -> httpx.Response:
        recorded = queue.pop(0)
        body = json.loads(request.content)
        seen.append(body)
        if recorded["request"]["body"] is not None:
            assert body == json.loads(recorded["request"]["body"])
        assert str(request.url) == recorded["request"]["uri"]
        response = recorded["response"]
        headers = {k: v[0] for k, v in response["headers"].items() if k.lower() != "content-length"}
        return httpx.Response(
            response["status"]["code"], headers=headers, content=response["body"]["string"].encode()
        )

    return httpx.MockTransport(handler)


def _recorded_vectors(interaction: dict) -> list[np.ndarray]:
    data = json.loads(interaction["response"]["body"]["string"])["data"]
    return [
        np.array(d["embedding"], dtype=np.float32) for d in sorted(data, key=lambda d: d["index"])
    ]


@pytest.mark.parametrize("name", ["embed_one", "embed_batch"])
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_replays_return_the_recorded_vectors_in_order(name: str, mode: str, captures: Path) -> None:
    file = name if mode == "sync" else f"async_{name}"
    interactions = _interactions(captures, file)
    assert len(interactions) == len(CALLS[name])
    seen: list[dict] = []
    transport = _replay(interactions, seen)
    # the 2023 API predates embedding_type: ask for plain floats as the recording did
    options = {"api_key": KEY, "wire_base64": False, "base_url": "https://api.jina.ai/v1"}
    if mode == "sync":
        ef = JinaEmbeddingFunction(**options, http_client=httpx.Client(transport=transport))
        results = [ef(texts) for texts in CALLS[name]]
    else:
        ef = JinaEmbeddingFunction(
            **options, async_http_client=httpx.AsyncClient(transport=transport)
        )

        async def run() -> list:
            return [await ef.aembed(texts) for texts in CALLS[name]]

        results = asyncio.run(run())
    assert [b["input"] for b in seen] == CALLS[name]
    for got, interaction in zip(results, interactions, strict=True):
        want = _recorded_vectors(interaction)
        assert len(got) == len(want) and all(g.shape == (768,) for g in got)
        assert all(
            g.dtype == np.float32 and np.array_equal(g, w) for g, w in zip(got, want, strict=False)
        )
    recorded = json.loads(interactions[-1]["response"]["body"]["string"])["usage"]
    assert ef.last_usage.total_tokens == recorded["total_tokens"]
    assert ef.last_usage.prompt_tokens == recorded["prompt_tokens"] and ef.last_usage.requests == 1


def test_default_settings_read_the_2023_float_answers(captures: Path) -> None:
    """With the default settings the client asks for base64; the 2023 API ignored that and
    answered floats, which are read as floats."""
    interactions = _interactions(captures, "embed_batch")
    queue = list(interactions)

    def answer(request: httpx.Request) -> httpx.Response:
        response = queue.pop(0)["response"]
        assert json.loads(request.content)["embedding_type"] == "base64"
        return httpx.Response(200, content=response["body"]["string"].encode())

    ef = JinaEmbeddingFunction(KEY, http_client=httpx.Client(transport=httpx.MockTransport(answer)))
    for texts, interaction in zip(CALLS["embed_batch"], interactions, strict=True):
        got = ef(texts)
        want = _recorded_vectors(interaction)
        assert all(np.array_equal(g, w) for g, w in zip(got, want, strict=True))


def test_async_recordings_without_bodies_answered_the_same_inputs(captures: Path) -> None:
    """The async files store no request body for their later calls; their vectors equal the
    sync files', which shows those calls had the same inputs (the model is deterministic)."""
    for name in CALLS:
        sync, asyn = _interactions(captures, name), _interactions(captures, f"async_{name}")
        for a, b in zip(sync, asyn, strict=True):
            assert all(
                np.allclose(x, y, atol=1e-3)
                for x, y in zip(_recorded_vectors(a), _recorded_vectors(b), strict=True)
            )
