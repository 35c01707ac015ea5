import chromadb

from chroma_jina import JinaEmbeddingFunction

documents = {
    "wall": "The Berlin Wall divided the city.",
    "1961": "Construction began in August 1961.",
    "capital": "Berlin is the capital of Germany.",
}
question = "When was the wall built?"
setups = {  # (1)!
    "passage + query task": {
        "task": "retrieval.passage",
        "query_config": {"task": "retrieval.query"},
    },
    "passage for both": {"task": "retrieval.passage"},
    "text-matching for both": {"task": "text-matching"},
}
client = chromadb.EphemeralClient()
for number, (setup, options) in enumerate(setups.items()):
    jina = JinaEmbeddingFunction(model_name="jina-embeddings-v3", **options)
    collection = client.create_collection(f"task-setup-{number}", embedding_function=jina)
    collection.add(ids=list(documents), documents=list(documents.values()))
    found = collection.query(query_texts=[question], n_results=3)
    print(f"{setup}:", found["ids"][0])  # (2)!
    #> passage + query task: ['1961', 'wall', 'capital']
    #> passage for both: ['wall', '1961', 'capital']
    #> text-matching for both: ['wall', '1961', 'capital']

try:
    JinaEmbeddingFunction(model_name="jina-clip-v2", task="retrieval.passage")  # (3)!
except ValueError as error:
    print(error)
    """
    task='retrieval.passage' is not accepted by model 'jina-clip-v2'; allowed: ['retrieval.query']
    """
