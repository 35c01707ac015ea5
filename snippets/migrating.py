import chromadb
from chromadb.utils.embedding_functions import JinaEmbeddingFunction as BuiltIn
from chromadb.utils.embedding_functions.schemas import validate_config_schema

from chroma_jina import JinaEmbeddingFunction

options = {
    "model_name": "jina-embeddings-v3",
    "task": "retrieval.passage",
    "query_config": {"task": "retrieval.query"},
}
saved = BuiltIn(**options).get_config()  # (1)!
jina = JinaEmbeddingFunction.build_from_config(saved)  # (2)!
print(type(jina).__module__, jina.get_config() == saved)
#> chroma_jina.embedding_function True

validate_config_schema(jina.get_config(), "jina")  # (3)!
client = chromadb.EphemeralClient()
collection = client.create_collection("migrated", embedding_function=jina)
stored = collection.configuration_json["embedding_function"]
print(stored["type"], stored["name"], len(stored["config"]))  # (4)!
#> known jina 9
