"""The API key never appears in an error, whichever field the service echoes it in.

A service (or a proxy in front of it) may repeat the Authorization header it got: in the
message, in `code`, in `request_id`, in a body that is not JSON, in a 200 that cannot be used.
Every text field of the error is masked, so `str(exc)`, `repr(exc)`, the fields themselves and
the retry log show `***`.
"""

from __future__ import annotations

import asyncio
import json
import logging

import httpx
import pytest

from chroma_jina import JinaError
from chroma_jina.testing import JinaEmulator, RawReply
from tests.support.service import KEY, make_ef


def _json(status: int, body: object) -> RawReply:
    return RawReply(status, json.dumps(body).encode())


ECHOES: dict[str, RawReply | None] = {
    "all-fields": _json(
        401, {"detail": {"message": f"bad key {KEY}", "code": f"AUTH_{KEY}", "request_id": KEY}}
    ),
    "code": _json(400, {"detail": "refused", "code": f"Bearer {KEY}"}),
    "list-detail": _json(
        422, {"detail": [{"loc": ["body", "input"], "msg": f"key {KEY} not allowed"}]}
    ),
    "not-json": RawReply(403, f"<html>forbidden for Bearer {KEY}</html>".encode(), "text/html"),
    "200-not-json": RawReply(200, f"not json {KEY}".encode(), "text/plain"),
    "network": None,
}
"""Answers that echo the key, from the emulator; "network": a proxy that refuses the connection
with the key in its message (no service answers: the client's transport fails)."""


def _refusing(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError(f"proxy refused Authorization: Bearer {KEY}", request=request)


def texts_of(exc: JinaError) -> list[str]:
    fields = [getattr(exc, name) for name in JinaError.TEXT_FIELDS]
    return [str(exc), repr(exc), *map(str, exc.args), *(f for f in fields if f)]


@pytest.mark.parametrize("asynchronous", [False, True])
@pytest.mark.parametrize("answer", ECHOES)
def test_a_key_echoed_in_any_field_is_masked(
    answer: str, asynchronous: bool, caplog: pytest.LogCaptureFixture
) -> None:
    emu = JinaEmulator()
    echo = ECHOES[answer]
    kw: dict[str, object] = {}
    if echo is None:
        transport = httpx.MockTransport(_refusing)
        client = httpx.AsyncClient if asynchronous else httpx.Client
        kw["async_http_client" if asynchronous else "http_client"] = client(transport=transport)
    else:
        emu.script(*[echo] * 10)
    ef, _ = make_ef(emu, api_key=KEY, max_retries=1, asynchronous=asynchronous, **kw)

    def call() -> object:
        return asyncio.run(ef.aembed(["a"])) if asynchronous else ef(["a"])

    with caplog.at_level(logging.DEBUG), pytest.raises(JinaError) as info:
        call()
    texts = texts_of(info.value)
    assert all(KEY not in text for text in texts), texts
    assert any("***" in text for text in texts), texts
    assert KEY not in caplog.text


def test_every_field_is_masked_on_the_error_itself() -> None:
    exc = JinaError(f"m {KEY}", status=401, code=f"c{KEY}", request_id=KEY, hint=f"h {KEY}")
    assert KEY in str(exc)
    exc.mask(KEY)
    assert (exc.message, exc.code, exc.request_id, exc.hint) == ("m ***", "c***", "***", "h ***")
    assert KEY not in str(exc) and KEY not in repr(exc) and exc.args == ("m ***",)
    assert exc.mask(None) is exc and exc.mask("") is exc
