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
    f"city-{n}": [f"City {n} lies on a river.", "The city has a large harbour."] for n in range(30)
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
                raise r  # about the key, not the document: the next ones would fail too
        failed += [  # the document's id and why it failed
            (d, r) for (d, _), r in zip(block, done, strict=True) if isinstance(r, BaseException)
        ]
        added += sum(r for r in done if isinstance(r, int))
    return added, failed


for run in ("first run", "run again"):  # (7)!
    with track_usage() as tracked:
        added, failed = asyncio.run(add_corpus(corpus, at_once=10))
    print(f"{run}: {added} added, {len(failed)} failed, {tracked.usage.requests} requests")
    #> first run: 30 added, 0 failed, 30 requests
    #> run again: 0 added, 0 failed, 0 requests
print(collection.count(), "chunks stored")
#> 60 chunks stored
