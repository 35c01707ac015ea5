"""A real HTTP server that answers from a `JinaEmulator`, one thread per connection.

It is meant for loopback, but people run it for their own test suites and from other languages,
so it does not trust its clients: every read times out, connections are capped (the rest wait in
the listen queue), bodies are bounded (413 before reading one too large), a malformed
`Content-Length` or chunked body gets a 400, and none of these prints a traceback. Answers leave
in one write with `TCP_NODELAY`, gzipped when the client accepts gzip (unless turned off).
"""

from __future__ import annotations

import gzip
import ipaddress
import json
import logging
import re
import socket
import struct
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .emulator import EmulatedReply, JinaEmulator


logger = logging.getLogger("chroma_jina.testing")

DEFAULT_TIMEOUT = 10.0
"""Seconds a client may stay silent: idle between requests or in the middle of one."""
DEFAULT_MAX_CONNECTIONS = 128
"""Connections served at once (one thread each); more wait in the listen queue. httpx pools 100."""
DEFAULT_MAX_BODY_BYTES = 64 * 2**20
"""Largest request body accepted: 64 MiB, far above any request the API takes."""

_POLL = 0.05
_LINGER = 0.5  # seconds an error answer waits for the client to stop sending before closing
_READ_CHUNK = 2**20  # bodies are read piece by piece: memory follows what actually arrived
_MAX_LINE = 4096  # a chunk-size or trailer line
_MAX_TRAILERS = 64
_GZIP_LEVEL = 6  # zlib's default, and what web servers and CDNs commonly use
_LENGTH = re.compile(r"[0-9]{1,18}")  # longer is no length a server could take anyway
_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,15}")


class _Refused(Exception):
    """A request answered with an error before (or instead of) reading its body."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def __init__(
        self,
        address: tuple[str, int],
        emulator: JinaEmulator,
        *,
        gzip: bool,
        timeout: float,
        max_connections: int,
        max_body_bytes: int,
    ) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.emulator = emulator
        self.gzip = gzip
        self.client_timeout = timeout
        self.max_body_bytes = max_body_bytes
        self._slots = threading.BoundedSemaphore(max_connections)
        super().__init__(address, _Handler)

    def get_request(self) -> tuple[socket.socket, object]:
        """Accept a connection only when a slot is free; meanwhile it waits in the listen queue."""
        if not self._slots.acquire(timeout=_POLL):
            raise OSError("every connection slot is taken")  # the serve loop just tries again
        try:
            return super().get_request()
        except BaseException:
            self._slots.release()
            raise

    def shutdown_request(self, request: socket.socket) -> None:  # type: ignore[override]  # socketserver types it as its generic request type
        """Called once for every accepted connection, when it is done."""
        try:
            super().shutdown_request(request)
        finally:
            self._slots.release()

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that goes away or stalls (a reset, a half-sent request, a timeout) is normal
        for a server: one debug line, not a traceback on stderr."""
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, TimeoutError)):
            logger.debug("client %s went away: %r", client_address, error)
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]  # typeshed narrows what socketserver passes through


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "chroma-jina-emulator"
    sys_version = ""
    disable_nagle_algorithm = True  # TCP_NODELAY: no 40 ms wait for the peer's delayed ACK
    wbufsize = 2**16  # head and body of most answers leave in one write
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.client_timeout)

    def do_POST(self) -> None:
        self._answer()

    do_GET = do_PUT = do_DELETE = do_PATCH = do_POST

    def handle_expect_100(self) -> bool:
        """Refuse a body we would refuse anyway before the client sends it."""
        try:
            self._check_framing()
        except _Refused as refused:
            self._refuse(refused)
            return False
        return super().handle_expect_100()

    def _answer(self) -> None:
        try:
            body = self._read_body()
        except _Refused as refused:
            self._refuse(refused)
            return
        emulator = self.server.emulator
        headers = {k.lower(): v for k, v in self.headers.items()}
        path = self.path.split("?", 1)[0]
        reply = emulator.handle(self.command, path, headers, body)
        started = time.monotonic()
        try:
            payload, extra = self._encode(reply)
            # Compressing is part of the modelled latency, like computing the answer.
            delay = reply.delay - (time.monotonic() - started)
            if delay > 0:
                time.sleep(delay)
        finally:
            reply.release()
        self._send(reply, payload, extra)

    def _encode(self, reply: EmulatedReply) -> tuple[bytes, list[tuple[str, str]]]:
        """The body as it goes on the wire, and the headers that say how."""
        accepted = _accepts_gzip(self.headers.get("Accept-Encoding", ""))
        if not (self.server.gzip and reply.body and accepted):
            return reply.body, []
        payload = gzip.compress(reply.body, _GZIP_LEVEL, mtime=0)
        # The emulator counted the plain bytes that go out (before a drop); say what they became.
        plain, sent = len(reply.body), len(payload)
        if reply.drop is not None:
            limit = reply.drop.after_bytes or 0
            plain, sent = min(plain, limit), min(sent, limit)
        self.server.emulator.count_compressed(plain, sent)
        return payload, [("Content-Encoding", "gzip"), ("Vary", "Accept-Encoding")]

    def _send(self, reply: EmulatedReply, payload: bytes, extra: list[tuple[str, str]]) -> None:
        drop = reply.drop
        try:
            if drop is not None and drop.after_bytes is None:
                self._drop(drop.reset)
                return
            self.send_response(reply.status)
            for name, value in [*reply.headers, *extra]:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if drop is not None:
                self.wfile.write(payload[: drop.after_bytes])
                self.wfile.flush()
                self._drop(drop.reset)
                return
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    # -- reading a request body, bounded ---------------------------------------------------

    def _check_framing(self) -> int | None:
        """The body's announced length (None: chunked), or `_Refused` for one we will not read."""
        codings = self.headers.get_all("Transfer-Encoding") or []
        lengths = self.headers.get_all("Content-Length") or []
        if codings:
            if lengths:
                raise _Refused(400, "Transfer-Encoding and Content-Length together")
            if [c.strip().lower() for c in ",".join(codings).split(",")] != ["chunked"]:
                raise _Refused(400, "Transfer-Encoding other than chunked is not supported")
            return None
        values = {v.strip() for v in lengths}
        if not values:
            return 0
        if len(values) > 1:
            raise _Refused(400, "conflicting Content-Length headers")
        value = values.pop()
        if not _LENGTH.fullmatch(value):
            raise _Refused(400, f"malformed Content-Length: {value[:40]!r}")
        length = int(value)
        if length > self.server.max_body_bytes:
            raise _Refused(
                413, f"request body of {length:,} bytes; at most {self.server.max_body_bytes:,}"
            )
        return length

    def _read_body(self) -> bytes:
        length = self._check_framing()
        return self._read_chunked() if length is None else self._read_exactly(length)

    def _read_exactly(self, length: int) -> bytes:
        parts = []
        left = length
        while left:
            part = self.rfile.read(min(left, _READ_CHUNK))
            if not part:
                raise ConnectionAbortedError("the client closed before sending the whole body")
            parts.append(part)
            left -= len(part)
        return b"".join(parts)

    def _read_line(self) -> bytes:
        line = self.rfile.readline(_MAX_LINE + 1)
        if not line:
            raise ConnectionAbortedError("the client closed in the middle of a chunked body")
        if len(line) > _MAX_LINE or not line.endswith(b"\n"):
            raise _Refused(400, "malformed chunked body: line too long")
        return line

    def _read_chunked(self) -> bytes:
        chunks = []
        total = 0
        while True:
            size_text = self._read_line().split(b";", 1)[0].strip()
            if not _CHUNK_SIZE.fullmatch(size_text):
                raise _Refused(400, f"malformed chunked body: chunk size {size_text[:20]!r}")
            size = int(size_text, 16)
            if size == 0:
                break
            total += size
            if total > self.server.max_body_bytes:
                raise _Refused(413, f"request body over {self.server.max_body_bytes:,} bytes")
            chunks.append(self._read_exactly(size))
            if self._read_line().strip():
                raise _Refused(400, "malformed chunked body: chunk longer than its size")
        for _ in range(_MAX_TRAILERS):
            if not self._read_line().strip():
                return b"".join(chunks)
        raise _Refused(400, "malformed chunked body: too many trailer lines")

    def _refuse(self, refused: _Refused) -> None:
        """Answer an error and close: the rest of what the client sends is not read."""
        body = json.dumps({"detail": refused.detail}).encode()
        self.close_connection = True
        try:
            self.send_response(refused.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
            # Closing with unread input would reset the connection, and the client might lose
            # the answer: stop writing, then read what is in flight for a moment.
            self.connection.shutdown(socket.SHUT_WR)
            deadline = time.monotonic() + _LINGER
            while (left := deadline - time.monotonic()) > 0:
                self.connection.settimeout(left)
                if not self.connection.recv(65536):
                    break
        except OSError:
            pass

    def _drop(self, reset: bool) -> None:
        self.close_connection = True
        if reset:  # SO_LINGER 0: closing sends RST instead of FIN
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.rfile.close()  # drop the file's reference so close() really closes now
            self.connection.close()
        else:
            self.connection.shutdown(socket.SHUT_RDWR)

    def log_message(self, fmt: str, *args: object) -> None:
        """Stay quiet: tests and benchmarks print their own summaries."""


def _accepts_gzip(value: str) -> bool:
    """Whether an `Accept-Encoding` value allows gzip (`gzip`, `x-gzip` or `*`, q above 0)."""
    wildcard = False
    for item in value.split(","):
        coding, *params = (p.strip() for p in item.split(";"))
        q = 1.0
        for param in params:
            name, _, number = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(number)
                except ValueError:
                    q = 0.0
        coding = coding.lower()
        if coding in ("gzip", "x-gzip"):
            return q > 0
        if coding == "*":
            wildcard = q > 0
    return wildcard


def _warn_if_exposed(address: str) -> None:
    host = address.split("%", 1)[0]
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        warnings.warn(
            f"the Jina emulator listens on {address}, not on loopback: other machines can reach "
            "it, and it accepts any key that starts with 'jina_'. Bind 127.0.0.1 unless that is "
            "what you want.",
            RuntimeWarning,
            stacklevel=2,
        )


@contextmanager
def serve(
    emulator: JinaEmulator,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    gzip: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
    max_connections: int = DEFAULT_MAX_CONNECTIONS,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> Iterator[str]:
    """Run the emulator on `host:port` (0 picks a free port) until the block ends.

    `gzip`: compress answers for clients that accept it. `timeout`: seconds a client may stay
    silent before its connection is closed. `max_connections`: connections served at once.
    `max_body_bytes`: larger request bodies get 413. Warns when `host` is not loopback.
    """
    if not timeout > 0:
        raise ValueError(f"timeout must be positive, got {timeout!r}")
    if max_connections < 1:
        raise ValueError(f"max_connections must be at least 1, got {max_connections!r}")
    if max_body_bytes < 0:
        raise ValueError(f"max_body_bytes must not be negative, got {max_body_bytes!r}")
    server = _Server(
        (host, port),
        emulator,
        gzip=gzip,
        timeout=timeout,
        max_connections=max_connections,
        max_body_bytes=max_body_bytes,
    )
    bound, bound_port = server.server_address[:2]
    _warn_if_exposed(str(bound))
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": _POLL},
        daemon=True,
        name="jina-emulator",
    )
    thread.start()
    shown = f"[{host}]" if ":" in host else host
    try:
        yield f"http://{shown}:{bound_port}/v1"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
