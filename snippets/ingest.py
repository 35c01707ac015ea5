import chromadb

from chroma_jina import JinaEmbeddingFunction, ingest

jina = JinaEmbeddingFunction(  # (1)!
    model_name="jina-embeddings-v3",
    task="retrieval.passage",
    query_config={"task": "retrieval.query"},
    dimensions=256,
)
client = chromadb.EphemeralClient()
collection = client.create_collection("tickets", embedding_function=jina)


def tickets(count):  # (2)!
    return (f"Support ticket {n}: the printer on floor {n % 7} is jammed." for n in range(count))


def ticket_ids(count):
    return (f"ticket-{n}" for n in range(count))


stopped = ingest(collection, ids=ticket_ids(600), documents=tickets(600), progress=False)  # (3)!
again = ingest(collection, ids=ticket_ids(1000), documents=tickets(1000), progress=False)  # (4)!
for r in (stopped, again):
    print(f"added {r.added}, skipped {r.skipped}, requests {r.requests}, tokens {r.tokens:,}")
    #> added 600, skipped 0, requests 2, tokens 8,400
    #> added 400, skipped 600, requests 1, tokens 5,600
