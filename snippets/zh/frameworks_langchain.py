import tempfile

import chromadb
from langchain_chroma import Chroma

from chroma_jina import JinaEmbeddingFunction, JinaReranker
from chroma_jina.langchain import JinaEmbeddings, JinaRerank

jina = JinaEmbeddingFunction(
    model_name="jina-embeddings-v3",
    task="retrieval.passage",
    query_config={"task": "retrieval.query"},
)

with tempfile.TemporaryDirectory() as folder:
    store = Chroma(
        "help-center",
        persist_directory=folder,
        embedding_function=JinaEmbeddings(jina),  # (1)!
        collection_configuration={"embedding_function": jina},  # (2)!
    )
    store.add_texts(
        [
            "重置密码：打开“设置”，选择“安全”。",
            "发票在每月第一天通过电子邮件发送。",
            "注销账户后，你的全部数据会在 30 天后删除。",
        ],
        ids=["password", "invoice", "delete"],
    )
    retriever = store.as_retriever(search_kwargs={"k": 1})
    print([doc.id for doc in retriever.invoke("我忘记密码了")])
    #> ['password']
    mmr = store.as_retriever(search_type="mmr", search_kwargs={"k": 2})  # (3)!
    print([doc.id for doc in mmr.invoke("发票什么时候发？")])
    #> ['invoice', 'password']

    candidates = store.similarity_search("发票什么时候发？", k=3)
    rerank = JinaRerank(reranker=JinaReranker(), top_n=1)  # (4)!
    print([doc.id for doc in rerank.compress_documents(candidates, "发票什么时候发？")])
    #> ['invoice']

    reopened = chromadb.PersistentClient(path=folder).get_collection("help-center")  # (5)!
    print(reopened.configuration_json["embedding_function"]["name"])
    #> jina
    print(reopened.query(query_texts=["我忘记密码了"], n_results=1)["ids"][0])
    #> ['password']
