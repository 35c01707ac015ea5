"""Every error row of jina-api.md, injected faults, rate limits and latency, over both ways in."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import Callable, Iterator
from email.utils import parsedate_to_datetime

import httpx
import pytest

from chroma_jina.testing import (
    DroppedConnection,
    DuplicatedIndex,
    ErrorReply,
    HTMLErrorPage,
    JinaEmulator,
    Latency,
    MissingIndices,
    RandomFaults,
    RateLimits,
    ServerFailure,
    ShuffledIndices,
    SlowResponse,
    TooManyRequests,
)
from chroma_jina.testing.limits import Limiter

KEY = "jina_offline_emulator_key"
AUTH = {"Authorization": f"Bearer {KEY}"}
RID = re.compile(r"[0-9a-f]{32}")
V3 = "jina-embeddings-v3"

Post = Callable[..., httpx.Response]


@pytest.fixture(params=["transport", "server"])
def way(request: pytest.FixtureRequest) -> Iterator[Callable[[JinaEmulator], Post]]:
    """Talk to an emulator through its httpx transport, or through its loopback server."""
    stack: list = []

    def connect(emu: JinaEmulator) -> Post:
        if request.param == "transport":
            client = httpx.Client(transport=emu.transport(), base_url="https://api.jina.ai/v1")
        else:
            serving = emu.serve()
            base_url = serving.__enter__()
            stack.append(serving)
            client = httpx.Client(base_url=base_url)
        stack.append(client)

        def post(
            body: dict | None = None, headers: dict | None = None, **kw: object
        ) -> httpx.Response:
            return client.post(
                "/embeddings", json=body, headers=AUTH if headers is None else headers, **kw
            )

        return post

    yield connect
    for item in reversed(stack):
        item.close() if isinstance(item, httpx.Client) else item.__exit__(None, None, None)


def _code(response: httpx.Response) -> str:
    body = response.json()
    detail = body["detail"]
    if isinstance(detail, dict):  # the nested 400 form
        assert RID.fullmatch(detail["request_id"])
        return detail["code"]
    assert RID.fullmatch(body["request_id"])
    return body.get("code") or body["errors"][0]["type"]


# ---- each error row of the contract -----------------------------------------------------------

LONG = "word " * 8200  # 8,202 tokens: over the 8,192 context of v2 and v3

ROWS = [
    (400, "INPUT_MODEL_NOT_FOUND", {"model": "jina-embeddings-v9", "input": ["a"]}),
    (400, "INPUT_TOKEN_LIMIT_EXCEEDED", {"model": V3, "input": ["a", LONG]}),
    (422, "less_than_equal", {"model": V3, "input": ["a"], "dimensions": 2048}),
    (422, "greater_than", {"model": V3, "input": ["a"], "dimensions": 0}),
    (422, "literal_error", {"model": V3, "input": ["a"], "task": "retrieval"}),
    (
        422,
        "literal_error",
        {"model": "jina-embeddings-v5-text-small", "input": ["a"], "task": "separation"},
    ),
    (
        422,
        "extra_forbidden",
        {"model": "jina-embeddings-v2-base-en", "input": ["a"], "task": "retrieval.query"},
    ),
    (
        422,
        "extra_forbidden",
        {"model": "jina-embeddings-v2-base-en", "input": ["a"], "dimensions": 8},
    ),
    (422, "value_error", {"model": "jina-embeddings-v4", "input": ["a"] * 513}),
    (422, "too_short", {"model": V3, "input": []}),
    (422, "bool_type", {"model": V3, "input": ["a"], "normalized": "yes"}),
    (422, "int_type", {"model": V3, "input": ["a"], "dimensions": "64"}),
    (422, "string_type", {"model": V3, "input": [{"image": "https://x/y.png"}]}),
    (422, "missing", {"input": ["a"]}),
    (500, "INTERNAL_ERROR", {"model": V3, "input": ["a"], "embedding_type": ["float", "base64"]}),
]


@pytest.mark.parametrize(("status", "code", "body"), ROWS, ids=[f"{s}-{c}" for s, c, _ in ROWS])
def test_error_rows(status: int, code: str, body: dict) -> None:
    with httpx.Client(transport=JinaEmulator().transport()) as client:
        response = client.post("https://api.jina.ai/v1/embeddings", json=body, headers=AUTH)
    assert response.status_code == status
    assert _code(response) == code


def test_error_rows_over_the_server() -> None:
    with JinaEmulator().serve() as base_url, httpx.Client(base_url=base_url) as client:
        for status, code, body in ROWS:
            response = client.post("/embeddings", json=body, headers=AUTH)
            assert (response.status_code, _code(response)) == (status, code)


def test_body_that_is_not_json() -> None:
    emu = JinaEmulator()
    with httpx.Client(transport=emu.transport()) as client:
        response = client.post("https://api.jina.ai/v1/embeddings", headers=AUTH, content=b"{oops")
    assert (response.status_code, _code(response)) == (422, "json_invalid")
    assert emu.requests[0].json is None


def test_422_body_shape() -> None:
    with httpx.Client(transport=JinaEmulator().transport()) as client:
        body = client.post(
            "https://api.jina.ai/v1/embeddings",
            headers=AUTH,
            json={"model": V3, "input": ["a"], "dimensions": 2048},
        ).json()
    assert list(body) == ["detail", "request_id", "errors"]
    assert body["detail"] == (
        "Validation error: 'dimensions' Input should be less than or equal to 1024. "
        "Field errors: : Invalid value"
    )
    assert body["errors"] == [
        {
            "field": "body -> dimensions",
            "message": "Input should be less than or equal to 1024",
            "type": "less_than_equal",
            "input": 2048,
        }
    ]


def test_truncate_true_cuts_instead_of_refusing(way: Callable) -> None:
    response = way(JinaEmulator())({"model": V3, "input": ["a", LONG], "truncate": True})
    assert response.status_code == 200
    assert response.json()["usage"]["total_tokens"] == 3 + 8192


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "AUTH_MISSING_API_KEY"),
        ({"Authorization": "Bearer sk-not-a-jina-key"}, "AUTH_INVALID_FORMAT"),
        ({"Authorization": "Bearer None"}, "AUTH_INVALID_FORMAT"),
        ({"Authorization": KEY}, "AUTH_INVALID_FORMAT"),
        ({"Authorization": "Bearer jina_revoked_key"}, "AUTH_INVALID_API_KEY"),
    ],
)
def test_auth_rows(way: Callable, headers: dict, code: str) -> None:
    post = way(JinaEmulator(api_keys=[KEY]))
    response = post({"model": V3, "input": ["a"]}, headers=headers)
    assert response.status_code == 401
    assert _code(response) == code
    assert post({"model": V3, "input": ["a"]}).status_code == 200


def test_any_jina_key_is_accepted_by_default(way: Callable) -> None:
    post = way(JinaEmulator())
    assert (
        post({"model": V3, "input": ["a"]}, headers={"Authorization": "Bearer jina_x"}).status_code
        == 200
    )


def test_balance_runs_out(way: Callable) -> None:
    post = way(JinaEmulator(token_balance=10))
    assert post({"model": V3, "input": ["one two three"]}).status_code == 200  # 5 tokens
    refused = post({"model": V3, "input": ["four five six seven"]})  # 6 tokens
    assert refused.status_code == 403
    assert _code(refused) == "AUTHZ_INSUFFICIENT_BALANCE"


@pytest.mark.parametrize(
    ("fault", "status", "code"),
    [
        (ServerFailure(500), 500, "INTERNAL_ERROR"),
        (ServerFailure(503), 503, "SERVICE_UNAVAILABLE"),
        (ServerFailure(504), 504, "SERVICE_TIMEOUT"),
        (ErrorReply(403, "AUTHZ_RESOURCE_LIMIT_EXCEEDED"), 403, "AUTHZ_RESOURCE_LIMIT_EXCEEDED"),
        (ErrorReply(402, "AUTHZ_INSUFFICIENT_BALANCE"), 402, "AUTHZ_INSUFFICIENT_BALANCE"),
        (TooManyRequests(code="RATE_IP_LIMIT_EXCEEDED"), 429, "RATE_IP_LIMIT_EXCEEDED"),
    ],
)
def test_scripted_error_replies(way: Callable, fault: object, status: int, code: str) -> None:
    emu = JinaEmulator()
    post = way(emu)
    emu.script(fault)
    response = post({"model": V3, "input": ["a"]})
    assert (response.status_code, _code(response)) == (status, code)
    assert post({"model": V3, "input": ["a"]}).status_code == 200  # only the next request


# ---- faults -----------------------------------------------------------------------------------


def test_retry_after_seconds_and_date(way: Callable) -> None:
    emu = JinaEmulator()
    post = way(emu)
    emu.script(
        TooManyRequests(retry_after=7),
        TooManyRequests(retry_after=30, http_date=True),
        TooManyRequests(retry_after=None),
    )
    first, second, third = (post({"model": V3, "input": ["a"]}) for _ in range(3))
    assert first.headers["retry-after"] == "7"
    when = parsedate_to_datetime(second.headers["retry-after"]).timestamp()
    assert 25 < when - time.time() <= 31
    assert "retry-after" not in third.headers
    assert {_code(r) for r in (first, second, third)} == {"RATE_REQUEST_LIMIT_EXCEEDED"}


def test_html_error_page(way: Callable) -> None:
    emu = JinaEmulator()
    emu.script(HTMLErrorPage(502))
    response = way(emu)({"model": V3, "input": ["a"]})
    assert response.status_code == 502
    assert response.headers["content-type"].startswith("text/html")
    assert response.text.startswith("<!DOCTYPE html>") and "502" in response.text


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (DroppedConnection(), httpx.RemoteProtocolError),
        (DroppedConnection(after_bytes=40), httpx.RemoteProtocolError),
        (DroppedConnection(reset=True), httpx.ReadError),
    ],
)
def test_dropped_connections(way: Callable, fault: DroppedConnection, error: type) -> None:
    emu = JinaEmulator()
    post = way(emu)
    emu.script(fault)
    with pytest.raises(error):
        post({"model": V3, "input": ["a"]})
    assert post({"model": V3, "input": ["a"]}).status_code == 200
    assert emu.stats.dropped == 1


def test_slow_response_times_out_a_short_timeout(way: Callable) -> None:
    emu = JinaEmulator()
    post = way(emu)
    emu.script(SlowResponse(1.0), SlowResponse(0.2))
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        post({"model": V3, "input": ["a"]}, timeout=0.3)
    assert time.monotonic() - started < 0.9
    assert post({"model": V3, "input": ["a"]}, timeout=5).status_code == 200


def test_index_faults(way: Callable) -> None:
    emu = JinaEmulator()
    post = way(emu)
    body = {"model": V3, "input": [f"text {i}" for i in range(8)], "dimensions": 4}
    normal = post(body).json()["data"]
    emu.script(ShuffledIndices(seed=3), MissingIndices(2), DuplicatedIndex())
    shuffled, missing, duplicated = (post(body).json()["data"] for _ in range(3))
    assert [d["index"] for d in shuffled] != list(range(8))
    assert sorted(shuffled, key=lambda d: d["index"]) == normal
    assert [d["index"] for d in missing] == list(range(6))
    assert [d["index"] for d in duplicated] == [*range(7), 0]


def test_random_faults_are_seeded() -> None:
    def kinds(seed: int) -> list[str | None]:
        faults = RandomFaults(rate=0.15, seed=seed)
        return [f.kind if f else None for f in (faults.draw() for _ in range(400))]

    first = kinds(1)
    assert first == kinds(1) and first != kinds(2)
    share = sum(k is not None for k in first) / 400
    assert 0.1 < share < 0.2
    assert len({k for k in first if k}) >= 5


def test_random_faults_reach_the_counters() -> None:
    emu = JinaEmulator(
        faults=RandomFaults(rate=0.5, seed=4, mix=[ServerFailure(503), ShuffledIndices()])
    )
    with httpx.Client(transport=emu.transport()) as client:
        statuses = [
            client.post(
                "https://api.jina.ai/v1/embeddings",
                json={"model": V3, "input": ["a"]},
                headers=AUTH,
            ).status_code
            for _ in range(40)
        ]
    stats = emu.stats
    assert stats.requests == 40
    assert stats.faults_injected == sum(stats.faults.values()) > 5
    assert stats.faults["ServerFailure"] == statuses.count(503)
    assert stats.statuses[503] == statuses.count(503)
    assert [r.fault.kind if r.fault else None for r in emu.requests].count(
        "ServerFailure"
    ) == statuses.count(503)


# ---- rate limits and latency ----------------------------------------------------------------------


def test_requests_per_minute(way: Callable) -> None:
    emu = JinaEmulator(limits=RateLimits(requests_per_minute=3))
    post = way(emu)
    answers = [post({"model": V3, "input": ["a"]}) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers["x-ratelimit-remaining-requests"] for a in answers] == ["2", "1", "0", "0"]
    assert _code(answers[3]) == "RATE_REQUEST_LIMIT_EXCEEDED"
    assert 58 <= int(answers[3].headers["retry-after"]) <= 60
    assert emu.stats.rate_limited == 1


def test_limits_recover_when_the_window_moves_on() -> None:
    limiter = Limiter(RateLimits(requests_per_minute=1, tokens_per_minute=5, window=0.2))
    assert limiter.enter() is None and limiter.charge(5) is None
    limiter.leave()
    assert limiter.enter().code == "RATE_REQUEST_LIMIT_EXCEEDED"
    time.sleep(0.25)
    assert limiter.enter() is None and limiter.charge(5) is None


def test_tokens_per_minute(way: Callable) -> None:
    post = way(JinaEmulator(limits=RateLimits(tokens_per_minute=10)))
    first = post({"model": V3, "input": ["one two three four five six seven"]})  # 9 tokens
    assert first.status_code == 200
    assert first.headers["x-ratelimit-remaining-tokens"] == "1"
    refused = post({"model": V3, "input": ["a"]})  # 3 tokens
    assert refused.status_code == 429
    assert _code(refused) == "RATE_TOKEN_LIMIT_EXCEEDED"
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.headers.get_list("x-ratelimit-remaining-tokens") == ["1"]


def test_concurrency_limit_over_the_server() -> None:
    emu = JinaEmulator(limits=RateLimits(concurrency=2), latency=Latency(fixed=1.0))
    statuses: list[int] = []
    with emu.serve() as base_url:

        def call() -> None:
            response = httpx.post(
                f"{base_url}/embeddings",
                json={"model": V3, "input": ["a"]},
                headers=AUTH,
                timeout=10,
            )
            statuses.append(response.status_code)
            if response.status_code == 429:
                assert _code(response) == "RATE_CONCURRENCY_LIMIT_EXCEEDED"

        threads = [threading.Thread(target=call) for _ in range(4)]
        for t in threads:
            t.start()
            time.sleep(0.05)
        for t in threads:
            t.join()
    assert sorted(statuses) == [200, 200, 429, 429]
    assert emu.stats.peak_concurrency == 2


def test_latency_sleeps_without_blocking_other_requests() -> None:
    """Fixed + per-token latency; ten concurrent async requests take one delay, not ten."""
    emu = JinaEmulator(latency=Latency(fixed=0.3, per_token=0.001))

    async def run() -> float:
        async with httpx.AsyncClient(transport=emu.transport()) as client:
            started = time.monotonic()
            answers = await asyncio.gather(
                *(
                    client.post(
                        "https://api.jina.ai/v1/embeddings",
                        json={"model": V3, "input": ["a " * 98]},
                        headers=AUTH,
                    )
                    for _ in range(10)
                )
            )
            assert {a.status_code for a in answers} == {200}
            return time.monotonic() - started

    elapsed = asyncio.run(run())
    assert 0.4 <= elapsed < 1.5  # 0.3 s + 100 tokens * 1 ms, once


def test_latency_on_the_server_is_concurrent() -> None:
    emu = JinaEmulator(latency=Latency(fixed=0.4))
    with emu.serve() as base_url:
        started = time.monotonic()
        threads = [
            threading.Thread(
                target=httpx.post,
                args=(f"{base_url}/embeddings",),
                kwargs={"json": {"model": V3, "input": ["a"]}, "headers": AUTH},
            )
            for _ in range(6)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - started
    assert 0.4 <= elapsed < 1.6
    assert emu.stats.statuses == {200: 6}
    assert emu.stats.peak_concurrency >= 3


def test_counters_count_bytes(way: Callable) -> None:
    emu = JinaEmulator()
    post = way(emu)
    sizes = [len(post({"model": V3, "input": ["a", "b"]}).content) for _ in range(3)]
    stats = emu.stats
    assert stats.bytes_sent == sum(sizes)
    assert stats.vectors == 6 and stats.requests == 3 and stats.tokens == 18
    assert stats.bytes_received > 0
    emu.reset()
    assert emu.stats.requests == 0 and emu.requests == []


def test_limits_can_be_set_on_a_running_emulator() -> None:
    emu = JinaEmulator()
    with emu.serve() as base_url, httpx.Client(base_url=base_url, headers=AUTH) as client:
        body = {"model": V3, "input": ["a"]}
        assert client.post("/embeddings", json=body).status_code == 200
        emu.limits = RateLimits(requests_per_minute=1)
        assert [client.post("/embeddings", json=body).status_code for _ in range(2)] == [200, 429]
        emu.limits = None
        assert client.post("/embeddings", json=body).status_code == 200
