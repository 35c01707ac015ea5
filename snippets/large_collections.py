import chromadb

from chroma_jina import JinaEmbeddingFunction

jina = JinaEmbeddingFunction(
    model_name="jina-embeddings-v3",
    task="retrieval.passage",
    query_config={"task": "retrieval.query"},
    max_concurrency=2,  # (1)!
    max_retries=5,  # (2)!
    requests_per_minute=100,  # (3)!
    tokens_per_minute=200_000,
    progress=False,  # (4)!
)
documents = [
    f"Support ticket {n}: the printer on floor {n % 7} is jammed." for n in range(1000)
]

client = chromadb.EphemeralClient()
collection = client.create_collection("tickets", embedding_function=jina)
step = min(300, client.get_max_batch_size())  # (5)!
for start in range(0, len(documents), step):
    batch = documents[start : start + step]
    ids = [f"ticket-{start + i}" for i in range(len(batch))]
    collection.add(ids=ids, documents=batch)
    usage = jina.last_usage
    print(f"{len(batch)} documents, requests: {usage.requests}, tokens: {usage.total_tokens:,}")
    #> 300 documents, requests: 1, tokens: 4,200
    #> 300 documents, requests: 1, tokens: 4,200
    #> 300 documents, requests: 1, tokens: 4,200
    #> 100 documents, requests: 1, tokens: 1,400
