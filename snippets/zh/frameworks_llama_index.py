import tempfile

import chromadb
from llama_index.core import StorageContext, VectorStoreIndex
from llama_index.core.schema import TextNode
from llama_index.vector_stores.chroma import ChromaVectorStore

from chroma_jina import JinaEmbeddingFunction, JinaReranker
from chroma_jina.llama_index import JinaEmbedding, JinaRerank

jina = JinaEmbeddingFunction(
    model_name="jina-embeddings-v3",
    task="retrieval.passage",
    query_config={"task": "retrieval.query"},
)
articles = [
    ("password", "账户", "重置密码：打开“设置”，选择“安全”。"),
    ("invoice", "账单", "发票在每月第一天通过电子邮件发送。"),
    ("delete", "账户", "注销账户后，你的全部数据会在 30 天后删除。"),
]

with tempfile.TemporaryDirectory() as folder:
    collection = chromadb.PersistentClient(path=folder).create_collection(
        "help-center", embedding_function=jina  # (1)!
    )
    index = VectorStoreIndex(
        [
            TextNode(
                id_=key,
                text=text,
                metadata={"topic": topic},
                excluded_embed_metadata_keys=["topic"],  # (2)!
            )
            for key, topic, text in articles
        ],
        storage_context=StorageContext.from_defaults(
            vector_store=ChromaVectorStore(chroma_collection=collection)
        ),
        embed_model=JinaEmbedding(jina),  # (3)!
    )
    retriever = index.as_retriever(similarity_top_k=1)
    print([hit.node.node_id for hit in retriever.retrieve("我忘记密码了")])
    #> ['password']

    question = "发票什么时候发？"
    hits = index.as_retriever(similarity_top_k=3).retrieve(question)
    best = JinaRerank(JinaReranker(), top_n=1).postprocess_nodes(hits, query_str=question)  # (4)!
    print([hit.node.node_id for hit in best])
    #> ['invoice']

    reopened = chromadb.PersistentClient(path=folder).get_collection("help-center")  # (5)!
    print(reopened.configuration_json["embedding_function"]["name"])
    #> jina
    result = reopened.query(query_texts=["我忘记密码了"], n_results=1)
    print(result["ids"][0], result["metadatas"][0][0]["topic"])
    #> ['password'] 账户
