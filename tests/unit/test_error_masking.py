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
from collections.abc import Callable

import httpx
import pytest

from chroma_jina import (
    AuthenticationError,
    ConfigurationError,
    InsufficientBalanceError,
    InvalidRequestError,
    JinaError,
    JinaReranker,
    JinaTimeoutError,
    MalformedResponseError,
    NetworkError,
    RateLimitError,
    ServerError,
)
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


# ---- the exceptions chained to an error (review r3, security S1) ------------------------
#
# Before: a NetworkError or JinaTimeoutError kept httpx's exception as `__cause__`, whose
# `request.headers["authorization"]` was "Bearer <the key>": error trackers that record the
# cause chain, and code that prints it, showed the key.

TRANSPORT_FAILURES: dict[str, tuple[type[httpx.HTTPError], type[JinaError]]] = {
    "refused": (httpx.ConnectError, NetworkError),
    "dropped": (httpx.RemoteProtocolError, NetworkError),
    "timeout": (httpx.ReadTimeout, JinaTimeoutError),
    "redirects": (httpx.TooManyRedirects, ConfigurationError),
    "bad-gzip": (httpx.DecodingError, MalformedResponseError),
}
STATUS_ANSWERS: dict[int, type[JinaError]] = {
    400: InvalidRequestError,
    401: AuthenticationError,
    402: InsufficientBalanceError,
    429: RateLimitError,
    503: ServerError,
}


def chain(exc: BaseException) -> list[BaseException]:
    """The error and every exception chained to it."""
    found, todo = [], [exc]
    while todo:
        e = todo.pop()
        if e is not None and all(e is not f for f in found):
            found.append(e)
            todo += [e.__cause__, e.__context__]
    return found


def assert_no_key(error: JinaError) -> None:
    for exc in chain(error):
        assert KEY not in str(exc) and KEY not in repr(exc), exc
        request = getattr(exc, "_request", None)  # httpx's, when the exception carries one
        if request is not None:
            assert KEY not in repr(request.headers) and KEY not in str(request.headers.raw)
            assert request.headers["authorization"] == "Bearer ***"
    assert all(KEY not in text for text in texts_of(error))


def failing(kind: type[httpx.HTTPError]) -> Callable[[httpx.Request], httpx.Response]:
    def handle(request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"] == f"Bearer {KEY}"  # sent as it must be
        raise kind(f"failed with Authorization: Bearer {KEY}", request=request)  # type: ignore[call-arg]

    return handle


@pytest.mark.parametrize("asynchronous", [False, True])
@pytest.mark.parametrize("failure", TRANSPORT_FAILURES)
def test_the_key_is_in_no_exception_chained_to_an_error(failure: str, asynchronous: bool) -> None:
    kind, expected = TRANSPORT_FAILURES[failure]
    transport = httpx.MockTransport(failing(kind))
    kw: dict[str, object] = (
        {"async_http_client": httpx.AsyncClient(transport=transport)}
        if asynchronous
        else {"http_client": httpx.Client(transport=transport)}
    )
    ef, _ = make_ef(JinaEmulator(), api_key=KEY, max_retries=1, **kw)
    with pytest.raises(expected) as info:
        asyncio.run(ef.aembed(["a"])) if asynchronous else ef(["a"])
    assert type(info.value) is expected
    cause = info.value.__cause__
    assert isinstance(cause, kind) and cause.request.headers["authorization"] == "Bearer ***"
    assert_no_key(info.value)


@pytest.mark.parametrize("status", STATUS_ANSWERS)
def test_the_key_is_in_no_error_the_service_answers(status: int) -> None:
    emu = JinaEmulator()
    emu.script(*[_json(status, {"detail": f"no, Bearer {KEY}"})] * 3)
    ef, _ = make_ef(emu, api_key=KEY, max_retries=1)
    with pytest.raises(JinaError) as info:
        ef(["a"])
    assert type(info.value) is STATUS_ANSWERS[status]
    assert_no_key(info.value)


def test_the_reranker_masks_the_chain_too() -> None:
    transport = httpx.MockTransport(failing(httpx.ConnectError))
    ranker = JinaReranker(KEY, http_client=httpx.Client(transport=transport), max_retries=0)
    with pytest.raises(NetworkError) as info:
        ranker.rerank("q", ["a", "b"])
    assert_no_key(info.value)
