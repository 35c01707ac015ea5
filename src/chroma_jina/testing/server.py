"""A real HTTP server on loopback that answers from a `JinaEmulator`, one thread per connection."""

from __future__ import annotations

import logging
import socket
import struct
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .emulator import JinaEmulator


logger = logging.getLogger("chroma_jina.testing")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256
    emulator: JinaEmulator

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that goes away (a reset, a half-sent request) is normal for a server:
        one debug line, not a traceback on stderr."""
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, TimeoutError)):
            logger.debug("client %s went away: %r", client_address, error)
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]  # typeshed narrows what socketserver passes through


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "chroma-jina-emulator"
    sys_version = ""
    server: _Server

    def do_POST(self) -> None:
        self._answer()

    do_GET = do_PUT = do_DELETE = do_PATCH = do_POST

    def _answer(self) -> None:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = self._read_chunked()
        else:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if len(body) < length:
                raise ConnectionAbortedError("the client closed before sending the whole body")
        headers = {k.lower(): v for k, v in self.headers.items()}
        path = self.path.split("?", 1)[0]
        reply = self.server.emulator.handle(self.command, path, headers, body)
        try:
            if reply.delay > 0:
                time.sleep(reply.delay)
        finally:
            reply.release()
        drop = reply.drop
        try:
            if drop is not None and drop.after_bytes is None:
                self._drop(drop.reset)
                return
            self.send_response(reply.status)
            for name, value in reply.headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            if drop is not None:
                self.wfile.write(reply.body[: drop.after_bytes])
                self.wfile.flush()
                self._drop(drop.reset)
                return
            self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _read_chunked(self) -> bytes:
        chunks = []
        while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
            chunks.append(self.rfile.read(size))
            self.rfile.readline()
        while self.rfile.readline() not in (b"\r\n", b"\n", b""):  # trailers
            pass
        return b"".join(chunks)

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


@contextmanager
def serve(emulator: JinaEmulator, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Run the emulator on `host:port` (0 picks a free port) until the block ends."""
    server = _Server((host, port), _Handler)
    server.emulator = emulator
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        daemon=True,
        name="jina-emulator",
    )
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
