import asyncio
import time
from collections import Counter

import chromadb
import httpx

from chroma_jina import JinaEmbeddingFunction
from chroma_jina.testing import JinaEmulator, Latency, RateLimits

api = JinaEmulator(limits=RateLimits(concurrency=5), latency=Latency(0.05))  # (1)!
jina = JinaEmbeddingFunction(  # (2)!
    model_name="jina-embeddings-v3",
    task="retrieval.passage",
    query_config={"task": "retrieval.query"},
    max_concurrency=5,  # (3)!
    http_client=httpx.Client(transport=api.transport()),
    async_http_client=httpx.AsyncClient(transport=api.transport()),
)
collection = chromadb.EphemeralClient().create_collection("faq", embedding_function=jina)
collection.add(
    ids=["hours", "returns", "shipping"],
    documents=[
        "The shop is open from 9 am to 6 pm, Monday to Saturday.",
        "Returns are free within 30 days of delivery.",
        "Orders ship within two working days.",
    ],
)


async def search(question: str) -> str:  # (4)!
    [vector] = await jina.aembed_query([question])
    found = await asyncio.to_thread(collection.query, query_embeddings=[vector], n_results=1)
    return found["ids"][0][0]


async def main() -> None:
    api.reset()  # count the queries only
    questions = ["When do you open?", "Can I return shoes?", "When do orders ship?"] * 67
    started = time.monotonic()
    answers = await asyncio.gather(*(search(q) for q in questions[:200]))  # (5)!
    seconds = time.monotonic() - started
    print(Counter(answers))
    #> Counter({'hours': 67, 'returns': 67, 'shipping': 66})
    print(api.stats.requests, "requests,", api.stats.rate_limited, "refused")
    #> 200 requests, 0 refused
    print("at most", api.stats.peak_concurrency, "in flight")  # (6)!
    #> at most 5 in flight
    print(f"wall time: {seconds:.1f} s")  # (7)!
    #> wall time: 2.3 s


asyncio.run(main())
