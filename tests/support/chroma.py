"""A real Chroma server (`chroma run`) on a loopback port, for the tests and the benchmarks
that need one."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    return free_ports(1)[0]


def free_ports(count: int) -> list[int]:
    """`count` different TCP ports free on 127.0.0.1 right now (held open together while chosen,
    so that two calls in a row cannot return the same port)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


@contextmanager
def chroma_server(
    data_dir: Path,
    startup_seconds: float = 60,
    port: int | None = None,
    *,
    restarting: bool = False,
) -> Iterator[str]:
    """A real Chroma server (`chroma run`) on a loopback port (default: a free one); yields its
    URL. When it stops, the chromadb clients that reached it are closed (`forget_clients_of`),
    unless it stops to be `restarting` on the same port, for clients that outlive the restart."""
    port = port or free_port()
    log = data_dir.parent / f"{data_dir.name}-chroma.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "chroma"),
                "run",
                "--path",
                str(data_dir),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_seconds
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    tail = log.read_text(errors="replace")[-2000:]
                    happened = "exited" if process.poll() is not None else "did not start"
                    raise RuntimeError(f"chroma run {happened} (log: {log}):\n{tail}") from None
                time.sleep(0.1)
        yield url
    finally:
        if not restarting:
            forget_clients_of(port)
        stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate `process` and wait for it: killed if it is still there after 10 s."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def forget_clients_of(port: int) -> None:
    """Close the connections of every chromadb HTTP client that reached `port`, and drop those
    clients from chromadb's client cache.

    chromadb's HttpClient and CloudClient have no close(): their httpx session stays in
    chromadb's process-wide cache until something clears it, and is then collected open, a
    ResourceWarning in whichever test happens to run the collector. When a server (or a proxy in
    front of one) stops, no client of it can be used again, so its sessions are closed here."""
    from chromadb.api.fastapi import FastAPI
    from chromadb.api.shared_system_client import SharedSystemClient

    systems = SharedSystemClient._identifier_to_system
    for identifier, system in list(systems.items()):
        for component in list(system._instances.values()):
            if isinstance(component, FastAPI) and f":{port}/" in component._api_url:
                component._session.close()
                systems.pop(identifier, None)
                SharedSystemClient._identifier_to_refcount.pop(identifier, None)
