import asyncio

import chromadb

from chroma_jina import (
    AuthenticationError,
    InsufficientBalanceError,
    JinaEmbeddingFunction,
    RateLimitError,
    track_usage,
)

corpus = {  # (1)!
    f"city-{n}": [f"{n} 号城市在一条河边。", "这座城市有一个大港口。"] for n in range(30)
}

client = chromadb.EphemeralClient()
jina = JinaEmbeddingFunction(
    model_name="jina-embeddings-v3",
    task="retrieval.passage",
    late_chunking=True,
    query_config={"task": "retrieval.query", "late_chunking": False},
)
collection = client.get_or_create_collection("cities", embedding_function=jina)
max_batch = min(300, client.get_max_batch_size())  # (2)!
KEY_ERRORS = (AuthenticationError, InsufficientBalanceError, RateLimitError)


async def stored_ids(ids, chroma_calls):
    stored = set()
    for start in range(0, len(ids), max_batch):
        async with chroma_calls:
            got = await asyncio.to_thread(
                collection.get, ids=ids[start : start + max_batch], include=[]
            )
        stored.update(got["ids"])
    return stored


async def add_document(doc_id, chunks, stored, chroma_calls):
    ids = [f"{doc_id}-{i}" for i in range(len(chunks))]
    if all(i in stored for i in ids):  # (3)!
        return 0
    vectors = await jina.aembed(chunks)  # (4)!
    for start in range(0, len(ids), max_batch):
        end = start + max_batch
        async with chroma_calls:
            await asyncio.to_thread(
                collection.upsert,
                ids=ids[start:end],
                embeddings=vectors[start:end],
                documents=chunks[start:end],
            )
    return 1


async def add_corpus(documents, at_once=100):
    items = list(documents.items())
    chroma_calls = asyncio.Semaphore(10)  # (5)!
    added, failed = 0, []
    for start in range(0, len(items), at_once):  # (6)!
        block = items[start : start + at_once]
        ids = [f"{d}-{i}" for d, chunks in block for i in range(len(chunks))]
        stored = await stored_ids(ids, chroma_calls)
        done = await asyncio.gather(
            *(add_document(d, c, stored, chroma_calls) for d, c in block),
            return_exceptions=True,
        )
        for r in done:
            if isinstance(r, KEY_ERRORS):
                raise r  # 是密钥的问题，不是文档的：后面的文档也会同样失败
        failed += [  # 出错文档的 id 和出错原因
            (d, r) for (d, _), r in zip(block, done, strict=True) if isinstance(r, BaseException)
        ]
        added += sum(r for r in done if isinstance(r, int))
    return added, failed


for run in ("第一次运行", "再运行一次"):  # (7)!
    with track_usage() as tracked:
        added, failed = asyncio.run(add_corpus(corpus, at_once=10))
    print(f"{run}：新增 {added} 篇文档，失败 {len(failed)} 篇，{tracked.usage.requests} 个请求")
    #> 第一次运行：新增 30 篇文档，失败 0 篇，30 个请求
    #> 再运行一次：新增 0 篇文档，失败 0 篇，0 个请求
print(f"共存入 {collection.count()} 个片段")
#> 共存入 60 个片段
