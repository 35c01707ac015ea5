"""`chroma_jina.ingest` streams a corpus into a real Chroma collection (PersistentClient here,
a `chroma run` server in test_ingest_server.py) against the offline emulator: every record
stored once with the emulator's exact vector, bounded reading ahead, resume without
re-embedding, bad input refused before it is sent, faults survived or reported."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from pathlib import Path

import chromadb
import httpx
import numpy as np
import pytest
from chromadb.errors import ChromaError, InternalError, InvalidArgumentError

from chroma_jina import (
    IngestError,
    InsufficientBalanceError,
    InvalidRecordError,
    JinaEmbeddingFunction,
    ingest,
)
from chroma_jina.ingestion import Chunk, Embed, Lookup, SeenIds, Write, plan_chunks, write_delay
from chroma_jina.limits import refused_as_busy
from chroma_jina.testing import JinaEmulator, RandomFaults
from tests.support.service import KEY, NO_WAIT

MODEL = "jina-embeddings-v3"
DIM = 64
"""Small vectors: Chroma writes them fast."""


def text(i: int) -> str:
    return f"passage {i}: the river {i % 17} floods the valley of {i * 7 % 101} stones"


def corpus(n: int, start: int = 0) -> tuple[list[str], list[str]]:
    return [f"doc-{i}" for i in range(start, n)], [text(i) for i in range(start, n)]


def function(emu: JinaEmulator, dimensions: int = DIM, **kw) -> JinaEmbeddingFunction:
    return JinaEmbeddingFunction(
        KEY,
        MODEL,
        dimensions=dimensions,
        http_client=httpx.Client(transport=emu.transport()),
        clock=NO_WAIT,  # retry waits are decided, not slept
        **kw,
    )


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chroma rebuilds a collection's function from its config, with the key from here."""
    monkeypatch.setenv("CHROMA_JINA_API_KEY", KEY)


@pytest.fixture
def emu() -> JinaEmulator:
    return JinaEmulator()


@pytest.fixture
def collection(tmp_path: Path, emu: JinaEmulator):
    client = chromadb.PersistentClient(path=str(tmp_path / "db"))
    return client.create_collection("corpus", embedding_function=function(emu))


def assert_exact(collection, n: int) -> None:
    """The collection holds doc-0 .. doc-(n-1) once each, with its text and the vector the
    emulator gives that text (to float32 rounding: Chroma normalizes vectors for cosine)."""
    got = collection.get(include=["embeddings", "documents"])
    assert len(got["ids"]) == len(set(got["ids"])) == n
    order = sorted(range(n), key=lambda k: int(got["ids"][k].removeprefix("doc-")))
    ids, texts = corpus(n)
    assert [got["ids"][k] for k in order] == ids
    assert [got["documents"][k] for k in order] == texts
    want = np.concatenate(
        [JinaEmulator().embed(texts[i : i + 512], MODEL, dimensions=DIM) for i in range(0, n, 512)]
    )
    np.testing.assert_allclose(np.asarray(got["embeddings"])[order], want, rtol=0, atol=1e-6)


def sent_texts(emu: JinaEmulator) -> list[str]:
    return [item for r in emu.requests if r.status == 200 for item in r.json["input"]]


# ---- streaming, resuming, bounding ----------------------------------------------------


def test_a_generator_lands_once_each_with_its_vector_and_metadata(collection, emu) -> None:
    n = 1500
    report = ingest(
        collection,
        ids=(f"doc-{i}" for i in range(n)),
        documents=(text(i) for i in range(n)),
        metadatas=({"river": i % 17} for i in range(n)),
        progress=False,
    )
    assert_exact(collection, n)
    assert collection.get(ids=["doc-40"], include=["metadatas"])["metadatas"] == [{"river": 6}]
    stats = emu.stats
    assert report.added == n and report.skipped == 0
    # chunks of 1,024 make requests of 512: no request is sent part-empty but the last
    assert report.requests == stats.requests == math.ceil(n / 512)
    assert report.tokens == stats.tokens > n
    assert report.seconds > 0


def test_running_again_embeds_only_what_is_missing(collection, emu) -> None:
    ids, texts = corpus(2600)
    first = ingest(collection, ids=ids[:1300], documents=texts[:1300], progress=False)
    assert (first.added, first.skipped) == (1300, 0)
    emu.reset()
    again = ingest(collection, ids=ids, documents=texts, progress=False)
    assert (again.added, again.skipped) == (1300, 1300)
    assert sorted(sent_texts(emu)) == sorted(texts[1300:])  # nothing stored is embedded again
    assert again.requests == emu.stats.requests <= math.ceil(1300 / 512) + 3
    assert_exact(collection, 2600)
    emu.reset()
    done = ingest(collection, ids=ids, documents=texts, progress=False)
    assert (done.added, done.skipped, done.requests, emu.stats.requests) == (0, 2600, 0, 0)


def test_reading_runs_ahead_of_writing_by_less_than_chunks_in_flight(collection) -> None:
    """Memory is bounded: when record i is read, the collection already holds all but fewer
    than `chunks_in_flight` chunks of the records before it; and reading does run ahead (the
    next chunks embed while one is written)."""
    size, in_flight, n = 128, 3, 1500
    lags = []

    def documents() -> Iterator[str]:
        for i in range(n):
            if i % size == 0:
                lags.append(i - collection.count())
            yield text(i)

    ingest(
        collection,
        ids=(f"doc-{i}" for i in range(n)),
        documents=documents(),
        chunk_size=size,
        chunks_in_flight=in_flight,
        progress=False,
    )
    assert max(lags) == (in_flight - 1) * size
    assert_exact(collection, n)


def test_with_several_writers_up_to_chunks_in_flight_more_are_being_written(
    collection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bound the pages state: with several writers and slow writes, up to `chunks_in_flight`
    chunks are being written while up to `chunks_in_flight` more embed, so a crash re-bills at
    most twice as many chunks as with one writer. Every write is slowed by the same 0.3 s."""
    size, in_flight, n = 128, 3, 1500
    lags = []
    add = collection.add

    def slow_add(**arguments: object) -> None:
        time.sleep(0.3)
        add(**arguments)

    monkeypatch.setattr(collection, "add", slow_add)

    def documents() -> Iterator[str]:
        for i in range(n):
            if i % size == 0:
                lags.append(i - collection.count())
            yield text(i)

    ingest(
        collection,
        ids=(f"doc-{i}" for i in range(n)),
        documents=documents(),
        chunk_size=size,
        chunks_in_flight=in_flight,
        writers=10,
        progress=False,
    )
    assert max(lags) == (2 * in_flight - 1) * size
    assert_exact(collection, n)


def test_the_plan_holds_at_most_chunks_in_flight_and_writes_in_order() -> None:
    chunks = [Chunk([f"{c}-{k}" for k in range(3)], ["t"] * 3, [None] * 3) for c in range(7)]
    stored = {"1-0", "1-1", "1-2", "4-1"}
    steps = plan_chunks(iter(chunks), in_flight=2)
    held, written, value, peak = [], [], None, 0
    while True:
        try:
            effect = steps.send(value)
        except StopIteration:
            break
        if isinstance(effect, Lookup):
            value = {i for i in effect.ids if i in stored}
        elif isinstance(effect, Embed):
            held.append(effect.chunk.ids)
            peak = max(peak, len(held))
            value = len(held)
        else:
            assert isinstance(effect, Write) and held[0] == effect.chunk.ids
            written.append(held.pop(0))
            value = None
    assert peak == 2
    assert written == [c.ids for c in chunks[:1] + chunks[2:4]] + [["4-0", "4-2"]] + [
        c.ids for c in chunks[5:]
    ]


def test_bad_input_further_on_still_writes_the_chunks_read_before_it() -> None:
    def chunks() -> Iterator[Chunk]:
        yield Chunk(["a"], ["t"], [None])
        yield Chunk(["b"], ["t"], [None])
        raise InvalidRecordError(2, "bad")

    steps = plan_chunks(chunks(), in_flight=3)
    kinds: list[tuple[str, list[str] | None]] = []

    def run_until_the_bad_record() -> None:
        value = None
        while True:
            effect = steps.send(value)
            kinds.append(
                (type(effect).__name__, effect.chunk.ids if hasattr(effect, "chunk") else None)
            )
            value = set() if isinstance(effect, Lookup) else "handle"

    with pytest.raises(InvalidRecordError):
        run_until_the_bad_record()
    assert kinds[-2:] == [("Write", ["a"]), ("Write", ["b"])]


# ---- bad input ------------------------------------------------------------------------


def test_a_repeated_id_in_a_list_raises_before_anything_is_sent(collection, emu) -> None:
    ids, texts = corpus(3000)
    ids[2999] = "doc-17"
    with pytest.raises(InvalidRecordError, match=r"record 2999: id 'doc-17' is already in the"):
        ingest(collection, ids=ids, documents=texts, progress=False)
    assert emu.stats.requests == 0 and collection.count() == 0


def test_a_repeated_id_in_a_stream_raises_before_its_chunk_is_sent(collection, emu) -> None:
    ids, texts = corpus(3000)
    ids[2100] = "doc-5"  # in the third chunk of 1,024
    with pytest.raises(InvalidRecordError, match="record 2100: id 'doc-5'") as info:
        ingest(collection, ids=iter(ids), documents=iter(texts), progress=False)
    assert info.value.position == 2100
    assert collection.count() == 2048  # the chunks before it are stored
    assert set(sent_texts(emu)) == set(texts[:2048])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda ids, docs, metas: metas.__setitem__(7, {"lang": None}), "metadata 'lang' is None"),
        (lambda ids, docs, metas: docs.__setitem__(7, 42), "a document must be a string, got int"),
        (lambda ids, docs, metas: ids.__setitem__(7, ""), "an id must be a non-empty string"),
        (lambda ids, docs, metas: docs.__setitem__(7, "caf\udce9"), "not valid Unicode"),
        (lambda ids, docs, metas: metas.__setitem__(7, {"t": {"a": 1}}), "Expected metadata"),
    ],
)
def test_a_bad_record_is_named_before_anything_is_sent(collection, emu, change, message) -> None:
    ids, docs = corpus(1500)
    metas = [{"lang": "en"} for _ in ids]
    change(ids, docs, metas)
    with pytest.raises(InvalidRecordError, match=f"record 7: .*{message}"):
        ingest(collection, ids=ids, documents=docs, metadatas=metas, progress=False)
    assert emu.stats.requests == 0


def test_inputs_of_different_lengths_are_refused(collection, emu) -> None:
    ids, docs = corpus(1500)
    with pytest.raises(InvalidRecordError, match="record 1499: documents end here but ids go on"):
        ingest(collection, ids=ids, documents=docs[:-1], progress=False)
    assert emu.stats.requests == 0


def test_a_collection_without_a_usable_function_is_refused(
    tmp_path: Path, emu: JinaEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chroma's get_collection() puts its default function in for one it cannot rebuild or
    that names none; ingest never embeds with that stand-in."""
    client = chromadb.PersistentClient(path=str(tmp_path / "db"))
    client.create_collection("jina", embedding_function=function(emu))
    client.create_collection("bare", embedding_function=None)
    with pytest.raises(ValueError, match="names no embedding function"):
        ingest(client.get_collection("bare"), ids=["a"], documents=["t"])
    monkeypatch.delenv("CHROMA_JINA_API_KEY")
    with pytest.raises(ValueError, match="No Jina API key"):
        ingest(client.get_collection("jina"), ids=["a"], documents=["t"])
    assert emu.stats.requests == 0


def test_late_chunking_cannot_be_streamed(collection, emu) -> None:
    with pytest.raises(ValueError, match="late_chunking embeds each call as one context"):
        ingest(
            collection,
            ids=["a"],
            documents=["t"],
            embedding_function=function(emu, late_chunking=True),
        )
    assert emu.stats.requests == 0


def test_one_string_is_not_a_corpus(collection, emu) -> None:
    with pytest.raises(ValueError, match=r"documents must be a list or an iterable .* got one str"):
        ingest(collection, ids=["a", "b"], documents="ab")
    with pytest.raises(ValueError, match=r"metadatas must be a list .* got one dict"):
        ingest(collection, ids=["a"], documents=["t"], metadatas={"lang": "en"})
    assert emu.stats.requests == 0


def test_seen_ids_find_repeats_across_many_calls() -> None:
    seen = SeenIds()
    for start in range(0, 20_000, 1000):
        assert seen.first_repeat([f"id-{i}" for i in range(start, start + 1000)]) is None
    assert seen.first_repeat(["new-1", "id-19999", "id-3"]) == 1
    assert seen.first_repeat(["x", "y", "x"]) == 2


# ---- faults ---------------------------------------------------------------------------


def test_faults_of_the_service_are_survived(tmp_path: Path) -> None:
    emu = JinaEmulator(faults=RandomFaults(rate=0.3, seed=3))
    client = chromadb.PersistentClient(path=str(tmp_path / "db"))
    collection = client.create_collection("corpus", embedding_function=function(emu, max_retries=8))
    ids, texts = corpus(2000)
    report = ingest(collection, ids=ids, documents=texts, chunk_size=500, progress=False)
    assert emu.stats.faults_injected > 0 and report.requests == emu.stats.requests
    assert_exact(collection, 2000)


def test_running_out_of_credit_stops_resumably_and_bills_nothing_twice(tmp_path: Path) -> None:
    ids, texts = corpus(2500)
    whole = JinaEmulator()
    function(whole)(texts)
    emu = JinaEmulator(token_balance=whole.stats.tokens // 2)
    client = chromadb.PersistentClient(path=str(tmp_path / "db"))
    collection = client.create_collection("corpus", embedding_function=function(emu))
    with pytest.raises(
        IngestError, match="when embedding failed: InsufficientBalanceError"
    ) as info:
        ingest(collection, ids=ids, documents=texts, chunk_size=512, progress=False)
    error = info.value
    assert isinstance(error.__cause__, InsufficientBalanceError)
    stored = set(collection.get(include=[])["ids"])
    assert stored and error.not_written and not stored & set(error.not_written)
    assert error.report.added == len(stored)  # what came back before the refusal is written
    emu.token_balance = None
    again = ingest(collection, ids=ids, documents=texts, progress=False)
    assert again.skipped == len(stored)
    assert_exact(collection, 2500)
    assert emu.stats.tokens == whole.stats.tokens  # every document billed once


def test_a_write_chroma_refuses_is_reported_with_the_ids_not_written(collection, emu) -> None:
    ids, texts = corpus(3000)
    ingest(collection, ids=ids[:100], documents=texts[:100], progress=False)
    other = function(emu, dimensions=32)  # vectors the collection cannot take
    with pytest.raises(IngestError, match="when Chroma failed: InvalidArgumentError") as info:
        ingest(collection, ids=ids, documents=texts, embedding_function=other, progress=False)
    assert isinstance(info.value.__cause__, InvalidArgumentError)
    assert info.value.not_written == ids[100:3000]  # everything it read, none stored
    assert collection.count() == 100


def test_write_retries_only_what_may_pass_again() -> None:
    assert write_delay(0, ConnectionError("reset")) == 0.5
    assert write_delay(3, InternalError("disk")) == 4.0
    assert write_delay(6, InternalError("disk")) is None
    assert write_delay(0, InvalidArgumentError("dimension")) is None
    assert write_delay(0, ValueError("bad metadata")) is None
    # a Cloud quota refusal is about the data, whichever way chromadb raises it: a ChromaError,
    # or a plain Exception holding the body when the error's name is not one it knows
    quota = "Quota exceeded: 'Document size' exceeded quota limit for action 'Add'"
    assert write_delay(0, ChromaError(quota)) is None
    assert write_delay(0, Exception(quota)) is None
    # Chroma's answers to write load, as chromadb raises them (the base ChromaError, code 400):
    # retried, and taken as busy (one writer fewer); before, only a 'rate limit' one was
    for busy in (
        "Too many requests; backoff and try again",
        "log needs compaction before accepting more writes; please backoff exponentially and retry",
        "Rate limit exceeded.",
    ):
        assert write_delay(0, ChromaError(busy)) == 0.5 and refused_as_busy(ChromaError(busy))
    assert write_delay(0, ChromaError("service unavailable")) == 0.5  # unnamed: 503, 504...


# ---- any other function, progress ------------------------------------------------------


# chromadb's built-in function opens an httpx.Client it never closes (third-party: its
# connection to the emulator's server is left open when the function goes away)
@pytest.mark.filterwarnings("ignore:unclosed <socket.socket:ResourceWarning")
def test_any_other_function_streams_and_resumes_one_call_a_chunk(tmp_path: Path) -> None:
    from chromadb.utils.embedding_functions import JinaEmbeddingFunction as BuiltIn

    emu = JinaEmulator()
    with emu.serve() as base_url:
        builtin = BuiltIn(model_name=MODEL, dimensions=DIM)
        builtin._api_url = f"{base_url}/embeddings"
        client = chromadb.PersistentClient(path=str(tmp_path / "db"))
        collection = client.create_collection("corpus", embedding_function=builtin)
        ids, texts = corpus(1200)
        first = ingest(
            collection,
            ids=iter(ids[:500]),
            documents=iter(texts[:500]),
            chunk_size=300,
            progress=False,
        )
        again = ingest(
            collection, ids=iter(ids), documents=iter(texts), chunk_size=300, progress=False
        )
    assert (first.requests, first.tokens) == (None, None)
    assert (again.added, again.skipped) == (700, 500)
    # one call a chunk with anything left to embed: 2 for the first 500, then 3 (not the first)
    assert emu.stats.requests == 2 + 3
    assert_exact(collection, 1200)


def test_the_progress_bar_shows_rate_tokens_and_skipped(collection, capsys) -> None:
    ids, texts = corpus(1500)
    ingest(collection, ids=ids[:600], documents=texts[:600], progress=False)
    assert capsys.readouterr().err == ""
    report = ingest(collection, ids=ids, documents=texts, progress=True)
    bar = capsys.readouterr().err.rsplit("\r", 1)[-1]
    assert "900/900" in bar and "doc/s" in bar and "skipped=600" in bar
    assert f"tokens={report.tokens:,}" in bar
