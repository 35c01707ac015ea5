import tempfile
from pathlib import Path

import chromadb
from PIL import Image

from chroma_jina import ImageLoader, JinaEmbeddingFunction, track_usage

folder = Path(tempfile.mkdtemp())
for n in range(25):
    Image.new("RGB", (64, 48), (n * 10, 0, 255 - n * 10)).save(folder / f"photo-{n:02}.png")
paths = sorted(str(path) for path in folder.glob("*.png"))
image_ids = [Path(path).stem for path in paths]  # (1)!

collection = chromadb.EphemeralClient().create_collection(
    "photos",
    embedding_function=JinaEmbeddingFunction(model_name="jina-clip-v2"),
    data_loader=ImageLoader(max_side=512),
)


def add_images(step: int = 10) -> None:  # (2)!
    with track_usage() as tracked:
        for start in range(0, len(paths), step):
            ids, uris = image_ids[start : start + step], paths[start : start + step]
            stored = set(collection.get(ids=ids, include=[])["ids"])  # (3)!
            todo = [(i, u) for i, u in zip(ids, uris, strict=True) if i not in stored]
            if todo:
                collection.add(ids=[i for i, _ in todo], uris=[u for _, u in todo])
    usage = tracked.usage
    print(f"{collection.count()} stored, {usage.requests} requests, {usage.total_tokens:,} tokens")
    #> 25 stored, 2 requests, 15,000 tokens
    #> 25 stored, 0 requests, 0 tokens


collection.add(ids=image_ids[:10], uris=paths[:10])  # (4)!
add_images()
add_images()
