"""The emulator's `POST /v1/rerank`: OAS-2026's request schemas, its answers, its relevance model,
and the faults and limits it shares with `/v1/embeddings`."""

from __future__ import annotations

import json
import threading

import httpx
import jsonschema
import pytest

from chroma_jina.models import RERANKERS, RETIRED_RERANKERS
from chroma_jina.testing import JinaEmulator, RateLimits, ServerFailure, TooManyRequests
from tests.support.paths import MISSING_CAPTURES, find_captures

KEY = "jina_offline_emulator_key"
URL = "https://api.jina.ai/v1/rerank"
CAPTURES = find_captures()
OAS = CAPTURES / "jina-openapi-2026-04-02.json" if CAPTURES is not None else None

QUESTION = "When was the Eiffel Tower built?"
ECHO = "People often ask when the Eiffel Tower was built, and why the Eiffel Tower was built."
ANSWER = "Gustave Eiffel's company finished the tower in 1889, for the World's Fair."
OTHER = "The Statue of Liberty stands in New York harbour."


@pytest.fixture
def emu() -> JinaEmulator:
    return JinaEmulator()


@pytest.fixture
def client(emu: JinaEmulator) -> httpx.Client:
    with httpx.Client(transport=emu.transport(), headers={"Authorization": f"Bearer {KEY}"}) as c:
        yield c


def _oas() -> dict:
    if OAS is None or not OAS.is_file():
        pytest.skip(MISSING_CAPTURES)
    return json.loads(OAS.read_text())


def _validator(oas: dict, name: str) -> jsonschema.Draft202012Validator:
    schema = {"$ref": f"#/components/schemas/{name}", "components": oas["components"]}
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("model", list(RERANKERS))
def test_every_catalog_reranker_answers_in_the_oas_response_shape(
    client: httpx.Client, model: str
) -> None:
    oas = _oas()
    documents = [ECHO, ANSWER, OTHER]
    r = client.post(URL, json={"model": model, "query": QUESTION, "documents": documents})
    assert r.status_code == 200, r.text
    body = r.json()
    _validator(oas, "RerankingResponse").validate(body)
    assert list(body) == ["model", "object", "usage", "results"]
    assert body["model"] == model
    scores = [x["relevance_score"] for x in body["results"]]
    assert scores == sorted(scores, reverse=True)
    assert sorted(x["index"] for x in body["results"]) == [0, 1, 2]
    assert body["usage"]["total_tokens"] > 0
    # return_documents defaults to true (OAS-2026): each result carries its document
    assert all(x["document"] == {"text": documents[x["index"]]} for x in body["results"])


@pytest.mark.parametrize("name", ["TextRerankerRequest", "RerankerM0Request", "RerankerV3Request"])
def test_the_oas_examples_are_answered(client: httpx.Client, name: str) -> None:
    example = _oas()["components"]["schemas"][name]["example"]
    r = client.post(URL, json=example)
    assert r.status_code == 200, r.text
    assert len(r.json()["results"]) == example["top_n"]
    assert all("document" not in x for x in r.json()["results"])  # return_documents: false


@pytest.mark.parametrize(
    ("query", "echo", "answer"),
    [
        (QUESTION, ECHO, ANSWER),
        ("How many floors does the tower have?", "The tower has floors.", "It has 3 floors."),
        (
            "埃菲尔铁塔是什么时候建成的？",
            "很多人想知道埃菲尔铁塔是什么时候建成的。",
            "这座铁塔于1889年完工，当时是为了世界博览会。",
        ),
    ],
)
def test_a_document_that_answers_outranks_one_that_repeats_the_question(
    emu: JinaEmulator, query: str, echo: str, answer: str
) -> None:
    ranked = emu.rank(query, [echo, answer, OTHER])
    assert [x["index"] for x in ranked] == [1, 0, 2]


def test_scores_depend_on_the_query_and_the_document_only(emu: JinaEmulator) -> None:
    alone = {x["index"]: x["relevance_score"] for x in emu.rank(QUESTION, [ANSWER])}
    together = {x["index"]: x["relevance_score"] for x in emu.rank(QUESTION, [ECHO, ANSWER])}
    assert alone[0] == together[1]
    assert emu.rank("Who designed the tower?", [ANSWER])[0]["relevance_score"] != alone[0]


def test_images_rank_by_the_words_of_their_file_names_on_m0(emu: JinaEmulator) -> None:
    images = [
        {"image": "https://example.com/photos/louvre-pyramid.jpg"},
        {"image": "https://example.com/photos/eiffel-tower-night.jpg"},
    ]
    ranked = emu.rank("the Eiffel Tower at night", images, model="jina-reranker-m0")
    assert ranked[0]["index"] == 1


def _error(r: httpx.Response) -> tuple[int, str]:
    body = r.json()
    if r.status_code == 422:
        return 422, body["errors"][0]["field"] + ": " + body["errors"][0]["type"]
    detail = body["detail"]
    return r.status_code, detail["code"] if isinstance(detail, dict) else body["code"]


BASE = {"model": "jina-reranker-v2-base-multilingual", "query": "q", "documents": ["a", "b"]}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"query": None}, (422, "body -> query: string_type")),
        ({"documents": []}, (422, "body -> documents: too_short")),
        ({"documents": "a"}, (422, "body -> documents: list_type")),
        ({"documents": ["a", 1]}, (422, "body -> documents -> 1: string_type")),
        (
            {"documents": [{"image": "https://x.test/a.png"}]},
            (422, "body -> documents -> 0: string_type"),
        ),
        ({"top_n": 0}, (422, "body -> top_n: greater_than_equal")),
        ({"top_n": "2"}, (422, "body -> top_n: int_type")),
        ({"return_documents": "no"}, (422, "body -> return_documents: bool_type")),
        ({"max_doc_length": 100}, (422, "body -> max_doc_length: extra_forbidden")),
        ({"input": ["a"]}, (422, "body -> input: extra_forbidden")),
        ({"model": "jina-reranker-v9"}, (400, "INPUT_MODEL_NOT_FOUND")),
        ({"documents": ["word " * 1100]}, (400, "INPUT_TOKEN_LIMIT_EXCEEDED")),
        ({"documents": ["x"] * 513}, (422, "body -> documents: value_error")),
    ],
)
def test_requests_are_refused_as_the_schemas_say(
    client: httpx.Client, change: dict, expected: tuple[int, str]
) -> None:
    body = {**BASE, **change}
    if change.get("query", "") is None:
        body.pop("query")
        expected = (422, "body -> query: missing")
    r = client.post(URL, json=body)
    assert _error(r) == expected


def test_v3_takes_max_doc_length_in_range_and_cuts_documents(client: httpx.Client) -> None:
    body = {"model": "jina-reranker-v3", "query": "tower", "documents": ["tower " * 500]}
    full = client.post(URL, json=body).json()["usage"]["total_tokens"]
    cut = client.post(URL, json={**body, "max_doc_length": 10}).json()["usage"]["total_tokens"]
    assert cut < full
    assert _error(client.post(URL, json={**body, "max_doc_length": 8193})) == (
        422,
        "body -> max_doc_length: less_than_equal",
    )


def test_listwise_requests_over_the_context_are_refused(client: httpx.Client) -> None:
    documents = ["word " * 2000] * 70  # 70 x 2048 tokens > 131072
    body = {"model": "jina-reranker-v3.5", "query": "q", "documents": documents}
    assert _error(client.post(URL, json=body)) == (400, "INPUT_TOKEN_LIMIT_EXCEEDED")


def test_truncation_lets_a_long_pair_through(client: httpx.Client) -> None:
    body = {**BASE, "documents": ["word " * 1100], "truncation": True}
    r = client.post(URL, json=body)
    assert r.status_code == 200
    assert r.json()["usage"]["total_tokens"] <= 1024


def test_pointwise_usage_counts_the_query_per_document(client: httpx.Client) -> None:
    one = client.post(URL, json={**BASE, "documents": ["a"]}).json()["usage"]["total_tokens"]
    two = client.post(URL, json=BASE).json()["usage"]["total_tokens"]
    listwise = {**BASE, "model": "jina-reranker-v3"}
    lw_one = client.post(URL, json={**listwise, "documents": ["a"]}).json()["usage"]
    lw_two = client.post(URL, json=listwise).json()["usage"]
    assert two == 2 * one
    assert lw_two["total_tokens"] < 2 * lw_one["total_tokens"]


def test_top_n_cuts_the_results(client: httpx.Client) -> None:
    r = client.post(URL, json={**BASE, "documents": ["a", "b", "c"], "top_n": 2})
    assert len(r.json()["results"]) == 2


@pytest.mark.parametrize("model", RETIRED_RERANKERS)
def test_retired_rerankers_answer_500_as_the_real_service_does(
    client: httpx.Client, model: str
) -> None:
    assert _error(client.post(URL, json={**BASE, "model": model})) == (500, "INTERNAL_ERROR")


def test_faults_apply_to_rerank_as_to_embeddings(emu: JinaEmulator, client: httpx.Client) -> None:
    emu.script(TooManyRequests(retry_after=2), ServerFailure(503), None)
    first = client.post(URL, json=BASE)
    assert (first.status_code, first.headers["retry-after"]) == (429, "2")
    assert client.post(URL, json=BASE).status_code == 503
    assert client.post(URL, json=BASE).status_code == 200
    assert emu.stats.faults == {"ServerFailure": 1, "TooManyRequests": 1}


def test_rerank_and_embeddings_share_the_emulated_key_limits() -> None:
    emu = JinaEmulator(limits=RateLimits(requests_per_minute=2))
    with httpx.Client(transport=emu.transport(), headers={"Authorization": f"Bearer {KEY}"}) as c:
        embed = {"model": "jina-embeddings-v3", "input": ["a"]}
        assert c.post("https://api.jina.ai/v1/embeddings", json=embed).status_code == 200
        assert c.post(URL, json=BASE).status_code == 200
        third = c.post(URL, json=BASE)
    assert _error(third) == (429, "RATE_REQUEST_LIMIT_EXCEEDED")
    assert emu.stats.rate_limited == 1


def test_token_balance_is_spent_by_rerank() -> None:
    emu = JinaEmulator(token_balance=10)
    with httpx.Client(transport=emu.transport(), headers={"Authorization": f"Bearer {KEY}"}) as c:
        r = c.post(URL, json={**BASE, "documents": ["word " * 20]})
    assert _error(r) == (403, "AUTHZ_INSUFFICIENT_BALANCE")


def test_the_loopback_server_serves_rerank(emu: JinaEmulator) -> None:
    with emu.serve() as base_url:
        headers = {"Authorization": f"Bearer {KEY}"}
        r = httpx.post(f"{base_url}/rerank", json=BASE, headers=headers, timeout=10)
        missing = httpx.post(f"{base_url}/rerank", json={**BASE, "model": 1}, timeout=10)
    assert r.status_code == 200
    assert r.headers["x-emulated-by"].startswith("chroma-jina-emulator/")
    assert missing.status_code == 401  # no key: refused before the body is read


def test_concurrent_reranks_are_counted_once_each(emu: JinaEmulator) -> None:
    with emu.serve() as base_url:
        headers = {"Authorization": f"Bearer {KEY}"}
        statuses: list[int] = []

        def one() -> None:
            r = httpx.post(f"{base_url}/rerank", json=BASE, headers=headers, timeout=10)
            statuses.append(r.status_code)

        threads = [threading.Thread(target=one) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
    assert statuses == [200] * 8
    assert emu.stats.requests == 8
