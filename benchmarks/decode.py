"""Decode throughput: one 512 x 1024 jina-embeddings-v3 response, float JSON vs base64.

Each decoder parses the body and turns it into 512 float32 arrays; the figure is the best of a few
runs, in MB of response body per second and vectors per second.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import numpy as np

from benchmarks.contender import API_KEY, MODEL
from benchmarks.corpus import passages
from chroma_jina.testing import JinaEmulator
from chroma_jina.wire import decode_response

COUNT, DIM, REPEAT = 512, 1024, 7


def _builtin_style(body: bytes) -> list[np.ndarray]:
    """What chromadb's built-in does: json.loads, sort by index, np.array(..., float32) per vector."""
    data = json.loads(body)["data"]
    return [
        np.array(e["embedding"], dtype=np.float32) for e in sorted(data, key=lambda e: e["index"])
    ]


def _ours(wire_type: str) -> Callable[[bytes], list[np.ndarray]]:
    def run(body: bytes) -> list[np.ndarray]:
        vectors = decode_response(body, COUNT, wire_type, DIM).vectors
        return [vectors[i] for i in range(COUNT)]

    return run


def fetch_bodies(emu: JinaEmulator) -> dict[str, bytes]:
    """One response body per wire type, for the same 512 passages, from the emulator's transport."""
    texts = passages(COUNT, seed=512)
    headers = {"Authorization": f"Bearer {API_KEY}"}
    bodies = {}
    with httpx.Client(
        transport=emu.transport(), base_url="http://emulator/v1", headers=headers
    ) as client:
        for wire_type in ("float", "base64"):
            payload = {"model": MODEL, "input": texts, "embedding_type": wire_type}
            response = client.post("/embeddings", json=payload, timeout=60)
            response.raise_for_status()
            bodies[wire_type] = response.content
    return bodies


def _best_seconds(
    decoder: Callable[[bytes], list[np.ndarray]], body: bytes
) -> tuple[float, list[np.ndarray]]:
    best, result = float("inf"), []
    for _ in range(REPEAT):
        start = time.perf_counter()
        result = decoder(body)
        best = min(best, time.perf_counter() - start)
    return best, result


def measure(emu: JinaEmulator) -> list[dict[str, Any]]:
    """Time each decoder on the emulator's bodies; check that all of them give the same vectors."""
    bodies = fetch_bodies(emu)
    cases = [  # (key, decoder, wire type, is chroma-jina); labels in benchmarks.report.DECODERS
        ("builtin-float", _builtin_style, "float", False),
        ("ours-float", _ours("float"), "float", True),
        ("ours-base64", _ours("base64"), "base64", True),
    ]
    rows, reference = [], None
    for key, decoder, wire_type, ours in cases:
        body = bodies[wire_type]
        seconds, vectors = _best_seconds(decoder, body)
        stacked = np.stack(vectors)
        if reference is None:
            reference = stacked
        if stacked.shape != (COUNT, DIM) or not np.array_equal(stacked, reference):
            raise AssertionError(f"{key} decoded different vectors")
        rows.append(
            {
                "key": key,
                "wire_type": wire_type,
                "ours": ours,
                "body_bytes": len(body),
                "seconds": seconds,
                "mb_per_s": len(body) / seconds / 1e6,
                "vectors_per_s": COUNT / seconds,
            }
        )
    return rows
