import tempfile

import chromadb

from chroma_jina import JinaEmbeddingFunction

with tempfile.TemporaryDirectory() as folder:
    collection = chromadb.PersistentClient(path=folder).create_collection(
        "support-articles",
        embedding_function=JinaEmbeddingFunction(
            model_name="jina-embeddings-v3", task="retrieval.passage"
        ),  # (1)!
    )
    collection.add(
        ids=["password", "invoice"],
        documents=[
            "重置密码：打开“设置”，选择“安全”。",
            "发票在每月第一天通过电子邮件发送。",
        ],
    )

    collection.modify(
        configuration={
            "embedding_function": JinaEmbeddingFunction(
                model_name="jina-embeddings-v3",
                task="retrieval.passage",
                query_config={"task": "retrieval.query"},  # (2)!
            )
        }
    )

    reopened = chromadb.PersistentClient(path=folder).get_collection("support-articles")
    print(reopened.configuration_json["embedding_function"]["config"]["query_config"])  # (3)!
    #> {'task': 'retrieval.query'}
    print(reopened.query(query_texts=["我忘记密码了"], n_results=1)["ids"][0])
    #> ['password']
