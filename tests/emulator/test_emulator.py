"""The emulator against the real service's captures and the wire contract (jina-api.md)."""

from __future__ import annotations

import asyncio
import base64
import json
import re
from pathlib import Path

import httpx
import numpy as np
import pytest
import yaml

from chroma_jina.testing import EMULATOR_HEADER, EMULATOR_ID, JinaEmulator

KEY = "jina_offline_emulator_key"
URL = "https://api.jina.ai/v1/embeddings"
NUMBER = re.compile(rb"-?(0|[1-9][0-9]*)\.[0-9]+")


@pytest.fixture(scope="module")
def interactions(captures: Path) -> list[tuple[list[str], str]]:
    """(inputs, response) of every REC-2023 interaction; async files lost some request bodies."""
    out = []
    for path in sorted(captures.glob("superduper-2023-12-*.yaml")):
        sync_twin = captures / path.name.replace("test_async_", "test_")
        twin = yaml.safe_load(sync_twin.read_text())["interactions"]
        for i, interaction in enumerate(yaml.safe_load(path.read_text())["interactions"]):
            request = interaction["request"]["body"] or twin[i]["request"]["body"]
            out.append((json.loads(request)["input"], interaction["response"]["body"]["string"]))
    return out


@pytest.fixture
def emu() -> JinaEmulator:
    return JinaEmulator()


@pytest.fixture
def client(emu: JinaEmulator) -> httpx.Client:
    with httpx.Client(transport=emu.transport(), headers={"Authorization": f"Bearer {KEY}"}) as c:
        yield c


def test_captures_are_there(interactions: list[tuple[list[str], str]]) -> None:
    assert len(interactions) == 10


@pytest.mark.parametrize("rec", range(10), ids=[f"rec{i}" for i in range(10)])
def test_envelope_matches_real_capture(
    client: httpx.Client, interactions: list[tuple[list[str], str]], rec: int
) -> None:
    inputs, real = interactions[rec]
    response = client.post(URL, json={"input": inputs, "model": "jina-embeddings-v2-base-en"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    ours, theirs = json.loads(response.content), json.loads(real)
    # same keys in the same order, at every level, and the same types
    assert list(ours) == list(theirs) == ["model", "object", "usage", "data"]
    assert list(ours["usage"]) == list(theirs["usage"])
    assert [list(d) for d in ours["data"]] == [list(d) for d in theirs["data"]]
    assert ours["model"] == theirs["model"] and ours["object"] == theirs["object"]
    assert [d["index"] for d in ours["data"]] == [d["index"] for d in theirs["data"]]
    assert [len(d["embedding"]) for d in ours["data"]] == [768] * len(inputs)
    # token counts as the real tokenizer's, within 1
    assert abs(ours["usage"]["total_tokens"] - theirs["usage"]["total_tokens"]) <= 1
    assert ours["usage"]["prompt_tokens"] == ours["usage"]["total_tokens"]
    # compact JSON like the real body: no whitespace outside strings
    assert b" " not in response.content and b"\n" not in response.content


def test_exact_token_counts_of_captures(
    client: httpx.Client, interactions: list[tuple[list[str], str]]
) -> None:
    counts = {}
    for inputs, real in interactions:
        body = client.post(URL, json={"input": inputs, "model": "jina-embeddings-v2-base-en"})
        counts[tuple(inputs)] = (
            body.json()["usage"]["total_tokens"],
            json.loads(real)["usage"]["total_tokens"],
        )
    assert counts[("shape",)] == (3, 3)
    assert counts[("Hello world",)] == (4, 4)
    assert counts[("Hello", "world", "I")] == (9, 9)


def _numbers(raw: bytes) -> list[bytes]:
    start = raw.index(b'"data":')
    return re.findall(rb"-?[0-9][0-9.eE+-]*", re.sub(rb'"index":\d+', b"", raw[start:]))


def test_number_formatting_is_the_real_one(
    client: httpx.Client, interactions: list[tuple[list[str], str]]
) -> None:
    """Positional float32 shortest form, never an exponent, as in every real capture."""
    real_numbers = [n for _, real in interactions for n in _numbers(real.encode())]
    assert real_numbers and all(NUMBER.fullmatch(n) for n in real_numbers)
    response = client.post(
        URL,
        json={
            "model": "jina-embeddings-v3",
            "input": [f"text number {i} with some words" for i in range(8)],
        },
    )
    ours = _numbers(response.content)
    assert len(ours) == 8 * 1024
    for text in ours:
        assert NUMBER.fullmatch(text), text
        value = np.float32(float(text))
        shortest = np.format_float_positional(value, unique=True, trim="-")
        assert text.decode() == (shortest if "." in shortest else shortest + ".0")


def test_tiny_values_stay_positional(client: httpx.Client) -> None:
    """Values under 1e-4 (where Python's repr switches to exponents) are written positionally."""
    texts = [f"tiny {i}" for i in range(200)]
    raw = client.post(URL, json={"model": "jina-embeddings-v3", "input": texts}).content
    small = [n for n in _numbers(raw) if abs(float(n)) < 1e-4 and float(n) != 0]
    assert small, "expected some values below 1e-4 among 200k numbers"
    assert all(NUMBER.fullmatch(n) and b"e" not in n.lower() for n in small)
    assert any(n.lstrip(b"-").startswith(b"0.0000") for n in small)


def test_unit_length_by_default_and_not_when_asked(client: httpx.Client) -> None:
    def vectors(**options: object) -> np.ndarray:
        body = client.post(
            URL, json={"model": "jina-embeddings-v3", "input": ["a b", "c"], **options}
        )
        return np.array([d["embedding"] for d in body.json()["data"]])

    assert np.allclose(np.linalg.norm(vectors(), axis=1), 1.0, atol=1e-5)
    norms = np.linalg.norm(vectors(normalized=False), axis=1)
    assert (norms > 5).all() and not np.allclose(norms, norms[0])


def test_matryoshka_prefix(client: httpx.Client) -> None:
    def vector(**options: object) -> np.ndarray:
        body = client.post(
            URL, json={"model": "jina-embeddings-v3", "input": ["ocean waves"], **options}
        )
        return np.array(body.json()["data"][0]["embedding"], np.float64)

    full, short = vector(), vector(dimensions=64)
    assert short.shape == (64,)
    assert np.allclose(full[:64] / np.linalg.norm(full[:64]), short, atol=2e-6)
    assert np.isclose(np.linalg.norm(short), 1.0, atol=1e-5)


def test_encodings(client: httpx.Client) -> None:
    def data(kind: str, dims: int = 20) -> list:
        body = client.post(
            URL,
            json={
                "model": "jina-embeddings-v3",
                "input": ["alpha", "beta"],
                "embedding_type": kind,
                "dimensions": dims,
            },
        )
        assert body.status_code == 200
        return [d["embedding"] for d in body.json()["data"]]

    floats = np.array(data("float"), np.float32)
    decoded = np.array(
        [np.frombuffer(base64.b64decode(s), "<f4") for s in data("base64")], np.float32
    )
    assert np.array_equal(floats, decoded)  # bit-identical float32
    ubinary, binary = data("ubinary"), data("binary")
    assert [len(u) for u in ubinary] == [3, 3]  # ceil(20 / 8)
    bits = np.packbits(floats > 0, axis=1)
    assert np.array_equal(np.array(ubinary), bits)
    assert np.array_equal(np.array(binary), bits.astype(int) - 128)
    raw = client.post(
        URL, json={"model": "jina-embeddings-v3", "input": ["x"], "embedding_type": "ubinary"}
    ).content
    assert re.search(rb'"embedding":\[\d+\.0(,\d+\.0)*\]', raw)  # written as floats, like 50.0
    # the old field name is accepted too
    old = client.post(
        URL,
        json={
            "model": "jina-embeddings-v3",
            "input": ["alpha"],
            "encoding_type": "base64",
            "dimensions": 20,
        },
    ).json()
    assert isinstance(old["data"][0]["embedding"], str)


def test_offset_binary_measured_pair() -> None:
    """jina-api.md: ubinary [50,193,128,255] is binary [-78,65,0,127]."""
    from chroma_jina.testing import encode

    bits = np.unpackbits(np.array([[50, 193, 128, 255]], np.uint8), axis=1)
    values = np.where(bits == 1, 1.0, -1.0)
    assert encode.packed_arrays(values, offset=False) == [b"[50.0,193.0,128.0,255.0]"]
    assert encode.packed_arrays(values, offset=True) == [b"[-78.0,65.0,0.0,127.0]"]


@pytest.mark.parametrize(
    ("model", "options", "prompt_tokens"),
    [
        ("jina-embeddings-v2-base-en", {}, True),
        ("jina-clip-v2", {}, True),
        ("jina-embeddings-v3", {}, False),
        ("jina-embeddings-v3", {"late_chunking": True}, True),
        ("jina-embeddings-v4", {}, False),
    ],
)
def test_prompt_tokens_rules(
    client: httpx.Client, model: str, options: dict, prompt_tokens: bool
) -> None:
    usage = client.post(URL, json={"model": model, "input": ["a", "b"], **options}).json()["usage"]
    assert next(iter(usage)) == "total_tokens"
    assert ("prompt_tokens" in usage) is prompt_tokens


def test_object_form_input_reports_prompt_tokens_on_v3(client: httpx.Client) -> None:
    usage = client.post(URL, json={"model": "jina-embeddings-v3", "input": [{"text": "a"}]}).json()[
        "usage"
    ]
    assert usage == {"total_tokens": 3, "prompt_tokens": 3}


def test_provenance_header_on_every_response(client: httpx.Client, emu: JinaEmulator) -> None:
    ok = client.post(URL, json={"model": "jina-embeddings-v3", "input": ["a"]})
    bad = client.post(URL, json={"model": "nope", "input": ["a"]})
    with httpx.Client(transport=emu.transport()) as bare:
        unauthenticated = bare.post(URL, json={})
    for response in (ok, bad, unauthenticated):
        assert response.headers[EMULATOR_HEADER] == EMULATOR_ID
    assert EMULATOR_ID.startswith("chroma-jina-emulator/")


def test_server_answers_over_real_http(emu: JinaEmulator) -> None:
    with emu.serve() as base_url:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/v1", base_url)
        response = httpx.post(
            f"{base_url}/embeddings",
            json={"model": "jina-embeddings-v3", "input": ["hi"]},
            headers={"Authorization": f"Bearer {KEY}"},
        )
    assert response.status_code == 200
    assert response.headers[EMULATOR_HEADER] == EMULATOR_ID
    with httpx.Client(transport=emu.transport()) as c:
        same = c.post(
            URL,
            json={"model": "jina-embeddings-v3", "input": ["hi"]},
            headers={"Authorization": f"Bearer {KEY}"},
        )
    assert response.content == same.content  # one handler behind both


def test_stand_in_for_the_real_api_drops_only_the_provenance_header() -> None:
    """provenance_header=False: what tests of the real-API recording path record from."""
    body = {"model": "jina-embeddings-v3", "input": ["hi"]}
    auth = {"Authorization": f"Bearer {KEY}"}
    answers = {}
    for marked in (True, False):
        with JinaEmulator(provenance_header=marked).serve() as base_url:
            answers[marked] = httpx.post(f"{base_url}/embeddings", json=body, headers=auth)
    assert EMULATOR_HEADER not in answers[False].headers
    assert answers[True].headers[EMULATOR_HEADER] == EMULATOR_ID
    assert answers[False].headers["date"].endswith(" GMT")  # as the real API sends
    assert answers[False].content == answers[True].content


def test_async_transport(emu: JinaEmulator) -> None:
    async def call() -> httpx.Response:
        async with httpx.AsyncClient(transport=emu.transport()) as c:
            return await c.post(
                URL,
                json={"model": "jina-embeddings-v3", "input": ["hi"]},
                headers={"Authorization": f"Bearer {KEY}"},
            )

    response = asyncio.run(call())
    assert response.status_code == 200
    assert len(response.json()["data"][0]["embedding"]) == 1024


def test_string_input_and_image_input(client: httpx.Client) -> None:
    one = client.post(URL, json={"model": "jina-embeddings-v3", "input": "just one"}).json()
    assert len(one["data"]) == 1
    img = client.post(
        URL, json={"model": "jina-clip-v2", "input": [{"image": "https://x/y.png"}, {"text": "a"}]}
    )
    assert img.status_code == 200 and len(img.json()["data"]) == 2


def test_a_text_that_starts_like_an_image_reference_is_a_text(emu: JinaEmulator) -> None:
    """Images travel inside the emulator as "image:<digest>"; a caption that begins "image:" is
    still counted and embedded by its words."""
    caption, plain = "image: a red cat on a sofa", "a red cat on a sofa"
    vectors = emu.embed([caption, plain], model="jina-embeddings-v3")
    assert float(vectors[0] @ vectors[1]) > 0.5
    answer = httpx.Client(transport=emu.transport()).post(
        "https://api.jina.ai/v1/embeddings",
        headers={"Authorization": "Bearer jina_test"},
        json={"model": "jina-embeddings-v3", "input": [caption]},
    )
    assert answer.json()["usage"]["total_tokens"] < 100  # an image would be 1,000


def test_float32_shortest_form_across_magnitudes() -> None:
    """Fast table path and slow path agree with numpy's shortest float32 repr, positionally."""
    from chroma_jina.testing import encode

    rng = np.random.default_rng(7)
    values = (rng.standard_normal(4000) * 10.0 ** rng.uniform(-9, 2, 4000)).astype(np.float32)
    edges = [
        0.0,
        1.0,
        -1.0,
        0.5,
        0.1,
        0.25,
        1e-6,
        9.99999e-7,
        0.99999994,
        0.000015258789,
        1.5258789e-05,
        123.456,
        -2e-12,
        0.30000001,
        3.4e38,
        1e-45,
    ]
    values = np.concatenate([values, np.array(edges, np.float32)]).reshape(4, -1)
    for row, text in zip(values, encode.float_arrays(values), strict=True):
        numbers = text[1:-1].split(b",")
        assert len(numbers) == len(row)
        for number, value in zip(numbers, row, strict=True):
            expected = np.format_float_positional(value, unique=True, trim="-")
            assert number.decode() == (expected if "." in expected else expected + ".0")


def test_server_reads_chunked_request_bodies(emu: JinaEmulator) -> None:
    body = json.dumps({"model": "jina-embeddings-v3", "input": ["chunked", "body"]}).encode()

    def pieces():  # an iterator body makes httpx send Transfer-Encoding: chunked
        yield body[:10]
        yield body[10:]

    with emu.serve() as base_url, httpx.Client(base_url=base_url) as client:
        first = client.post(
            "/embeddings", content=pieces(), headers={"Authorization": f"Bearer {KEY}"}
        )
        second = client.post(
            "/embeddings", content=body, headers={"Authorization": f"Bearer {KEY}"}
        )
    assert first.status_code == second.status_code == 200  # and the connection stayed usable
    assert first.content == second.content
    assert emu.requests[0].json["input"] == ["chunked", "body"]
