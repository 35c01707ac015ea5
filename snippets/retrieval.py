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
            "To reset your password, open Settings and choose Security.",
            "Invoices are sent by email on the first day of each month.",
            "Deleting your account removes all your data after 30 days.",
        ],
    )

    client = chromadb.PersistentClient(path=folder)  # (3)!
    reopened = client.get_collection("support-articles")
    saved = reopened.configuration_json["embedding_function"]
    print(saved["name"], saved["config"]["task"], saved["config"]["query_config"])
    #> jina retrieval.passage {'task': 'retrieval.query'}
    result = reopened.query(query_texts=["I forgot my password"], n_results=1)
    print(result["ids"][0])
    #> ['password']
