import chromadb

from chroma_jina import JinaEmbeddingFunction, JinaError

jina = JinaEmbeddingFunction(model_name="jina-embeddings-v3", batch_size=2)  # (1)!
collection = chromadb.EphemeralClient().create_collection("tickets", embedding_function=jina)
ids = ["t1", "t2", "t3"]
documents = ["The printer is offline.", "I forgot my password.", "Log dump: " + "error " * 9000]

try:
    collection.add(ids=ids, embeddings=jina(documents), documents=documents)
except JinaError as error:  # (2)!
    done = sorted(error.embedded)
    collection.add(
        ids=[ids[i] for i in done],
        embeddings=[error.embedded[i] for i in done],
        documents=[documents[i] for i in done],
    )
    retry_later = error.input_indices  # (3)!
    print(error.code, done, retry_later)
    #> INPUT_TOKEN_LIMIT_EXCEEDED [0, 1] [2]
print(collection.count())
#> 2
