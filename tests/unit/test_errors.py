"""errors.py / retries: every error body in the reference maps to its type; what is retried
(408, 429, 5xx, network) and what never is (other 4xx); backoff and Retry-After."""

from __future__ import annotations

import httpx
import pytest

from chroma_jina import (
    AuthenticationError,
    InsufficientBalanceError,
    InvalidRequestError,
    JinaError,
    JinaTimeoutError,
    MalformedResponseError,
    NetworkError,
    RateLimitError,
    ServerError,
)
from chroma_jina.wire import parse_error
from tests.support.service import KEY, WALL_START, FakeJina, error, expected, make_ef, same

RID = "06b5f7bdde6ea380106a87fe6ab8ec5a"

# Every error body quoted in ../shared/reference/jina-api.md, with the type it must become.
BODIES = [
    # before late 2025: {"detail": "<string>"}
    (
        401,
        {"detail": "Failed to authenticate with the provided api key."},
        AuthenticationError,
        None,
        None,
        "Failed to authenticate with the provided api key.",
    ),
    (
        400,
        {"detail": '"input" length 2049 is larger than the largest allowed size 2048'},
        InvalidRequestError,
        None,
        None,
        '"input" length 2049 is larger than the largest allowed size 2048',
    ),
    (
        400,
        {"detail": "Single text cannot exceed 8192 tokens. 10454 tokens given."},
        InvalidRequestError,
        None,
        None,
        "Single text cannot exceed 8192 tokens. 10454 tokens given.",
    ),
    # 2026 nested 400
    (
        400,
        {
            "detail": {
                "message": "Input exceeds 8192 tokens",
                "request_id": RID,
                "code": "INPUT_TOKEN_LIMIT_EXCEEDED",
            }
        },
        InvalidRequestError,
        "INPUT_TOKEN_LIMIT_EXCEEDED",
        RID,
        "Input exceeds 8192 tokens",
    ),
    # 2026 422 with field errors
    (
        422,
        {
            "detail": "Validation error: 'dimensions' Input should be less than or equal to 1024. "
            "Field errors: : Invalid value",
            "request_id": RID,
            "errors": [
                {
                    "field": "body -> dimensions",
                    "message": "Input should be less than or equal to 1024",
                    "type": "less_than_equal",
                    "input": 2048,
                }
            ],
        },
        InvalidRequestError,
        None,
        RID,
        "Validation error: 'dimensions' Input should be less than or equal",
    ),
    # the flat form the spec documents
    (
        401,
        {"detail": "Invalid API key", "code": "AUTH_INVALID_API_KEY", "request_id": RID},
        AuthenticationError,
        "AUTH_INVALID_API_KEY",
        RID,
        "Invalid API key",
    ),
    # late-2025 transitional
    (
        500,
        {"detail": f"[RID: {RID}] Failed to encode text"},
        ServerError,
        None,
        RID,
        "Failed to encode text",
    ),
    # FastAPI-style 422 list
    (
        422,
        {"detail": [{"loc": ["body", "task"], "msg": "unknown task"}]},
        InvalidRequestError,
        None,
        None,
        "body.task: unknown task",
    ),
]

CODES = [
    (400, "INPUT_MODEL_NOT_FOUND", InvalidRequestError),
    (400, "INPUT_TOKEN_LIMIT_EXCEEDED", InvalidRequestError),
    (401, "AUTH_MISSING_API_KEY", AuthenticationError),
    (401, "AUTH_INVALID_API_KEY", AuthenticationError),
    (401, "AUTH_INVALID_FORMAT", AuthenticationError),
    (402, "AUTHZ_INSUFFICIENT_BALANCE", InsufficientBalanceError),
    (403, "AUTHZ_INSUFFICIENT_BALANCE", InsufficientBalanceError),
    (403, "AUTHZ_RESOURCE_LIMIT_EXCEEDED", InsufficientBalanceError),
    (422, "VALIDATION_ERROR", InvalidRequestError),
    (429, "RATE_REQUEST_LIMIT_EXCEEDED", RateLimitError),
    (429, "RATE_TOKEN_LIMIT_EXCEEDED", RateLimitError),
    (429, "RATE_CONCURRENCY_LIMIT_EXCEEDED", RateLimitError),
    (429, "RATE_IP_LIMIT_EXCEEDED", RateLimitError),
    (500, "INTERNAL_ERROR", ServerError),
    (503, "SERVICE_UNAVAILABLE", ServerError),
    (504, "SERVICE_TIMEOUT", ServerError),
]


@pytest.mark.parametrize(("status", "body", "cls", "code", "rid", "message"), BODIES)
def test_reference_error_bodies(status, body, cls, code, rid, message) -> None:
    import json

    err = parse_error(status, {}, json.dumps(body).encode())
    assert type(err) is cls
    assert (err.status, err.code, err.request_id) == (status, code, rid)
    assert err.message.startswith(message)
    assert err.hint and err.hint in str(err)


@pytest.mark.parametrize(("status", "code", "cls"), CODES)
def test_every_2026_code_maps_to_its_type(status: int, code: str, cls: type) -> None:
    import json

    for body in (
        {"detail": {"message": "m", "code": code, "request_id": RID}},
        {"detail": "m", "code": code, "request_id": RID},
    ):
        err = parse_error(status, {}, json.dumps(body).encode())
        assert (
            type(err) is cls and err.code == code and err.request_id == RID and err.message == "m"
        )


def test_bodies_that_are_not_json() -> None:
    html = b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"
    err = parse_error(502, {"x-request-id": "abc"}, html)
    assert type(err) is ServerError and "502 Bad Gateway" in err.message and err.request_id == "abc"
    assert "<" not in err.message
    assert type(parse_error(401, {}, b"")) is AuthenticationError
    assert type(parse_error(408, {}, b"timeout")) is JinaTimeoutError
    assert type(parse_error(404, {}, b"Not Found")) is InvalidRequestError
    assert "base_url" in parse_error(404, {}, b"Not Found").hint
    assert type(parse_error(302, {}, b"")) is MalformedResponseError
    assert isinstance(JinaTimeoutError("x"), NetworkError)
    assert issubclass(RateLimitError, JinaError)


# ---- retries -------------------------------------------------------------------------------

RETRIED = [
    error(408, {"detail": "Request Timeout"}),
    error(429, {"detail": "Too many", "code": "RATE_REQUEST_LIMIT_EXCEEDED"}),
    error(500, {"detail": "boom"}),
    error(502, b"<html>bad gateway</html>"),
    error(503, {"detail": {"message": "busy", "code": "SERVICE_UNAVAILABLE"}}),
    error(504, {"detail": "SERVICE_TIMEOUT"}),
    httpx.ConnectError("refused"),
    httpx.RemoteProtocolError("Server disconnected without sending a response."),
    httpx.ReadError("reset"),
    httpx.ReadTimeout("slow"),
]


@pytest.mark.parametrize(
    "failure", RETRIED, ids=lambda f: getattr(f, "status_code", type(f).__name__)
)
def test_transient_failures_are_retried(failure) -> None:
    fake = FakeJina()
    fake.script = [failure, failure]
    ef, sleeps = make_ef(fake)
    assert same(ef(["a", "b"]), expected(["a", "b"]))
    assert len(fake.requests) == 3 and len(sleeps) == 2
    assert ef.last_usage.requests == 3


NOT_RETRIED = [
    (
        400,
        {"detail": {"message": "no such model", "code": "INPUT_MODEL_NOT_FOUND"}},
        InvalidRequestError,
    ),
    (401, {"detail": "Failed to authenticate with the provided api key."}, AuthenticationError),
    (402, {"detail": "Insufficient balance"}, InsufficientBalanceError),
    (403, {"detail": "m", "code": "AUTHZ_INSUFFICIENT_BALANCE"}, InsufficientBalanceError),
    (404, b"Not Found", InvalidRequestError),
    (409, {"detail": "busy"}, InvalidRequestError),
    (413, b"Request Entity Too Large", InvalidRequestError),
    (422, {"detail": "Validation error: unknown task"}, InvalidRequestError),
]


@pytest.mark.parametrize(("status", "body", "cls"), NOT_RETRIED, ids=lambda x: str(x)[:12])
@pytest.mark.parametrize("asynchronous", [False, True])
def test_other_4xx_are_never_retried(status, body, cls, asynchronous) -> None:
    import asyncio

    fake = FakeJina()
    fake.script = [error(status, body)] * 3
    ef, sleeps = make_ef(fake, asynchronous=asynchronous)
    with pytest.raises(cls) as info:
        asyncio.run(ef.aembed(["only one"])) if asynchronous else ef(["only one"])
    assert len(fake.requests) == 1 and sleeps == []
    assert info.value.status == status and info.value.input_indices == [0]


def test_backoff_is_exponential_with_jitter_and_gives_up_after_max_retries() -> None:
    fake = FakeJina()
    fake.script = [error(503, {"detail": "busy"})] * 10
    ef, sleeps = make_ef(fake, max_retries=4)
    with pytest.raises(ServerError) as info:
        ef(["a", "b", "c"])
    assert len(fake.requests) == 5 and info.value.input_indices == [0, 1, 2]
    assert [0.5 * 2**i * 0.5 <= s <= 0.5 * 2**i for i, s in enumerate(sleeps)] == [True] * 4
    assert len(set(sleeps)) == 4


def test_retry_after_in_seconds_and_as_a_date_is_honoured() -> None:
    date = "Fri, 15 Jan 2027 08:00:42 GMT"  # 42 s after the fake wall clock's start
    fake = FakeJina()
    fake.script = [
        error(429, {"detail": "slow down"}, {"Retry-After": "3"}),
        error(429, {"detail": "slow down"}, {"Retry-After": date}),
    ]
    ef, sleeps = make_ef(fake)
    assert ef._jina_client.wall() == WALL_START
    assert same(ef(["a"]), expected(["a"]))
    assert sleeps == [3.0, 39.0]  # the date is 39 s away once the first 3 s have passed


def test_a_retry_after_too_long_to_wait_raises_at_once() -> None:
    fake = FakeJina()
    fake.script = [error(429, {"detail": "daily quota"}, {"Retry-After": "86400"})]
    ef, sleeps = make_ef(fake)
    with pytest.raises(RateLimitError) as info:
        ef(["a"])
    assert info.value.retry_after == 86400 and sleeps == [] and len(fake.requests) == 1


def test_max_retries_zero_sends_once() -> None:
    fake = FakeJina()
    fake.script = [httpx.ConnectError("refused")]
    ef, _ = make_ef(fake, max_retries=0)
    with pytest.raises(NetworkError) as info:
        ef(["a"])
    assert len(fake.requests) == 1 and not isinstance(info.value, JinaTimeoutError)
    fake.script = [httpx.ReadTimeout("slow")]
    with pytest.raises(JinaTimeoutError):
        ef(["a"])


def test_errors_carry_status_code_request_id_and_hint_in_str() -> None:
    fake = FakeJina()
    fake.script = [
        error(
            403,
            {
                "detail": {
                    "message": "Insufficient balance",
                    "request_id": RID,
                    "code": "AUTHZ_INSUFFICIENT_BALANCE",
                }
            },
        )
    ]
    ef, _ = make_ef(fake, KEY)
    with pytest.raises(InsufficientBalanceError) as info:
        ef(["a"])
    text = str(info.value)
    assert text.startswith("HTTP 403 AUTHZ_INSUFFICIENT_BALANCE: Insufficient balance")
    assert RID in text and "input 0" in text and "Hint: Top up" in text
