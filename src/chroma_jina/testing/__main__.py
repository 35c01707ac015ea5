"""Run the emulator as a standalone server: `python -m chroma_jina.testing --port 8080`.

For clients that cannot use the Python API (Node, curl, other languages). Prints the base URL,
then serves until interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import threading

from . import server
from .emulator import JinaEmulator
from .faults import RandomFaults
from .limits import Latency, RateLimits


def main(argv: list[str] | None = None, stop: threading.Event | None = None) -> None:
    """Parse `argv`, serve until Ctrl-C (or until `stop` is set)."""
    parser = argparse.ArgumentParser(prog="python -m chroma_jina.testing", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="fixed latency per request")
    parser.add_argument("--per-token-us", type=float, default=0.0, help="latency per token")
    parser.add_argument("--rpm", type=int, help="requests per minute")
    parser.add_argument("--tpm", type=int, help="tokens per minute")
    parser.add_argument("--concurrency", type=int, help="concurrent requests")
    parser.add_argument("--free-tier", action="store_true", help="500 rpm, 1M tpm, 5 concurrent")
    parser.add_argument("--fault-rate", type=float, default=0.0, help="share of requests faulted")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random faults")
    parser.add_argument(
        "--no-gzip",
        action="store_true",
        help="never compress answers (default: gzip when accepted)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=server.DEFAULT_TIMEOUT,
        help="seconds a client may stay silent before it is disconnected (default %(default)g)",
    )
    parser.add_argument(
        "--max-connections",
        type=int,
        default=server.DEFAULT_MAX_CONNECTIONS,
        help="connections served at once; more wait (default %(default)d)",
    )
    parser.add_argument(
        "--max-body-mb",
        type=float,
        default=server.DEFAULT_MAX_BODY_BYTES / 2**20,
        help="larger request bodies get 413 (default %(default)g MiB)",
    )
    args = parser.parse_args(argv)
    limits = RateLimits.free_tier() if args.free_tier else None
    if any(v is not None for v in (args.rpm, args.tpm, args.concurrency)):
        limits = RateLimits(args.rpm, args.tpm, args.concurrency)
    emulator = JinaEmulator(
        latency=Latency(args.latency_ms / 1000, args.per_token_us / 1e6),
        limits=limits,
        faults=RandomFaults(args.fault_rate, args.seed) if args.fault_rate else None,
        # Nothing outside this process can read them: keep none.
        max_recorded_requests=0,
    )
    with emulator.serve(
        args.host,
        args.port,
        gzip=not args.no_gzip,
        timeout=args.timeout,
        max_connections=args.max_connections,
        max_body_bytes=int(args.max_body_mb * 2**20),
    ) as base_url:
        print(base_url, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            (stop or threading.Event()).wait()


if __name__ == "__main__":
    main()
