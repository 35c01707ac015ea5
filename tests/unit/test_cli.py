"""The command line quotes user data in its errors, bounded: a 10 MB id, field name or
collection name prints its first 100 characters and its length, never the whole value."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from chroma_jina.cli import main
from chroma_jina.echo import cut, shown
from chroma_jina.ingestion import InvalidRecordError, check
from tests.support.service import KEY

HUGE = "i" * 10_000_000
MARKER = "…(10,000,000 chars)"


def corpus(path: Path, *records: dict) -> Path:
    path.write_bytes(b"\n".join(orjson.dumps(r) for r in records) + b"\n")
    return path


def run(tmp_path: Path, file: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    status = main(
        ["ingest", str(file), "--path", str(tmp_path / "db"), "--collection", "c", *extra]
    )
    out, err = capsys.readouterr()
    assert status == 1 and out == ""
    return err


@pytest.mark.parametrize(
    "records",
    [
        [{"id": HUGE, "text": "a"}, {"id": HUGE, "text": "b"}],  # a repeated id
        [{"id": HUGE, "text": 3}],  # a document that is not a string
        [{"id": HUGE, "text": "a", "tag": {"x": 1}}],  # metadata Chroma refuses
        [{"id": "a", "text": "a", HUGE: {"x": 1}}],  # ... under a huge key
        [{"id": "a", HUGE: "a"}],  # no text field; the fields are listed
        [{"id": "a", "text": "a", "meta": {"nested": HUGE}}],  # metadata Chroma refuses
    ],
    ids=["repeated-id", "document", "metadata-id", "metadata-key", "fields", "metadata-value"],
)
def test_a_10_mb_value_prints_at_most_a_hundred_characters_of_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], records: list[dict]
) -> None:
    err = run(tmp_path, corpus(tmp_path / "c.jsonl", *records), capsys)
    assert err.startswith("error: ") and err.count("\n") == 1
    assert len(err) < 1000, len(err)
    assert "i" * 2001 not in err
    assert not (tmp_path / "db").exists(), "the file is checked before a client is opened"


def test_the_marker_gives_the_length(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = corpus(tmp_path / "c.jsonl", {"id": HUGE, "text": "a"}, {"id": HUGE, "text": "b"})
    err = run(tmp_path, file, capsys)
    assert f"id '{'i' * 100}'{MARKER} is already in the input" in err


def test_a_huge_collection_name_is_bounded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHROMA_JINA_API_KEY", KEY)
    file = corpus(tmp_path / "c.jsonl", {"id": "a", "text": "a"})
    status = main(["ingest", str(file), "--path", str(tmp_path), "--collection", HUGE])
    _, err = capsys.readouterr()
    assert status == 1 and len(err) < 2100 and "chars)" in err
    assert err.startswith("error: ") and "Traceback" not in err


def test_the_library_error_is_bounded_too() -> None:
    with pytest.raises(InvalidRecordError) as info:
        check([HUGE, HUGE], ["a", "b"])
    assert len(str(info.value)) < 300 and MARKER in str(info.value)


def test_shown_and_cut() -> None:
    assert shown("short") == "'short'"
    assert shown("x" * 101) == f"'{'x' * 100}'…(101 chars)"
    assert shown(["x" * 200]).endswith("…(204 chars)")
    assert cut("y" * 10, 5) == "yyyyy…(10 chars)" and cut("abc") == "abc"
