import numpy as np

from chroma_jina import JinaEmbeddingFunction


def embed_long_document(jina, chunks, window=6, overlap=2):  # (1)!
    """Late-chunk `chunks` in overlapping windows of `window` chunks.

    Each window after the first repeats the last `overlap` chunks of the previous
    one as left context; only the new chunks of each window keep their vectors.
    Returns the vectors and the windows, as (first, last + 1) chunk positions.
    """
    if not 0 <= overlap < window:
        raise ValueError(f"overlap must be 0 to window - 1, got {overlap} for window {window}")
    vectors, windows = [], []
    start = 0
    while len(vectors) < len(chunks):
        embedded = jina(chunks[start : start + window])  # (2)!
        already_done = len(vectors) - start
        vectors.extend(embedded[already_done:])
        windows.append((start, min(start + window, len(chunks))))
        start += window - overlap
    return vectors, windows


jina = JinaEmbeddingFunction(
    model_name="jina-embeddings-v3",
    task="retrieval.passage",
    late_chunking=True,
    query_config={"task": "retrieval.query", "late_chunking": False},
)
chapters = [
    f"Chapter {n} of the manual explains step {n} of the set-up." for n in range(1, 15)
]
vectors, windows = embed_long_document(jina, chapters)
print(windows)  # (3)!
#> [(0, 6), (4, 10), (8, 14)]
print(np.stack(vectors).shape)
#> (14, 1024)
