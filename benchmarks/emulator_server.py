"""The standalone emulator server (`python -m chroma_jina.testing`) over real sockets.

    python -m benchmarks.emulator_server [--server-path DIR] [--hold 20] [--only NAME ...]

Starts the server in its own process (from DIR on PYTHONPATH when given, e.g. an older checkout's
`src`, to measure before and after) and prints:

- sequential: median time of 200 one-text requests, one after another on a kept-alive connection,
  at zero configured latency;
- queries: 200 concurrent one-text `aembed_query` calls of chroma-jina, server at 5 concurrent
  requests and 50 ms, as a ratio of the bound (successful requests / 5 x 50 ms);
- gzip: response body bytes of the `embedding_type` example's request for each type, plain and
  gzipped;
- idle / stalled: the server's memory (RSS) and threads with 200 idle connections, and with ten
  requests announcing 200 MB that send a few bytes, right away and after `--hold` seconds.

Prints figures only; tests/emulator/test_server.py checks the behaviour.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shlex
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from chroma_jina import JinaEmbeddingFunction

KEY = "jina_offline_emulator_key"
ROOT = Path(__file__).resolve().parent.parent
EXTRA: list[str] = []
"""More arguments for every server (`--server-args`)."""
EXAMPLE = ["Binary embeddings keep one bit per dimension."]
"""The `embedding_type` page's example (snippets/options/embedding_type.py): one text, 1,024 dims."""


@contextlib.contextmanager
def server(args: list[str], path: str | None) -> Iterator[tuple[str, int]]:
    """Run `python -m chroma_jina.testing ARGS EXTRA`; yields its base URL and process id."""
    env = dict(os.environ)
    if path:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [path, env.get("PYTHONPATH")]))
    proc = subprocess.Popen(
        [sys.executable, "-m", "chroma_jina.testing", *args, *EXTRA],
        stdout=subprocess.PIPE,
        env=env,
        text=True,
    )
    try:
        assert proc.stdout is not None
        base_url = proc.stdout.readline().strip()
        if not base_url:
            raise RuntimeError("the server printed no URL")
        yield base_url, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def usage(pid: int) -> str:
    """The process's resident and virtual memory and its thread count, from /proc."""
    fields = dict(
        line.split(":", 1)
        for line in Path(f"/proc/{pid}/status").read_text(encoding="utf-8").splitlines()
    )
    rss, virtual = (int(fields[name].split()[0]) / 1024 for name in ("VmRSS", "VmSize"))
    return f"RSS {rss:,.0f} MB (virtual {virtual:,.0f} MB), {int(fields['Threads'])} threads"


def sequential(path: str | None, n: int = 200) -> None:
    body = {"model": "jina-embeddings-v3", "input": ["hello"]}
    with (
        server([], path) as (base_url, _),
        httpx.Client(headers={"Authorization": f"Bearer {KEY}"}, timeout=10) as client,
    ):
        client.post(f"{base_url}/embeddings", json=body).raise_for_status()  # connect, warm up
        times = []
        for _ in range(n):
            started = time.perf_counter()
            client.post(f"{base_url}/embeddings", json=body).raise_for_status()
            times.append(time.perf_counter() - started)
    times.sort()
    print(
        f"sequential: {n} keep-alive requests at zero latency: median "
        f"{statistics.median(times) * 1e3:.1f} ms, p90 {times[int(n * 0.9)] * 1e3:.1f} ms"
    )


def queries(path: str | None, n: int = 200) -> None:
    statuses: Counter[int] = Counter()

    async def count(response: httpx.Response) -> None:
        statuses[response.status_code] += 1

    async def run(base_url: str) -> tuple[float, int]:
        async with httpx.AsyncClient(event_hooks={"response": [count]}) as client:
            ef = JinaEmbeddingFunction(KEY, base_url=base_url, async_http_client=client)
            await ef.aembed_query(["warm up"])
            statuses.clear()
            started = time.monotonic()
            results = await asyncio.gather(
                *(ef.aembed_query([f"question {i}?"]) for i in range(n)), return_exceptions=True
            )
            failed = sum(isinstance(r, BaseException) for r in results)
            return time.monotonic() - started, failed

    with server(["--latency-ms", "50", "--concurrency", "5"], path) as (base_url, _):
        wall, failed = asyncio.run(run(base_url))
    bound = statuses[200] / 5 * 0.05
    print(
        f"queries: {n} concurrent one-text queries, 5 concurrent / 50 ms: {wall:.2f} s, "
        f"{failed} failed, {statuses[200]} answered, {statuses[429]} refused (429); "
        f"bound {bound:.2f} s, ratio {wall / bound:.2f}x"
    )


def gzip_bytes(path: str | None) -> None:
    rows = []
    with server([], path) as (base_url, _), httpx.Client(timeout=10) as client:
        for kind in ("float", "base64", "binary", "ubinary"):
            sizes = []
            for encoding in ("identity", "gzip"):
                response = client.post(
                    f"{base_url}/embeddings",
                    json={"model": "jina-embeddings-v3", "input": EXAMPLE, "embedding_type": kind},
                    headers={"Authorization": f"Bearer {KEY}", "Accept-Encoding": encoding},
                )
                response.raise_for_status()
                sizes.append(f"{response.num_bytes_downloaded:,}")
                sizes.append(response.headers.get("content-encoding", "-"))
            rows.append(f"{kind}: plain {sizes[0]} ({sizes[1]}), gzip {sizes[2]} ({sizes[3]})")
    print("gzip: embedding_type example, response body bytes: " + "; ".join(rows))


def _connect(base_url: str) -> socket.socket:
    url = urlsplit(base_url)
    return socket.create_connection((url.hostname, url.port), timeout=5)


def held(path: str | None, hold: float, stalled: bool) -> None:
    name = "stalled" if stalled else "idle"
    count = 10 if stalled else 200
    with server([], path) as (base_url, pid):
        before = usage(pid)
        socks = []
        try:
            for _ in range(count):
                sock = _connect(base_url)
                socks.append(sock)
                if stalled:
                    sock.sendall(
                        b"POST /v1/embeddings HTTP/1.1\r\nHost: x\r\n"
                        b"Authorization: Bearer " + KEY.encode() + b"\r\n"
                        b"Content-Type: application/json\r\n"
                        b"Content-Length: 200000000\r\n\r\n"
                        b'{"model":'
                    )
            time.sleep(1.0)
            soon = usage(pid)
            time.sleep(max(0.0, hold - 1.0))
            late = usage(pid)
            open_ = sum(_still_open(s) for s in socks)
        finally:
            for sock in socks:
                sock.close()
    print(
        f"{name}: {count} connections: before {before}; after 1 s {soon}; after {hold:g} s "
        f"{late}, {open_} of {count} connections still open"
    )


def _still_open(sock: socket.socket) -> bool:
    """True if the server has neither closed nor answered the connection."""
    sock.setblocking(False)
    try:
        data = sock.recv(65536)
    except BlockingIOError:
        return True
    except OSError:
        return False
    return False if data == b"" else not data.startswith(b"HTTP/")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--server-path", help="put DIR first on the server's PYTHONPATH")
    parser.add_argument(
        "--server-args", default="", help="more arguments for the server, e.g. '--no-gzip'"
    )
    parser.add_argument("--hold", type=float, default=20.0, help="seconds to hold connections")
    names = ("sequential", "queries", "gzip", "idle", "stalled")
    parser.add_argument("--only", nargs="*", choices=names, default=list(names))
    args = parser.parse_args(argv)
    path = args.server_path
    EXTRA[:] = shlex.split(args.server_args)
    for name in args.only:
        if name == "sequential":
            sequential(path)
        elif name == "queries":
            queries(path)
        elif name == "gzip":
            gzip_bytes(path)
        else:
            held(path, args.hold, stalled=name == "stalled")


if __name__ == "__main__":
    main()
