import json

import chromadb
import httpx

from chroma_jina import JinaEmbeddingFunction

sent = []
http = httpx.Client(event_hooks={"request": [lambda r: sent.append(json.loads(r.content))]})


def fields(body):  # (1)!
    return {"输入条数": len(body["input"]), "任务": body["task"], "延迟分块": body["late_chunking"]}


jina = JinaEmbeddingFunction(
    model_name="jina-embeddings-v3",
    task="retrieval.passage",  # (2)!
    late_chunking=True,
    query_config={"task": "retrieval.query", "late_chunking": False},  # (3)!
    http_client=http,
)
client = chromadb.EphemeralClient()
collection = client.create_collection("query-config-demo", embedding_function=jina)
documents = ["Chroma 负责存储向量。", "Jina 负责计算向量。"]
collection.add(ids=["chroma", "jina"], documents=documents)
print(fields(sent[-1]))
#> {'输入条数': 2, '任务': 'retrieval.passage', '延迟分块': True}
found = collection.query(  # (4)!
    query_texts=["向量由谁计算？", "向量存储在哪里？"], n_results=1
)
print(fields(sent[-1]), found["ids"])
#> {'输入条数': 2, '任务': 'retrieval.query', '延迟分块': False} [['jina'], ['chroma']]
