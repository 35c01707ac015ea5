"""An httpx transport (sync and async) that answers from a `JinaEmulator` in-process."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

import httpx

from .emulator import EmulatedReply

if TYPE_CHECKING:
    from .emulator import JinaEmulator


class EmulatorTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Pass to `httpx.Client(transport=...)` or `httpx.AsyncClient(transport=...)`.

    Latency sleeps (`asyncio.sleep` in async clients, so other requests go on meanwhile);
    a wait longer than the client's read timeout raises `httpx.ReadTimeout` after the timeout;
    dropped connections raise what httpx raises for a real one.
    """

    def __init__(self, emulator: JinaEmulator) -> None:
        self.emulator = emulator

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Answer `request` as the emulator would (httpx's sync transport interface)."""
        reply = self._reply(request, request.read())
        try:
            timeout = _read_timeout(request)
            if timeout is not None and reply.delay > timeout:
                time.sleep(timeout)
                raise httpx.ReadTimeout("timed out", request=request)
            if reply.delay > 0:
                time.sleep(reply.delay)
        finally:
            reply.release()
        return _response(reply, request, sync=True)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Answer `request` as the emulator would (httpx's async transport interface)."""
        reply = self._reply(request, await request.aread())
        try:
            timeout = _read_timeout(request)
            if timeout is not None and reply.delay > timeout:
                await asyncio.sleep(timeout)
                raise httpx.ReadTimeout("timed out", request=request)
            if reply.delay > 0:
                await asyncio.sleep(reply.delay)
        finally:
            reply.release()
        return _response(reply, request, sync=False)

    def _reply(self, request: httpx.Request, body: bytes) -> EmulatedReply:
        return self.emulator.handle(request.method, request.url.path, request.headers, body)


def _read_timeout(request: httpx.Request) -> float | None:
    timeouts: dict[str, float | None] = request.extensions.get("timeout", {})  # httpx's shape
    return timeouts.get("read")


def _response(reply: EmulatedReply, request: httpx.Request, sync: bool) -> httpx.Response:
    headers = [*reply.headers, ("Content-Length", str(len(reply.body)))]
    drop = reply.drop
    if drop is None:
        return httpx.Response(reply.status, headers=headers, content=reply.body, request=request)
    if drop.after_bytes is None:
        if drop.reset:
            raise httpx.ReadError("[Errno 104] Connection reset by peer", request=request)
        raise httpx.RemoteProtocolError(
            "Server disconnected without sending a response.", request=request
        )
    part = reply.body[: drop.after_bytes]
    error: httpx.TransportError
    if drop.reset:
        error = httpx.ReadError("[Errno 104] Connection reset by peer", request=request)
    else:
        error = httpx.RemoteProtocolError(
            "peer closed connection without sending complete message body "
            f"(received {len(part)} bytes, expected {len(reply.body)})",
            request=request,
        )
    stream = _BrokenStream(part, error)
    return httpx.Response(reply.status, headers=headers, stream=stream, request=request)


class _BrokenStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body that stops after `part` with a transport error."""

    def __init__(self, part: bytes, error: httpx.TransportError) -> None:
        self.part = part
        self.error = error

    def __iter__(self) -> Iterator[bytes]:
        if self.part:
            yield self.part
        raise self.error

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self.part:
            yield self.part
        raise self.error
