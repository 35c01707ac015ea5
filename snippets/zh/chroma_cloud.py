import os

import chromadb

from chroma_jina import JinaEmbeddingFunction, ingest

client = chromadb.CloudClient(api_key=os.environ["CHROMA_API_KEY"])  # (1)!
jina = JinaEmbeddingFunction(  # (2)!
    model_name="jina-embeddings-v3",
    task="retrieval.passage",
    query_config={"task": "retrieval.query"},
    dimensions=256,
)
collection = client.get_or_create_collection("handbook", embedding_function=jina)

ids = [f"page-{n}" for n in range(700)]
pages = [f"员工手册第 {n} 页：第 {n % 9} 组如何发布新版本。" for n in range(700)]
report = ingest(collection, ids=ids, documents=pages, progress=False)  # (3)!
print(f"新增 {report.added} 条，请求 {report.requests} 次，消耗 {report.tokens} 个 token")
#> 新增 700 条，请求 2 次，消耗 14700 个 token
print(collection.configuration["embedding_function"].get_config()["api_key_env_var"])  # (4)!
#> CHROMA_JINA_API_KEY
