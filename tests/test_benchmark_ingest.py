"""`python -m chroma_jina ingest` on a PersistentClient, killed with SIGKILL half-way and run
again, as `make bench` does it (benchmarks/ingest.py `resume`, at small scale): the second run
sends only what is missing and the collection ends exact. Timings are never checked."""

from __future__ import annotations

import argparse
import importlib
import json
import math
from pathlib import Path

import pytest

from chroma_jina.testing import JinaEmulator

ROOT = Path(__file__).resolve().parent.parent
N = 2048


def test_the_command_killed_half_way_resumes_exactly(tmp_path: Path) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(str(ROOT))
        bench = importlib.import_module("benchmarks.ingest")
        corpus = importlib.import_module("benchmarks.corpus")
    args = argparse.Namespace(out=tmp_path, corpus=tmp_path / "corpus.jsonl", n=N)
    with args.corpus.open("w", encoding="utf-8") as out:
        for i, text in enumerate(corpus.passages(N)):
            out.write(json.dumps({"id": f"p-{i}", "text": text}) + "\n")
    emu = JinaEmulator()
    reference = bench.warm_up(emu, N)
    with emu.serve() as base_url:
        args.base_url = base_url
        resumed = bench.resume(args, emu, reference)
    # killed once 2 of its 4 requests were answered, with 1,024 vectors or more still to write
    assert resumed["requests_before_kill"] >= 2 and resumed["stored_at_kill"] < N
    assert resumed["skipped"] == resumed["stored_at_kill"]
    assert resumed["added"] == resumed["remaining"] == N - resumed["stored_at_kill"]
    assert resumed["requests"] <= math.ceil(resumed["remaining"] / 512) + 3 == resumed["bound"]
    assert resumed["exact"]
