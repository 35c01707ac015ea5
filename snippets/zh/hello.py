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
    ids=["chroma", "jina", "beijing"],
    documents=[
        "Chroma 是一个开源的向量数据库。",
        "Jina AI 训练用于搜索的向量模型。",
        "北京是中国的首都。",
    ],
)
result = collection.query(query_texts=["用哪个数据库存向量？"], n_results=1)
print(result["ids"][0])
#> ['chroma']
