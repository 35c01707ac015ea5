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
        "Error E-4012: the disk is full. Delete old backups to free space.",
        "Error E-4021: the network is unreachable. Check the proxy settings.",
        "To reset your password, open Settings and choose Security.",
    ],
)

question = "What does error E-4012 mean?"
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
