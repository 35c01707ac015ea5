import chromadb
from chromadb.utils.embedding_functions.schemas import validate_config_schema

from chroma_jina import JinaEmbeddingFunction

jina = JinaEmbeddingFunction(
    model_name="jina-embeddings-v3",
    task="retrieval.passage",
    query_config={"task": "retrieval.query"},
)
validate_config_schema(jina.get_config(), "jina")  # (1)!
print(jina.name(), len(jina.get_config()))
#> jina 9

client = chromadb.EphemeralClient()
collection = client.create_collection("migrated", embedding_function=jina)
saved = collection.configuration_json["embedding_function"]
print(saved["type"], saved["name"])  # (2)!
#> known jina

rebuilt = JinaEmbeddingFunction.build_from_config(saved["config"])  # (3)!
print(rebuilt.get_config() == jina.get_config())
#> True
