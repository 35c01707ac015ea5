import numpy as np

from chroma_jina import JinaEmbeddingFunction

text, other = "对单位向量来说，点积和余弦相似度是一回事。", "单位向量的余弦和点积相同。"
for normalized in [True, False]:
    jina = JinaEmbeddingFunction(model_name="jina-embeddings-v3", normalized=normalized)
    a, b = jina([text, other])
    cosine = 1 - a @ b / (np.linalg.norm(a) * np.linalg.norm(b))
    l2 = np.sum((a - b) ** 2)
    norm = round(float(np.linalg.norm(a)), 3)
    print(normalized, norm, f"cosine {cosine:.3f}", f"l2 {l2:.3f}")  # (1)!
    #> True 1.0 cosine 0.410 l2 0.819
    #> False 15.812 cosine 0.410 l2 182.155
