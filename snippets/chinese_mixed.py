import chromadb

from chroma_jina import JinaEmbeddingFunction

jina = JinaEmbeddingFunction(
    model_name="jina-embeddings-v3",
    task="retrieval.passage",
    query_config={"task": "retrieval.query"},
)
collection = chromadb.EphemeralClient().create_collection(
    "mixed-languages", embedding_function=jina
)
collection.add(
    ids=["tea-zh", "tea-en", "bread-zh", "bread-en"],
    documents=[
        "绿茶的冲泡水温在 80 摄氏度左右。",
        "Green tea is brewed at about 80 degrees Celsius.",
        "酸种面包靠野生酵母发酵。",
        "Sourdough bread rises with wild yeast.",
    ],
    metadatas=[{"lang": "zh"}, {"lang": "en"}, {"lang": "zh"}, {"lang": "en"}],
)
print(jina.last_usage.requests)  # (1)!
#> 1
question = ["绿茶用多少度的水？"]
print(collection.query(query_texts=question, n_results=2)["ids"][0])  # (2)!
#> ['tea-zh', 'tea-en']
hits = collection.query(query_texts=question, n_results=2, where={"lang": "zh"})  # (3)!
print(hits["ids"][0])
#> ['tea-zh', 'bread-zh']
