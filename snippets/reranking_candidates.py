import chromadb

from chroma_jina import JinaEmbeddingFunction, JinaReranker

collection = chromadb.EphemeralClient().create_collection(
    "eiffel-candidates",
    embedding_function=JinaEmbeddingFunction(
        model_name="jina-embeddings-v3",
        task="retrieval.passage",
        query_config={"task": "retrieval.query"},
    ),
)
collection.add(
    ids=["faq", "built", "height", "louvre", "visits"],
    documents=[
        "Visitors often ask when the Eiffel Tower was built and why it was built.",
        "Gustave Eiffel's company finished the tower in March 1889, for the World's Fair.",
        "The Eiffel Tower is 330 metres tall.",
        "The Louvre is the world's most visited museum.",
        "About seven million people visit the Eiffel Tower every year.",
    ],
)

question = "When was the Eiffel Tower built?"
reranker = JinaReranker()
for n in (2, 3, 4, 5):  # (1)!
    found = collection.query(query_texts=[question], n_results=n)
    best = reranker.rerank_results(question, found, top_n=1)["ids"][0]
    print(f"N={n}: top {best}, {reranker.last_usage.total_tokens} tokens billed")  # (2)!
    #> N=2: top ['faq'], 36 tokens billed
    #> N=3: top ['faq'], 49 tokens billed
    #> N=4: top ['built'], 71 tokens billed
    #> N=5: top ['built'], 84 tokens billed

labelled = [  # (3)!
    ("When was the Eiffel Tower built?", "built"),
    ("How tall is the Eiffel Tower?", "height"),
    ("How many people visit the Eiffel Tower?", "visits"),
]


def recall_at_k(pairs, k, n, rerank):
    hits = 0
    for question, relevant in pairs:
        found = collection.query(query_texts=[question], n_results=n)
        if rerank:
            found = reranker.rerank_results(question, found, top_n=k)
        hits += relevant in found["ids"][0][:k]
    return hits / len(pairs)


without = recall_at_k(labelled, k=1, n=4, rerank=False)
with_rerank = recall_at_k(labelled, k=1, n=4, rerank=True)
print(f"recall@1: {without:.2f} without reranking, {with_rerank:.2f} with it")
#> recall@1: 0.67 without reranking, 1.00 with it
