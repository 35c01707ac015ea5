import json

import chromadb
import httpx

from chroma_jina import JinaEmbeddingFunction

sent = []
http = httpx.Client(event_hooks={"request": [lambda r: sent.append(json.loads(r.content))]})


def fields(body):  # (1)!
    return {"inputs": len(body["input"]), "task": body["task"], "late": body["late_chunking"]}


jina = JinaEmbeddingFunction(
    model_name="jina-embeddings-v3",
    task="retrieval.passage",  # (2)!
    late_chunking=True,
    query_config={"task": "retrieval.query", "late_chunking": False},  # (3)!
    http_client=http,
)
client = chromadb.EphemeralClient()
collection = client.create_collection("query-config-demo", embedding_function=jina)
documents = ["Chroma keeps the vectors.", "Jina computes them."]
collection.add(ids=["chroma", "jina"], documents=documents)
print(fields(sent[-1]))
#> {'inputs': 2, 'task': 'retrieval.passage', 'late': True}
found = collection.query(  # (4)!
    query_texts=["Who computes the vectors?", "Where are vectors kept?"], n_results=1
)
print(fields(sent[-1]), found["ids"])
#> {'inputs': 2, 'task': 'retrieval.query', 'late': False} [['jina'], ['chroma']]
