import chromadb

from chroma_jina import JinaEmbeddingFunction

documents = {  # (1)!
    "berlin": [
        "Berlin is the capital of Germany.",
        "The city has 3.7 million inhabitants.",
        "It is known for its museums and night life.",
    ],
    "hamburg": [
        "Hamburg is a port on the river Elbe.",
        "The city has 1.9 million inhabitants.",
        "Its harbour is the largest in Germany.",
    ],
}
question = "How many inhabitants does Berlin have?"

client = chromadb.EphemeralClient()  # (2)!
for late_chunking in (False, True):  # (3)!
    jina = JinaEmbeddingFunction(
        model_name="jina-embeddings-v3",
        task="retrieval.passage",  # (4)!
        late_chunking=late_chunking,
        query_config={"task": "retrieval.query", "late_chunking": False},  # (5)!
    )
    collection = client.create_collection(
        f"cities-late-chunking-{late_chunking}".lower(), embedding_function=jina
    )
    for city, chunks in documents.items():  # (6)!
        collection.add(ids=[f"{city}-{i}" for i in range(len(chunks))], documents=chunks)
    found = collection.query(query_texts=[question], n_results=2)
    distances = [round(d, 2) for d in found["distances"][0]]
    print(f"late_chunking={late_chunking}:", found["ids"][0], distances)  # (7)!
    #> late_chunking=False: ['hamburg-1', 'berlin-1'] [0.62, 0.63]
    #> late_chunking=True: ['berlin-1', 'hamburg-1'] [0.59, 0.65]
