"""`ingest` into "Chroma Cloud": a `chroma run` server behind tests/cloud_standin.py, which
imposes Cloud's write quotas, reached through `chromadb.CloudClient` as a user reaches Cloud.
Embeddings come from the emulator at zero latency (in-process, or its loopback server for the
process killed with SIGKILL)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import chromadb
import pytest

from chroma_jina import IngestError, IngestReport, aingest, cli, estimate_tokens, ingest
from chroma_jina.ingestion import DocumentsTooLargeError, OverQuotaError
from chroma_jina.limits import awrite_limits, limits_from, write_limits
from chroma_jina.testing import JinaEmulator
from tests.integration.test_ingest import MODEL, assert_exact, corpus, function, sent_texts
from tests.support.chroma import chroma_server
from tests.support.cloud_standin import STANDIN_KEY, Quotas, cloud_client, cloud_standin
from tests.support.service import KEY

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def chroma(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with chroma_server(tmp_path_factory.mktemp("cloud") / "data") as url:
        yield url


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHROMA_JINA_API_KEY", KEY)


def test_a_cloud_client_is_recognised_whatever_its_host(chroma: str) -> None:
    quotas = Quotas(STANDIN_KEY)
    with cloud_standin(chroma, quotas) as port:
        limits = write_limits(cloud_client(port).create_collection("limits")._client)
    assert (limits.max_batch_size, limits.max_document_bytes, limits.writers) == (300, 16_384, 10)
    assert limits.cloud
    host, port_ = chroma.removeprefix("http://").split(":")
    server = write_limits(
        chromadb.HttpClient(host=host, port=int(port_)).get_collection("limits")._client
    )
    assert not server.cloud and server.max_document_bytes is None and server.writers == 10


def test_a_persistent_client_keeps_one_writer_and_its_own_batch_size(tmp_path: Path) -> None:
    client = chromadb.PersistentClient(path=str(tmp_path / "db"))
    limits = write_limits(client.create_collection("local")._client, max_document_bytes=100)
    assert limits.max_batch_size == client.get_max_batch_size() > 1024
    assert (limits.writers, limits.max_document_bytes, limits.cloud) == (1, 100, False)
    with pytest.raises(ValueError, match="writers must be a positive integer, got 0"):
        write_limits(client.get_collection("local")._client, writers=0)


def test_ten_thousand_documents_land_within_the_quotas(chroma: str) -> None:
    """Default settings: chunks of 1,024 are written 300 records at a time, by up to 10 writers;
    the stand-in refuses nothing and every record lands once, with its vector."""
    n, emu, quotas = 10_000, JinaEmulator(), Quotas(STANDIN_KEY)
    ids, texts = corpus(n)
    with cloud_standin(chroma, quotas) as port:
        collection = cloud_client(port).create_collection(
            "ten-thousand", embedding_function=function(emu)
        )
        report = ingest(collection, ids=ids, documents=texts, progress=False)
        assert (report.added, report.skipped) == (n, 0)
        assert_exact(collection, n)
    assert not quotas.refused
    assert quotas.largest_write == 300 and 1 <= quotas.most_at_once <= 10
    assert quotas.largest_get == 300  # resume lookups of 1,024 ids are asked 300 at a time
    assert quotas.writes == 9 * 4 + 3  # nine chunks of 1,024 (4 writes each), one of 784 (3)
    assert sorted(sent_texts(emu)) == sorted(texts)  # each embedded once


def test_a_document_over_16_kb_is_named_before_anything_is_embedded(chroma: str) -> None:
    emu, quotas = JinaEmulator(), Quotas(STANDIN_KEY)
    ids, texts = corpus(3000)
    texts[17] = "长" * 6000  # 18,000 bytes in UTF-8
    texts[2500] = "x" * 16_385
    with cloud_standin(chroma, quotas) as port:
        collection = cloud_client(port).create_collection(
            "too-large", embedding_function=function(emu)
        )
        with pytest.raises(DocumentsTooLargeError) as info:
            ingest(collection, ids=ids, documents=texts, progress=False)
        assert info.value.ids == ["doc-17", "doc-2500"] and info.value.sizes == [18_000, 16_385]
        assert "'doc-17' (18,000 bytes), 'doc-2500' (16,385 bytes)" in str(info.value)
        assert emu.stats.requests == 0 and collection.count() == 0
        # a stream: the chunks before the one that holds it are stored, that one is not sent
        with pytest.raises(DocumentsTooLargeError, match="record 2482: 1 document is larger"):
            ingest(collection, ids=iter(ids[18:]), documents=iter(texts[18:]), chunk_size=1024)
        assert collection.count() == 2048
        assert sorted(sent_texts(emu)) == sorted(texts[18:2066])
    assert not quotas.refused


def test_ids_and_metadata_over_clouds_quotas_are_named_before_anything_is_embedded(
    chroma: str,
) -> None:
    """Cloud's record quotas (ids of 128 bytes, 32 metadata keys of 36 bytes, values of 8,182
    bytes) are checked by id before any request; the stand-in refuses the same records."""
    emu, quotas = JinaEmulator(), Quotas(STANDIN_KEY)
    ids, texts = corpus(2000)
    metadatas: list[dict[str, Any] | None] = [{"n": i} for i in range(2000)]
    ids[5] = "长" * 43  # 129 bytes
    metadatas[700] = {f"k{j}": j for j in range(33)}
    metadatas[1500] = {"a" * 37: 1}
    metadatas[1999] = {"note": "x" * 8_183, "tags": ["ok"]}
    with cloud_standin(chroma, quotas) as port:
        client = cloud_client(port)
        collection = client.create_collection("quotas", embedding_function=function(emu))
        with pytest.raises(OverQuotaError) as info:
            ingest(collection, ids=ids, documents=texts, metadatas=metadatas, progress=False)
        assert info.value.ids == [ids[5], "doc-700", "doc-1500", "doc-1999"]
        assert info.value.reasons == [
            "id of 129 bytes (at most 128)",
            "33 metadata keys (at most 32)",
            "metadata key of 37 bytes (at most 36)",
            "metadata value 'note' of 8,183 bytes (at most 8,182)",
        ]
        assert info.value.position == 5 and emu.stats.requests == 0 and collection.count() == 0
        # within the quotas by one byte or key: stored
        fine = ["长" * 42 + "ab", "doc-1"]  # 128 bytes
        edge = [{f"k{j}": "y" * 8_182 for j in range(31)} | {"b" * 36: 1}, None]
        report = ingest(collection, ids=fine, documents=texts[:2], metadatas=edge)
        assert report.added == 2
        for i in (5, 700, 1500, 1999):  # what the check spares Cloud refuses
            with pytest.raises(Exception, match="Quota exceeded"):
                collection.add(
                    ids=[ids[i]], embeddings=[[0.5] * 4], documents=["d"], metadatas=[metadatas[i]]
                )
    assert sum(quotas.refused.values()) == 4 and set(quotas.refused) == {
        "ID size (bytes)",
        "Number of metadata keys",
        "Metadata key size (bytes)",
        "Metadata value size (bytes)",
    }


def check_refusal(
    collection: Any, error: IngestError, emu: JinaEmulator, read: list[str]
) -> set[str]:
    """After Chroma gave up on a write: what `not_written` lists is exactly what was read and
    is not stored, and every document embedded (paid for) is stored but the refused ones."""
    held = set(collection.get(include=[])["ids"])
    assert len(error.not_written) == len(set(error.not_written))
    assert set(error.not_written) == set(read) - held
    assert error.report.added == len(held)
    return held


def test_after_a_refused_write_the_chunks_embedded_behind_it_are_stored(chroma: str) -> None:
    """One writer, chunks of 512 (two writes each on Cloud): the stand-in refuses the first
    write of chunk 2. Chunks 3 to 5, embedded behind it, are each written once; chunk 2 is
    what `not_written` lists; the same ingest again completes the collection."""
    n, emu = 3000, JinaEmulator()
    quotas = Quotas(STANDIN_KEY, refuse_writes={3})
    ids, texts = corpus(n)
    with cloud_standin(chroma, quotas) as port:
        collection = cloud_client(port).create_collection(
            "refused", embedding_function=function(emu)
        )
        with pytest.raises(IngestError, match="when Chroma failed: InvalidArgumentError") as info:
            ingest(collection, ids=ids, documents=texts, chunk_size=512, writers=1, progress=False)
        held = check_refusal(collection, info.value, emu, ids[: 5 * 512])
        assert set(ids[512:1024]) <= set(info.value.not_written)
        embedded = {i for i, t in zip(ids, texts, strict=True) if t in set(sent_texts(emu))}
        assert held == embedded - set(ids[512:1024])  # everything paid for, but chunk 2
        assert quotas.refused == {"refused outright": 1}
        assert quotas.passed == 2 + 1 + 2 * len({i // 512 for i in map(ids.index, held)} - {0})
        again = ingest(collection, ids=ids, documents=texts, progress=False)
        assert again.added == n - len(held)
        assert_exact(collection, n)


def test_after_a_refused_write_each_chunk_behind_is_tried_once_until_one_fails(
    chroma: str,
) -> None:
    """Writes 3 (chunk 2) and 5 (chunk 3's second slice) are refused: chunk 3's second slice is
    not retried, and chunks 4 and 5 are not tried."""
    emu, quotas = JinaEmulator(), Quotas(STANDIN_KEY, refuse_writes={3, 5})
    ids, texts = corpus(3000)
    with cloud_standin(chroma, quotas) as port:
        collection = cloud_client(port).create_collection(
            "refused-twice", embedding_function=function(emu)
        )
        with pytest.raises(IngestError) as info:
            ingest(collection, ids=ids, documents=texts, chunk_size=512, writers=1, progress=False)
        held = check_refusal(collection, info.value, emu, ids[: 5 * 512])
        assert held == set(ids[:512]) | set(ids[1024:1324])
    assert quotas.passed == 5 and quotas.refused == {"refused outright": 2}


def test_aingest_after_a_refused_write_stores_what_was_embedded_behind_it(chroma: str) -> None:
    emu, quotas = JinaEmulator(), Quotas(STANDIN_KEY, refuse_writes={3})
    ids, texts = corpus(3000)

    async def main() -> tuple[Any, IngestError]:
        collection = await async_collection(port, "async-refused", emu)
        with pytest.raises(IngestError, match="when Chroma failed") as info:
            await aingest(
                collection, ids=ids, documents=texts, chunk_size=512, writers=1, progress=False
            )
        return collection, info.value

    with cloud_standin(chroma, quotas) as port:
        _, error = asyncio.run(main())
        collection = cloud_client(port).get_collection("async-refused")
        held = check_refusal(collection, error, emu, ids[: 5 * 512])
        embedded = {i for i, t in zip(ids, texts, strict=True) if t in set(sent_texts(emu))}
        refused = set(error.not_written)
        assert held == embedded - refused and refused <= set(ids[512:1024])
    assert quotas.refused == {"refused outright": 1}


def test_a_write_refused_for_its_size_is_split_never_sent_again_as_is(chroma: str) -> None:
    """A server that says 1,000 records a write but refuses more than 300 (a client not known
    as Cloud's, `cloud=False`): each refused write is halved until it passes."""
    n, emu = 3000, JinaEmulator()
    quotas = Quotas(STANDIN_KEY, advertised_batch=1000)
    ids, texts = corpus(n)
    with cloud_standin(chroma, quotas) as port:
        collection = cloud_client(port).create_collection("split", embedding_function=function(emu))
        report = ingest(
            collection, ids=ids, documents=texts, chunk_size=1000, progress=False, cloud=False
        )
        assert report.added == n
        assert_exact(collection, n)
    # 1,000 -> refused; 500 -> refused twice; 250 x 4 pass: 3 refusals and 4 writes a chunk
    assert quotas.refused == {"Number of records": 9} and quotas.writes == 12


def test_a_cloud_client_writes_300_whatever_the_pre_flight_says(chroma: str) -> None:
    """Cloud's pre-flight has been seen to answer 1,000 records a write while its quota is 300
    (chroma-core/chroma#5453): a Cloud client writes 300 at most, and nothing is refused."""
    n, emu = 3000, JinaEmulator()
    quotas = Quotas(STANDIN_KEY, advertised_batch=1000)
    ids, texts = corpus(n)
    with cloud_standin(chroma, quotas) as port:
        collection = cloud_client(port).create_collection(
            "capped", embedding_function=function(emu)
        )
        report = ingest(collection, ids=ids, documents=texts, chunk_size=1000, progress=False)
        assert report.added == n
        assert_exact(collection, n)
    assert not quotas.refused and quotas.largest_write == 300


def test_more_writers_than_cloud_allows_are_retried_until_all_land(chroma: str) -> None:
    """Ten writers against a quota of two: the refused writes are retried, and the writers
    settle at what the collection takes. Each retry first reads what landed; with slow reads
    those overlap the next chunk's resume lookup, and still no more than `writers` (Cloud's 10
    concurrent reads) are in flight."""
    n, emu = 3000, JinaEmulator()
    quotas = Quotas(STANDIN_KEY, concurrent_writes=2, get_delay=0.05)
    ids, texts = corpus(n)
    with cloud_standin(chroma, quotas) as port:
        collection = cloud_client(port).create_collection("busy", embedding_function=function(emu))
        report = ingest(collection, ids=ids, documents=texts, writers=10, progress=False)
        assert report.added == n
        assert_exact(collection, n)
    assert quotas.most_at_once <= 2 and quotas.refused["concurrent writes"] <= 9
    assert quotas.most_reads_at_once <= 10


def test_retried_writes_read_no_more_than_writers_at_once(chroma: str) -> None:
    """The first writes fail with a 500 and are retried; each retry first reads what landed
    while the main thread reads the next chunks' stored ids. With slow reads, `ingest` and
    `aingest` still have at most `writers` reads in flight (Cloud allows 10 concurrent reads)."""
    n, writers, emu = 6000, 3, JinaEmulator()
    quotas = Quotas(STANDIN_KEY, get_delay=0.3, fail_writes={1, 2, 3})
    ids, texts = corpus(n)
    # chunks of 900: three slices of 300, failing together, retried together after 0.5 s
    kwargs: dict[str, Any] = {"writers": writers, "chunk_size": 900, "progress": False}

    async def main() -> IngestReport:
        collection = await async_collection(port, "async-reads", emu)
        return await aingest(collection, ids=ids, documents=texts, **kwargs)

    with cloud_standin(chroma, quotas) as port:
        collection = cloud_client(port).create_collection("reads", embedding_function=function(emu))
        assert ingest(collection, ids=ids, documents=texts, **kwargs).added == n
        assert quotas.refused["failed"] == 3 and 2 <= quotas.most_reads_at_once <= writers
        quotas.passed, quotas.most_reads_at_once = 0, 0
        assert asyncio.run(main()).added == n
        assert_exact(cloud_client(port).get_collection("async-reads"), n)
    assert quotas.refused["failed"] == 6 and 2 <= quotas.most_reads_at_once <= writers


KILLED = textwrap.dedent(
    """
    import sys, chromadb
    from chroma_jina import JinaEmbeddingFunction, ingest
    port, n = int(sys.argv[1]), int(sys.argv[2])
    client = chromadb.CloudClient(tenant="default_tenant", database="default_database",
        api_key=sys.argv[3], cloud_host="127.0.0.1", cloud_port=port, enable_ssl=False)
    collection = client.get_collection("killed")
    ingest(collection, ids=[f"doc-{i}" for i in range(n)],
        documents=[f"passage {i}: the river {i % 17} floods the valley of {i * 7 % 101} stones"
                   for i in range(n)], chunk_size=512, progress=False)
    """
)


def test_killed_half_way_then_resumed_ends_exact(chroma: str) -> None:
    """A process ingesting 10,000 documents is killed with SIGKILL once about half are stored;
    the same ingest run again embeds only what is missing and the collection ends exact."""
    n, emu, quotas = 10_000, JinaEmulator(), Quotas(STANDIN_KEY)
    ids, texts = corpus(n)
    with cloud_standin(chroma, quotas) as port, emu.serve() as base_url:
        collection = cloud_client(port).create_collection(
            "killed", embedding_function=function(emu)
        )
        collection.count()
        ours = quotas.connections  # this test's own client, kept alive
        env = {**os.environ, "JINA_API_BASE_URL": base_url, "CHROMA_JINA_API_KEY": KEY}
        process = subprocess.Popen(
            [sys.executable, "-c", KILLED, str(port), str(n), STANDIN_KEY], env=env
        )
        try:
            deadline = time.monotonic() + 60
            while collection.count() < n // 2:
                assert process.poll() is None, "the ingest ended before half-way"
                assert time.monotonic() < deadline, "the ingest did not get half-way in 60 s"
                time.sleep(0.02)
            process.send_signal(signal.SIGKILL)
        finally:
            process.kill()
            process.wait(10)
        # Writes the killed process had already sent still land (parallel writers): read what
        # Chroma holds once the stand-in has answered every request of the killed process.
        quotas.wait_for_connections(ours, timeout=30)
        held = set(collection.get(include=[])["ids"])
        assert n // 2 <= len(held) < n
        emu.reset()
        resumed = ingest(collection, ids=ids, documents=texts, progress=False)
        assert (resumed.skipped, resumed.added) == (len(held), n - len(held))
        assert_exact(collection, n)
    # the second run embedded exactly what the first had not stored
    assert sorted(sent_texts(emu)) == sorted(
        t for i, t in zip(ids, texts, strict=True) if i not in held
    )


# ---- the command line ------------------------------------------------------------------


def corpus_file(path: Path, n: int, big: int | None = None) -> Path:
    ids, texts = corpus(n)
    if big is not None:
        texts[big] = "x" * 20_000
    with path.open("w", encoding="utf-8") as out:
        for id_, text_ in zip(ids, texts, strict=True):
            out.write(json.dumps({"id": id_, "text": text_}) + "\n")
    return path


def test_the_command_reaches_cloud_with_the_key_from_the_environment(
    chroma: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    n, emu, quotas = 1500, JinaEmulator(), Quotas(STANDIN_KEY)
    file = corpus_file(tmp_path / "corpus.jsonl", n)
    monkeypatch.delenv("CHROMA_API_KEY", raising=False)
    monkeypatch.setenv("CHROMA_TENANT", "default_tenant")
    monkeypatch.setenv("CHROMA_DATABASE", "default_database")
    with cloud_standin(chroma, quotas) as port, emu.serve() as base_url:
        monkeypatch.setenv("JINA_API_BASE_URL", base_url)
        command = ["ingest", str(file), "--cloud", f"http://127.0.0.1:{port}"]
        command += ["--collection", "from-the-command", "--model", MODEL, "--no-progress"]
        assert cli.main(command) == 1
        assert "Chroma Cloud needs a key: set CHROMA_API_KEY" in capsys.readouterr().err
        monkeypatch.setenv("CHROMA_API_KEY", STANDIN_KEY)
        assert cli.main(command) == 0
        assert cli.main(command) == 0
        first, second = capsys.readouterr().out.splitlines()
        assert first.startswith("from-the-command: 1,500 added, 0 already stored, ")
        assert second.startswith("from-the-command: 0 added, 1,500 already stored, 0 requests")
        assert cloud_client(port).get_collection("from-the-command").count() == n
    assert not quotas.refused and quotas.largest_write == 300
    assert STANDIN_KEY not in capsys.readouterr().err


# The command's function keeps its connection to the server open until exit (the library closes
# its own client at exit, not when the function is garbage-collected; issue 25's closing note)
@pytest.mark.filterwarnings("ignore:unclosed <socket.socket:ResourceWarning")
def test_the_command_sends_headers_to_a_server(
    chroma: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--host` with `--header-env`: the stand-in wants its key in X-Chroma-Token."""
    emu, quotas = JinaEmulator(), Quotas(STANDIN_KEY)
    file = corpus_file(tmp_path / "corpus.jsonl", 700)
    monkeypatch.setenv("MY_CHROMA_TOKEN", STANDIN_KEY)
    with cloud_standin(chroma, quotas) as port, emu.serve() as base_url:
        monkeypatch.setenv("JINA_API_BASE_URL", base_url)
        command = ["ingest", str(file), "--host", f"127.0.0.1:{port}", "--no-progress"]
        command += ["--collection", "with-headers", "--model", MODEL]
        assert cli.main(command) == 1  # no token: the stand-in answers 401
        assert emu.stats.requests == 0
        assert cli.main([*command, "--header-env", "X-Chroma-Token=MY_CHROMA_TOKEN"]) == 0
    assert "with-headers: 700 added" in capsys.readouterr().out


def test_a_dry_run_checks_the_whole_file_and_sends_nothing(
    chroma: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    emu, quotas = JinaEmulator(), Quotas(STANDIN_KEY)
    file = corpus_file(tmp_path / "corpus.jsonl", 3000)
    with cloud_standin(chroma, quotas) as port, emu.serve() as base_url:
        monkeypatch.setenv("JINA_API_BASE_URL", base_url)
        monkeypatch.setenv("CHROMA_API_KEY", STANDIN_KEY)
        command = ["ingest", str(file), "--cloud", f"http://127.0.0.1:{port}", "--dry-run"]
        command += ["--collection", "dry", "--model", MODEL, "--price-per-million", "0.05"]
        assert cli.main(command) == 0
        tokens = sum(estimate_tokens(t) for t in corpus(3000)[1])
        assert capsys.readouterr().out == (
            f"{file}: 3,000 documents, about {tokens:,} tokens, 6 embedding requests "
            f"({MODEL}), 12 Chroma writes, about ${tokens * 0.05 / 1e6:,.4f}; nothing was "
            f"sent (ids already stored would be skipped)\n"
        )
        corpus_file(file, 3000, big=2999)
        assert cli.main(command) == 1
        err = capsys.readouterr().err
        assert f"{file}, line 3000: 1 document is larger than the 16,384 bytes" in err
        assert "'doc-2999' (20,000 bytes)" in err
        lines = file.read_text(encoding="utf-8").splitlines()
        lines[2999] = json.dumps({"id": "d" * 129, "text": "short"})
        file.write_text("\n".join(lines) + "\n", encoding="utf-8")
        assert cli.main(command) == 1
        err = capsys.readouterr().err
        assert f"{file}, line 3000: 1 record exceeds Chroma Cloud's quotas: " in err
        assert "id of 129 bytes (at most 128)" in err
    assert emu.stats.requests == 0 and quotas.requests == 0


# ---- aingest: AsyncHttpClient ----------------------------------------------------------


async def async_collection(port: int, name: str, emu: JinaEmulator) -> Any:
    client = await chromadb.AsyncHttpClient(
        host="127.0.0.1", port=port, headers={"X-Chroma-Token": STANDIN_KEY}
    )
    return await client.get_or_create_collection(name, embedding_function=function(emu))


def test_aingest_writes_within_the_limits_and_runs_again_skipping_all(chroma: str) -> None:
    n, emu, quotas = 5000, JinaEmulator(), Quotas(STANDIN_KEY)
    ids, texts = corpus(n)

    async def main() -> tuple[IngestReport, IngestReport]:
        collection = await async_collection(port, "async", emu)
        first = await aingest(collection, ids=ids, documents=texts, progress=False)
        again = await aingest(collection, ids=iter(ids), documents=iter(texts), progress=False)
        return first, again

    with cloud_standin(chroma, quotas) as port:
        first, again = asyncio.run(main())
        assert (first.added, again.added, again.skipped, again.requests) == (n, 0, n, 0)
        assert_exact(cloud_client(port).get_collection("async"), n)
    assert not quotas.refused and quotas.largest_write == 300 and quotas.most_at_once <= 10


def test_aingest_names_large_documents_first_and_settles_when_busy(chroma: str) -> None:
    n, emu = 3000, JinaEmulator()
    quotas = Quotas(STANDIN_KEY, concurrent_writes=2, get_delay=0.05)
    ids, texts = corpus(n)

    async def main() -> IngestReport:
        collection = await async_collection(port, "async-busy", emu)
        big = [*texts[:-1], "x" * 16_385]
        with pytest.raises(DocumentsTooLargeError, match="'doc-2999' \\(16,385 bytes\\)"):
            await aingest(collection, ids=ids, documents=big, max_document_bytes=16_384)
        assert emu.stats.requests == 0
        return await aingest(collection, ids=ids, documents=texts, writers=10, progress=False)

    with cloud_standin(chroma, quotas) as port:
        assert asyncio.run(main()).added == n
        assert_exact(cloud_client(port).get_collection("async-busy"), n)
    assert quotas.most_at_once <= 2 and quotas.most_reads_at_once <= 10


def test_aingest_stopped_by_the_service_resumes_billing_nothing_twice(chroma: str) -> None:
    ids, texts = corpus(2500)
    whole = JinaEmulator()
    function(whole)(texts)
    emu, quotas = JinaEmulator(token_balance=whole.stats.tokens // 2), Quotas(STANDIN_KEY)

    async def main() -> tuple[IngestError, IngestReport]:
        collection = await async_collection(port, "async-credit", emu)
        with pytest.raises(IngestError, match="when embedding failed") as info:
            await aingest(collection, ids=ids, documents=texts, chunk_size=512, progress=False)
        emu.token_balance = None
        return info.value, await aingest(collection, ids=ids, documents=texts, progress=False)

    with cloud_standin(chroma, quotas) as port:
        error, again = asyncio.run(main())
        stored_before = error.report.added
        assert stored_before and again.skipped == stored_before
        assert again.added == 2500 - stored_before == len(error.not_written)
        assert_exact(cloud_client(port).get_collection("async-credit"), 2500)
    assert emu.stats.tokens == whole.stats.tokens  # every document billed once


def test_aingest_checks_clouds_quotas_before_embedding(chroma: str) -> None:
    """chromadb has no async Cloud client: an AsyncHttpClient is Cloud by its host
    (api.trychroma.com) or when told (`cloud=True`, here: the stand-in is on 127.0.0.1); then
    ids, metadata and documents over Cloud's quotas are named before anything is embedded."""
    emu, quotas = JinaEmulator(), Quotas(STANDIN_KEY)
    ids, texts = corpus(600)
    ids[3] = "长" * 43  # 129 bytes
    metadatas: list[dict[str, Any] | None] = [{"n": i} for i in range(600)]
    metadatas[400] = {f"k{j}": j for j in range(33)}
    big = [*texts[:-1], "x" * 16_385]

    async def main() -> tuple[Any, Any, Any]:
        collection = await async_collection(port, "async-quotas", emu)
        plain = await awrite_limits(collection._client)
        with pytest.raises(OverQuotaError) as info:
            await aingest(collection, ids=ids, documents=texts, metadatas=metadatas, cloud=True)
        with pytest.raises(DocumentsTooLargeError, match="'doc-599' \\(16,385 bytes\\)"):
            await aingest(collection, ids=corpus(600)[0], documents=big, cloud=True)
        return plain, info.value, await collection.count()

    with cloud_standin(chroma, quotas) as port:
        plain, error, count = asyncio.run(main())
    assert (plain.cloud, plain.writers, plain.max_batch_size) == (False, 10, 300)
    assert error.ids == [ids[3], "doc-400"] and error.position == 3
    assert emu.stats.requests == 0 and count == 0 and quotas.writes == 0
    settings = chromadb.config.Settings(
        chroma_api_impl="chromadb.api.async_fastapi.AsyncFastAPI",
        chroma_server_host="api.trychroma.com",
    )
    assert limits_from(settings, 300, None, None).record_quotas is not None
    assert limits_from(settings, 300, None, None).max_document_bytes == 16_384
    with pytest.raises(ValueError, match="cloud must be True, False or None"):
        limits_from(settings, 300, None, None, "yes")  # type: ignore[arg-type]
