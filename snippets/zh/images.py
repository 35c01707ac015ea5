import chromadb
import numpy as np

from chroma_jina import JinaEmbeddingFunction

red = np.zeros((32, 32, 3), dtype=np.uint8)  # (1)!
red[..., 0] = 255
blue = np.zeros((32, 32, 3), dtype=np.uint8)
blue[..., 2] = 255

jina = JinaEmbeddingFunction(
    model_name="jina-clip-v2",  # (2)!
    query_config={"task": "retrieval.query"},  # (3)!
)
client = chromadb.EphemeralClient()
collection = client.create_collection("colour-swatches", embedding_function=jina)
collection.add(ids=["red", "blue"], images=[red, blue])  # (4)!
collection.add(ids=["caption"], documents=["白纸上画着一个红色正方形。"])

by_text = collection.query(query_texts=["红色正方形"], n_results=3)  # (5)!
print(by_text["ids"][0])
#> ['caption', 'red', 'blue']
by_image = collection.query(query_embeddings=jina([red]), n_results=3)  # (6)!
print(by_image["ids"][0], round(by_image["distances"][0][0], 3))
#> ['red', 'caption', 'blue'] 0.0
