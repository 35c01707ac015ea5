import numpy as np

from chroma_jina import JinaEmbeddingFunction


def embed_long_document(jina, chunks, window=6, overlap=2):  # (1)!
    """Late-chunk `chunks` in overlapping windows of `window` chunks.

    Each window after the first repeats the last `overlap` chunks of the previous
    one as left context; only the new chunks of each window keep their vectors.
    """
    vectors = []
    start = 0
    while len(vectors) < len(chunks):
        embedded = jina(chunks[start : start + window])  # (2)!
        already_done = len(vectors) - start
        vectors.extend(embedded[already_done:])
        start += window - overlap
    return vectors


jina = JinaEmbeddingFunction(
    model_name="jina-embeddings-v3", task="retrieval.passage", late_chunking=True
)
chapters = [
    f"Chapter {n} of the manual explains step {n} of the set-up." for n in range(1, 15)
]
vectors = embed_long_document(jina, chapters)
print(len(chapters), len(vectors), vectors[0].dtype)  # (3)!
#> 14 14 float32
print(np.stack(vectors).shape)
#> (14, 1024)
