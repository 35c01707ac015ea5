import chromadb

from chroma_jina import JinaEmbeddingFunction

jina = JinaEmbeddingFunction(  # (1)!
    model_name="jina-embeddings-v3",
    task="retrieval.passage",  # (2)!
    query_config={"task": "retrieval.query"},
)
client = chromadb.EphemeralClient()
collection = client.create_collection("hello-jina", embedding_function=jina)
collection.add(
    ids=["chroma", "jina", "paris"],
    documents=[
        "Chroma is an open-source database for embeddings.",
        "Jina AI trains embedding models for search.",
        "Paris is the capital of France.",
    ],
)
result = collection.query(
    query_texts=["Which database stores embeddings?"], n_results=1
)
print(result["ids"][0])
#> ['chroma']
