import os

import chromadb
import httpx
import numpy as np

from chroma_jina import InsufficientBalanceError, JinaEmbeddingFunction
from chroma_jina.testing import (
    ErrorReply,
    JinaEmulator,
    RandomFaults,
    ShuffledIndices,
    TooManyRequests,
)


def build_index(client, embedding_function, documents):  # (1)!
    collection = client.get_or_create_collection("notes", embedding_function=embedding_function)
    collection.add(ids=[str(i) for i in range(len(documents))], documents=documents)
    return collection


os.environ.setdefault("CHROMA_JINA_API_KEY", "jina_unused")  # read by Chroma's rebuild at add()
emulator = JinaEmulator()
jina = JinaEmbeddingFunction(
    api_key="jina_offline_emulator_key",  # (2)!
    model_name="jina-embeddings-v3",
    task="retrieval.passage",
    query_config={"task": "retrieval.query"},
    http_client=httpx.Client(transport=emulator.transport()),  # (3)!
    max_retries=2,
)

collection = build_index(
    chromadb.EphemeralClient(),
    jina,
    [
        "Berlin is the capital and largest city of Germany.",
        "The city has a rich history dating back centuries.",
        "It was founded in the 13th century.",
    ],
)
found = collection.query(query_texts=["When was Berlin founded?"], n_results=1)
print(found["documents"][0][0])
#> It was founded in the 13th century.

print([request.json["task"] for request in emulator.requests])  # (4)!
#> ['retrieval.passage', 'retrieval.query']

emulator.script(TooManyRequests(retry_after=0), TooManyRequests(retry_after=0))  # (5)!
vectors = jina(["one more note"])
print(len(vectors), jina.last_usage.requests)
#> 1 3

emulator.script(ErrorReply(403, "AUTHZ_INSUFFICIENT_BALANCE"))
try:
    jina(["this one fails"])
except InsufficientBalanceError as error:  # (6)!
    print(error.status, error.code)
    #> 403 AUTHZ_INSUFFICIENT_BALANCE

flaky = JinaEmulator(  # (7)!
    faults=RandomFaults(
        rate=0.3, seed=7, mix=[TooManyRequests(retry_after=0), ShuffledIndices()]
    )
)
jina = JinaEmbeddingFunction(
    api_key="jina_offline_emulator_key",
    model_name="jina-embeddings-v3",
    http_client=httpx.Client(transport=flaky.transport()),
    batch_size=8,
)
notes = [f"note number {i}" for i in range(64)]
vectors = jina(notes)
expected = flaky.embed(notes, model="jina-embeddings-v3")  # (8)!
print(all(np.array_equal(v, e) for v, e in zip(vectors, expected, strict=True)))
#> True
print(flaky.stats.requests, flaky.stats.faults)
#> 11 {'ShuffledIndices': 3, 'TooManyRequests': 3}
