import chromadb
import numpy as np

from chroma_jina import JinaEmbeddingFunction

red = np.zeros((32, 32, 3), dtype=np.uint8)  # (1)!
red[..., 0] = 255
blue = np.zeros((32, 32, 3), dtype=np.uint8)
blue[..., 2] = 255

jina = JinaEmbeddingFunction(model_name="jina-clip-v2")  # (2)!
client = chromadb.EphemeralClient()
collection = client.create_collection("colour-swatches", embedding_function=jina)
collection.add(ids=["red", "blue"], images=[red, blue])  # (3)!
print(collection.count())
#> 2

result = collection.query(query_texts=["a red square"], n_results=2)  # (4)!
print(len(result["ids"][0]))
#> 2
vectors = jina([red, "a red square"])  # (5)!
print(len(vectors), vectors[0].shape)
#> 2 (1024,)
