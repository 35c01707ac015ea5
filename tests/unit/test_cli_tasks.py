"""`python -m chroma_jina ingest`: a passage task is paired with its query task (or the one given
with --query-task), and a mostly Chinese corpus with an English-only model stops before
anything is sent unless the model is confirmed (issue 23)."""

from __future__ import annotations

import json
from pathlib import Path

import chromadb
import pytest

from chroma_jina import cli
from chroma_jina.models import FOR_CJK_TEXT
from chroma_jina.testing import JinaEmulator

KEY = "jina_offline_emulator_key"


def corpus(folder: Path, texts: list[str]) -> Path:
    path = folder / "corpus.jsonl"
    path.write_text(
        "".join(json.dumps({"id": str(i), "text": t}) + "\n" for i, t in enumerate(texts))
    )
    return path


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CHROMA_JINA_API_KEY", KEY)
    emu = JinaEmulator()
    with emu.serve() as base_url:
        monkeypatch.setenv("JINA_API_BASE_URL", base_url)
        yield emu


@pytest.mark.parametrize(
    ("extra", "query_task"),
    [
        ([], "retrieval.query"),  # before: queries embedded with retrieval.passage too
        (["--query-task", "text-matching"], "text-matching"),
    ],
)
def test_a_passage_task_is_paired_with_its_query_task(
    tmp_path: Path, emulator: JinaEmulator, extra: list[str], query_task: str
) -> None:
    file = corpus(tmp_path, ["Rivers carry water to the sea.", "Bread rises with yeast."])
    command = ["ingest", str(file), "--path", str(tmp_path / "db"), "--collection", "docs"]
    options = ["--model", "jina-embeddings-v3", "--task", "retrieval.passage", *extra]
    assert cli.main([*command, *options]) == 0
    assert {r.json["task"] for r in emulator.requests} == {"retrieval.passage"}
    collection = chromadb.PersistentClient(path=str(tmp_path / "db")).get_collection("docs")
    assert collection.configuration_json["embedding_function"]["config"]["query_config"] == {
        "task": query_task
    }
    collection.query(query_texts=["where does water go?"], n_results=1)
    assert emulator.requests[-1].json["task"] == query_task
    assert cli.main([*command, "--query-task", "separation"]) == 1  # not what it was made with


CHINESE = ["绿茶的冲泡水温约为 80 摄氏度。", "酸面包靠野生酵母发酵。", "长江是中国最长的河流。"]


def test_a_chinese_corpus_and_an_english_model_stop_before_anything_is_sent(
    tmp_path: Path, emulator: JinaEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    file = corpus(tmp_path, [*CHINESE, "An English line."])
    command = ["ingest", str(file), "--path", str(tmp_path / "db"), "--collection", "chinese"]
    assert cli.main(command) == 1
    error = capsys.readouterr().err
    assert "--model-is-right" in error and all(model in error for model in FOR_CJK_TEXT)
    assert emulator.requests == []
    assert chromadb.PersistentClient(path=str(tmp_path / "db")).list_collections() == []
    assert cli.main([*command, "--model-is-right"]) == 0
    assert len(emulator.requests) == 1
    assert cli.main([*command[:-1], "chinese-v3", "--model", "jina-embeddings-v3"]) == 0
