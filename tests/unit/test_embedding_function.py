"""Validation before the network against the catalog, the fields sent, and images."""

from __future__ import annotations

import base64
import io
import re
import sys

import numpy as np
import pytest

from chroma_jina import JinaEmbeddingFunction
from chroma_jina.models import ModelInfo
from chroma_jina.testing import JinaEmulator
from tests.support.service import KEY, make_ef, same, sent, want

IMAGE = np.zeros((4, 5, 3), dtype=np.uint8)

# (constructor arguments, words the message must contain)
BAD_CONFIGS = [
    (
        {"model_name": "jina-embeddings-v3", "task": "retrieval"},
        ["'retrieval'", "jina-embeddings-v3", "retrieval.query"],
    ),
    ({"model_name": "jina-embeddings-v3", "task": "clustering"}, ["'clustering'", "separation"]),
    (
        {"model_name": "jina-embeddings-v2-base-en", "task": "retrieval.query"},
        ["task", "v2-base-en"],
    ),
    (
        {"model_name": "jina-clip-v2", "task": "retrieval.passage"},
        ["retrieval.passage", "jina-clip-v2"],
    ),
    ({"model_name": "jina-embeddings-v3", "dimensions": 2048}, ["2048", "32..1024"]),
    ({"model_name": "jina-embeddings-v3", "dimensions": 16}, ["16", "32..1024"]),
    ({"model_name": "jina-embeddings-v3", "dimensions": 64.0}, ["64.0", "positive integer"]),
    ({"model_name": "jina-embeddings-v3", "dimensions": True}, ["True", "positive integer"]),
    (
        {"model_name": "jina-embeddings-v2-base-en", "dimensions": 256},
        ["dimensions=256", "jina-embeddings-v2-base-en"],
    ),
    ({"model_name": "jina-clip-v1", "dimensions": 256}, ["dimensions=256", "jina-clip-v1"]),
    (
        {"model_name": "jina-embeddings-v5-text-small", "late_chunking": True},
        ["late_chunking=True", "v5-text-small"],
    ),
    ({"model_name": "jina-code-embeddings-0.5b", "late_chunking": True}, ["late_chunking"]),
    ({"model_name": "jina-embeddings-v4", "normalized": False}, ["normalized=False", "v4"]),
    ({"embedding_type": "int8"}, ["'int8'", "ubinary"]),
    ({"embedding_type": ["float", "binary"]}, ["['float', 'binary']", "not a list"]),
    ({"late_chunking": "yes"}, ["late_chunking", "'yes'"]),
    (
        {"model_name": "jina-embeddings-v3", "query_config": {"task": "retrieval"}},
        ["query_config", "'retrieval'"],
    ),
    ({"query_config": {"taks": "retrieval.query"}}, ["query_config", "taks"]),
    ({"query_config": "retrieval.query"}, ["query_config"]),
    ({"batch_size": 513}, ["batch_size=513", "512"]),
    ({"batch_size": 0}, ["batch_size"]),
    ({"max_concurrency": 0}, ["max_concurrency"]),
    ({"timeout": 0}, ["timeout"]),
    ({"max_retries": -1}, ["max_retries"]),
    ({"model_name": ""}, ["model_name"]),
]


@pytest.mark.parametrize(("kwargs", "words"), BAD_CONFIGS, ids=lambda x: str(x)[:40])
def test_bad_options_raise_a_value_error_naming_value_model_and_allowed(kwargs, words) -> None:
    emu = JinaEmulator()
    with pytest.raises(ValueError, match=re.escape(words[0])) as info:
        make_ef(emu, **kwargs)
    assert all(w in str(info.value) for w in words), str(info.value)
    assert sent(emu) == []


BAD_INPUTS = [
    ("jina-embeddings-v3", {}, [], ["empty"]),
    ("jina-embeddings-v3", {}, "just a string", ["list", "str"]),
    ("jina-embeddings-v3", {}, ["ok", 3], ["input 1", "int"]),
    ("jina-embeddings-v3", {}, ["ok", None], ["input 1", "NoneType"]),
    ("jina-embeddings-v3", {}, ["ok", b"bytes"], ["input 1", "bytes"]),
    ("jina-embeddings-v3", {}, ["ok", np.zeros(3)], ["input 1", "ndarray"]),
    (
        "jina-embeddings-v3",
        {},
        ["ok", IMAGE],
        ["input 1", "image", "text only", "jina-embeddings-v3"],
    ),
    ("jina-embeddings-v2-base-en", {}, [IMAGE], ["input 0", "image", "jina-embeddings-v2-base-en"]),
    ("jina-embeddings-v4", {"late_chunking": True}, ["a", IMAGE], ["input 1", "late_chunking"]),
    ("jina-clip-v2", {}, [np.full((2, 2), 300)], ["input 0", "0..255"]),
    ("jina-clip-v2", {}, [np.full((2, 2), 1.5)], ["input 0", "[0, 1]", "astype(np.uint8)"]),
    ("jina-clip-v2", {}, [np.zeros((2, 2, 5), np.uint8)], ["input 0", "shape"]),
    # a lone surrogate, as a bad decode upstream leaves: was a bare UnicodeEncodeError
    ("jina-embeddings-v3", {}, ["ok", "caf\udce9"], ["input 1", "not valid Unicode", "'\\udce9'"]),
]


@pytest.mark.parametrize(
    ("model", "kwargs", "items", "words"), BAD_INPUTS, ids=lambda x: str(x)[:30]
)
@pytest.mark.parametrize("method", ["__call__", "embed_query"])
def test_bad_input_raises_before_anything_is_sent(model, kwargs, items, words, method) -> None:
    emu = JinaEmulator()
    ef, _ = make_ef(emu, KEY, model, **kwargs)
    with pytest.raises(ValueError, match=re.escape(words[0])) as info:
        getattr(ef, method)(items)
    assert all(w in str(info.value) for w in words), str(info.value)
    assert sent(emu) == []


def test_only_fields_the_user_set_and_the_model_accepts_are_sent() -> None:
    emu = JinaEmulator()
    make_ef(emu, wire_base64=False)[0](["a"])
    make_ef(emu)[0](["a"])
    make_ef(
        emu,
        KEY,
        "jina-embeddings-v5-text-small",
        late_chunking=False,
        truncate=True,
        dimensions=32,
        task="clustering",
    )[0](["a"])
    make_ef(emu, KEY, "jina-embeddings-v4", normalized=True, task="code.query")[0](["a"])
    assert [sorted(r) for r in sent(emu)] == [
        ["input", "model"],
        ["embedding_type", "input", "model"],
        ["dimensions", "embedding_type", "input", "model", "task", "truncate"],
        ["embedding_type", "input", "model", "task"],
    ]


FUTURE = ModelInfo(
    "jina-embeddings-v9-future",
    dimensions=77,
    matryoshka=(1, 77),
    context=8192,
    tasks=("anything",),
    default_task=None,
    fields=frozenset({"task", "dimensions", "late_chunking", "normalized", "embedding_type"}),
    inputs=("text", "image"),
)
"""A model newer than the catalog, which the emulator serves for this test."""


def test_unknown_models_pass_through_with_generic_checks() -> None:
    emu = JinaEmulator(models=[FUTURE])
    ef, _ = make_ef(
        emu,
        KEY,
        "jina-embeddings-v9-future",
        task="anything",
        dimensions=77,
        late_chunking=False,
        normalized=False,
        batch_size=1000,
    )
    got = ef(["a", IMAGE])
    body = sent(emu)[0]
    options = {"task": "anything", "dimensions": 77, "late_chunking": False, "normalized": False}
    assert same(got, want(emu, body["input"], "jina-embeddings-v9-future", **options))
    assert (
        body["task"] == "anything"
        and body["late_chunking"] is False
        and body["normalized"] is False
    )
    with pytest.raises(ValueError, match="dimensions"):
        make_ef(emu, KEY, "jina-embeddings-v9-future", dimensions=-1)


def test_images_go_as_base64_png_objects_with_text_as_text_objects() -> None:
    from PIL import Image

    emu = JinaEmulator()
    ef, _ = make_ef(emu, KEY, "jina-clip-v2")
    pixels = (np.arange(6 * 7 * 3) % 256).astype(np.uint8).reshape(6, 7, 3)
    gray = np.arange(12, dtype=np.int64).reshape(3, 4)  # Chroma's int64 images are accepted
    got = ef(["a photo of a cat", pixels, gray])
    items = sent(emu)[0]["input"]
    assert items[0] == {"text": "a photo of a cat"} and set(items[1]) == {"image"}
    decoded = [np.asarray(Image.open(io.BytesIO(base64.b64decode(s["image"])))) for s in items[1:]]
    assert np.array_equal(decoded[0], pixels)
    assert np.array_equal(decoded[1], np.repeat(gray[:, :, None], 3, axis=2))  # grey as RGB
    assert same(got, want(emu, items, "jina-clip-v2"))


def test_a_missing_pillow_is_named_before_anything_is_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "PIL", None)
    monkeypatch.setitem(sys.modules, "PIL.Image", None)
    emu = JinaEmulator()
    ef, _ = make_ef(emu, KEY, "jina-clip-v2")
    assert len(ef(["text still works"])) == 1
    with pytest.raises(ImportError, match=r"pip install 'Pillow>=10'"):
        ef(["a", IMAGE])
    assert len(sent(emu)) == 1


def test_the_builtin_needs_pillow_even_for_text(monkeypatch: pytest.MonkeyPatch) -> None:
    from chromadb.utils.embedding_functions import JinaEmbeddingFunction as BuiltIn

    monkeypatch.setitem(sys.modules, "PIL", None)
    monkeypatch.setitem(sys.modules, "PIL.Image", None)
    monkeypatch.setenv("CHROMA_JINA_API_KEY", KEY)
    with pytest.raises(ValueError, match="PIL"):
        BuiltIn()
    JinaEmbeddingFunction()


def test_chroma_passes_images_and_query_texts_through(monkeypatch: pytest.MonkeyPatch) -> None:
    import chromadb

    monkeypatch.setenv("CHROMA_JINA_API_KEY", KEY)  # Chroma rebuilds the function from its config

    emu = JinaEmulator()
    ef, _ = make_ef(emu, KEY, "jina-clip-v2", query_config={"task": "retrieval.query"})
    col = chromadb.EphemeralClient().create_collection("jina-images", embedding_function=ef)
    pixels = np.full((8, 8, 3), 200, dtype=np.uint8)
    col.add(ids=["red"], images=[pixels])
    col.query(query_texts=["a red square"], n_results=1)
    image_body, query_body = sent(emu)
    assert set(image_body["input"][0]) == {"image"} and "task" not in image_body
    assert query_body["input"] == ["a red square"] and query_body["task"] == "retrieval.query"
