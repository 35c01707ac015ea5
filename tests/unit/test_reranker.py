"""`JinaReranker` against the offline emulator: what it sends (OAS-2026's request schemas), what
it refuses before sending, long lists (split and merged, or refused), faults, and the alignment of
Chroma's query results after reordering."""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any

import chromadb
import httpx
import jsonschema
import numpy as np
import pytest

from chroma_jina import (
    AuthenticationError,
    JinaReranker,
    MalformedResponseError,
    RankedDocument,
    ServerError,
)
from chroma_jina.models import DEFAULT_RERANKER, RERANKERS, RETIRED_RERANKERS
from chroma_jina.testing import (
    DuplicatedIndex,
    ErrorReply,
    JinaEmulator,
    MissingIndices,
    ServerFailure,
    ShuffledIndices,
    TooManyRequests,
    relevance,
)
from tests.support.paths import MISSING_CAPTURES, find_captures
from tests.support.service import NO_WAIT

CAPTURES = find_captures()
OAS = CAPTURES / "jina-openapi-2026-04-02.json" if CAPTURES is not None else None
_keys = itertools.count()

QUESTION = "When was the Eiffel Tower built?"
DOCUMENTS = [
    "Visitors often ask when the Eiffel Tower was built and why it was built.",
    "The Eiffel Tower is 330 metres tall.",
    "About seven million people visit the Eiffel Tower every year.",
    "Gustave Eiffel's company finished the tower in March 1889, for the World's Fair.",
]


def key() -> str:
    """A key of its own per reranker: each key has its own process-wide budget."""
    return f"jina_rerank_test_{next(_keys)}"


@pytest.fixture
def emu() -> JinaEmulator:
    return JinaEmulator()


def reranker(emu: JinaEmulator, **kw: Any) -> JinaReranker:
    """A reranker wired to `emu` whose retry waits are decided, not slept."""
    kw.setdefault("api_key", key())
    return JinaReranker(
        http_client=httpx.Client(transport=emu.transport()),
        async_http_client=httpx.AsyncClient(transport=emu.transport()),
        clock=NO_WAIT,
        **kw,
    )


def expected(emu: JinaEmulator, query: str, documents: list, model: str) -> list[RankedDocument]:
    """The ranking the emulated model gives the whole list in one request."""
    return [
        RankedDocument(x["index"], x["relevance_score"])
        for x in emu.rank(query, documents, model=model)
    ]


# ---- what is sent ---------------------------------------------------------------------


def _request_validator(model: str) -> jsonschema.Draft202012Validator:
    if OAS is None or not OAS.is_file():
        pytest.skip(MISSING_CAPTURES)
    oas = json.loads(OAS.read_text())
    schema = oas["paths"]["/v1/rerank"]["post"]["requestBody"]["content"]["application/json"]
    mapping = schema["schema"]["discriminator"]["mapping"]
    if model not in mapping:  # v3.5 postdates OAS-2026: the catalog gives it v3's schema
        assert RERANKERS[model].max_doc_length is not None
        ref = mapping["jina-reranker-v3"]
        components = json.loads(json.dumps(oas["components"]))
        components["schemas"]["RerankerV3Request"]["properties"]["model"]["const"] = model
    else:
        ref, components = mapping[model], oas["components"]
    return jsonschema.Draft202012Validator({"$ref": ref, "components": components})


CASES = [
    (model, options)
    for model in RERANKERS
    for options in (
        {},
        {
            "truncation": True,
            **({"max_doc_length": 512} if RERANKERS[model].max_doc_length else {}),
        },
    )
]


@pytest.mark.parametrize(("model", "options"), CASES, ids=[f"{m}-{len(o)}" for m, o in CASES])
def test_request_bodies_match_the_openapi_schema(
    emu: JinaEmulator, model: str, options: dict
) -> None:
    documents: list[Any] = list(DOCUMENTS)
    if RERANKERS[model].multimodal:
        documents += [{"image": "https://example.com/a.png"}, {"text": "plain"}]
    reranker(emu, model_name=model, **options).rerank(QUESTION, documents, top_n=2)
    [sent] = emu.requests
    _request_validator(model).validate(sent.json)
    assert sent.path == "/v1/rerank"
    assert sent.json == {
        "model": model,
        "query": QUESTION,
        "documents": documents,
        "return_documents": False,
        **options,
        "top_n": 2,
    }


def test_image_arrays_are_sent_as_base64_png(emu: JinaEmulator) -> None:
    pixels = np.zeros((4, 4, 3), dtype=np.uint8)
    reranker(emu, model_name="jina-reranker-m0").rerank("red", ["text", pixels])
    document = emu.requests[0].json["documents"][1]
    assert set(document) == {"image"}
    assert document["image"].startswith("iVBOR")  # a PNG's signature, base64


def test_default_model_is_the_newest_general_reranker() -> None:
    assert JinaReranker(api_key=key()).model_name == DEFAULT_RERANKER == "jina-reranker-v3.5"


# ---- refused before anything is sent --------------------------------------------------


@pytest.mark.parametrize("model", RETIRED_RERANKERS)
def test_retired_models_are_refused_naming_the_current_ones(model: str) -> None:
    with pytest.raises(ValueError, match="retired") as caught:
        JinaReranker(api_key=key(), model_name=model)
    assert all(name in str(caught.value) for name in RERANKERS)


@pytest.mark.parametrize(
    ("kwargs", "call", "message"),
    [
        (
            {"model_name": "jina-reranker-v2-base-multilingual"},
            ("q", [{"image": "u"}]),
            "text only",
        ),
        ({}, ("q", [np.zeros((2, 2, 3), np.uint8)]), "text only"),
        ({}, ("", ["a"]), "non-empty string"),
        ({}, ("q", "a document"), "must be a list"),
        ({}, ("q", [3]), "document 0 is a int"),
        ({}, ("q", [{"image": "u", "text": "t"}]), "document 0 is a dict"),
    ],
)
def test_bad_input_is_refused_before_sending(
    emu: JinaEmulator, kwargs: dict, call: tuple, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        reranker(emu, **kwargs).rerank(*call)
    assert emu.stats.requests == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"model_name": "jina-reranker-v2-base-multilingual", "max_doc_length": 100},
            "not accepted",
        ),
        ({"max_doc_length": 9000}, r"allowed: 1\.\.8192"),
        ({"truncation": "yes"}, "truncation must be"),
        ({"max_documents": 513}, "over the 512 cap"),
        ({"model_name": ""}, "non-empty"),
        ({"api_key_env_var": "AWS_SECRET_ACCESS_KEY"}, "not name a variable meant for a Jina key"),
    ],
)
def test_bad_settings_are_refused_at_construction(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        JinaReranker(api_key=key(), **kwargs)


def test_a_bad_concurrency_variable_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JINA_MAX_CONCURRENCY", "five")
    with pytest.raises(
        ValueError, match="JINA_MAX_CONCURRENCY must be a positive integer, got 'five'"
    ):
        JinaReranker(api_key=key())


def test_top_n_must_be_positive(emu: JinaEmulator) -> None:
    with pytest.raises(ValueError, match="top_n"):
        reranker(emu).rerank("q", ["a"], top_n=0)
    assert emu.stats.requests == 0


def test_query_texts_must_match_the_results(emu: JinaEmulator) -> None:
    results = {"ids": [["a"], ["b"]], "documents": [["x"], ["y"]]}
    with pytest.raises(ValueError, match="2 queries"):
        reranker(emu).rerank_results("only one", results)
    assert emu.stats.requests == 0


@pytest.mark.parametrize("records", [1, 2])
def test_a_get_result_is_refused_for_what_it_is(emu: JinaEmulator, records: int) -> None:
    """collection.get() returns flat lists. With one record the lengths matched one query, and
    the function failed with a bare TypeError; with two it spoke of "results of 2 queries"."""
    results = {"ids": ["a", "b"][:records], "documents": ["x", "y"][:records]}
    with pytest.raises(ValueError, match=r"flat lists, as collection.get\(\) returns"):
        reranker(emu).rerank_results("q", results)
    assert emu.stats.requests == 0


def test_a_result_without_a_document_is_named(emu: JinaEmulator) -> None:
    results = {"ids": [["a", "b"]], "documents": [["x", None]]}
    with pytest.raises(ValueError, match="result 1 of query 0 has no document"):
        reranker(emu).rerank_results("q", results)


# ---- long candidate lists ------------------------------------------------------------


def _corpus(n: int) -> list[str]:
    return [
        f"Note {i}: the tower {'was finished in 1889' if i % 7 == 0 else 'is tall'}."
        for i in range(n)
    ]


@pytest.mark.parametrize("model", [m for m, info in RERANKERS.items() if not info.listwise])
@pytest.mark.parametrize("top_n", [None, 5])
def test_pointwise_lists_are_split_and_merged_by_score(
    emu: JinaEmulator, model: str, top_n: int | None
) -> None:
    documents = _corpus(1200)
    got = reranker(emu, model_name=model).rerank(QUESTION, documents, top_n=top_n)
    sizes = sorted(len(r.json["documents"]) for r in emu.requests)  # sent concurrently
    assert sizes == [176, 512, 512]
    scores = [relevance.score(QUESTION, d) for d in documents]  # the emulator's pointwise model
    want = sorted(
        (RankedDocument(i, s) for i, s in enumerate(scores)), key=lambda r: (-r.score, r.index)
    )
    assert got == (want[:top_n] if top_n else want)
    if top_n:
        assert all(r.json["top_n"] == top_n for r in emu.requests)


def test_max_documents_lowers_the_split(emu: JinaEmulator) -> None:
    model = "jina-reranker-v2-base-multilingual"
    got = reranker(emu, model_name=model, max_documents=2).rerank(QUESTION, DOCUMENTS)
    assert sorted(len(r.json["documents"]) for r in emu.requests) == [2, 2]
    assert got == expected(emu, QUESTION, DOCUMENTS, model)
    assert got[0].index == 3


@pytest.mark.parametrize("model", [m for m, info in RERANKERS.items() if info.listwise])
def test_listwise_lists_over_the_caps_are_refused_not_split(emu: JinaEmulator, model: str) -> None:
    r = reranker(emu, model_name=model)
    with pytest.raises(ValueError, match="listwise") as caught:
        r.rerank(QUESTION, _corpus(600))
    assert "jina-reranker-m0" in str(caught.value)
    long = ["word " * 3000] * 70  # each counted up to max_doc_length (2048): 143,360 tokens
    with pytest.raises(ValueError, match="131072"):
        r.rerank(QUESTION, long)
    assert emu.stats.requests == 0
    # the same 70 documents fit once each is cut to 1,024 tokens
    assert len(reranker(emu, model_name=model, max_doc_length=1024).rerank("q", long)) == 70


def test_a_listwise_list_within_the_caps_is_one_request(emu: JinaEmulator) -> None:
    got = reranker(emu).rerank(QUESTION, _corpus(500), top_n=3)
    assert emu.stats.requests == 1
    assert got == expected(emu, QUESTION, _corpus(500), DEFAULT_RERANKER)[:3]


# ---- faults ---------------------------------------------------------------------------


def test_rate_limits_and_server_errors_are_retried(emu: JinaEmulator) -> None:
    emu.script(TooManyRequests(retry_after=0), ServerFailure(503), ShuffledIndices(seed=3))
    r = reranker(emu)
    got = r.rerank(QUESTION, DOCUMENTS)
    assert got == expected(emu, QUESTION, DOCUMENTS, DEFAULT_RERANKER)
    assert r.last_usage is not None
    assert r.last_usage.requests == 3
    assert r.last_usage.total_tokens == emu.stats.tokens > 0


def test_retries_end_in_a_typed_error(emu: JinaEmulator) -> None:
    emu.script(*[ServerFailure(503)] * 3)
    with pytest.raises(ServerError) as caught:
        reranker(emu, max_retries=2).rerank(QUESTION, DOCUMENTS)
    assert caught.value.status == 503
    assert emu.stats.requests == 3


def test_auth_errors_are_not_retried(emu: JinaEmulator) -> None:
    emu.script(ErrorReply(401, "AUTH_INVALID_API_KEY"))
    r = reranker(emu)
    with pytest.raises(AuthenticationError):
        r.rerank(QUESTION, DOCUMENTS)
    assert emu.stats.requests == 1
    assert r.last_usage is not None
    assert r.last_usage.requests == 1


def test_an_answer_missing_results_is_asked_again_once(emu: JinaEmulator) -> None:
    emu.script(MissingIndices(count=1))
    got = reranker(emu).rerank(QUESTION, DOCUMENTS)
    assert len(got) == 4
    assert emu.stats.requests == 2
    emu.reset()
    emu.script(MissingIndices(count=1), MissingIndices(count=2))
    with pytest.raises(MalformedResponseError, match="twice"):
        reranker(emu).rerank(QUESTION, DOCUMENTS)


def test_a_repeated_index_is_a_malformed_answer(emu: JinaEmulator) -> None:
    emu.script(DuplicatedIndex())
    with pytest.raises(MalformedResponseError, match="once"):
        reranker(emu).rerank(QUESTION, DOCUMENTS)


# ---- Chroma's query results -------------------------------------------------------------


@pytest.fixture
def results() -> dict:
    """Real results of a real (embedded) Chroma collection, for two queries, everything included."""
    collection = chromadb.EphemeralClient().get_or_create_collection(
        f"rerank-alignment-{next(_keys)}", embedding_function=None
    )
    rng = np.random.default_rng(0)
    collection.add(
        ids=[f"id{i}" for i in range(len(DOCUMENTS))],
        documents=DOCUMENTS,
        metadatas=[{"n": i} for i in range(len(DOCUMENTS))],
        embeddings=rng.standard_normal((len(DOCUMENTS), 8)).astype(np.float32),
        uris=[f"https://example.com/{i}.png" for i in range(len(DOCUMENTS))],
    )
    return collection.query(
        query_embeddings=rng.standard_normal((2, 8)).astype(np.float32),
        n_results=4,
        include=["documents", "metadatas", "distances", "embeddings", "uris"],
    )


QUERIES = [QUESTION, "How tall is the Eiffel Tower?"]


def _rows(result: dict, q: int) -> list[tuple]:
    return [
        (
            result["ids"][q][i],
            result["documents"][q][i],
            result["metadatas"][q][i]["n"],
            result["distances"][q][i],
            tuple(np.asarray(result["embeddings"][q][i]).tolist()),
            result["uris"][q][i],
        )
        for i in range(len(result["ids"][q]))
    ]


def test_every_per_query_list_is_reordered_together(emu: JinaEmulator, results: dict) -> None:
    got = reranker(emu).rerank_results(QUERIES, results)
    for q, query in enumerate(QUERIES):
        before = {row[0]: row for row in _rows(results, q)}
        after = _rows(got, q)
        assert sorted(after) == sorted(before.values())  # the same records, none lost or mixed
        assert all(before[row[0]] == row for row in after)  # each id still with its own values
        ranking = expected(emu, query, results["documents"][q], DEFAULT_RERANKER)
        assert [row[0] for row in after] == [results["ids"][q][r.index] for r in ranking]
        assert got["scores"][q] == [r.score for r in ranking]
    assert got["included"] == results["included"]
    assert isinstance(got["embeddings"][0], np.ndarray)
    assert results["ids"][0] != got["ids"][0] or results["ids"][1] != got["ids"][1]


def test_top_n_cuts_every_list(emu: JinaEmulator, results: dict) -> None:
    got = reranker(emu).rerank_results(QUERIES, results, top_n=2)
    for key in ("ids", "documents", "metadatas", "distances", "embeddings", "uris", "scores"):
        assert [len(row) for row in got[key]] == [2, 2], key


def test_the_input_results_are_not_changed(emu: JinaEmulator, results: dict) -> None:
    before = json.dumps(results["ids"]), json.dumps(results["distances"])
    reranker(emu).rerank_results(QUERIES, results)
    assert (json.dumps(results["ids"]), json.dumps(results["distances"])) == before


def test_async_twins_give_the_same_answers(emu: JinaEmulator, results: dict) -> None:
    r = reranker(emu)

    async def both() -> tuple:
        return await asyncio.gather(
            r.arerank_results(QUERIES, results), r.arerank(QUESTION, DOCUMENTS, top_n=2)
        )

    got_results, got_list = asyncio.run(both())
    sync = reranker(emu).rerank_results(QUERIES, results)
    for key in ("ids", "documents", "metadatas", "distances", "uris", "scores"):
        assert got_results[key] == sync[key], key
    assert all(
        np.array_equal(a, b)
        for a, b in zip(got_results["embeddings"], sync["embeddings"], strict=True)
    )
    assert got_list == reranker(emu).rerank(QUESTION, DOCUMENTS, top_n=2)
    assert [x.index for x in got_list] == [3, 0]


def test_a_query_without_candidates_sends_nothing(emu: JinaEmulator) -> None:
    empty = {"ids": [[], ["a"]], "documents": [[], ["text"]], "distances": [[], [0.1]]}
    got = reranker(emu).rerank_results(["q1", "q2"], empty)
    assert got["ids"] == [[], ["a"]]
    assert got["scores"][0] == []
    assert emu.stats.requests == 1


def test_images_come_from_uris_when_a_result_has_no_document(emu: JinaEmulator) -> None:
    images = {
        "ids": [["louvre", "tower"]],
        "documents": [[None, None]],
        "uris": [["https://example.com/louvre.jpg", "https://example.com/eiffel-tower.jpg"]],
    }
    got = reranker(emu, model_name="jina-reranker-m0").rerank_results("eiffel tower", images)
    assert got["ids"] == [["tower", "louvre"]]
    assert emu.requests[0].json["documents"] == [{"image": u} for u in images["uris"][0]]


@pytest.mark.parametrize("uri", ["/home/me/photos/louvre.png", "file:///tmp/louvre.png", "c.jpg"])
def test_a_uri_jina_cannot_fetch_is_refused_naming_the_fix(emu: JinaEmulator, uri: str) -> None:
    """A file path kept by a data loader is not sent as an image URL (Jina cannot fetch it):
    the call is refused before anything is sent, naming the result and include=['data']."""
    images = {
        "ids": [["tower", "louvre"]],
        "documents": [[None, None]],
        "uris": [["https://example.com/eiffel-tower.jpg", uri]],
    }
    r = reranker(emu, model_name="jina-reranker-m0")
    with pytest.raises(ValueError, match=r"result 1 of query 0 .*include=\['data'\]") as caught:
        r.rerank_results("eiffel tower", images)
    assert repr(uri) in str(caught.value)
    assert emu.stats.requests == 0
    # with the pixels included (include=["data"]), they are sent and the path is not
    pixels = [np.zeros((4, 4, 3), np.uint8), np.full((4, 4, 3), 255, np.uint8)]
    got = r.rerank_results("eiffel tower", {**images, "data": [pixels]})
    assert sorted(got["ids"][0]) == ["louvre", "tower"]
    sent = emu.requests[0].json["documents"]
    assert all(d["image"].startswith("iVBOR") for d in sent)


def test_image_arrays_are_estimated_by_their_tiles_as_for_embeddings(emu: JinaEmulator) -> None:
    """Two 448x448 images are 4 tiles, about 4,000 tokens, each: under a 5,000-token cap per
    request they go in two requests; two 8x8 images (one tile each) go in one."""
    r = reranker(emu, model_name="jina-reranker-m0", max_tokens_per_request=5_000)
    big = [np.zeros((448, 448, 3), np.uint8), np.full((448, 448, 3), 255, np.uint8)]
    r.rerank("q", big)
    assert [len(q.json["documents"]) for q in emu.requests] == [1, 1]
    small = [np.zeros((8, 8, 3), np.uint8), np.full((8, 8, 3), 255, np.uint8)]
    r.rerank("q", small)
    assert len(emu.requests[2].json["documents"]) == 2


def test_a_refused_call_leaves_last_usage_at_nothing_billed(emu: JinaEmulator) -> None:
    r = reranker(emu)
    r.rerank(QUESTION, DOCUMENTS)
    assert r.last_usage is not None and r.last_usage.total_tokens > 0
    with pytest.raises(ValueError, match="non-empty string"):
        r.rerank("", DOCUMENTS)
    assert r.last_usage is not None
    assert (r.last_usage.total_tokens, r.last_usage.requests) == (0, 0)
    r.rerank(QUESTION, DOCUMENTS)
    with pytest.raises(ValueError, match="top_n"):
        asyncio.run(r.arerank_results(QUESTION, {"ids": [["a"]], "documents": [["a"]]}, top_n=0))
    assert (r.last_usage.total_tokens, r.last_usage.requests) == (0, 0)
