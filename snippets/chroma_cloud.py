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
pages = [f"Handbook page {n}: how team {n % 9} ships a release." for n in range(700)]
report = ingest(collection, ids=ids, documents=pages, progress=False)  # (3)!
print(f"added {report.added}, requests {report.requests}, tokens {report.tokens:,}")
#> added 700, requests 2, tokens 9,100
print(collection.configuration["embedding_function"].get_config()["api_key_env_var"])  # (4)!
#> CHROMA_JINA_API_KEY
