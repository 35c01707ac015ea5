"""`make bench`: chroma-jina against chromadb's built-in Jina function on a loopback emulator.

    python -m benchmarks.run [--n 20000] [--limits] [--fault-rate 0.15] [--latency-ms 100] ...

Each contender runs in its own process (benchmarks.contender); the emulator serves from this one.
Prints the tables, writes build/bench/results.json, redraws docs/assets/benchmarks-{en,zh}.svg and
refreshes the figures in docs/{en,zh}/benchmarks.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import chart, decode, report
from benchmarks.contender import MODEL, USER_BATCH
from benchmarks.corpus import passages
from chroma_jina.testing import JinaEmulator, Latency, RandomFaults, RateLimits

ROOT = Path(__file__).resolve().parent.parent
FRAMEWORKS = ("langchain", "llama_index")
"""Contenders that are chroma-jina inside a framework's embedding call (the `frameworks` group)."""


def frameworks_installed() -> bool:
    """Whether LangChain's and LlamaIndex's cores are installed (not in `make lowest`'s venv)."""
    return all(importlib.util.find_spec(name) for name in ("langchain_core", "llama_index"))


CONCURRENCY = 5
"""The free tier's concurrent requests, which the emulator enforces: the bound's C."""


def _contender(
    name: str, label: str, base_url: str, n: int, out: Path, emu: JinaEmulator
) -> dict[str, Any]:
    """Run one contender in a fresh interpreter and add the emulator's counters for that run.

    This process only serves the emulator meanwhile, so its CPU time is the emulator's.
    """
    emu.reset()
    server_cpu, load = time.process_time(), os.getloadavg()[0]
    subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.contender",
            name,
            "--base-url",
            base_url,
            "--n",
            str(n),
            "--out",
            str(out),
            "--label",
            label,
        ],
        cwd=ROOT,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    figures = json.loads((out / f"{label}.json").read_text(encoding="utf-8"))
    stats = emu.stats
    figures.update(
        requests=stats.requests,
        tokens=stats.tokens,
        wire_bytes=stats.bytes_received + stats.bytes_sent,
        bytes_sent_by_client=stats.bytes_received,
        bytes_received_by_client=stats.bytes_sent,
        # A server serving with gzip compresses its answers for clients that accept it:
        # chroma-jina's httpx does, the built-in asks for identity.
        wire_bytes_gzip=stats.bytes_received + stats.wire_bytes_sent,
        bytes_received_by_client_gzip=stats.wire_bytes_sent,
        peak_concurrency=stats.peak_concurrency,
        faults_injected=stats.faults,
        statuses={str(k): v for k, v in sorted(stats.statuses.items())},
        emulator_cpu_s=time.process_time() - server_cpu,
        load_before=load,
        load_after=os.getloadavg()[0],
    )
    return figures


def _correct(out: Path, label: str, reference: np.ndarray) -> int | None:
    """How many rows of `label`'s vectors equal the reference, position by position (None: no vectors)."""
    path = out / f"{label}.npy"
    if not path.exists():
        return None
    got = np.load(path, mmap_mode="r")
    if got.shape != reference.shape:
        return 0
    return int(np.all(got == reference, axis=1).sum())


def warm_up(emu: JinaEmulator, n: int) -> np.ndarray:
    """Embed the corpus once, untimed, so every contender meets the same warm emulator; returns
    the vectors the emulator answers, which every contender's are checked against.

    The emulator caches what it derives from words and texts; without this the first contender
    would also pay for filling those caches (about 3 s of CPU for 20,000 passages).
    """
    texts = passages(n)
    return np.vstack(
        [emu.embed(texts[start : start + USER_BATCH], MODEL) for start in range(0, n, USER_BATCH)]
    )


def bound(n: int, requests: int, tokens: int, args: argparse.Namespace) -> dict[str, Any]:
    """Lower bound on wall time for a client that sends `requests` requests holding `tokens` tokens.

    Latency bound: requests go out `CONCURRENCY` at a time, each taking L0 + L1 * (tokens per request),
    so at best ceil(R / C) rounds of the mean request latency. With rate limits on, no client can beat
    the budgets either: the emulator's limits are sliding 60 s windows, so R requests need at least
    ceil(R / RPM) - 1 whole minutes and T tokens ceil(T / TPM) - 1. The bound is the larger of the two.
    """
    l0, l1 = args.latency_ms / 1e3, args.per_token_us / 1e6
    requests = max(requests, 1)
    latency = math.ceil(requests / CONCURRENCY) * (l0 + l1 * tokens / requests)
    ideal_requests = math.ceil(n / USER_BATCH)
    ideal = math.ceil(ideal_requests / CONCURRENCY) * (l0 + l1 * tokens / ideal_requests)
    rate = 0.0
    if args.limits:
        free = RateLimits.free_tier()
        minutes = max(
            math.ceil(requests / free.requests_per_minute),
            math.ceil(tokens / free.tokens_per_minute),
        )
        rate = free.window * (minutes - 1)
    formula = f"ceil(R/{CONCURRENCY}) × ({args.latency_ms:g} ms + {args.per_token_us:g} µs × T/R)"
    if args.limits:
        formula = f"max({formula}, rate limits)"
    return {
        "latency_s": latency,
        "rate_limit_s": rate,
        "bound_s": max(latency, rate),
        "formula": formula,
        "requests": requests,
        "tokens": tokens,
        "concurrency": CONCURRENCY,
        "ideal_requests": ideal_requests,
        "ideal_latency_s": ideal,
    }


def _targets(runs: dict[str, Any], bnd: dict[str, Any], n: int) -> list[dict[str, Any]]:
    """The issue's targets. Comparisons with a built-in run that stopped early are not made (None)."""
    b, o = runs["builtin"], runs["ours"]
    whole = b["embedded"] == n and o["embedded"] == n
    speedup, wire = b["wall_s"] / o["wall_s"], b["wire_bytes"] / o["wire_bytes"]
    to_bound = o["wall_s"] / bnd["bound_s"] if bnd["bound_s"] else None  # no latency: no bound
    rows = [
        {
            "name": "speedup",
            "measured": f"{speedup:.1f}x" if whole else "-",
            "met": speedup >= 5 if whole else None,
        },
        {
            "name": "bound",
            "measured": "-" if to_bound is None else f"{to_bound:.2f}x",
            "met": to_bound is not None and to_bound <= 1.3 and o["embedded"] == n,
        },
        {
            "name": "wire",
            "measured": f"{wire:.1f}x" if whole else "-",
            "met": wire >= 2 if whole else None,
        },
    ]
    if "ours_faults" in runs:
        ok = runs["ours_faults"]["correct"] or 0
        rows.append({"name": "faults", "measured": f"{ok:,} / {n:,}", "met": ok == n})
    return rows


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--n", type=int, default=20_000, help="passages to embed (default 20000)")
    parser.add_argument("--latency-ms", type=float, default=100.0, help="fixed latency per request")
    parser.add_argument("--per-token-us", type=float, default=5.0, help="extra latency per token")
    parser.add_argument(
        "--limits",
        action="store_true",
        help="free-tier limits: 500 req/min, 1M tokens/min, 5 concurrent",
    )
    parser.add_argument(
        "--fault-rate",
        type=float,
        default=0.15,
        help="share of faulty responses in the fault runs (0: skip them)",
    )
    parser.add_argument(
        "--frameworks",
        action=argparse.BooleanOptionalAction,
        default=frameworks_installed(),
        help="also LangChain's and LlamaIndex's pipelines through chroma-jina's adapters "
        "(default: when both are installed)",
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the emulator's random faults")
    parser.add_argument(
        "--fault-seeds", type=int, default=5, help="fault seeds tried on the built-in"
    )
    parser.add_argument(
        "--out", type=Path, default=ROOT / "build" / "bench", help="results JSON and vectors"
    )
    parser.add_argument(
        "--docs",
        default=str(ROOT / "docs"),
        help="charts go to DOCS/assets, figures into DOCS/{en,zh}/benchmarks.md ('' to skip)",
    )
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    emu = JinaEmulator(
        latency=Latency(args.latency_ms / 1e3, args.per_token_us / 1e6),
        # The free tier's 5 concurrent requests always: chroma-jina learns its key's concurrency
        # (up to 50 unless told), so an unlimited emulator would let it beat the bound of 5.
        limits=RateLimits.free_tier() if args.limits else RateLimits(concurrency=CONCURRENCY),
    )
    print(f"[bench] warming the emulator up on the {args.n:,} passages ...", flush=True)
    reference = warm_up(emu, args.n)
    runs: dict[str, Any] = {}
    # Timed runs get plain JSON: the real service compresses on its own machines, while the
    # emulator would compress on the client's two cores and charge that CPU to the client's
    # wall time. One more run of chroma-jina, with gzip, gives the bytes a gzipping server sends.
    with emu.serve() as base_url:
        print("[bench] ours, answers gzipped: bytes on the wire ...", flush=True)
        gzipped = _contender("ours", "ours_gzip", base_url, args.n, out, emu)
    with emu.serve(gzip=False) as base_url:
        for name in ("builtin", "ours"):
            print(f"[bench] {name}: embedding {args.n:,} passages ...", flush=True)
            runs[name] = _contender(name, name, base_url, args.n, out, emu)
        for name in FRAMEWORKS if args.frameworks else ():
            print(f"[bench] {name} through chroma-jina's adapter ...", flush=True)
            runs[name] = _contender(name, name, base_url, args.n, out, emu)
        if args.fault_rate:
            print(f"[bench] ours with {args.fault_rate:.0%} faults ...", flush=True)
            emu.faults = RandomFaults(args.fault_rate, seed=args.seed)
            runs["ours_faults"] = _contender("ours", "ours_faults", base_url, args.n, out, emu)
            deaths = []
            for seed in range(args.seed, args.seed + args.fault_seeds):
                print(
                    f"[bench] builtin with {args.fault_rate:.0%} faults, seed {seed} ...",
                    flush=True,
                )
                emu.faults = RandomFaults(args.fault_rate, seed=seed)
                deaths.append(_contender("builtin", "builtin_faults", base_url, args.n, out, emu))
            runs["builtin_faults"] = {
                **deaths[0],
                "seeds": [
                    {
                        "seed": args.seed + i,
                        "embedded": d["embedded"],
                        "error": d["error"],
                        "wrong_count_batches": d["wrong_count_batches"],
                    }
                    for i, d in enumerate(deaths)
                ],
            }
    emu.faults = None
    print("[bench] decoding 512 x 1024 vectors ...", flush=True)
    decode_rows = decode.measure(emu)

    runs["builtin"]["wire_bytes_gzip"] = runs["builtin"]["wire_bytes"]  # it asks for identity
    runs["ours"]["wire_bytes_gzip"] = gzipped["wire_bytes_gzip"]
    runs["ours"]["bytes_received_by_client_gzip"] = gzipped["bytes_received_by_client_gzip"]
    for label, run in runs.items():
        run["correct"] = _correct(out, label, reference)
    answered = runs["ours"]["statuses"].get("200", 0)  # refused requests (429) took no latency
    bnd = bound(args.n, answered, runs["ours"]["tokens"], args)
    results = {
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
        "command": "make bench" + (" BENCH_ARGS=--limits" if args.limits else ""),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": f"{platform.system()} {platform.machine()}",
        },
        "settings": {
            "n": args.n,
            "model": "jina-embeddings-v3",
            "latency_ms": args.latency_ms,
            "per_token_us": args.per_token_us,
            "limits": args.limits,
            "fault_rate": args.fault_rate,
            "seed": args.seed,
            "user_batch": USER_BATCH,
        },
        "runs": runs,
        "bound": bnd,
        "decode": decode_rows,
    }
    results["targets"] = _targets(runs, bnd, args.n)
    (out / "results.json").write_text(
        json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8"
    )
    print()
    print(report.render(results, "en"))
    print(
        f"\nbound = {bnd['formula']}: R = {bnd['requests']} requests of chroma-jina, T = {bnd['tokens']:,} tokens; "
        f"with the fewest possible requests (R = {bnd['ideal_requests']}, 512 per request) it would be "
        f"{bnd['ideal_latency_s']:.2f} s."
    )
    print(f"results: {out / 'results.json'}")
    if args.docs:
        docs = Path(args.docs)
        for path in chart.write_charts(results, docs / "assets"):
            print(f"chart: {path}")
        for lang in ("en", "zh"):
            report.update_page(docs / lang / "benchmarks.md", results, lang)
            print(f"page: {docs / lang / 'benchmarks.md'}")
    return results


if __name__ == "__main__":
    main()
