import tempfile

import chromadb

from chroma_jina import JinaEmbeddingFunction

with tempfile.TemporaryDirectory() as folder:
    client = chromadb.PersistentClient(path=folder)
    client.create_collection(
        "support-articles",
        embedding_function=JinaEmbeddingFunction(
            model_name="jina-embeddings-v3",
            task="retrieval.passage",  # (1)!
            query_config={"task": "retrieval.query"},  # (2)!
        ),
    ).add(
        ids=["password", "invoice", "delete"],
        documents=[
            "重置密码：打开“设置”，选择“安全”。",
            "发票在每月第一天通过电子邮件发送。",
            "注销账户 30 天后，你的全部数据会被删除。",
        ],
    )

    client = chromadb.PersistentClient(path=folder)  # (3)!
    reopened = client.get_collection("support-articles")
    saved = reopened.configuration_json["embedding_function"]
    print(saved["name"], saved["config"]["task"], saved["config"]["query_config"])
    #> jina retrieval.passage {'task': 'retrieval.query'}
    result = reopened.query(query_texts=["我忘记密码了"], n_results=1)
    print(result["ids"][0])
    #> ['password']
