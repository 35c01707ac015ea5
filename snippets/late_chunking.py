import chromadb

from chroma_jina import JinaEmbeddingFunction

jina = JinaEmbeddingFunction(
    model_name="jina-embeddings-v3",
    late_chunking=True,
    task="retrieval.passage",  # (1)!
    query_config={"task": "retrieval.query", "late_chunking": False},  # (2)!
)
client = chromadb.EphemeralClient()  # (3)!
collection = client.create_collection("late-chunking", embedding_function=jina)

documents = [
    "Berlin is the capital of Germany.",
    "The city has a population of 3.85 million.",
    "It is the most populous city in the European Union.",
    "Berlin is known for its art scene and cultural institutions.",
]
ids = [f"berlin-{i}" for i in range(len(documents))]
collection.add(ids=ids, documents=documents)  # (4)!

queries = ["What is Berlin's population?", "Which city is the most populous in the EU?"]
results = collection.query(query_texts=queries, n_results=2)  # (5)!
print(results["ids"])  # (6)!
#> [['berlin-0', 'berlin-1'], ['berlin-2', 'berlin-1']]
