import tempfile
from pathlib import Path

import chromadb
from PIL import Image

from chroma_jina import ImageLoader, JinaEmbeddingFunction, track_usage

folder = Path(tempfile.mkdtemp())
for n in range(25):
    Image.new("RGB", (64, 48), (n * 10, 0, 255 - n * 10)).save(folder / f"照片-{n:02}.png")
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
    print(f"已存入 {collection.count()} 张，{usage.requests} 个请求，{usage.total_tokens} 个 token")
    #> 已存入 25 张，2 个请求，15000 个 token
    #> 已存入 25 张，0 个请求，0 个 token


collection.add(ids=image_ids[:10], uris=paths[:10])  # (4)!
add_images()
add_images()
