"""wire.py: request bodies, decoding of every embedding type, placement by index."""

from __future__ import annotations

import base64
import io
import json

import numpy as np
import pytest

from chroma_jina import MalformedResponseError
from chroma_jina.testing import JinaEmulator
from chroma_jina.wire import (
    build_body,
    decode_response,
    decode_vector,
    parse_retry_after,
    wire_fields,
)
from tests.support.service import KEY, make_ef, same, want


def _body(entries: list[dict], usage: dict | None = None) -> bytes:
    return json.dumps({"data": entries, "usage": usage or {"total_tokens": 1}}).encode()


def test_float_and_base64_decode_to_the_same_float32() -> None:
    v = np.array([0.000015258789, -1.5, 3.4028235e38, 1e-45], dtype=np.float32)
    as_float = decode_vector([float(x) for x in v], "float", 4)
    as_b64 = decode_vector(base64.b64encode(v.astype("<f4").tobytes()).decode(), "base64", 4)
    assert as_float.dtype == as_b64.dtype == np.float32
    assert np.array_equal(as_float, v) and np.array_equal(as_b64, v)


def test_packed_bits_expand_msb_first_to_plus_minus_one() -> None:
    # the measured pair from the API: ubinary [50,193,128,255] is binary [-78,65,0,127]
    u = decode_vector([50.0, 193.0, 128.0, 255.0], "ubinary", 32)
    b = decode_vector([-78.0, 65.0, 0.0, 127.0], "binary", 32)
    bits = "00110010110000011000000011111111"
    assert np.array_equal(u, b)
    assert u.dtype == np.float32 and u.tolist() == [1.0 if c == "1" else -1.0 for c in bits]


def test_packed_bits_are_cut_to_the_dimension_and_checked() -> None:
    assert decode_vector([255.0, 0.0, 128.0], "ubinary", 17).tolist() == [1.0] * 8 + [-1.0] * 8 + [
        1.0
    ]
    assert decode_vector([255.0], "ubinary", None).tolist() == [1.0] * 8
    for value, kind, dim in (
        ([1.0, 2.0], "ubinary", 32),
        ([256.0], "ubinary", 8),
        ([-129.0], "binary", 8),
        ([1.5], "ubinary", 8),
        ("AAAA", "ubinary", 8),
    ):
        with pytest.raises(MalformedResponseError):
            decode_vector(value, kind, dim)


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ([1.0, 2.0], "float"),
        ("not base64!", "base64"),
        (base64.b64encode(b"\0" * 8).decode(), "base64"),
        ([[1.0, 2.0, 3.0]], "float"),
        (None, "float"),
        ([], "float"),
        (["a", "b", "c"], "float"),
    ],
)
def test_wrong_shaped_vectors_are_refused(value: object, kind: str) -> None:
    with pytest.raises(MalformedResponseError):
        decode_vector(value, kind, 3)


def test_results_are_placed_by_index_and_missing_ones_left_out() -> None:
    entries = [{"index": i, "embedding": [float(i)] * 2} for i in (2, 0, 3)]
    decoded = decode_response(
        _body(entries, {"total_tokens": 9, "prompt_tokens": 7}), 4, "float", 2
    )
    assert sorted(decoded.vectors) == [0, 2, 3]
    assert all(v[0] == i for i, v in decoded.vectors.items())
    assert (decoded.total_tokens, decoded.prompt_tokens) == (9, 7)
    assert decode_response(_body(entries), 4, "float", 2).prompt_tokens is None


@pytest.mark.parametrize(
    "content",
    [
        _body([{"index": 0, "embedding": [1.0]}, {"index": 0, "embedding": [1.0]}]),  # repeated
        _body([{"index": 2, "embedding": [1.0]}]),  # out of range
        _body([{"index": -1, "embedding": [1.0]}]),
        _body([{"index": "0", "embedding": [1.0]}]),
        _body(
            [
                {"index": 0, "embedding": [1.0]},
                {"index": 1, "embedding": [1.0]},
                {"embedding": [1.0]},
            ]
        ),
        b"<html>502 Bad Gateway</html>",
        b'{"detail": "no data here"}',
        b'{"data": "nope"}',
        b"",
    ],
)
def test_bad_200_bodies_raise_malformed(content: bytes) -> None:
    with pytest.raises(MalformedResponseError):
        decode_response(content, 2, "float", 1)


def test_wire_fields_fetch_base64_only_when_float_is_wanted() -> None:
    assert wire_fields({}, True) == ({"embedding_type": "base64"}, "base64")
    assert wire_fields({"embedding_type": "float"}, True) == (
        {"embedding_type": "base64"},
        "base64",
    )
    assert wire_fields({}, False) == ({}, "float")
    assert wire_fields({"embedding_type": "ubinary"}, True) == (
        {"embedding_type": "ubinary"},
        "ubinary",
    )


def test_text_bodies_are_plain_lists_and_mixed_ones_objects() -> None:
    assert build_body("m", ["a", "b"], {"task": "t"}) == {
        "input": ["a", "b"],
        "model": "m",
        "task": "t",
    }
    pixels = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    body = build_body("jina-clip-v2", ["a", pixels], {})
    assert body["input"][0] == {"text": "a"}
    from PIL import Image

    png = base64.b64decode(body["input"][1]["image"])
    assert png.startswith(b"\x89PNG")
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(png))), pixels)


def test_retry_after_in_seconds_or_as_an_http_date() -> None:
    assert parse_retry_after("7", now=0) == 7.0
    assert parse_retry_after("0.5", now=0) == 0.5
    assert (
        parse_retry_after("Fri, 15 Jan 2027 08:00:30 GMT", now=1_800_000_000.0 + 3600 * 24 * 0)
        == 30.0
    )
    assert parse_retry_after("Thu, 01 Jan 1970 00:00:00 GMT", now=1_800_000_000.0) == 0.0
    assert parse_retry_after("soon", now=0) is None
    assert parse_retry_after(None) is None


@pytest.mark.parametrize(
    ("embedding_type", "dims"),
    [
        (None, 1024),
        ("float", 1024),
        ("base64", 1024),
        ("ubinary", 1024),
        ("binary", 1024),
        ("ubinary", 36),
        ("binary", 36),
        ("base64", 36),
    ],
)
@pytest.mark.parametrize("wire_base64", [True, False])
def test_every_embedding_type_comes_back_as_float32_of_length_dim(
    embedding_type: str | None, dims: int, wire_base64: bool
) -> None:
    emu = JinaEmulator()
    ef, _ = make_ef(
        emu,
        KEY,
        "jina-embeddings-v3",
        embedding_type=embedding_type,
        dimensions=dims if dims != 1024 else None,
        wire_base64=wire_base64,
    )
    texts = ["one", "two", "three"]
    got = ef(texts)
    options = {"embedding_type": embedding_type} | ({"dimensions": dims} if dims != 1024 else {})
    assert same(got, want(emu, texts, "jina-embeddings-v3", **options))
    assert all(v.shape == (dims,) for v in got)
    sent = emu.requests[0].json.get("embedding_type")
    wants_float = embedding_type in (None, "float")
    assert sent == ("base64" if wants_float and wire_base64 else embedding_type)


def test_a_float_list_is_read_as_floats_even_where_base64_was_asked() -> None:
    """The Jina API of 2023, and OpenAI-compatible servers of Jina's open models, answer a list
    of floats whatever embedding_type says."""
    v = [0.25, -1.5, 3.0]
    assert decode_vector(v, "base64", 3).tolist() == v
    assert decode_vector(v, "float", 3).dtype == np.float32


def test_packed_bits_sent_as_base64_bytes_are_unpacked() -> None:
    want = decode_vector([50.0, 193.0, 128.0, 255.0], "ubinary", 32)
    u = base64.b64encode(bytes([50, 193, 128, 255])).decode()
    b = base64.b64encode(np.array([-78, 65, 0, 127], dtype=np.int8).tobytes()).decode()
    assert np.array_equal(decode_vector(u, "ubinary", 32), want)
    assert np.array_equal(decode_vector(b, "binary", 32), want)


def test_entries_without_any_index_are_read_in_order() -> None:
    entries = [{"object": "embedding", "embedding": [float(i)] * 2} for i in range(3)]
    decoded = decode_response(_body(entries), 3, "base64", 2)
    assert [v[0] for _, v in sorted(decoded.vectors.items())] == [0.0, 1.0, 2.0]
    with pytest.raises(MalformedResponseError, match="2 vectors for 3 inputs and no indices"):
        decode_response(_body(entries[:2]), 3, "float", 2)


def test_openai_compatible_float_answers_work_with_the_default_settings() -> None:
    """A server that ignores embedding_type (base64 is asked by default) and answers floats,
    without indices: every call used to raise MalformedResponseError."""
    import httpx

    from chroma_jina import JinaEmbeddingFunction

    def server(request: httpx.Request) -> httpx.Response:
        texts = json.loads(request.content)["input"]
        data = [{"object": "embedding", "embedding": [float(len(t)), 1.0]} for t in texts]
        return httpx.Response(
            200,
            json={
                "object": "list",
                "data": data,
                "model": "m",
                "usage": {"prompt_tokens": 4, "total_tokens": 4},
            },
        )

    ef = JinaEmbeddingFunction(
        KEY, "my-open-jina-model", http_client=httpx.Client(transport=httpx.MockTransport(server))
    )
    assert [v.tolist() for v in ef(["a", "bcd"])] == [[1.0, 1.0], [3.0, 1.0]]
