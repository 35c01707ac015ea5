"""Run one contender in its own process, so wall time, CPU time and peak memory do not mix.

    python -m benchmarks.contender {builtin,ours,langchain,llama_index} --base-url URL --n N --out DIR

Writes `DIR/<label>.json` (figures) and, when every passage got a vector, `DIR/<label>.npy`
(the vectors, float32, in input order).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.corpus import passages

MODEL = "jina-embeddings-v3"
USER_BATCH = 512
"""What a user of the built-in must feed it at a time: the API's per-request item cap."""
API_KEY = "jina_offline_emulator_key"


Embed = Callable[[list[str]], tuple[list[np.ndarray], dict[str, Any]]]


def _peak_rss_mb() -> float:
    """High-water mark of this process's resident memory, in MB.

    Read from /proc (VmHWM) rather than ru_maxrss, which Linux carries over from the parent
    process across fork and exec, so a child started by a big parent would report the parent's peak.
    """
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def _builtin(base_url: str) -> Embed:
    """chromadb's own function, pointed at the emulator."""
    from chromadb.utils.embedding_functions import JinaEmbeddingFunction

    ef = JinaEmbeddingFunction(model_name=MODEL)
    ef._api_url = f"{base_url}/embeddings"  # the URL is not a parameter of the built-in
    return lambda texts: _feed(ef, texts)


def _error(exc: Exception) -> str:
    """The exception's type and first sentence, as a user would see it."""
    return f"{type(exc).__name__}: {str(exc).split('. ')[0][:160]}"


def _feed(
    ef: Callable[[list[str]], list[np.ndarray]], texts: list[str]
) -> tuple[list[np.ndarray], dict[str, Any]]:
    """The loop a user of the built-in writes: 512 at a time, until the first exception."""
    vectors: list[np.ndarray] = []
    info: dict[str, Any] = {"wrong_count_batches": 0, "error": None}
    for start in range(0, len(texts), USER_BATCH):
        batch = texts[start : start + USER_BATCH]
        try:
            got = ef(batch)
        except Exception as exc:
            info["error"] = _error(exc)
            break
        if len(got) != len(batch):
            info["wrong_count_batches"] += 1  # silently misaligned: a user would not notice
        vectors.extend(got)
    return vectors, info


def _ours(base_url: str) -> Embed:
    """chroma-jina with its defaults: one call with every passage."""
    from chroma_jina import JinaEmbeddingFunction

    ef = JinaEmbeddingFunction(model_name=MODEL, base_url=base_url)
    return lambda texts: _call(ef, texts)


def _call(ef: Any, texts: list[str]) -> tuple[list[np.ndarray], dict[str, Any]]:
    """One call with everything; on an exception, no vectors at all (it never returns a part)."""
    info: dict[str, Any] = {"wrong_count_batches": 0, "error": None}
    try:
        vectors = ef(texts)
    except Exception as exc:
        info["error"] = _error(exc)
        return [], info
    usage = ef.last_usage
    info["usage"] = {"total_tokens": usage.total_tokens, "requests": usage.requests}
    return vectors, info


def _langchain(base_url: str) -> Embed:
    """What LangChain's `Chroma.add_texts` calls: `embed_documents` of chroma-jina's adapter,
    once with every text; lists of Python floats come back."""
    from chroma_jina import JinaEmbeddingFunction
    from chroma_jina.langchain import JinaEmbeddings

    embeddings = JinaEmbeddings(JinaEmbeddingFunction(model_name=MODEL, base_url=base_url))
    return lambda texts: _framework(embeddings.embed_documents, texts)


def _llama_index(base_url: str) -> Embed:
    """What LlamaIndex's `VectorStoreIndex` calls: `get_text_embedding_batch` of chroma-jina's
    adapter, which hands chroma-jina `embed_batch_size` (2048) texts at a time, one after another."""
    from chroma_jina import JinaEmbeddingFunction
    from chroma_jina.llama_index import JinaEmbedding

    model = JinaEmbedding(JinaEmbeddingFunction(model_name=MODEL, base_url=base_url))
    return lambda texts: _framework(model.get_text_embedding_batch, texts)


def _framework(
    embed: Callable[[list[str]], list[list[float]]], texts: list[str]
) -> tuple[list[np.ndarray], dict[str, Any]]:
    """A framework's call; its lists of floats are turned into arrays after the clock stops."""
    info: dict[str, Any] = {"wrong_count_batches": 0, "error": None}
    try:
        vectors: Any = embed(texts)
    except Exception as exc:
        info["error"] = _error(exc)
        return [], info
    return vectors, info


CONTENDERS: dict[str, Callable[[str], Embed]] = {
    "builtin": _builtin,
    "ours": _ours,
    "langchain": _langchain,
    "llama_index": _llama_index,
}


def run(contender: str, base_url: str, n: int, out: Path, label: str) -> dict[str, Any]:
    """Embed `n` passages with `contender`, measure, and write the figures and vectors under `out`."""
    os.environ["CHROMA_JINA_API_KEY"] = API_KEY
    os.environ.pop("JINA_API_KEY", None)
    texts = passages(n)
    embed = CONTENDERS[contender](base_url)  # imports and construction are not timed
    rss_before = _peak_rss_mb()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    vectors, info = embed(texts)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    figures = {
        "contender": contender,
        "label": label,
        "passages": n,
        "embedded": len(vectors),
        "wall_s": wall,
        "cpu_s": cpu,
        "rss_before_mb": rss_before,
        "rss_peak_mb": _peak_rss_mb(),
        **info,
    }
    out.mkdir(parents=True, exist_ok=True)
    if len(vectors) == n and info["wrong_count_batches"] == 0:
        np.save(out / f"{label}.npy", np.asarray(vectors, dtype=np.float32))
    (out / f"{label}.json").write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("contender", choices=sorted(CONTENDERS))
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--n", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--label", help="file name stem for the outputs (default: the contender)")
    args = parser.parse_args()
    run(args.contender, args.base_url, args.n, args.out, args.label or args.contender)


if __name__ == "__main__":
    main()
