"""Error bodies as the 2026 API writes them, and an HTML page as a proxy in front of it would."""

from __future__ import annotations

import json
import secrets

MESSAGES = {
    "AUTH_MISSING_API_KEY": "Authentication required. Provide your API key via the Authorization "
    "header: 'Authorization: Bearer <api-key>'. Get your API key at "
    "https://jina.ai/api-dashboard/key-manager.",
    "AUTH_INVALID_API_KEY": "Invalid API key. Verify your API key at "
    "https://jina.ai/api-dashboard/key-manager or generate a new one.",
    "AUTH_INVALID_FORMAT": "Invalid authorization format. Use 'Authorization: Bearer <api-key>' "
    "with a valid Jina API key (65 characters, starts with 'jina_').",
    "AUTHZ_INSUFFICIENT_BALANCE": "Insufficient account balance. Top up your account at "
    "https://jina.ai/api-dashboard/key-manager.",
    "AUTHZ_RESOURCE_LIMIT_EXCEEDED": "Resource limit exceeded for your plan. Delete existing "
    "resources or upgrade your plan at https://jina.ai/api-dashboard/key-manager.",
    "RATE_REQUEST_LIMIT_EXCEEDED": "Request rate limit exceeded: 501/500 requests per minute. "
    "Reduce request frequency or upgrade your plan at https://jina.ai/api-dashboard/key-manager.",
    "RATE_TOKEN_LIMIT_EXCEEDED": "Token rate limit exceeded: 1,000,001/1,000,000 tokens per minute. "
    "Reduce batch sizes or upgrade your plan at https://jina.ai/api-dashboard/key-manager.",
    "RATE_CONCURRENCY_LIMIT_EXCEEDED": "Concurrency limit exceeded: 6/5 concurrent requests. Wait "
    "for pending requests to complete before sending new ones.",
    "RATE_IP_LIMIT_EXCEEDED": "IP rate limit exceeded. Too many requests from this IP address. "
    "Reduce request frequency.",
    "INTERNAL_ERROR": "An unexpected error occurred. If this persists, contact support with the "
    "request_id from this response.",
    "SERVICE_UNAVAILABLE": "Service temporarily unavailable. Please retry with exponential backoff.",
    "SERVICE_TIMEOUT": "Request timed out after 60 seconds. Try with smaller inputs or retry later.",
}
"""Default messages per code, from Jina's OpenAPI document 2026.04.02."""

STATUS_CODES = {
    500: "INTERNAL_ERROR",
    502: "INTERNAL_ERROR",
    503: "SERVICE_UNAVAILABLE",
    504: "SERVICE_TIMEOUT",
}
"""The code a JSON 5xx body carries (502 has no documented code of its own)."""


def request_id() -> str:
    """A fresh 32-hex request id."""
    return secrets.token_hex(16)


def _dump(obj: object) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def flat(code: str, detail: str | None = None, rid: str | None = None) -> bytes:
    """`{"detail", "code", "request_id"}`: auth, billing, rate-limit and server errors."""
    return _dump(
        {
            "detail": detail or MESSAGES.get(code, code),
            "code": code,
            "request_id": rid or request_id(),
        }
    )


def nested(code: str, message: str, rid: str | None = None) -> bytes:
    """`{"detail": {"message", "request_id", "code"}}`: the 400 errors."""
    return _dump({"detail": {"message": message, "request_id": rid or request_id(), "code": code}})


def validation(field: str, message: str, kind: str, value: object, rid: str | None = None) -> bytes:
    """The 422 body for one invalid field (`field` like "dimensions" or "input -> 2")."""
    name = field.split(" -> ")[0]
    return _dump(
        {
            "detail": f"Validation error: '{name}' {message}. Field errors: : Invalid value",
            "request_id": rid or request_id(),
            "errors": [
                {"field": f"body -> {field}", "message": message, "type": kind, "input": value}
            ],
        }
    )


_REASONS = {
    500: "Internal server error",
    502: "Bad gateway",
    503: "Service unavailable",
    504: "Gateway time-out",
    520: "Web server is returning an unknown error",
}


def html_page(status: int) -> bytes:
    """An error page like the one a CDN in front of the API serves when the origin fails."""
    reason = _REASONS.get(status, "Error")
    return (
        '<!DOCTYPE html>\n<html lang="en-US">\n<head>\n<title>api.jina.ai | '
        f'{status}: {reason}</title>\n<meta charset="UTF-8" />\n</head>\n<body>\n'
        f"<h1>{reason}</h1>\n<p>Error code {status}</p>\n<p>The web server reported a "
        f"{reason.lower()} error.</p>\n<p>Ray ID: {request_id()[:16]}</p>\n</body>\n</html>\n"
    ).encode()
