import chromadb

from chroma_jina import JinaEmbeddingFunction

jina = JinaEmbeddingFunction(
    model_name="jina-embeddings-v3",
    task="retrieval.passage",  # (1)!
    late_chunking=True,
    query_config={"task": "retrieval.query", "late_chunking": False},  # (2)!
)
texts = ["Chroma keeps the vectors.", "Jina computes them."]
documents = jina(texts)
queries = jina.embed_query(["Who computes the vectors?"])  # (3)!
print(len(documents), len(queries))
#> 2 1

client = chromadb.EphemeralClient()
collection = client.create_collection("query-config-demo", embedding_function=jina)
collection.add(ids=["chroma", "jina"], documents=texts)
result = collection.query(  # (4)!
    query_texts=["Who computes the vectors?"], n_results=1
)
print(result["ids"][0], jina.get_config()["query_config"])
#> ['jina'] {'task': 'retrieval.query', 'late_chunking': False}
