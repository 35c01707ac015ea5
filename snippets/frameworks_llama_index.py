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
    ("password", "account", "To reset your password, open Settings and choose Security."),
    ("invoice", "billing", "Invoices are sent by email on the first day of each month."),
    ("delete", "account", "Deleting your account removes all your data after 30 days."),
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
    print([hit.node.node_id for hit in retriever.retrieve("I forgot my password")])
    #> ['password']

    question = "When is my invoice sent?"
    hits = index.as_retriever(similarity_top_k=3).retrieve(question)
    best = JinaRerank(JinaReranker(), top_n=1).postprocess_nodes(hits, query_str=question)  # (4)!
    print([hit.node.node_id for hit in best])
    #> ['invoice']

    reopened = chromadb.PersistentClient(path=folder).get_collection("help-center")  # (5)!
    print(reopened.configuration_json["embedding_function"]["name"])
    #> jina
    result = reopened.query(query_texts=["I forgot my password"], n_results=1)
    print(result["ids"][0], result["metadatas"][0][0]["topic"])
    #> ['password'] account
