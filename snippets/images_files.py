import tempfile
from pathlib import Path

import chromadb
import numpy
from PIL import Image

from chroma_jina import ImageLoader, JinaEmbeddingFunction

folder = Path(tempfile.mkdtemp())
red = Image.new("RGB", (32, 32), (255, 0, 0))
blue = Image.new("RGB", (32, 32), (0, 0, 255))
red.convert("P").save(folder / "palette.png")  # (1)!
blue.convert("CMYK").save(folder / "cmyk.jpg", quality=100)

jina = JinaEmbeddingFunction(model_name="jina-clip-v2")
collection = chromadb.EphemeralClient().create_collection(
    "image-files",
    embedding_function=jina,
    data_loader=ImageLoader(max_side=512),  # (2)!
)
collection.add(
    ids=["palette", "cmyk"],
    uris=[str(folder / "palette.png"), str(folder / "cmyk.jpg")],
)

print(numpy.asarray(Image.open(folder / "palette.png"))[0, 0])  # (3)!
#> 15
print(ImageLoader()([str(folder / "palette.png")])[0][0, 0])
#> [255   0   0]
photo = Image.open(folder / "cmyk.jpg")
print(photo.mode)
#> CMYK
found = collection.query(query_embeddings=jina([photo]), n_results=1)  # (4)!
print(found["ids"][0], abs(round(found["distances"][0][0], 3)))
#> ['cmyk'] 0.0
