import numpy as np

from chroma_jina import JinaEmbeddingFunction

text = ["Unit vectors make dot product and cosine the same."]
for normalized in [True, False]:
    jina = JinaEmbeddingFunction(model_name="jina-embeddings-v3", normalized=normalized)
    vector = jina(text)[0]
    print(normalized, round(float(np.linalg.norm(vector)), 3))  # (1)!
    #> True 1.0
    #> False 13.445
