"""A model that does not read Chinese, given mostly Chinese (or Japanese, Korean) text, warns once
per function, naming the multilingual models; multilingual models never warn."""

from __future__ import annotations

import asyncio
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
def test_a_model_that_does_not_read_chinese_warns_once(name: str) -> None:
    emulator = JinaEmulator()
    jina = function(name, emulator)
    [first] = caught(lambda: jina(CHINESE))
    message = str(first.message)
    assert name in message and all(model in message for model in FOR_CJK_TEXT)
    assert first.filename == __file__, "the warning points at the caller's line"
    assert caught(lambda: jina(CHINESE)) == []
    assert caught(lambda: jina.embed_query(CHINESE)) == []
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


def test_each_function_warns_once_for_itself() -> None:
    emulator = JinaEmulator()
    first, second = function(DEFAULT, emulator), function(DEFAULT, emulator)
    assert len(caught(lambda: first(CHINESE))) == 1
    assert len(caught(lambda: second(CHINESE))) == 1


def test_warnings_filters_silence_it() -> None:
    jina = function(DEFAULT, JinaEmulator())
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", category=ModelLanguageWarning)
        jina(CHINESE)
    assert seen == []


def test_warnings_filters_can_make_it_an_error_before_anything_is_sent() -> None:
    emulator = JinaEmulator()
    jina = function(DEFAULT, emulator)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ModelLanguageWarning)
        with pytest.raises(ModelLanguageWarning, match="multilingual"):
            jina(CHINESE)
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
