import json

import chromadb
import httpx

from chroma_jina import JinaEmbeddingFunction

sent = []
http = httpx.Client(event_hooks={"request": [lambda r: sent.append(json.loads(r.content))]})

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
    jina = JinaEmbeddingFunction(model_name="jina-embeddings-v3", http_client=http, **options)
    collection = client.create_collection(f"task-setup-{number}", embedding_function=jina)
    collection.add(ids=list(documents), documents=list(documents.values()))
    collection.query(query_texts=[question], n_results=3)
    add_task, query_task = sent[-2]["task"], sent[-1]["task"]  # what add() and query() sent
    print(f"{setup}: add() sent {add_task}, query() sent {query_task}")  # (2)!
    #> passage + query task: add() sent retrieval.passage, query() sent retrieval.query
    #> passage for both: add() sent retrieval.passage, query() sent retrieval.passage
    #> text-matching for both: add() sent text-matching, query() sent text-matching

try:
    JinaEmbeddingFunction(model_name="jina-clip-v2", task="retrieval.passage")  # (3)!
except ValueError as error:
    print(error)
    """
    task='retrieval.passage' is not accepted by model 'jina-clip-v2'; allowed: ['retrieval.query']
    """
