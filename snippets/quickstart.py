import tempfile

import chromadb

from chroma_jina import JinaEmbeddingFunction

documents = {
    "tea": "Green tea is brewed at about 80 degrees Celsius.",
    "coffee": "Espresso is brewed by forcing hot water through ground coffee.",
    "bread": "Sourdough bread rises with wild yeast.",
}

with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as folder:  # (1)!
    client = chromadb.PersistentClient(path=folder)
    collection = client.create_collection(
        "kitchen-notes",
        embedding_function=JinaEmbeddingFunction(
            model_name="jina-embeddings-v3",
            task="retrieval.passage",
            query_config={"task": "retrieval.query"},
        ),
    )
    collection.add(ids=list(documents), documents=list(documents.values()))  # (2)!
    question = "At what temperature is green tea brewed?"
    result = collection.query(query_texts=[question], n_results=1)
    print(result["ids"][0])
    #> ['tea']

    client = chromadb.PersistentClient(path=folder)  # (3)!
    reopened = client.get_collection("kitchen-notes")
    print(type(reopened.configuration["embedding_function"]).__module__)
    #> chroma_jina.embedding_function
    result = reopened.query(query_texts=["What makes bread rise?"], n_results=1)
    print(reopened.count(), result["ids"][0])
    #> 3 ['bread']
