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
            "To reset your password, open Settings and choose Security.",
            "Invoices are sent by email on the first day of each month.",
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
    print(reopened.query(query_texts=["I forgot my password"], n_results=1)["ids"][0])
    #> ['password']
