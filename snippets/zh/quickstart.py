import tempfile

import chromadb

from chroma_jina import JinaEmbeddingFunction

documents = {
    "tea": "绿茶的冲泡水温在 80 摄氏度左右。",
    "coffee": "意式浓缩咖啡是用高压热水冲过咖啡粉萃取而成的。",
    "bread": "酸种面包靠野生酵母发酵。",
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
    question = "泡绿茶用多少度的水？"
    result = collection.query(query_texts=[question], n_results=1)
    print(result["ids"][0])
    #> ['tea']

    client = chromadb.PersistentClient(path=folder)  # (3)!
    reopened = client.get_collection("kitchen-notes")
    print(type(reopened.configuration["embedding_function"]).__module__)
    #> chroma_jina.embedding_function
    result = reopened.query(query_texts=["面包靠什么发酵？"], n_results=1)
    print(reopened.count(), result["ids"][0])
    #> 3 ['bread']
