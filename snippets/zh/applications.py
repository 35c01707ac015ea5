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
        "门店营业时间：周一至周六，上午 9 点到下午 6 点。",
        "签收后 30 天内可以免费退货。",
        "订单在两个工作日内发货。",
    ],
)


async def search(question: str) -> str:  # (4)!
    [vector] = await jina.aembed_query([question])
    found = await asyncio.to_thread(collection.query, query_embeddings=[vector], n_results=1)
    return found["ids"][0][0]


async def main() -> None:
    api.reset()  # 只统计提问发出的请求
    questions = ["你们几点开门？", "鞋子能退货吗？", "订单多久发货？"] * 67
    started = time.monotonic()
    answers = await asyncio.gather(*(search(q) for q in questions[:200]))  # (5)!
    seconds = time.monotonic() - started
    print(Counter(answers))
    #> Counter({'hours': 67, 'returns': 67, 'shipping': 66})
    print(f"{api.stats.requests} 个请求，{api.stats.rate_limited} 个被拒")
    #> 200 个请求，0 个被拒
    print(f"同时在途的请求最多 {api.stats.peak_concurrency} 个")  # (6)!
    #> 同时在途的请求最多 5 个
    print(f"耗时：{seconds:.1f} 秒")  # (7)!
    #> 耗时：2.2 秒


asyncio.run(main())
