"""A model that does not read Chinese, given mostly Chinese (or Japanese, Korean) text, warns on
every call through Python's warning filters (the default filter shows it once per line),
naming the multilingual models; multilingual models never warn."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import warnings

import httpx
import pytest

from chroma_jina import JinaEmbeddingFunction, ModelLanguageWarning
from chroma_jina.models import FOR_CJK_TEXT, MODELS, mostly_cjk
from chroma_jina.testing import JinaEmulator

KEY = "jina_offline_emulator_key"
CHINESE = ["绿茶的冲泡水温约为 80 摄氏度。", "酸面包靠野生酵母发酵。"]


def function(model_name: str, emulator: JinaEmulator) -> JinaEmbeddingFunction:
    return JinaEmbeddingFunction(
        api_key=KEY,
        model_name=model_name,
        http_client=httpx.Client(transport=emulator.transport()),
        async_http_client=httpx.AsyncClient(transport=emulator.transport()),
    )


def caught(call) -> list[warnings.WarningMessage]:
    """The ModelLanguageWarnings a call issues, none hidden by Python's once-per-place rule."""
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        call()
    return [w for w in seen if issubclass(w.category, ModelLanguageWarning)]


@pytest.mark.parametrize("name", [n for n, m in MODELS.items() if not m.reads_chinese])
def test_a_model_that_does_not_read_chinese_warns_on_every_call(name: str) -> None:
    emulator = JinaEmulator()
    jina = function(name, emulator)
    [first] = caught(lambda: jina(CHINESE))
    message = str(first.message)
    assert name in message and all(model in message for model in FOR_CJK_TEXT)
    assert first.filename == __file__, "the warning points at the caller's line"
    assert len(caught(lambda: jina(CHINESE))) == 1
    assert len(caught(lambda: jina.embed_query(CHINESE))) == 1
    assert len(emulator.requests) == 3, "the warning never stops a call"


@pytest.mark.parametrize(
    "name", [n for n, m in MODELS.items() if m.reads_chinese and "text" in m.inputs]
)
def test_models_that_read_chinese_never_warn(name: str) -> None:
    jina = function(name, JinaEmulator())
    assert caught(lambda: jina(CHINESE)) == []


def test_english_text_does_not_warn_and_a_later_chinese_call_does() -> None:
    jina = function("jina-embeddings-v2-base-en", JinaEmulator())
    assert caught(lambda: jina(["Green tea is brewed at about 80 degrees."])) == []
    assert len(caught(lambda: jina.embed_query(["绿茶用多少度的水泡？"]))) == 1


def test_async_calls_warn_too() -> None:
    jina = function("jina-embeddings-v2-base-en", JinaEmulator())

    async def main() -> None:
        await jina.aembed(CHINESE)

    [warning] = caught(lambda: asyncio.run(main()))
    assert warning.filename == __file__


def test_the_default_filter_shows_it_once_per_line() -> None:
    """Python's own registry, not a flag of the function, keeps a loop from repeating it."""
    program = textwrap.dedent(
        f"""
        import httpx
        from chroma_jina import JinaEmbeddingFunction
        from chroma_jina.testing import JinaEmulator
        emu = JinaEmulator()
        jina = JinaEmbeddingFunction({KEY!r}, http_client=httpx.Client(transport=emu.transport()))
        for _ in range(3):
            jina({CHINESE!r})
        jina({CHINESE!r})
        print(len(emu.requests))
        """
    )
    run = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=60, check=True
    )
    assert run.stdout.strip() == "4"
    assert run.stderr.count(": ModelLanguageWarning:") == 2  # the loop's line, then the last line


def test_warnings_filters_silence_it() -> None:
    jina = function(DEFAULT, JinaEmulator())
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", category=ModelLanguageWarning)
        jina(CHINESE)
    assert seen == []


def test_warnings_filters_can_make_it_an_error_before_anything_is_sent() -> None:
    """Every time: before, the function marked itself warned, and the second call was sent."""
    emulator = JinaEmulator()
    jina = function(DEFAULT, emulator)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ModelLanguageWarning)
        for _ in range(3):
            with pytest.raises(ModelLanguageWarning, match="multilingual"):
                jina(CHINESE)
        with pytest.raises(ModelLanguageWarning):
            asyncio.run(jina.aembed_query(CHINESE))
    assert emulator.requests == []


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        (CHINESE, True),
        (["東京は日本の首都です。", "서울은 한국의 수도입니다."], True),
        (["Chroma 是一个开源的向量数据库。"], True),  # 10 Han characters, 6 Latin letters
        (["Use jina-embeddings-v3 for 中文."], False),
        (["", "12345", "。！？"], False),  # no letters at all
        ([], False),
    ],
)
def test_mostly_cjk_counts_letters(items: list[str], expected: bool) -> None:
    assert mostly_cjk(items) is expected


DEFAULT = "jina-embeddings-v2-base-en"


def test_through_a_collection_it_points_at_the_add_line() -> None:
    import chromadb

    jina = function(DEFAULT, JinaEmulator())
    collection = chromadb.EphemeralClient().get_or_create_collection(
        "language-warning", embedding_function=jina
    )
    [warning] = caught(lambda: collection.add(ids=["tea", "bread"], documents=CHINESE))
    assert warning.filename == __file__
