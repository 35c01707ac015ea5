import numpy as np

from chroma_jina import JinaEmbeddingFunction

text = "Unit vectors make dot product and cosine the same."
other = "Cosine and dot product agree on unit vectors."
for normalized in [True, False]:
    jina = JinaEmbeddingFunction(model_name="jina-embeddings-v3", normalized=normalized)
    a, b = jina([text, other])
    cosine = 1 - a @ b / (np.linalg.norm(a) * np.linalg.norm(b))
    l2 = np.sum((a - b) ** 2)
    norm = round(float(np.linalg.norm(a)), 3)
    print(normalized, norm, f"cosine {cosine:.3f}", f"l2 {l2:.3f}")  # (1)!
    #> True 1.0 cosine 0.264 l2 0.527
    #> False 13.445 cosine 0.264 l2 96.370
