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
        "游客常问埃菲尔铁塔是什么时候建成的，又为什么要建。",
        "古斯塔夫·埃菲尔的公司在 1889 年 3 月完成了这座铁塔，赶上了世界博览会。",
        "埃菲尔铁塔高 330 米。",
        "卢浮宫是世界上参观人数最多的博物馆。",
        "每年约有 700 万人参观埃菲尔铁塔。",
    ],
)

question = "埃菲尔铁塔是什么时候建成的？"
reranker = JinaReranker()
for n in (2, 3, 4, 5):  # (1)!
    found = collection.query(query_texts=[question], n_results=n)
    best = reranker.rerank_results(question, found, top_n=1)["ids"][0]
    print(f"N={n}：排第一的是 {best}，计费 {reranker.last_usage.total_tokens} 个 token")  # (2)!
    #> N=2：排第一的是 ['faq']，计费 54 个 token
    #> N=3：排第一的是 ['faq']，计费 71 个 token
    #> N=4：排第一的是 ['built']，计费 107 个 token
    #> N=5：排第一的是 ['built']，计费 127 个 token

labelled = [  # (3)!
    ("埃菲尔铁塔是什么时候建成的？", "built"),
    ("埃菲尔铁塔有多高？", "height"),
    ("每年有多少人参观埃菲尔铁塔？", "visits"),
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
print(f"recall@1：不重排 {without:.2f}，重排后 {with_rerank:.2f}")
#> recall@1：不重排 0.67，重排后 1.00
