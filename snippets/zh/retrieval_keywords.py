import chromadb

from chroma_jina import JinaEmbeddingFunction

collection = chromadb.EphemeralClient().create_collection(
    "error-codes",
    embedding_function=JinaEmbeddingFunction(
        model_name="jina-embeddings-v3",
        task="retrieval.passage",
        query_config={"task": "retrieval.query"},
    ),
)
collection.add(
    ids=["disk", "network", "password"],
    documents=[
        "错误 E-4012：磁盘已满。删除旧的备份即可释放空间。",
        "错误 E-4021：网络不可达。请检查代理设置。",
        "重置密码：打开“设置”，选择“安全”。",
    ],
)

question = "错误 E-4012 是什么意思？"
for where_document in (
    {"$contains": "E-4012"},  # (1)!
    {"$contains": "e-4012"},  # (2)!
    {"$regex": "E-40(12|21)"},  # (3)!
):
    found = collection.query(query_texts=[question], n_results=3, where_document=where_document)
    print(where_document, sorted(found["ids"][0]))
    #> {'$contains': 'E-4012'} ['disk']
    #> {'$contains': 'e-4012'} []
    #> {'$regex': 'E-40(12|21)'} ['disk', 'network']
