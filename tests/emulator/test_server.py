"""The emulator's loopback server over real sockets: answers without delay, gzip, and clients
that misbehave (idle, half-sent, too many, too large, malformed) cost it a bounded amount and
print no traceback."""

from __future__ import annotations

import gzip
import json
import socket
import statistics
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import httpx
import pytest

from chroma_jina.testing import DroppedConnection, JinaEmulator
from chroma_jina.testing.__main__ import main

KEY = "jina_offline_emulator_key"
AUTH = {"Authorization": f"Bearer {KEY}"}
BODY = {"model": "jina-embeddings-v3", "input": ["hello"]}
RAW_BODY = json.dumps(BODY).encode()


@pytest.fixture(autouse=True)
def _no_traceback(capfd: pytest.CaptureFixture[str]) -> Iterator[None]:
    """Whatever a client does, the server prints nothing on the console."""
    yield
    err = capfd.readouterr().err
    assert "Traceback" not in err and "Exception" not in err, err


@contextmanager
def server(emu: JinaEmulator | None = None, **options: object) -> Iterator[tuple[str, int]]:
    """A served emulator; yields its host and port."""
    with (emu or JinaEmulator()).serve(**options) as base_url:  # type: ignore[arg-type]
        url = urlsplit(base_url)
        assert url.hostname and url.port
        yield url.hostname, url.port


def head(length: str | None = None, *extra: str) -> bytes:
    lines = ["POST /v1/embeddings HTTP/1.1", "Host: x", f"Authorization: Bearer {KEY}"]
    lines += ["Content-Type: application/json", *extra]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def exchange(address: tuple[str, int], data: bytes, wait: float = 5.0) -> bytes:
    """Send `data` on a new connection; everything the server sends until it closes (or `wait`)."""
    with socket.create_connection(address, timeout=wait) as sock:
        sock.sendall(data)
        return read_all(sock, wait)


def read_all(sock: socket.socket, wait: float) -> bytes:
    received = b""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            part = sock.recv(65536)
        except (TimeoutError, ConnectionResetError):
            break
        if not part:
            break
        received += part
    return received


def status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else 0


# -- answers leave without delay ------------------------------------------------------------


def test_sequential_keep_alive_requests_are_answered_at_once() -> None:
    """Nagle's algorithm held every answer's second write until the client's delayed ACK: a
    44 ms median on one kept-alive connection at zero latency. TCP_NODELAY and one write fix it.
    A raw socket as the client, so the figure is the server's."""
    request = head(str(len(RAW_BODY))) + RAW_BODY
    with server() as address, socket.create_connection(address, timeout=5) as sock:
        times = []
        for _ in range(51):
            started = time.perf_counter()
            sock.sendall(request)
            answer = b""
            while b"\r\n\r\n" not in answer or len(answer.partition(b"\r\n\r\n")[2]) < (
                int(answer.split(b"Content-Length: ")[1].split(b"\r\n")[0])
            ):
                part = sock.recv(65536)
                assert part, "the server closed the connection"
                answer += part
            times.append(time.perf_counter() - started)
            assert status(answer) == 200
    assert statistics.median(times[1:]) < 0.010, sorted(times)


# -- gzip ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "compressed"),
    [
        ("gzip, deflate", True),
        ("br;q=1.0, gzip;q=0.5", True),
        ("*", True),
        ("identity", False),
        ("gzip;q=0", False),
        ("gzip;q=0, *", False),
    ],
)
def test_answers_are_gzipped_when_the_client_accepts_gzip(accept: str, compressed: bool) -> None:
    emu = JinaEmulator()
    with server(emu) as address:
        answer = exchange(
            address,
            head(str(len(RAW_BODY)), f"Accept-Encoding: {accept}", "Connection: close") + RAW_BODY,
        )
    headers, _, body = answer.partition(b"\r\n\r\n")
    assert status(answer) == 200
    assert (b"\r\nContent-Encoding: gzip\r\n" in headers) is compressed
    length = int(headers.split(b"Content-Length: ")[1].split(b"\r\n")[0])
    assert len(body) == length
    plain = gzip.decompress(body) if compressed else body
    assert json.loads(plain)["data"][0]["embedding"]
    stats = emu.stats
    assert stats.bytes_sent == len(plain)
    assert stats.wire_bytes_sent == length
    assert (stats.wire_bytes_sent < stats.bytes_sent) is compressed


def test_httpx_gets_gzip_by_default_and_the_switch_turns_it_off() -> None:
    for on in (True, False):
        emu = JinaEmulator()
        with emu.serve(gzip=on) as base_url, httpx.Client(headers=AUTH) as client:
            answer = client.post(f"{base_url}/embeddings", json=BODY)
        assert answer.status_code == 200
        assert answer.headers.get("content-encoding") == ("gzip" if on else None)
        assert answer.json()["data"][0]["embedding"]
        assert (answer.num_bytes_downloaded < len(answer.content)) is on
        assert emu.stats.wire_bytes_sent == answer.num_bytes_downloaded


def test_a_gzipped_answer_dropped_part_way_counts_what_went_out() -> None:
    emu = JinaEmulator()
    emu.script(DroppedConnection(after_bytes=100))
    with emu.serve() as base_url, httpx.Client(headers=AUTH) as client:
        with pytest.raises(httpx.TransportError):
            client.post(f"{base_url}/embeddings", json=BODY).read()
        answer = client.post(f"{base_url}/embeddings", json=BODY)
    assert answer.status_code == 200 and answer.headers["content-encoding"] == "gzip"
    assert emu.stats.bytes_sent == 100 + len(answer.content)
    assert emu.stats.wire_bytes_sent == 100 + answer.num_bytes_downloaded


def test_command_line_no_gzip(capfd: pytest.CaptureFixture[str]) -> None:
    stop = threading.Event()
    thread = threading.Thread(target=main, args=(["--no-gzip", "--timeout", "2"], stop))
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not (out := capfd.readouterr().out) and time.monotonic() < deadline:
            time.sleep(0.02)
        with httpx.Client(headers=AUTH) as client:
            answer = client.post(f"{out.strip()}/embeddings", json=BODY)
    finally:
        stop.set()
        thread.join(10)
    assert answer.status_code == 200 and "content-encoding" not in answer.headers


# -- clients that stall ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "sent",
    [b"", head(str(len(RAW_BODY))) + RAW_BODY[:10], b"POST /v1/embeddings HTTP/1.1\r\nHost"],
    ids=["idle", "half-sent body", "half-sent head"],
)
def test_a_silent_client_is_disconnected_after_the_timeout(sent: bytes) -> None:
    with server(timeout=0.3) as address, socket.create_connection(address, timeout=5) as sock:
        sock.sendall(sent)
        started = time.monotonic()
        answer = read_all(sock, wait=5)
        waited = time.monotonic() - started
    assert b"200 OK" not in answer
    assert 0.2 < waited < 3, waited


def test_a_kept_alive_connection_survives_pauses_shorter_than_the_timeout() -> None:
    with (
        JinaEmulator().serve(timeout=1.0) as base_url,
        httpx.Client(headers=AUTH) as client,
    ):
        for _ in range(3):
            client.post(f"{base_url}/embeddings", json=BODY).raise_for_status()
            time.sleep(0.3)
        assert client.post(f"{base_url}/embeddings", json=BODY).status_code == 200


def test_connections_beyond_the_bound_wait_and_no_thread_is_started_for_them() -> None:
    before = threading.active_count()
    with server(max_connections=3, timeout=30) as address:
        idle = [socket.create_connection(address, timeout=5) for _ in range(20)]
        try:
            time.sleep(0.3)
            assert threading.active_count() - before <= 1 + 3  # the serve loop + 3 handlers
            waiting = socket.create_connection(address, timeout=0.5)
            with waiting:
                waiting.sendall(head(str(len(RAW_BODY))) + RAW_BODY)
                with pytest.raises(TimeoutError):
                    waiting.recv(1)  # not served while three connections hold the slots
                for sock in idle:
                    sock.close()
                waiting.settimeout(5)
                assert status(waiting.recv(65536)) == 200
        finally:
            for sock in idle:
                sock.close()


# -- bodies: bounded, well-formed -----------------------------------------------------------


@pytest.mark.parametrize("length", ["2000", str(10**12)])
def test_a_body_over_the_limit_gets_413_before_it_is_sent(length: str) -> None:
    with server(max_body_bytes=1000, timeout=30) as address:
        started = time.monotonic()
        answer = exchange(address, head(length) + b'{"model":')
    assert status(answer) == 413, answer
    assert time.monotonic() - started < 3
    assert b"at most 1,000" in answer


def test_expect_100_continue_is_refused_with_413_for_a_body_too_large() -> None:
    with server(max_body_bytes=1000) as address:
        answer = exchange(address, head("5000", "Expect: 100-continue"))
    assert status(answer) == 413 and b"100 Continue" not in answer


def test_a_body_up_to_the_limit_is_read() -> None:
    with server(max_body_bytes=len(RAW_BODY)) as address:
        answer = exchange(address, head(str(len(RAW_BODY)), "Connection: close") + RAW_BODY)
    assert status(answer) == 200


@pytest.mark.parametrize(
    "headers",
    [
        ["Content-Length: abc"],
        ["Content-Length: -1"],
        ["Content-Length: 1e3"],
        ["Content-Length: 0x10"],
        ["Content-Length: " + "9" * 30],
        ["Content-Length: 10", "Content-Length: 12"],
        ["Content-Length: 10", "Transfer-Encoding: chunked"],
        ["Transfer-Encoding: gzip, chunked"],
    ],
    ids=["abc", "negative", "exponent", "hex", "huge", "conflicting", "both", "gzip"],
)
def test_malformed_framing_gets_400(headers: list[str]) -> None:
    with server() as address:
        answer = exchange(address, head(None, *headers) + RAW_BODY)
    assert status(answer) == 400, answer
    assert b'"detail"' in answer


@pytest.mark.parametrize(
    ("chunks", "expected"),
    [
        (f"{len(RAW_BODY):x}\r\n".encode() + RAW_BODY + b"\r\n0\r\n\r\n", 200),
        (b"zz\r\n" + RAW_BODY + b"\r\n0\r\n\r\n", 400),
        (b"-5\r\nhello\r\n0\r\n\r\n", 400),
        (b"3\r\n" + RAW_BODY + b"\r\n0\r\n\r\n", 400),  # more data than the size says
        (b"1" * 5000 + b"\r\n", 400),  # a size line with no end
        (b"ffffffffffffffff\r\n", 400),
        (b"fffffff\r\n", 413),
    ],
    ids=["valid", "not hex", "negative", "overlong chunk", "long line", "huge size", "too large"],
)
def test_chunked_bodies(chunks: bytes, expected: int) -> None:
    with server(max_body_bytes=10_000) as address:
        answer = exchange(address, head(None, "Transfer-Encoding: chunked") + chunks, wait=2)
    assert status(answer) == expected, answer


def test_the_server_keeps_answering_after_bad_clients() -> None:
    with server(max_body_bytes=1000, timeout=0.3) as address:
        for bad in (head("abc"), head(str(10**12)), head("50") + b"{", b"zz\r\n\r\n"):
            exchange(address, bad, wait=2)
        answer = exchange(address, head(str(len(RAW_BODY)), "Connection: close") + RAW_BODY)
    assert status(answer) == 200


# -- the request log ------------------------------------------------------------------------


def test_the_request_log_keeps_the_most_recent_n() -> None:
    emu = JinaEmulator(max_recorded_requests=5)
    with emu.serve() as base_url, httpx.Client(headers=AUTH) as client:
        for i in range(12):
            client.post(f"{base_url}/embeddings", json={**BODY, "input": [f"text {i}"]})
    assert [r.json["input"] for r in emu.requests] == [[f"text {i}"] for i in range(7, 12)]
    assert emu.stats.requests == 12


def test_the_request_log_has_a_default_bound_and_refuses_a_negative_one() -> None:
    assert JinaEmulator().max_recorded_requests == 1000
    emu = JinaEmulator(max_recorded_requests=0)
    emu.embed(["a"])
    with pytest.raises(ValueError, match="max_recorded_requests"):
        JinaEmulator(max_recorded_requests=-1)


# -- where it listens -----------------------------------------------------------------------


def test_binding_beyond_loopback_warns() -> None:
    emu = JinaEmulator()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with emu.serve("127.0.0.1"):
            pass
    with pytest.warns(RuntimeWarning, match="not on loopback"), emu.serve("0.0.0.0"):
        pass


def test_options_are_checked() -> None:
    emu = JinaEmulator()
    for options in ({"timeout": 0}, {"max_connections": 0}, {"max_body_bytes": -1}):
        with pytest.raises(ValueError, match=next(iter(options))), emu.serve(**options):  # type: ignore[arg-type]
            pass
