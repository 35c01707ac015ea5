"""steps.request and the executors carry a request to any endpoint of the API: the path rides on
`Send`, the answer is read by the step's own `decode`, retries and the key's slots work as for
embeddings. (The reranker stands on this; here the emulator's /v1/embeddings is read by a
decoder that is not the embeddings one.)"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx
import orjson
import pytest

from chroma_jina import InvalidRequestError, Usage
from chroma_jina.client import JinaClient
from chroma_jina.steps import Acquire, Send, request
from chroma_jina.testing import JinaEmulator, ServerFailure
from chroma_jina.usage import Meter
from tests.support.service import KEY


@dataclass(frozen=True)
class Answer:
    """What this test's decoder reads from a 200: the model named, the entries, the usage."""

    model: str
    entries: int
    total_tokens: int
    prompt_tokens: int | None


def decode(content: bytes) -> Answer:
    body = orjson.loads(content)
    usage = body["usage"]
    return Answer(
        body["model"], len(body["data"]), usage["total_tokens"], usage.get("prompt_tokens")
    )


def body(*texts: str, model: str = "jina-embeddings-v3") -> bytes:
    return orjson.dumps({"model": model, "input": list(texts)})


def test_the_step_sends_its_own_path_and_body_and_gives_back_its_slot() -> None:
    client = JinaClient(KEY, base_url="http://steps-effects.test/v1")
    ctx = client.context(Meter())
    step = request("/rerank", b'{"query":"q"}', tokens=3, decode=decode, indices=[0], ctx=ctx)
    assert isinstance(next(step), Acquire)
    slot = ctx.slots.acquire(object())
    assert ctx.slots.in_use == 1
    assert step.send(slot) == Send("/rerank", b'{"query":"q"}')
    step.close()  # stopped while the request was out: the slot is the key's again
    assert ctx.slots.in_use == 0


def test_a_request_is_retried_and_read_by_its_decoder_sync() -> None:
    emu = JinaEmulator()
    emu.script(ServerFailure())
    with httpx.Client(transport=emu.transport()) as http:
        client = JinaClient(KEY, base_url="http://steps-sync.test/v1", http_client=http)
        client.sleep = lambda seconds: None  # the retry's wait is decided, not slept
        meter = Meter()
        ctx = client.context(meter)
        steps = [
            request("/embeddings", body("a", "b"), tokens=6, decode=decode, indices=[0, 1], ctx=ctx)
        ]
        [answer] = client.run_steps(ctx, steps)
    assert answer.model == "jina-embeddings-v3" and answer.entries == 2
    assert [(r.path, r.status) for r in emu.requests] == [
        ("/v1/embeddings", 503),
        ("/v1/embeddings", 200),
    ]
    assert meter.usage() == Usage(answer.total_tokens, answer.prompt_tokens, 2)


def test_steps_run_on_the_event_loop_in_order_and_a_refusal_names_its_inputs() -> None:
    emu = JinaEmulator()

    async def main() -> tuple[list[Answer], InvalidRequestError]:
        async with httpx.AsyncClient(transport=emu.transport()) as http:
            client = JinaClient(KEY, base_url="http://steps-async.test/v1", async_http_client=http)
            ctx = client.context(Meter())
            answers = await client.arun_steps(
                ctx,
                [
                    request(
                        "/embeddings", body("a"), tokens=3, decode=decode, indices=[0], ctx=ctx
                    ),
                    request(
                        "/embeddings",
                        body("b", "c", "d"),
                        tokens=9,
                        decode=decode,
                        indices=[1, 2, 3],
                        ctx=ctx,
                    ),
                ],
            )
            refused = request(
                "/embeddings",
                body("e", model="no-such-model"),
                tokens=3,
                decode=decode,
                indices=[4],
                ctx=ctx,
            )
            with pytest.raises(InvalidRequestError) as caught:
                await client.arun_steps(ctx, [refused])
            return answers, caught.value

    answers, error = asyncio.run(main())
    assert [a.entries for a in answers] == [1, 3]
    assert error.input_indices == [4] and "no-such-model" in error.message
    assert [r.path for r in emu.requests] == ["/v1/embeddings"] * 3
