import chromadb

from chroma_jina import JinaEmbeddingFunction, JinaReranker

collection = chromadb.EphemeralClient().create_collection(
    "eiffel-facts",
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
found = collection.query(query_texts=[question], n_results=4)  # (1)!
print("before:", found["ids"][0])
#> before: ['faq', 'height', 'visits', 'built']

reranker = JinaReranker()  # (2)!
reranked = reranker.rerank_results(question, found, top_n=2)  # (3)!
print("after: ", reranked["ids"][0])
#> after:  ['built', 'faq']
print("scores:", [round(score, 2) for score in reranked["scores"][0]])
#> scores: [0.85, 0.37]
print("distances kept:", [round(d, 2) for d in reranked["distances"][0]])  # (4)!
#> distances kept: [0.56, 0.32]
