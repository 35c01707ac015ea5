"""Typed errors raised by chroma-jina.

Every failure of a request becomes one of these classes, carrying the HTTP `status`,
Jina's `code` and `request_id` when the service sent them, the service's `message`, a
`hint` saying how to fix it, `input_indices`: the positions (in the caller's input list) of
every input that was not embedded, `embedded`: the vectors of the inputs that were (paid for:
keep them), and `at_fault`: the inputs the error is about. An error of httpx is the
`__cause__`. The API key never appears in any of them: should the service echo it in any
field, `mask` replaces it there (the client calls it on every error), and in the exceptions
chained to the error, whose httpx request shows `Authorization: Bearer ***`.
"""

from __future__ import annotations

import sys
import warnings
from typing import Any

import httpx


class JinaError(Exception):
    """Base class of every error this library raises about a Jina request."""

    default_hint = ""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
        hint: str | None = None,
        input_indices: list[int] | None = None,
    ) -> None:
        self.message = message
        self.status = status
        self.code = code
        self.request_id = request_id
        self.hint = self.default_hint if hint is None else hint
        self.input_indices = input_indices
        """Positions of every input of the call that was not embedded."""
        self.at_fault: list[int] | None = input_indices
        """Positions of the inputs the error is about: the over-long ones, those a response
        left out twice, or else those of the request that failed."""
        self.embedded: dict[int, Any] = {}
        """Vectors (float32 numpy arrays) of the inputs that were embedded before the call
        failed, by position: they were paid for, so keep them and send only `input_indices`."""
        super().__init__(message)

    TEXT_FIELDS = ("message", "code", "request_id", "hint")
    """Every field that holds text from the service or about it."""

    def mask(self, secret: str | None) -> JinaError:
        """Replace `secret` with `***` in every text field (and `args`), and in the exceptions
        chained to this one (their messages, and the headers of an httpx request they carry,
        whose Authorization becomes `Bearer ***`); returns self."""
        if secret:
            for name in self.TEXT_FIELDS:
                value = getattr(self, name)
                if isinstance(value, str) and secret in value:
                    setattr(self, name, value.replace(secret, "***"))
            self.args = _masked(self.args, secret)
        _mask_chained(self, secret)
        return self

    def __str__(self) -> str:
        head = " ".join(
            str(p) for p in (f"HTTP {self.status}" if self.status else None, self.code) if p
        )
        text = f"{head}: {self.message}" if head else self.message
        if self.request_id:
            text += f" (request_id {self.request_id})"
        named = self.at_fault if self.at_fault else self.input_indices
        if named:
            text += f" [{_describe_indices(named)}]"
        if self.embedded:
            text += (
                f" ({len(self.embedded)} inputs were embedded: their vectors are in .embedded;"
                f" {len(self.input_indices or [])} were not: .input_indices)"
            )
        if self.hint:
            text += f"\nHint: {self.hint}"
        return text


def _masked(args: tuple[Any, ...], secret: str) -> tuple[Any, ...]:
    return tuple(a.replace(secret, "***") if isinstance(a, str) else a for a in args)


MAX_CHAINED = 16
"""Chained exceptions looked at by `mask`: the chain is short (ours, httpx's, httpcore's)."""


def _mask_chained(error: BaseException, secret: str | None) -> None:
    """Mask `secret` in the exceptions chained to `error` (`__cause__`, `__context__`) and
    the Authorization header of the httpx request each carries, so that an error tracker
    that records the chain never sees the key."""
    seen = {id(error)}
    todo = [error.__cause__, error.__context__]
    while todo and len(seen) <= MAX_CHAINED:
        exc = todo.pop()
        if exc is None or id(exc) in seen:
            continue
        seen.add(id(exc))
        if secret:
            exc.args = _masked(exc.args, secret)
        for request in _requests_of(exc):
            _mask_headers(request.headers, secret)
        todo += [exc.__cause__, exc.__context__]


def _requests_of(exc: BaseException) -> list[httpx.Request]:
    """The httpx requests an exception carries (its own, its response's)."""
    found: list[httpx.Request] = []
    for holder in (exc, getattr(exc, "response", None)):
        try:  # httpx raises RuntimeError for a request that was never set
            request = getattr(holder, "request", None)
        except RuntimeError:
            continue
        if isinstance(request, httpx.Request):
            found.append(request)
    return found


def _mask_headers(headers: httpx.Headers, secret: str | None) -> None:
    for name, value in list(headers.items()):
        if name.lower() in ("authorization", "proxy-authorization"):
            scheme = value.split(" ", 1)[0] if " " in value else ""
            headers[name] = f"{scheme} ***".strip()
        elif secret and secret in value:
            headers[name] = value.replace(secret, "***")


def _describe_indices(indices: list[int]) -> str:
    if len(indices) == 1:
        return f"input {indices[0]}"
    if indices == list(range(indices[0], indices[0] + len(indices))):
        return f"inputs {indices[0]}..{indices[-1]}"
    shown = ", ".join(map(str, indices[:8]))
    return f"{len(indices)} inputs: {shown}{', ...' if len(indices) > 8 else ''}"


class AuthenticationError(JinaError):
    """401: the API key is missing, malformed or not valid."""

    default_hint = (
        "Check the key in the variable named by api_key_env_var (default CHROMA_JINA_API_KEY); "
        "keys start with 'jina_'. Get one at https://jina.ai/api-dashboard/key-manager."
    )


class MissingAPIKeyError(AuthenticationError, ValueError):
    """No API key was passed and none is set in the environment (raised before any request)."""


class InsufficientBalanceError(JinaError):
    """402/403: the account has no token balance left or hit a resource limit."""

    default_hint = "Top up the account at https://jina.ai/api-dashboard/key-manager."


class RateLimitError(JinaError):
    """429: too many requests, tokens or concurrent requests, after all retries."""

    default_hint = (
        "Set the key's limits for the process with JINA_MAX_CONCURRENCY, "
        "JINA_REQUESTS_PER_MINUTE and JINA_TOKENS_PER_MINUTE (each process its share when "
        "several use the key), or raise max_retries."
    )

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kw)


class InvalidRequestError(JinaError):
    """400/413/422 and other 4xx: the service refused the request as invalid (never retried)."""

    default_hint = (
        "Check the model name and options against the model catalog (chroma_jina.models)."
    )


ValidationError = InvalidRequestError
"""Alias of `InvalidRequestError`."""


class ServerError(JinaError):
    """5xx: the service failed, after all retries."""

    default_hint = "The service is failing; retry later or raise max_retries."


class NetworkError(JinaError):
    """The request did not get an HTTP answer (connection refused or dropped), after all retries."""

    default_hint = "Check the network and base_url (env JINA_API_BASE_URL)."


GUIDE_URL = "https://chroma-jina.github.io/chroma-jina/"
"""Where the guide is published (mkdocs.yml `site_url`); hints link its pages."""

MAINLAND_CHINA_HINT = (
    f"{NetworkError.default_hint} No connection to api.jina.ai: in mainland China the jina.ai "
    "domain has not resolved since 2026-03-29. See "
    f"{GUIDE_URL}mainland-china/ (Chinese: {GUIDE_URL}zh/mainland-china/)."
)
"""The hint of a `NetworkError` when the default host could not be resolved or connected to."""


class JinaTimeoutError(NetworkError):
    """The request timed out (client timeout or HTTP 408), after all retries."""

    default_hint = "Raise timeout=, or send smaller batches (batch_size=, max_tokens_per_request=)."


class ConfigurationError(JinaError):
    """The request could not be sent as configured: `base_url` is not an http(s) URL,
    redirects never end, the http client passed in was closed, or a proxy or gateway refused
    the request with a 402/403 that Jina's API did not write (never retried)."""

    default_hint = (
        "Check base_url (env JINA_API_BASE_URL), e.g. https://api.jina.ai/v1, and any proxy."
    )


CLOSED_CLIENT_HINT = (
    "The http_client or async_http_client passed to the function was closed: keep it open "
    "until the function's last call (close it when the application shuts down), or pass none "
    "and let chroma-jina manage its own."
)
"""The hint of a `ConfigurationError` when httpx refuses a closed client."""

NOT_JINA_HINT = (
    "This 402/403 answer is not in the Jina API's error format, so it is not about the account's "
    "balance: a proxy, firewall or the gateway at base_url (env JINA_API_BASE_URL) refused the "
    "request. Check the proxy settings and base_url; the message shows what that refusal said."
)
"""The hint of a `ConfigurationError` for a 402/403 that Jina's API did not write."""


class MalformedResponseError(JinaError):
    """A 200 response that cannot be used: not JSON, or indices missing, repeated or out of range."""

    default_hint = "The response did not match the Jina API; check base_url points at a Jina API."


class IgnoredOptionsWarning(UserWarning):
    """A reopened collection's saved config has options its model does not take; they are
    left out of requests."""


class ModelLanguageWarning(UserWarning):
    """The model was not trained on the language of the inputs (e.g. Chinese text given to the
    English-only default model). Issued by every such call through Python's warning filters:
    the default filter shows it once per line of code, "error" raises it every time before
    anything is sent, "ignore" silences it."""


def warn_caller(message: str, category: type[Warning]) -> None:
    """Issue a warning attributed to the first frame outside chroma_jina and chromadb: the
    user's line, however deep Chroma's wrappers call the function."""
    frame, level = sys._getframe(1), 2
    while frame.f_back is not None and frame.f_globals.get("__name__", "").partition(".")[0] in (
        "chroma_jina",
        "chromadb",
    ):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)


__all__ = [
    "AuthenticationError",
    "ConfigurationError",
    "IgnoredOptionsWarning",
    "InsufficientBalanceError",
    "InvalidRequestError",
    "JinaError",
    "JinaTimeoutError",
    "MalformedResponseError",
    "MissingAPIKeyError",
    "ModelLanguageWarning",
    "NetworkError",
    "RateLimitError",
    "ServerError",
    "ValidationError",
]
