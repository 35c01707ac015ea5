"""errors.py: every error body in the reference maps to its type, with its status, code, request
id and hint (what is retried and how: test_retries.py)."""

from __future__ import annotations

import re

import pytest

from chroma_jina import (
    AuthenticationError,
    ConfigurationError,
    InsufficientBalanceError,
    InvalidRequestError,
    JinaError,
    JinaTimeoutError,
    MalformedResponseError,
    NetworkError,
    RateLimitError,
    ServerError,
)
from chroma_jina.pacing import ENV_VARIABLES
from chroma_jina.testing import ErrorReply, JinaEmulator, RawReply
from chroma_jina.wire import parse_error
from tests.support.service import KEY, make_ef

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
    too_large = parse_error(413, {}, b"<html><title>413 Request Entity Too Large</title></html>")
    assert type(too_large) is InvalidRequestError and "client_max_body_size" in too_large.hint
    assert type(parse_error(302, {}, b"")) is MalformedResponseError
    assert isinstance(JinaTimeoutError("x"), NetworkError)
    assert issubclass(RateLimitError, JinaError)


def test_errors_carry_status_code_request_id_and_hint_in_str() -> None:
    emu = JinaEmulator()
    emu.script(ErrorReply(403, "AUTHZ_INSUFFICIENT_BALANCE", "Insufficient balance"))
    ef, _ = make_ef(emu, KEY)
    with pytest.raises(InsufficientBalanceError) as info:
        ef(["a"])
    text = str(info.value)
    assert text.startswith("HTTP 403 AUTHZ_INSUFFICIENT_BALANCE: Insufficient balance")
    assert re.fullmatch("[0-9a-f]{32}", info.value.request_id)  # the emulator's, as the API's
    assert info.value.request_id in text and "input 0" in text and "Hint: Top up" in text


def test_rate_limit_hints_name_the_process_wide_settings() -> None:
    """The key's limits are set per process (JINA_*); a function's max_concurrency or
    requests_per_minute only lower its own share, so hints do not offer them as the fix
    (before: "give each a share of the key's limit with max_concurrency")."""
    crowded = parse_error(
        429, {}, b'{"detail": "too many", "code": "RATE_CONCURRENCY_LIMIT_EXCEEDED"}'
    )
    assert crowded.hint is not None and ENV_VARIABLES["concurrency"] in crowded.hint
    assert "only lowers its own share" in crowded.hint
    plain = parse_error(429, {}, b'{"detail": "too many"}')
    assert plain.hint == RateLimitError.default_hint
    assert all(name in plain.hint for name in ENV_VARIABLES.values())
    assert "Lower max_concurrency" not in plain.hint


GATEWAY_REFUSALS = [
    (403, b"<html><body><h1>403 Forbidden</h1>Request blocked by firewall</body></html>"),
    (403, b'{"error": "forbidden", "reason": "ip not allowed"}'),
    (403, b'{"detail": "Forbidden"}'),
    (402, b"<html>Payment required by proxy</html>"),
    (402, b'{"message": "quota of this gateway exhausted"}'),
]


@pytest.mark.parametrize(("status", "body"), GATEWAY_REFUSALS)
def test_a_402_or_403_not_written_by_jina_is_not_a_balance_error(status: int, body: bytes) -> None:
    """A proxy's, firewall's or gateway's refusal keeps its status and names them, instead
    of sending the reader to top up an account that may be full (before: every 402/403 was
    InsufficientBalanceError, "Top up the account")."""
    err = parse_error(status, {}, body)
    assert type(err) is ConfigurationError and err.status == status
    assert err.hint is not None and "proxy" in err.hint and "Top up" not in str(err)


def test_jinas_own_402_and_403_stay_balance_errors() -> None:
    old = parse_error(402, {}, b'{"detail": "Insufficient balance"}')
    assert type(old) is InsufficientBalanceError and "Top up" in str(old)
    for code in ("AUTHZ_INSUFFICIENT_BALANCE", "AUTHZ_RESOURCE_LIMIT_EXCEEDED"):
        assert type(parse_error(403, {}, f'{{"detail": "m", "code": "{code}"}}'.encode())) is (
            InsufficientBalanceError
        )


def test_a_gateways_403_through_the_function_is_not_retried() -> None:
    emu = JinaEmulator()
    emu.script(RawReply(403, b"<html><h1>Access denied</h1></html>", "text/html"))
    ef, clock = make_ef(emu, KEY)
    with pytest.raises(ConfigurationError) as info:
        ef(["a"])
    assert info.value.status == 403 and "Access denied" in info.value.message
    assert len(emu.requests) == 1 and clock.sleeps == []


def test_a_closed_http_client_is_a_configuration_error() -> None:
    """httpx raises RuntimeError for a closed client; the caller gets a JinaError naming the
    fix, and nothing is retried or sent."""
    import httpx

    emu = JinaEmulator()
    client = httpx.Client(transport=emu.transport())
    ef, clock = make_ef(emu, KEY, http_client=client)
    client.close()
    with pytest.raises(ConfigurationError) as info:
        ef(["a"])
    assert "closed" in info.value.message and "keep it open" in (info.value.hint or "")
    assert emu.requests == [] and clock.sleeps == []


def test_a_closed_async_http_client_is_a_configuration_error() -> None:
    import asyncio

    import httpx

    emu = JinaEmulator()

    async def main() -> None:
        client = httpx.AsyncClient(transport=emu.transport())
        ef, _ = make_ef(emu, KEY, asynchronous=True, async_http_client=client)
        await client.aclose()
        with pytest.raises(ConfigurationError, match="closed"):
            await ef.aembed(["a"])

    asyncio.run(main())
    assert emu.requests == []
