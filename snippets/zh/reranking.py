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
        "游客常问埃菲尔铁塔是什么时候建成的，又为什么要建。",
        "古斯塔夫·埃菲尔的公司在 1889 年 3 月完成了这座铁塔，赶上了世界博览会。",
        "埃菲尔铁塔高 330 米。",
        "卢浮宫是世界上参观人数最多的博物馆。",
        "每年约有 700 万人参观埃菲尔铁塔。",
    ],
)

question = "埃菲尔铁塔是什么时候建成的？"
found = collection.query(query_texts=[question], n_results=4)  # (1)!
print(f"重排前：{found['ids'][0]}")
#> 重排前：['faq', 'height', 'visits', 'built']

reranker = JinaReranker()  # (2)!
reranked = reranker.rerank_results(question, found, top_n=2)  # (3)!
print(f"重排后：{reranked['ids'][0]}")
#> 重排后：['built', 'faq']
print(f"相关性分数：{[round(score, 2) for score in reranked['scores'][0]]}")
#> 相关性分数：[0.83, 0.35]
print(f"距离随结果保留：{[round(d, 2) for d in reranked['distances'][0]]}")  # (4)!
#> 距离随结果保留：[0.61, 0.31]
