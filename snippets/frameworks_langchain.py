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
            "To reset your password, open Settings and choose Security.",
            "Invoices are sent by email on the first day of each month.",
            "Deleting your account removes all your data after 30 days.",
        ],
        ids=["password", "invoice", "delete"],
    )
    retriever = store.as_retriever(search_kwargs={"k": 1})
    print([doc.id for doc in retriever.invoke("I forgot my password")])
    #> ['password']
    mmr = store.as_retriever(search_type="mmr", search_kwargs={"k": 2})  # (3)!
    print([doc.id for doc in mmr.invoke("When is my invoice sent?")])
    #> ['invoice', 'password']

    candidates = store.similarity_search("When is my invoice sent?", k=3)
    rerank = JinaRerank(reranker=JinaReranker(), top_n=1)  # (4)!
    print([doc.id for doc in rerank.compress_documents(candidates, "When is my invoice sent?")])
    #> ['invoice']

    reopened = chromadb.PersistentClient(path=folder).get_collection("help-center")  # (5)!
    print(reopened.configuration_json["embedding_function"]["name"])
    #> jina
    print(reopened.query(query_texts=["I forgot my password"], n_results=1)["ids"][0])
    #> ['password']
