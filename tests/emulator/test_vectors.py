"""The emulator's stand-in vectors: deterministic, lexical, task-dependent, late-chunked."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

import numpy as np
import pytest

from chroma_jina.testing import JinaEmulator
from chroma_jina.testing.tokens import count_tokens

V3 = "jina-embeddings-v3"
DOCS = [
    "Berlin is the capital and largest city of Germany.",
    "The city has a rich history dating back centuries.",
    (
        "It was founded in the 13th century and has been a significant cultural and political "
        "center throughout European history."
    ),
]


TEXTS = ["deterministic vectors", "你好，世界", ""]


@pytest.fixture(scope="module")
def other_process() -> subprocess.Popen:
    """Another interpreter, with another hash seed, embedding TEXTS (started early, read last)."""
    code = (
        "import hashlib; from chroma_jina.testing import JinaEmulator;"
        f"v = JinaEmulator().embed({TEXTS!r}, model={V3!r}, task='retrieval.query');"
        "print(hashlib.sha256(v.tobytes()).hexdigest())"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    with subprocess.Popen(
        [sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True
    ) as p:
        yield p


@pytest.fixture(scope="module")
def emu(other_process: subprocess.Popen) -> JinaEmulator:
    return JinaEmulator()


def test_shared_words_are_closer(emu: JinaEmulator) -> None:
    a, b, c = emu.embed(
        [
            "the cat sat on the mat",
            "a cat sat on a mat today",
            "quantum chromodynamics lecture notes",
        ],
        model=V3,
    )
    assert a @ b > 0.6 and abs(a @ c) < 0.2


def test_shared_chinese_characters_are_closer(emu: JinaEmulator) -> None:
    a, b, c = emu.embed(
        ["我喜欢吃苹果", "苹果很好吃", "量子力学讲义"], model="jina-embeddings-v2-base-zh"
    )
    assert a @ b > 0.3 and abs(a @ c) < 0.2


def test_query_and_passage_vectors_differ(emu: JinaEmulator) -> None:
    query = emu.embed(["ocean waves"], model=V3, task="retrieval.query")[0]
    passage = emu.embed(["ocean waves"], model=V3, task="retrieval.passage")[0]
    assert not np.array_equal(query, passage)
    assert 0.7 < query @ passage < 0.99


def test_models_live_in_different_spaces(emu: JinaEmulator) -> None:
    v3 = emu.embed(["ocean waves"], model=V3)[0]
    v5 = emu.embed(["ocean waves"], model="jina-embeddings-v5-text-small")[0]
    assert v3.shape == v5.shape == (1024,)
    assert abs(v3 @ v5) < 0.3


@pytest.mark.parametrize(
    ("doc_task", "query_task", "late"),
    [
        ("retrieval.passage", "retrieval.query", False),
        ("retrieval.passage", "retrieval.query", True),
        ("text-matching", "text-matching", True),  # the upstream example's settings
    ],
)
def test_question_lands_nearest_its_answer(
    emu: JinaEmulator, doc_task: str, query_task: str, late: bool
) -> None:
    docs = emu.embed(DOCS, model=V3, task=doc_task, late_chunking=late)
    when, what = emu.embed(
        ["When was Berlin founded?", "What is Berlin's population?"], model=V3, task=query_task
    )
    assert int(np.argmax(docs @ when)) == 2
    assert int(np.argmax(docs @ what)) == 0


def test_late_chunking_mixes_in_the_neighbours(emu: JinaEmulator) -> None:
    alone = emu.embed(DOCS, model=V3, task="retrieval.passage")
    joined = emu.embed(DOCS, model=V3, task="retrieval.passage", late_chunking=True)
    assert not np.array_equal(alone, joined)
    # each chunk moves towards its neighbours
    assert joined[0] @ joined[1] > alone[0] @ alone[1] + 0.1
    assert joined[1] @ joined[2] > alone[1] @ alone[2] + 0.1
    # the same chunk in another context gets another vector
    other = emu.embed(
        [DOCS[0], "Bananas are yellow."], model=V3, task="retrieval.passage", late_chunking=True
    )
    assert not np.array_equal(other[0], joined[0])


def test_images_get_vectors_too(emu: JinaEmulator) -> None:
    a = emu.embed([{"image": "https://example.com/cat.png"}], model="jina-clip-v2")
    b = emu.embed([{"image": "https://example.com/cat.png"}], model="jina-clip-v2")
    c = emu.embed([{"image": "https://example.com/dog.png"}], model="jina-clip-v2")
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_embed_refuses_what_the_api_refuses(emu: JinaEmulator) -> None:
    with pytest.raises(ValueError, match="less_than_equal"):
        emu.embed(["a"], model=V3, dimensions=4096)


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("shape", 3),
        ("Hello world", 4),
        ("Hello, world!", 6),
        ("你好世界", 6),
        ("internationalization", 6),
        ("1234567", 5),
        ("", 2),
    ],
)
def test_token_approximation(text: str, tokens: int) -> None:
    assert count_tokens(text) == tokens


def test_same_vectors_in_another_process(
    emu: JinaEmulator, other_process: subprocess.Popen
) -> None:
    """No Python hash(): the bytes are the same in every process (kept last: it waits for it)."""
    ours = hashlib.sha256(emu.embed(TEXTS, model=V3, task="retrieval.query").tobytes()).hexdigest()
    theirs, _ = other_process.communicate(timeout=120)
    assert other_process.returncode == 0
    assert theirs.strip() == ours
